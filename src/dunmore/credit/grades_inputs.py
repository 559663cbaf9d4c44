"""What grading reads from the store: the frames of `grades_frames.GradeInputs`, one SELECT each."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, cast, func, select
from sqlalchemy.types import Date

from dunmore.credit.grades_frames import (
    ALLOCATION_SCHEMA,
    DISPUTE_SCHEMA,
    INVOICE_SCHEMA,
    PROMISE_SCHEMA,
    GradeInputs,
)
from dunmore.ledger.models import ALLOCATIONS, CUSTOMERS, INVOICES
from dunmore.store.bulk import read_frame
from dunmore.workspace.models import DISPUTES, PROMISES


def read_inputs(conn: Connection) -> GradeInputs:
    """Every customer with its invoices, allocations, decided promises and resolved disputes."""
    i, a, p, d = INVOICES.c, ALLOCATIONS.c, PROMISES.c, DISPUTES.c
    outside = i.amount_minor - func.coalesce(i.snapshot_open_minor, i.amount_minor)
    invoices = select(
        i.id, i.customer_id, i.kind, i.issue_date, i.due_date, i.currency, i.amount_minor, outside
    )
    resolved_on = func.date(d.resolved_at) if conn.dialect.name == "sqlite" else cast(d.resolved_at, Date)
    return GradeInputs(
        customers=read_frame(conn, select(CUSTOMERS.c.id), {"customer_id": pl.Int64}),
        invoices=read_frame(conn, invoices, INVOICE_SCHEMA),
        allocations=read_frame(conn, select(a.invoice_id, a.date, a.amount_minor), ALLOCATION_SCHEMA),
        promises=read_frame(
            conn,
            select(p.customer_id, p.status, p.decided_on).where(p.decided_on.is_not(None)),
            PROMISE_SCHEMA,
        ),
        disputes=read_frame(
            conn,
            select(d.customer_id, d.outcome, resolved_on).where(d.resolved_at.is_not(None)),
            DISPUTE_SCHEMA,
        ),
    )
