"""Webhooks: signed events for other systems (an ERP, a chat room) when something happens here.

A subscription names a URL and the event types it wants. The service where a thing happens emits
its event in the same transaction as the change (`emit`); each subscriber gets a delivery in the
webhook outbox, which the outbox worker posts with retries, exponential backoff and dead letters,
signed with the subscription's secret. See docs/webhooks.md.
"""
