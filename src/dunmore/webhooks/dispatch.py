"""Posting webhooks: the outbox worker's second queue, and `dunmore webhooks test`.

Each delivery is claimed, posted (signed at the moment it goes out) and marked, the mark in a
transaction of its own, as the notice outbox does: a worker that dies mid-way leaves a claim that
is taken again once its lease has passed, so a receiver may see an event twice (the body's `id`
and `X-Dunmore-Delivery` let it drop the repeat) but never lose one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from dunmore.settings import Settings
from dunmore.store.db import transaction
from dunmore.webhooks import outbox
from dunmore.webhooks.events import body, signed_headers
from dunmore.webhooks.outbox import Job
from dunmore.webhooks.post import Answer, post

Clock = Callable[[], datetime]


@dataclass
class WebhookTally:
    posted: int = 0
    retried: int = 0
    dead: int = 0
    failed: int = 0


class WebhookPoster:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Clock = lambda: datetime.now(UTC),
        name: str,
        tally: WebhookTally | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock: Clock = lambda: clock().astimezone(UTC)  # stored moments are UTC (see Worker)
        self.name = name
        self.tally = tally if tally is not None else WebhookTally()

    def batch(self, *, retake_all: bool = False) -> int:
        """Post one batch of due webhook deliveries; returns how many were claimed."""
        now = self.clock()
        d = self.settings.delivery
        lease = timedelta(seconds=d.lease_seconds)
        with transaction(self.engine) as conn:
            claimed = outbox.claim(
                conn, now=now, worker=self.name, lease=lease, limit=d.batch_size, retake_all=retake_all
            )
        keep_until = now + lease * 0.8  # past its lease another worker may post it too
        for job in claimed:
            if self.clock() >= keep_until:
                break
            self.attempt(job)
        return len(claimed)

    def attempt(self, job: Job, *, final: bool = False) -> Answer:
        """Post `job` now and mark what happened; `final` (a test ping) is never retried."""
        settings = self.settings.webhooks
        content = body(job.event)
        headers = signed_headers(
            job.event, delivery_id=job.delivery_id, secret=job.secret, content=content, at=self.clock()
        )
        answer = post(job.url, content, headers, timeout=settings.timeout_seconds)
        with transaction(self.engine) as conn:
            if answer.delivered:
                outbox.mark_sent(conn, job, answer, now=self.clock())
                self.tally.posted += 1
                return answer
            status = outbox.mark_error(
                conn, job, answer, now=self.clock(), max_attempts=settings.max_attempts,
                retry=timedelta(seconds=settings.retry_seconds), final=final,
            )  # fmt: skip
        if status == "pending":
            self.tally.retried += 1
        elif status == "dead":
            self.tally.dead += 1
        else:
            self.tally.failed += 1
        return answer
