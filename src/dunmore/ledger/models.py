"""Ledger tables. Money columns end in `_minor`: integer minor units of the row's `currency`.

Customers, invoices and allocations are declared with Core in `dunmore.ledger.tables` (so that the
aging report loads no ORM) and are re-exported here with the others.

`open_minor` and `unapplied_minor` are derived (see `dunmore.domain.allocation`) and kept current by
`dunmore.ledger.service.reallocate`, so that aging and runs read them without recomputing.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.ledger.tables import ALLOCATIONS as ALLOCATIONS
from dunmore.ledger.tables import CUSTOMERS as CUSTOMERS
from dunmore.ledger.tables import INVOICES as INVOICES
from dunmore.store.base import Base

# The ids a dunning run gives the fee and interest items it charges: `FEE-<notice id>`, with a
# `-<n>` suffix when an invoice imported before this rule already holds that id. Imports refuse new
# invoice ids of this form, so the run's ids stay its own (see docs/imports.md).
RUN_ITEM_PREFIXES = {"fee": "FEE-", "interest": "INT-"}
RUN_ITEM_ID = r"^(?:FEE|INT)-[0-9]+(?:-[0-9]+)?$"
# The ids of the credit notes Dunmore makes itself: a resolved dispute's `CN-DSP-<dispute id>`, a
# waiver's `CN-WVR-<waiver id>` (dunmore.workspace). Imports refuse credit notes of this form.
OWN_CREDIT_NOTE_ID = r"^CN-(?:DSP|WVR)-[0-9]+$"


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    is_primary: Mapped[bool] = mapped_column(default=False)
    # The person's wishes the run's channel choice respects (migration 0024, docs/next-steps.md).
    do_not_call: Mapped[bool] = mapped_column(default=False, server_default=false())
    do_not_email: Mapped[bool] = mapped_column(default=False, server_default=false())


class ItemLevel(Base):
    """The dunning level an item rose to, and when: a row only for items above level 0.

    Narrow and apart from the invoice row, so that a run raising the level of most items writes a
    few bytes each instead of a new version of every invoice row (on PostgreSQL; migration 0015)."""

    __tablename__ = "item_levels"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int]
    level_date: Mapped[date | None] = mapped_column(Date)


class _Settlement:
    """What payments and credit notes share: an amount of a customer's, perhaps naming an invoice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    unapplied_minor: Mapped[int] = mapped_column(BigInteger)


class Payment(_Settlement, Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_payments_group", "customer_id", "currency"),
    )


class CreditNote(_Settlement, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_credit_notes_group", "customer_id", "currency"),
    )


class CustomerBalance(Base):
    """A customer's open items summed per currency (an account), kept by every write that changes open
    amounts or levels (see `dunmore.ledger.balances`), so that the customer list sorts by an index.

    `overdue_minor` is the open amount due before `as_of`, the date the row was computed for. It stays
    exact for a later (earlier) date D unless an open item falls due in between: `next_due` is the
    earliest due date on or after `as_of`, `last_overdue_due` the latest before it, so the row is
    stale on D exactly when `next_due < D` or `last_overdue_due >= D`. A customer with nothing open
    has one row with currency "" and zeros, so that every customer is listed.

    The open amount per aging bucket of the dashboard (`ledger.balances.BUCKETS`: not due, then
    `aged_1_minor` … `aged_5_minor` for 1–30, 31–60, 61–90, 91–180 and over 180 days past due) is
    exact on `as_of` and stays exact on D unless an open item moves to another bucket in between:
    `next_move` is the earliest date after `as_of` on which one does, `last_move` the latest on or
    before it, so these amounts are stale on D exactly when `next_move <= D` or `last_move > D`.

    `portfolio` and `owner` (lower-cased) are the customer's, copied so that the scoping rule
    (`access.permissions.customer_scope(user, on=BALANCES)`) applies to these rows without a join to
    `customers`: a collector's dashboard sums one portfolio through `ix_customer_balances_portfolio`.
    Whatever changes a customer's portfolio or owner calls `ledger.balances.follow` in its transaction.

    The worklist's ranking key of the account is not kept here but in `worklist_ranks`
    (`WorklistRank`), written with these rows. The day the newest overdue item passes a year past
    due counts as a move (it changes the key), so the key is exact on D whenever the aged amounts are.
    """

    __tablename__ = "customer_balances"
    __table_args__ = (
        Index("ix_customer_balances_order", "overdue_minor", "customer_id", "currency"),
        Index("ix_customer_balances_next_due", "next_due"),
        Index("ix_customer_balances_last_overdue_due", "last_overdue_due"),
        Index("ix_customer_balances_next_move", "next_move"),
        Index("ix_customer_balances_last_move", "last_move"),
        # covers the dashboard's sum per currency (an index-only scan, in currency order)
        Index(
            "ix_customer_balances_aging", "currency", "open_minor", *[f"aged_{n}_minor" for n in range(1, 6)]
        ),
        # the same sums within one portfolio (a collector's dashboard), and within one owner (sales)
        Index(
            "ix_customer_balances_portfolio",
            "portfolio",
            "currency",
            "open_minor",
            *[f"aged_{n}_minor" for n in range(1, 6)],
        ),
        Index("ix_customer_balances_owner", "owner"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    open_minor: Mapped[int] = mapped_column(BigInteger)
    overdue_minor: Mapped[int] = mapped_column(BigInteger)
    max_level: Mapped[int]
    next_due: Mapped[date | None] = mapped_column(Date)
    last_overdue_due: Mapped[date | None] = mapped_column(Date)
    aged_1_minor: Mapped[int] = mapped_column(BigInteger)
    aged_2_minor: Mapped[int] = mapped_column(BigInteger)
    aged_3_minor: Mapped[int] = mapped_column(BigInteger)
    aged_4_minor: Mapped[int] = mapped_column(BigInteger)
    aged_5_minor: Mapped[int] = mapped_column(BigInteger)
    next_move: Mapped[date | None] = mapped_column(Date)
    last_move: Mapped[date | None] = mapped_column(Date)
    portfolio: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    owner: Mapped[str | None] = mapped_column(String(100))  # lower-cased, as the scope compares it


class WorklistRank(Base):
    """The worklist's ranking key of each account with something overdue: `expected_minor`, its
    overdue amount times the chance of recovering it at its age and the customer's grade
    (`workspace.priority.expected_value` of the summary row's aged amounts on its `as_of`), with the
    customer's portfolio and lower-cased owner, so that a collector's worklist reads the top of an
    index (`ix_worklist_ranks_*`, in list order within a portfolio or an owner) and the scoping rule
    applies to these rows (`customer_scope(user, on=RANKS)`). An account with nothing overdue has no
    row. Exact whenever its `customer_balances` row is: `ledger.balances` writes both in the same
    transaction, and `follow` re-ranks an account when its customer's grade, portfolio or owner
    changes.

    A narrow table of its own (migration 0039), not a column of the summary row: on PostgreSQL an
    UPDATE of an indexed column gives the new row version an entry in every index of the table, and
    the summary row had eleven, so re-ranking the 194,726 accounts of a first grading took 12.2 s.
    """

    __tablename__ = "worklist_ranks"
    # On PostgreSQL half of each page is free, so that a mass re-rank (its rank indexes dropped)
    # updates in place: set by migration 0040 alone, like the customers' (see ledger/tables.py).

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    portfolio: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(100))  # lower-cased, as the scope compares it
    expected_minor: Mapped[int] = mapped_column(BigInteger)


# Core handles on the tables, for set-based statements (the ORM classes type them loosely).
CONTACTS = cast(Table, Contact.__table__)
ITEM_LEVELS = cast(Table, ItemLevel.__table__)
PAYMENTS = cast(Table, Payment.__table__)
CREDIT_NOTES = cast(Table, CreditNote.__table__)
BALANCES = cast(Table, CustomerBalance.__table__)
RANKS = cast(Table, WorklistRank.__table__)
# the worklist's value lines in order within a portfolio or an owner (most expected first)
for _scope in ("portfolio", "owner"):
    Index(f"ix_worklist_ranks_{_scope}", RANKS.c[_scope], RANKS.c.currency, RANKS.c.expected_minor.desc(),
          RANKS.c.customer_id)  # fmt: skip
