"""What grading reads from the store: the frames of `grades_frames.GradeInputs`, one SELECT each,
read as CSV text that Polars parses (`store.bulk.read_columns`: no Python object per row)."""

from __future__ import annotations

from sqlalchemy import Connection, cast, func, select, union_all
from sqlalchemy.types import Date

from dunmore.credit.grades_frames import (
    ALLOCATION_SCHEMA,
    CUSTOMER_SCHEMA,
    DISPUTE_SCHEMA,
    INVOICE_SCHEMA,
    PROMISE_SCHEMA,
    GradeInputs,
)
from dunmore.ledger.models import ALLOCATIONS, CUSTOMERS, INVOICES
from dunmore.store.bulk import read_columns
from dunmore.workspace.models import DISPUTES, PROMISES
from dunmore.workspace.plan_models import PLANS


def read_inputs(conn: Connection) -> GradeInputs:
    """Every customer (id, code and the grade it has now) with its invoices, allocations, decided
    promises and resolved disputes. A payment plan is a promise to pay in instalments: the decided
    plans come with the promises (a plan is decided `broken` on the run that finds an instalment
    missed), so that a missed instalment counts as a broken promise does."""
    c, i, a, p, d = CUSTOMERS.c, INVOICES.c, ALLOCATIONS.c, PROMISES.c, DISPUTES.c
    plans = PLANS.c
    decided = union_all(
        select(p.customer_id, p.status, p.decided_on).where(p.decided_on.is_not(None)),
        select(plans.customer_id, plans.status, plans.decided_on).where(plans.decided_on.is_not(None)),
    ).subquery()
    outside = i.amount_minor - func.coalesce(i.snapshot_open_minor, i.amount_minor)
    invoices = select(
        i.id, i.customer_id, i.kind, i.issue_date, i.due_date, i.currency, i.amount_minor, outside
    )
    resolved_on = func.date(d.resolved_at) if conn.dialect.name == "sqlite" else cast(d.resolved_at, Date)
    return GradeInputs(
        customers=read_columns(conn, select(c.id, c.external_id, c.grade), CUSTOMER_SCHEMA),
        invoices=read_columns(conn, invoices, INVOICE_SCHEMA),
        allocations=read_columns(conn, select(a.invoice_id, a.date, a.amount_minor), ALLOCATION_SCHEMA),
        promises=read_columns(conn, select(*decided.c), PROMISE_SCHEMA),
        disputes=read_columns(
            conn,
            select(d.customer_id, d.outcome, resolved_on).where(d.resolved_at.is_not(None)),
            DISPUTE_SCHEMA,
        ),
    )
