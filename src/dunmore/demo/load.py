"""Loading a generated demo portfolio into the ledger, set-based, then deriving allocations."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, Table, delete, exists, func, select

from dunmore.access import audit
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS, TASKS
from dunmore.demo.generator import DemoPortfolio
from dunmore.errors import DunmoreError
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import (
    ALLOCATIONS,
    BALANCES,
    CONTACTS,
    CREDIT_NOTES,
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    RANKS,
)
from dunmore.ledger.service import reallocate
from dunmore.run.models import (
    DUNNING_GROUPS,
    GROUPS_BEFORE,
    LEVELS_BEFORE,
    NOTICE_ITEMS,
    NOTICES,
    REMINDER_RECORDS,
    RUNS,
)
from dunmore.store.bulk import insert_frame, read_frame
from dunmore.store.meta import is_demo_database, mark_demo
from dunmore.store.partitions import drop_partitions

# Children before parents, so that deleting in this order never breaks a foreign key.
LEDGER_TABLES = (
    LEVELS_BEFORE, GROUPS_BEFORE, TASKS, DELIVERY_EVENTS, DELIVERIES, NOTICE_ITEMS, NOTICES,
    REMINDER_RECORDS, RUNS, DUNNING_GROUPS,
    RANKS, BALANCES, ALLOCATIONS, PAYMENTS, CREDIT_NOTES, INVOICES, CONTACTS, CUSTOMERS,
)  # fmt: skip


class LedgerNotEmpty(DunmoreError):
    code = "ledger_not_empty"
    exit_code = 2


class NotADemoDatabase(DunmoreError):
    """`demo --reset` on a database holding a ledger the demo did not build: it is left alone."""

    code = "not_a_demo_database"
    exit_code = 2


def holds_ledger(conn: Connection) -> bool:
    """Whether there is anything `clear_ledger` would delete (every document hangs off a customer)."""
    return bool(conn.execute(select(exists().select_from(CUSTOMERS))).scalar() or
                conn.execute(select(exists().select_from(RUNS))).scalar())  # fmt: skip


def refuse_foreign_ledger(conn: Connection, where: str) -> None:
    """Refuse to build the demo in (or reset) a database that holds a ledger not marked as the demo's own.

    A demo database built before the mark existed is refused too: nothing tells it from a real
    ledger for sure, so the user deletes it by hand once.
    """
    if holds_ledger(conn) and not is_demo_database(conn):
        raise NotADemoDatabase(
            _m(
                "refusing to build the demo in %(where)s: it holds a ledger the demo did not build (the demo "
                "would mix its customers into it, and --reset would delete its customers, documents, notices "
                "and delivery proofs); give the demo another --db (e.g. sqlite:///demo.db), or, if it is a "
                "demo database from an older version, delete that file",
                where=str(where),
            )
        )


def clear_ledger(conn: Connection) -> None:
    """Delete every ledger document and run (policy versions stay), and on PostgreSQL the runs'
    partitions they leave empty."""
    for table in LEDGER_TABLES:
        conn.execute(delete(table))
    drop_partitions(conn)


def _ids(conn: Connection, table: Table, key: str) -> pl.DataFrame:
    """Database id beside external id: columns `{key}_id`, `{key}_external_id`."""
    query = select(table.c.id, table.c.external_id)
    return read_frame(conn, query, {f"{key}_id": pl.Int64, f"{key}_external_id": pl.String})


def _sources(frame: pl.DataFrame, customers: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    linked = frame.join(customers, on="customer_external_id").join(
        invoices, on="invoice_external_id", how="left"
    )
    return linked.select(
        "external_id",
        "customer_id",
        "date",
        "currency",
        "amount_minor",
        "invoice_id",
        unapplied_minor="amount_minor",
    )


def load_portfolio(conn: Connection, portfolio: DemoPortfolio) -> None:
    """Write the portfolio into an empty ledger and derive open amounts and the customer summary (for
    the latest issue date, the portfolio's own day: any date is exact, see `ledger.balances`)."""
    if conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one():
        raise LedgerNotEmpty(
            _m("the database already holds customers: use --reset to replace them, or another --db")
        )
    customer_columns = [c.name for c in CUSTOMERS.columns if c.name in portfolio.customers.columns]
    insert_frame(
        conn, CUSTOMERS, portfolio.customers.select(customer_columns).with_columns(on_hold=pl.lit(False))
    )
    customers = _ids(conn, CUSTOMERS, "customer")
    contacts = portfolio.contacts.join(customers, on="customer_external_id").drop("customer_external_id")
    insert_frame(conn, CONTACTS, contacts)
    invoices = portfolio.invoices.join(customers, on="customer_external_id").drop("customer_external_id")
    insert_frame(conn, INVOICES, invoices.with_columns(open_minor="amount_minor", on_hold=pl.lit(False)))
    invoice_ids = _ids(conn, INVOICES, "invoice")
    insert_frame(conn, PAYMENTS, _sources(portfolio.payments, customers, invoice_ids))
    insert_frame(conn, CREDIT_NOTES, _sources(portfolio.credit_notes, customers, invoice_ids))
    reallocate(conn, None)
    latest = portfolio.invoices.get_column("issue_date").max()
    balances.refresh(conn, as_of=latest if isinstance(latest, date) else date(2000, 1, 1))


def build_demo(conn: Connection, portfolio: DemoPortfolio, *, reset: bool, where: str, seed: int,
               as_of: str, actor: str, at: datetime) -> None:  # fmt: skip
    """Load the demo portfolio (after clearing a demo ledger, with `reset`) and mark the database as
    the demo's; one audit row (`demo.build` on `demo`). The audit log itself is never cleared."""
    refuse_foreign_ledger(conn, where)  # with or without reset: never mix the demo into a real ledger
    if reset:
        clear_ledger(conn)
    load_portfolio(conn, portfolio)
    mark_demo(conn)  # the worker may send from it as the demo creditor
    after = {"customers": portfolio.customers.height, "invoices": portfolio.invoices.height, "seed": seed,
             "as_of": as_of, "reset": reset}  # fmt: skip
    audit.record(conn, at=at, actor=actor, action="demo.build", object="demo", after=after)
