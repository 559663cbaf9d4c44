"""Channels: one small interface per way of reaching a debtor (email, SMS); letters and tasks are
produced by the worker itself (see `dunmore.delivery.letter` and `dunmore.delivery.outbox`).
"""
