"""The audit log tells what people did to a customer, through the same services the web will call.

The example policy; C1 owes INV-1, 10,000.00 CNY due 2026-09-01. The run of 2026-09-04 sends C1 the
first-overdue notice (an e-mail and an SMS).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from dunmore.access import audit
from dunmore.delivery import stops
from dunmore.errors import RunConflict
from dunmore.run import service
from dunmore.run.models import NOTICES, RUNS
from dunmore.store.db import transaction
from tests.scenarios.story import EXAMPLE, UNGATED, Story, day, morning


def told(engine: Engine, customers: int = 1) -> Story:
    story = Story(engine)
    for n in range(1, customers + 1):
        story.customer(f"C{n}")
        story.invoice(f"INV-{n}", f"C{n}", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


def rows(engine: Engine, *, object: str | None = None) -> list[tuple[str, str, str, Any, Any]]:
    """(actor, action, object, before, after) of the rows, newest first."""
    with engine.connect() as conn:
        found = audit.list_rows(conn, object=object)
    return [(r.actor, r.action, r.object, _decoded(r.before), _decoded(r.after)) for r in found]


def _decoded(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def verified(engine: Engine) -> bool:
    with engine.connect() as conn:
        return audit.verify(conn).broken is None


def test_a_customers_story_is_its_audit_rows(engine: Engine) -> None:
    story = told(engine)
    story.run("2026-09-04")
    with transaction(engine) as conn:
        stops.hold(conn, customer="C1", now=morning("2026-09-05"), actor="li")
    with transaction(engine) as conn:
        stops.release(conn, customer="C1", now=morning("2026-09-08"), actor="li")
    with transaction(engine) as conn:
        stops.dispute(
            conn, invoice="INV-1", amount=Decimal("100.00"), now=morning("2026-09-10"), actor="wang"
        )

    assert rows(engine, object="customer:C1") == [
        ("li", "customer.release", "customer:C1", {"on_hold": True}, {"on_hold": False}),
        (
            "li",
            "customer.hold",
            "customer:C1",
            {"on_hold": False},
            {"on_hold": True, "deliveries_cancelled": 2},
        ),
    ]
    assert rows(engine, object="invoice:INV-1") == [
        ("wang", "invoice.dispute", "invoice:INV-1", {"disputed": "0.00"},
         {"customer": "C1", "disputed": "100.00", "currency": "CNY", "deliveries_cancelled": 0}),
    ]  # fmt: skip
    assert verified(engine)


def test_a_run_of_many_notices_is_one_audit_row_with_its_counts(engine: Engine) -> None:
    story = told(engine, customers=30)
    story.run("2026-09-04")

    assert rows(engine) == [
        ("cli:ops", "run.commit", "run:1", None,
         {"as_of": "2026-09-04", "policy_version": 1, "notices": 30, "reminders": 0, "levels": 30,
          "pending_approval": 0}),
        ("cli:ops", "policy.load", "policy:1", None,
         {"version": 1, "fingerprint": rows(engine)[1][4]["fingerprint"], "source": str(EXAMPLE)}),
    ]  # fmt: skip


def test_a_revert_is_audited_with_what_it_undid(engine: Engine) -> None:
    story = told(engine)
    story.run("2026-09-04")
    story.revert(1, on="2026-09-04")

    assert rows(engine, object="run:1")[0] == (
        "cli:ops", "run.revert", "run:1", {"status": "committed"},
        {"status": "reverted", "as_of": "2026-09-04", "notices": 1, "deliveries_cancelled": 2,
         "charges_removed": 0, "levels_restored": 1, "alerts_withdrawn": []},
    )  # fmt: skip
    assert verified(engine)


def test_a_run_deciding_while_someone_else_is_audited_is_refused_as_a_conflict(engine: Engine) -> None:
    """On PostgreSQL the run's snapshot cannot see the newer audit row, so its own append would take
    the same id; on SQLite its first write finds the database changed since it read. Either way the
    run says so in one line and writes nothing; the chain stays whole."""
    story = told(engine)
    story.customer("C9")

    def late_run() -> None:
        with transaction(engine, snapshot=True) as late:
            service.propose(late, as_of=day("2026-09-04"), today=day("2026-09-04"))  # its snapshot
            with transaction(engine) as meanwhile:
                stops.hold(meanwhile, customer="C9", now=morning("2026-09-04"), actor="li")
            service.commit(late, as_of=day("2026-09-04"), today=day("2026-09-04"), now=morning("2026-09-04"),
                           actor="cli:ops", **UNGATED)  # fmt: skip

    with pytest.raises(RunConflict, match="nothing was written"):
        late_run()

    with engine.connect() as conn:
        written = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (RUNS, NOTICES)]
    assert written == [0, 0]
    assert [row[1] for row in rows(engine)] == ["customer.hold", "policy.load"]
    assert verified(engine)
    assert story.run("2026-09-04")  # run again, it commits
