"""The ledger keeps allocations and open amounts derived from its documents, on every backend."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from dunmore.ledger.models import ALLOCATIONS, PAYMENTS
from dunmore.ledger.service import reallocate
from tests.store.ledger_rows import add_customer, add_invoice, add_payment, open_amounts


def test_reallocate_derives_open_amounts_and_unapplied_credit(engine: Engine) -> None:
    with engine.begin() as conn:
        acme = add_customer(conn, "C1")
        other = add_customer(conn, "C2")
        first = add_invoice(conn, "INV-1", acme, "2026-01-01", "2026-01-31", 100_00)
        add_invoice(conn, "INV-2", acme, "2026-01-05", "2026-02-04", 50_00)
        add_invoice(conn, "INV-3", acme, "2026-01-05", "2026-02-04", 70_00, currency="USD")
        add_invoice(conn, "INV-4", other, "2026-01-05", "2026-02-04", 10_00)
        add_payment(conn, "PAY-1", acme, "2026-02-10", 120_00)
        add_payment(conn, "CN-1", acme, "2026-02-01", 5_00, invoice_id=first, credit_note=True)
        add_payment(conn, "PAY-2", acme, "2026-02-11", 100_00, currency="USD")
        reallocate(conn, [acme])
        assert open_amounts(conn) == {"INV-1": 0, "INV-2": 25_00, "INV-3": 0, "INV-4": 10_00}
        unapplied = dict(conn.execute(select(PAYMENTS.c.external_id, PAYMENTS.c.unapplied_minor)).all())
        assert unapplied == {"PAY-1": 0, "PAY-2": 30_00}
        assert conn.execute(select(func.count()).select_from(ALLOCATIONS)).scalar_one() == 4


def test_reallocating_twice_changes_nothing_and_a_larger_invoice_takes_the_credit(engine: Engine) -> None:
    with engine.begin() as conn:
        acme = add_customer(conn, "C1")
        add_invoice(conn, "INV-1", acme, "2026-01-01", "2026-01-31", 100_00)
        add_payment(conn, "PAY-1", acme, "2026-02-10", 150_00)
        reallocate(conn, [acme])
        reallocate(conn, None)
        assert open_amounts(conn) == {"INV-1": 0}
        add_invoice(conn, "INV-2", acme, "2026-03-01", "2026-03-31", 80_00)
        reallocate(conn, [acme])
        assert open_amounts(conn) == {"INV-1": 0, "INV-2": 30_00}
        assert conn.execute(select(PAYMENTS.c.unapplied_minor)).scalar_one() == 0


def test_a_snapshot_open_amount_is_the_start_of_the_replay(engine: Engine) -> None:
    with engine.begin() as conn:
        acme = add_customer(conn, "C1")
        add_invoice(conn, "INV-1", acme, "2026-01-01", "2026-01-31", 100_00, snapshot_open_minor=40_00)
        reallocate(conn, [acme])
        assert open_amounts(conn) == {"INV-1": 40_00}
        add_payment(conn, "PAY-1", acme, "2026-02-10", 15_00)
        reallocate(conn, [acme])
        assert open_amounts(conn) == {"INV-1": 25_00}
