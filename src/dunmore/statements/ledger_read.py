"""What a statement is computed from: one customer's documents and allocations, read from the ledger.

Charges are the `invoices` rows (kind invoice, fee or interest: the run's FEE-n / INT-n items), the
settlements are `credit_notes` and `payments`, the applied parts are `allocations` (kept current by
`ledger.service.reallocate`, with the date each part took effect).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, func, select

from dunmore.ledger.models import ALLOCATIONS, CREDIT_NOTES, INVOICES, PAYMENTS
from dunmore.statements.compute import Applied, Document

Ledger = dict[str, tuple[list[Document], list[Applied]]]  # per currency


def read_ledger(conn: Connection, customer_id: int) -> Ledger:
    """The customer's documents and applied parts, grouped by currency."""
    i = INVOICES.c
    docs: dict[str, list[Document]] = defaultdict(list)
    start = func.coalesce(i.snapshot_open_minor, i.amount_minor)
    charges = select(i.id, i.external_id, i.kind, i.issue_date, i.due_date, i.currency, i.amount_minor, start)
    for row in conn.execute(charges.where(i.customer_id == customer_id)).all():
        kind = row.kind if row.kind in ("fee", "interest") else "invoice"
        docs[row.currency].append(
            Document(kind, row.id, row.external_id, row.issue_date, row.amount_minor, row.due_date, row[7])
        )
    for kind, table in (("credit_note", CREDIT_NOTES), ("payment", PAYMENTS)):
        c = table.c
        query = select(c.id, c.external_id, c.date, c.currency, c.amount_minor).where(
            c.customer_id == customer_id
        )
        for settled in conn.execute(query).all():
            docs[settled.currency].append(
                Document(kind, settled.id, settled.external_id, settled.date, settled.amount_minor)
            )
    a = ALLOCATIONS.c
    applied: dict[str, list[Applied]] = defaultdict(list)
    parts = (
        select(a.invoice_id, a.payment_id, a.credit_note_id, a.date, a.amount_minor, i.currency)
        .join(INVOICES, i.id == a.invoice_id)
        .where(i.customer_id == customer_id)
    )
    for part in conn.execute(parts).all():
        paid = part.payment_id is not None
        source = ("payment", part.payment_id) if paid else ("credit_note", part.credit_note_id)
        applied[part.currency].append(Applied(part.invoice_id, source, part.date, part.amount_minor))
    return {currency: (docs[currency], applied[currency]) for currency in sorted(docs)}
