"""The run's channel choice applies each contact's wishes exactly as the plain rule
`delivery.contact_wishes.choose` says, for every combination of preference and do-not flags: twelve
customers, each with one overdue invoice, whose first level goes by e-mail and a call."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select

from dunmore.delivery.contact_wishes import choose
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.store.db import transaction
from tests.scenarios.story import Story, policy_file

POLICY = """
policies:
  p:
    levels:
      - {name: first-overdue, at: 3, channels: [email, call], template: overdue-1}
routes:
  - {policy: p}
"""
WISHES = list(product((None, "sms", "letter", "call"), (False, True), (False, True)))


def test_every_combination_of_wishes_follows_the_rule(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine, policy_file(tmp_path, POLICY))
    for n, _ in enumerate(WISHES):
        story.customer(f"C{n}")
        story.invoice(f"INV-{n}", f"C{n}", issued="2026-08-01", due="2026-09-01", amount="100.00")
    with transaction(engine) as conn:
        ids = {
            str(code): int(id_) for code, id_ in conn.execute(select(CUSTOMERS.c.external_id, CUSTOMERS.c.id))
        }
        rows = [
            {"customer_id": ids[f"C{n}"], "name": "A", "is_primary": True, "preferred_channel": prefer,
             "do_not_call": no_call, "do_not_email": no_email}
            for n, (prefer, no_call, no_email) in enumerate(WISHES)
        ]  # fmt: skip
        conn.execute(insert(CONTACTS), rows)
    story.run("2026-09-04")
    d, k = DELIVERIES.c, NOTICES.c
    query = select(k.customer_id, d.channel, d.status).join(NOTICES, k.id == d.notice_id).order_by(d.id)
    with engine.connect() as conn:
        found: dict[int, list[str | None]] = {}
        for customer_id, channel, status in conn.execute(query):
            found.setdefault(customer_id, []).append(None if status == "cancelled" else channel)
    for number, (prefer, no_call, no_email) in enumerate(WISHES):
        wanted = [
            choose(c, preferred=prefer, do_not_call=no_call, do_not_email=no_email,
                   notice_channels=frozenset({"email", "call"}))[0]
            for c in ("email", "call")
        ]  # fmt: skip
        assert found[ids[f"C{number}"]] == wanted, (prefer, no_call, no_email)


def test_only_the_primary_contacts_wishes_count(engine: Engine, tmp_path: Path) -> None:
    """S's first contact asks for neither e-mail nor calls, but S's primary contact (added later) has
    no wish: nothing changes. T's first contact has no wish and T's primary contact asks for no calls:
    T's call is cancelled. U has no primary contact: its first contact's wish (SMS) counts."""
    story = Story(engine, policy_file(tmp_path, POLICY))
    for code in ("S", "T", "U"):
        story.customer(code)
        story.invoice(f"INV-{code}", code, issued="2026-08-01", due="2026-09-01", amount="100.00")
    with transaction(engine) as conn:
        ids = {
            str(code): int(id_) for code, id_ in conn.execute(select(CUSTOMERS.c.external_id, CUSTOMERS.c.id))
        }
        no = {"preferred_channel": None, "do_not_call": False, "do_not_email": False}
        for row in (
            {"customer_id": ids["S"], "name": "S1", "is_primary": False, **no,
             "do_not_call": True, "do_not_email": True},
            {"customer_id": ids["S"], "name": "S2", "is_primary": True, **no},
            {"customer_id": ids["T"], "name": "T1", "is_primary": False, **no},
            {"customer_id": ids["T"], "name": "T2", "is_primary": True, **no, "do_not_call": True},
            {"customer_id": ids["U"], "name": "U1", "is_primary": False, **no, "preferred_channel": "sms"},
            {"customer_id": ids["U"], "name": "U2", "is_primary": False, **no, "do_not_call": True},
        ):  # fmt: skip
            conn.execute(insert(CONTACTS).values(row))  # one by one: the ids give the order
    story.run("2026-09-04")
    d, k = DELIVERIES.c, NOTICES.c
    query = select(k.customer_id, d.channel, d.status).join(NOTICES, k.id == d.notice_id).order_by(d.id)
    with engine.connect() as conn:
        found: dict[int, list[tuple[str, str]]] = {}
        for customer_id, channel, status in conn.execute(query):
            found.setdefault(customer_id, []).append((channel, status))
    assert found[ids["S"]] == [("email", "pending"), ("call", "pending")]
    assert found[ids["T"]] == [("email", "pending"), ("call", "cancelled")]
    assert found[ids["U"]] == [("sms", "pending"), ("call", "pending")]


def test_on_sqlite_the_wishes_are_looked_up_per_delivery_never_scanned_per_wish(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """SQLite keeps no statistics here, so a plan does not depend on the rows: the plan of this small
    run is the plan of a 1M-item run. The statements that read the run's deliveries with their
    contact's wishes reach the wishes by their key, per delivery — never the other way round (every
    wish as the outer loop, the run's deliveries scanned once for each: a 1M-item run stalled there)."""
    story = Story(sqlite_engine, policy_file(tmp_path, POLICY))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="100.00")
    with transaction(sqlite_engine) as conn:
        customer = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        conn.execute(
            insert(CONTACTS).values(customer_id=customer, name="A", is_primary=True, do_not_call=True)
        )
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith(("SELECT", "WITH")) and " wishes" in statement:
            seen.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", keep)
    try:
        story.run("2026-09-04")
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", keep)
    assert len(seen) == 2  # the e-mails that may switch channel, the deliveries a wish cancels
    with sqlite_engine.connect() as conn:
        for statement, parameters in seen:
            plan = [
                str(row[3]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            on_wishes = [step for step in plan if " wishes" in step]
            assert on_wishes == ["SEARCH wishes USING INTEGER PRIMARY KEY (rowid=?)"], plan
