"""Writing small ledgers straight into the tables, for store tests that are not about imports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from dunmore.ledger.models import CREDIT_NOTES, CUSTOMERS, INVOICES, PAYMENTS

# Who imports in store tests, and when, as the audit log records it.
OPERATOR = "cli:ops"
IMPORTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_customer(conn: Connection, external_id: str, **fields: Any) -> int:
    values = {
        "external_id": external_id,
        "name": external_id,
        "language": "zh-CN",
        "timezone": "Asia/Shanghai",
        "country": "CN",
        "tags": "",
        "on_hold": False,
    } | fields
    return int(conn.execute(insert(CUSTOMERS).values(values).returning(CUSTOMERS.c.id)).scalar_one())


def add_invoice(
    conn: Connection,
    external_id: str,
    customer_id: int,
    issued: str,
    due: str,
    amount: int,
    currency: str = "CNY",
    **fields: Any,
) -> int:
    start = fields.get("snapshot_open_minor", amount)
    values = {
        "external_id": external_id,
        "customer_id": customer_id,
        "issue_date": date.fromisoformat(issued),
        "due_date": date.fromisoformat(due),
        "currency": currency,
        "amount_minor": amount,
        "disputed_minor": 0,
        "open_minor": start,
        "on_hold": False,
    } | fields
    return int(conn.execute(insert(INVOICES).values(values).returning(INVOICES.c.id)).scalar_one())


def add_payment(
    conn: Connection,
    external_id: str,
    customer_id: int,
    on: str,
    amount: int,
    currency: str = "CNY",
    invoice_id: int | None = None,
    *,
    credit_note: bool = False,
) -> int:
    table = CREDIT_NOTES if credit_note else PAYMENTS
    values = {
        "external_id": external_id,
        "customer_id": customer_id,
        "date": date.fromisoformat(on),
        "currency": currency,
        "amount_minor": amount,
        "invoice_id": invoice_id,
        "unapplied_minor": amount,
    }
    return int(conn.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def open_amounts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(INVOICES.c.external_id, INVOICES.c.open_minor)).all()
    return {str(external_id): int(open_minor) for external_id, open_minor in rows}
