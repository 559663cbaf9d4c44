"""Tables of webhooks: subscriptions, the event types each wants, events, and their deliveries.

`webhook_deliveries` is a second outbox with the claim, lease and backoff columns of `deliveries`
(one delivery per event and subscriber); the claim and retry rules are `dunmore.delivery.queue`,
shared by both.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class WebhookSubscription(Base):
    """A receiver: its URL and the secret its deliveries are signed with. The secret is kept as
    given (HMAC needs it), so whoever reads the database can sign as Dunmore: see docs/webhooks.md.
    A removed subscription stays (inactive), with its deliveries, as the record of what was sent."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookSubscriptionEvent(Base):
    """One event type a subscription wants (`run.committed`, …)."""

    __tablename__ = "webhook_subscription_events"
    # Emitting looks up the subscribers of one type: the type leads.
    __table_args__ = (Index("ix_webhook_subscription_events_type", "event_type", "subscription_id"),)

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    event_type: Mapped[str] = mapped_column(String(50), primary_key=True)


class WebhookEvent(Base):
    """Something that happened, as sent: its type, when, and its data (canonical JSON). Stored only
    when someone subscribed to its type."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)


class WebhookDelivery(Base):
    """One event to one subscriber: pending → sending → sent, or dead after the attempts ran out,
    failed (a `test` ping that was not answered 2xx; pings are not retried), cancelled (the
    subscription was removed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_status: Mapped[int | None]  # the receiver's HTTP status on the last attempt
    reply: Mapped[str | None] = mapped_column(Text)  # the start of the receiver's answer
    last_error: Mapped[str | None] = mapped_column(Text)


WEBHOOK_SUBSCRIPTIONS = cast(Table, WebhookSubscription.__table__)
WEBHOOK_SUBSCRIPTION_EVENTS = cast(Table, WebhookSubscriptionEvent.__table__)
WEBHOOK_EVENTS = cast(Table, WebhookEvent.__table__)
WEBHOOK_DELIVERIES = cast(Table, WebhookDelivery.__table__)
