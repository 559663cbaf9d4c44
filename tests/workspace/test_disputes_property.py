"""The invariant the engine relies on: whatever disputes are opened, resolved (by credit note,
rejection, withdrawal) or set by the old `dunmore dispute INVOICE AMOUNT`, an invoice's
`disputed_minor` is the sum of its open disputes, and never above what is open on it."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from dunmore.errors import AmountError, BadArgument
from dunmore.ledger.models import INVOICES
from dunmore.ledger.service import reallocate
from dunmore.store.db import transaction
from dunmore.workspace import disputes
from dunmore.workspace.models import DISPUTES
from tests.scenarios.story import ACTOR, day, morning
from tests.store.ledger_rows import add_customer, add_invoice

AMOUNT = 100_000  # 1,000.00 CNY
_numbers = itertools.count(1)

Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("open"), st.integers(1, 60_000)),
        st.tuples(st.sampled_from(["credit-note", "rejected", "withdrawn"]), st.integers(0, 5)),
        st.tuples(st.just("set"), st.integers(0, AMOUNT)),
    ),
    max_size=8,
)


def _apply(engine: Engine, invoice: str, step: Step) -> None:
    """One step in its own transaction; a refused one (out of bounds, resolved twice) changes nothing."""
    kind, value = step
    try:
        with transaction(engine) as conn:
            if kind == "open":
                disputes.open_dispute(
                    conn,
                    invoice=invoice,
                    amount=Decimal(value) / 100,
                    reason="price",
                    now=morning("2026-09-02"),
                    actor=ACTOR,
                )
            elif kind == "set":
                disputes.set_disputed_total(
                    conn, invoice=invoice, amount=Decimal(value) / 100, now=morning("2026-09-02"), actor=ACTOR
                )
            else:
                _resolve(conn, invoice, kind, value)
    except (AmountError, BadArgument):
        pass


def _resolve(conn: Any, invoice: str, outcome: str, pick: int) -> None:
    d, i = DISPUTES.c, INVOICES.c
    ids = list(
        conn.execute(
            select(d.id).join(INVOICES, i.id == d.invoice_id).where(i.external_id == invoice)
        ).scalars()
    )
    if ids:
        disputes.resolve_dispute(
            conn,
            dispute_id=ids[pick % len(ids)],
            outcome=outcome,
            on=day("2026-09-03"),
            now=morning("2026-09-03"),
            actor=ACTOR,
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_the_disputed_column_is_the_sum_of_the_open_disputes(
    sqlite_engine: Engine, steps: list[Step]
) -> None:
    invoice = f"INV-{next(_numbers)}"
    with transaction(sqlite_engine) as conn:
        customer = add_customer(conn, f"C-{invoice}")
        add_invoice(conn, invoice, customer, "2026-08-01", "2026-09-01", AMOUNT)
        reallocate(conn, [customer])
    for step in steps:
        _apply(sqlite_engine, invoice, step)
        i, d = INVOICES.c, DISPUTES.c
        with sqlite_engine.connect() as conn:
            row = conn.execute(
                select(i.id, i.open_minor, i.disputed_minor).where(i.external_id == invoice)
            ).one()
            total = conn.execute(
                select(func.coalesce(func.sum(d.amount_minor), 0)).where(
                    d.invoice_id == row.id, d.status == "open"
                )
            ).scalar_one()
        assert row.disputed_minor == total, step
        assert 0 <= row.disputed_minor <= AMOUNT
