"""`delivery.queue.settled`: what a row of a side outbox (staff alert mails, statement mails, portal
texts) becomes after one try, and how the drain counts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dunmore.delivery.channels.base import SendError
from dunmore.delivery.queue import Tally, settled

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
RETRY = timedelta(minutes=5)


def test_a_try_ends_sent_pending_again_dead_or_failed_and_is_counted() -> None:
    tally = Tally()
    busy = SendError("451 try later", transient=True)

    def after(attempt: int, error: SendError | None) -> dict[str, object]:
        return settled(
            attempt, error, at=AT, max_attempts=3, retry=RETRY, tally=tally, sent={"reply": "250 ok"}
        )

    assert after(1, None) == {"status": "sent", "sent_at": AT, "last_error": None, "reply": "250 ok"}
    assert after(2, busy) == {
        "status": "pending",
        "next_attempt_at": AT + 2 * RETRY,
        "last_error": "451 try later",
    }
    assert after(3, busy) == {"status": "dead", "next_attempt_at": None, "last_error": "451 try later"}
    refused = SendError("550 no such user", transient=False)
    assert after(1, refused) == {
        "status": "failed",
        "next_attempt_at": None,
        "last_error": "550 no such user",
    }
    assert (tally.sent, tally.retried, tally.failed) == (1, 1, 2)
