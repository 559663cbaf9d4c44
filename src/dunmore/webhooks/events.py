"""The events a subscriber may ask for, and what a webhook POST carries: pure values, no I/O.

A new event type is one line in `EVENT_TYPES` and one `emit` call in the service where the thing
happens. The body is `{"id", "type", "created_at", "data"}` as compact UTF-8 JSON with sorted keys:
the same bytes on every attempt. The signature is the one our SMS webhook's callbacks carry
(`dunmore.delivery.signatures.webhook_signature`): HMAC-SHA256 with the subscription's secret over
`<timestamp>.<body>`, the timestamp being Unix seconds of the attempt, so a receiver can refuse a
replayed request by its age.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from dunmore import __version__
from dunmore.delivery.signatures import WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, webhook_signature

EVENT_HEADER: Final = "X-Dunmore-Event"
DELIVERY_HEADER: Final = "X-Dunmore-Delivery"

# Every type a subscription may name, with what it means (shown by `dunmore webhooks add --help` and
# in docs/webhooks.md). Add a type here and emit it where the thing happens.
EVENT_TYPES: Final[Mapping[str, str]] = {
    "run.committed": "a dunning run was committed (one event per run, with its counts)",
    "notice.approved": "a notice waiting for approval was approved (one event per notice)",
    "delivery.sent": "a notice went out on one channel (one event per delivery)",
    "delivery.failed": "a delivery failed for good or ran out of attempts (one event per delivery)",
    "dispute.opened": "a dispute was opened on an invoice (one event per dispute; by `dunmore dispute "
    "INV AMOUNT`, one per invoice newly disputed)",
    "dispute.resolved": "a dispute was resolved: credit note, rejected or withdrawn (one event per dispute)",
}
# Sent only by `dunmore webhooks test`, to the one subscription tested; nobody subscribes to it.
PING: Final = "ping"


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    created_at: datetime
    data: Mapping[str, Any]


def body(event: Event) -> bytes:
    """The request body: the same bytes for every attempt and every subscriber of the event."""
    created = event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"id": event.id, "type": event.type, "created_at": created, "data": event.data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signed_headers(
    event: Event, *, delivery_id: int, secret: str, content: bytes, at: datetime
) -> dict[str, str]:
    """The headers of one attempt, signed at `at` (the moment it is sent)."""
    timestamp = str(int(at.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"Dunmore-Webhooks/{__version__}",
        EVENT_HEADER: event.type,
        DELIVERY_HEADER: str(delivery_id),
        WEBHOOK_TIMESTAMP: timestamp,
        WEBHOOK_SIGNATURE: webhook_signature(secret, timestamp, content),
    }
