"""A hold, a dispute or a cease-contact request cancels the pending deliveries it makes wrong in its own
transaction, on both backends: nothing a collector stopped is still pending when a worker next looks.

The run of 2026-11-23 (committed at 00:30 UTC) left one e-mail and one SMS per debtor in the outbox;
the collector acts on 2026-11-24 at 09:00 UTC, and no worker has run."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from dunmore.delivery import stops
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.store.db import transaction
from tests.delivery.portfolio import Debtor, overdue_portfolio

NEXT_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(DELIVERIES.c.status).order_by(DELIVERIES.c.id)).scalars())


def cancellations(engine: Engine) -> list[tuple[int, str | None, str | None]]:
    e = DELIVERY_EVENTS.c
    query = select(e.delivery_id, e.reason, e.detail).where(e.outcome == "cancelled").order_by(e.delivery_id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_a_held_customers_pending_deliveries_are_cancelled_before_any_worker_runs(
    engine: Engine, tmp_path: Path
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()], channels="email, sms")
    with transaction(engine) as conn:
        assert stops.hold(conn, customer="C00001", now=NEXT_MORNING, actor="cli:ops") == 2
    assert statuses(engine) == ["cancelled", "cancelled", "pending", "pending"]
    assert cancellations(engine) == [
        (1, "hold", "customer C00001 put on hold"),
        (2, "hold", "customer C00001 put on hold"),
    ]
    with transaction(engine) as conn:  # held already: nothing more to cancel, and the count says so
        assert stops.hold(conn, customer="C00001", now=NEXT_MORNING, actor="cli:ops") == 0


def test_a_held_invoice_cancels_the_notices_listing_it(engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()], channels="email, sms")
    with transaction(engine) as conn:
        assert (
            stops.hold(conn, customer="C00002", invoice="INV-00002", now=NEXT_MORNING, actor="cli:ops") == 2
        )
    assert statuses(engine) == ["pending", "pending", "cancelled", "cancelled"]


def test_a_new_dispute_cancels_the_notices_listing_the_invoice_and_a_smaller_one_does_not(
    engine: Engine, tmp_path: Path
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor(), Debtor()], channels="email, sms")
    with transaction(engine) as conn:
        assert (
            stops.dispute(
                conn, invoice="INV-00002", amount=Decimal("100.00"), now=NEXT_MORNING, actor="cli:ops"
            )
            == 2
        )
    assert statuses(engine) == ["pending", "pending", "cancelled", "cancelled", "pending", "pending"]
    with transaction(engine) as conn:  # ending a dispute is not a new one: nothing is cancelled
        assert (
            stops.dispute(conn, invoice="INV-00002", amount=Decimal("0"), now=NEXT_MORNING, actor="cli:ops")
            == 0
        )
    assert cancellations(engine)[0][1:] == ("dispute", "invoice INV-00002 disputed (100.00) after the notice")


def test_cease_contact_cancels_all_but_the_channels_still_allowed(engine: Engine, tmp_path: Path) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()], channels="email, sms, letter")
    with transaction(engine) as conn:
        assert (
            stops.cease_contact(conn, customer="C00001", keep=["letter"], now=NEXT_MORNING, actor="cli:ops")
            == 2
        )
    assert statuses(engine) == ["cancelled", "cancelled", "pending", "pending", "pending", "pending"]
    assert {reason for _, reason, _ in cancellations(engine)} == {"cease_contact"}
