"""A realistic, reproducible demo portfolio: customers, contacts, invoices, payments and credit notes.

`generate(customers=500, seed=7, as_of=date(2026, 6, 30))` returns the same frames every time for the
same arguments; it reads no clock, no database and no file. Demos, benchmarks and the strategy
simulator load these frames into the ledger (columns match `dunmore.ledger.models`, with external ids
in place of database ids). Payment behaviour comes from `dunmore.demo.archetypes`; names, phones and
addresses from `dunmore.demo.names`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from dunmore.demo.history import Book, Flows, record_history
from dunmore.demo.profiles import describe, draw_profile

__all__ = ["DemoPortfolio", "generate"]

EPOCH = date(1970, 1, 1)
DAYS_PER_MONTH = 30.44

CUSTOMER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "name": pl.String,
    "language": pl.String,
    "timezone": pl.String,
    "country": pl.String,
    "grade": pl.String,
    "tags": pl.String,
    "credit_limit_minor": pl.Int64,
    "credit_currency": pl.String,
    "owner": pl.String,
    "industry": pl.String,
    "archetype": pl.String,
}
CONTACT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "customer": pl.Int64,
    "name": pl.String,
    "email": pl.String,
    "phone": pl.String,
    "address": pl.String,
    "preferred_channel": pl.String,
    "is_primary": pl.Boolean,
}
INVOICE_COLUMNS = (
    "external_id",
    "customer_external_id",
    "issue_date",
    "due_date",
    "currency",
    "amount_minor",
    "disputed_minor",
)
FLOW_COLUMNS = (
    "external_id",
    "customer_external_id",
    "date",
    "currency",
    "amount_minor",
    "invoice_external_id",
)


@dataclass(frozen=True)
class DemoPortfolio:
    """The generated ledger as Polars frames, one per ledger table, linked by external ids."""

    customers: pl.DataFrame
    contacts: pl.DataFrame
    invoices: pl.DataFrame
    payments: pl.DataFrame
    credit_notes: pl.DataFrame


@dataclass(frozen=True)
class _Customers:
    """Customer index → external id and currency, for gathering onto documents."""

    ids: pl.Series
    currencies: pl.Series


def _days(values: list[int]) -> pl.Series:
    return pl.Series(values, dtype=pl.Int32).cast(pl.Date)


def _numbered(frame: pl.DataFrame, prefix: str, day: str) -> pl.DataFrame:
    """Sort documents by date and number them within their year: `INV-2026-000123`."""
    year = pl.col(day).dt.year()
    sequence = pl.int_range(1, pl.len() + 1).over(year).cast(pl.String).str.zfill(6)
    ordered = frame.sort(day, maintain_order=True)  # rows are in key order already
    return ordered.with_columns(pl.format(prefix + "-{}-{}", year, sequence).alias("external_id"))


def _owned(frame: pl.DataFrame, owners: _Customers) -> pl.DataFrame:
    """Add the owning customer's external id and currency to rows keyed by customer index."""
    index = frame.get_column("customer")
    return frame.with_columns(
        owners.ids.gather(index).alias("customer_external_id"),
        owners.currencies.gather(index).alias("currency"),
    )


def _invoice_frame(book: Book, owners: _Customers) -> pl.DataFrame:
    """Invoices with their external ids, still carrying the `key` payments refer to."""
    columns = book.invoices
    frame = pl.DataFrame(
        {
            "key": pl.Series(range(len(columns.amount)), dtype=pl.Int64),
            "customer": pl.Series(columns.customer, dtype=pl.Int64),
            "issue_date": _days(columns.issue),
            "due_date": _days(columns.due),
            "amount_minor": pl.Series(columns.amount, dtype=pl.Int64),
            "disputed_minor": pl.Series(columns.disputed, dtype=pl.Int64),
        }
    )
    return _owned(_numbered(frame, "INV", "issue_date"), owners)


def _flow_frame(flows: Flows, prefix: str, owners: _Customers, invoice_ids: pl.DataFrame) -> pl.DataFrame:
    """Payments or credit notes, numbered, with the external id of the invoice they name (if any)."""
    frame = pl.DataFrame(
        {
            "key": pl.Series(range(len(flows.amount)), dtype=pl.Int64),
            "customer": pl.Series(flows.customer, dtype=pl.Int64),
            "date": _days(flows.day),
            "amount_minor": pl.Series(flows.amount, dtype=pl.Int64),
            "invoice": pl.Series(flows.invoice, dtype=pl.Int64),
        }
    )
    named = frame.join(
        invoice_ids, left_on="invoice", right_on="invoice_key", how="left", maintain_order="left"
    )
    return _owned(_numbered(named, prefix, "date"), owners).select(FLOW_COLUMNS)


@dataclass
class _Register:
    """Customer and contact rows as they are drawn, plus each customer's invoicing currency."""

    rows: list[dict[str, object]] = field(default_factory=list)
    contacts: list[dict[str, object]] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)

    def add(self, row: dict[str, object], people: list[dict[str, object]], currency: str) -> None:
        index = len(self.rows)
        self.rows.append(row)
        self.contacts.extend(person | {"customer": index} for person in people)
        self.currencies.append(currency)


def _customer_frames(register: _Register) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The customers and contacts frames, contacts pointing at their customer's external id."""
    ids = pl.Series("external_id", [f"C{index + 1:06d}" for index in range(len(register.rows))], pl.String)
    customers = pl.DataFrame(register.rows, schema=CUSTOMER_SCHEMA).insert_column(0, ids)
    contacts = pl.DataFrame(register.contacts, schema=CONTACT_SCHEMA)
    owner_ids = ids.gather(contacts.get_column("customer")).alias("customer_external_id")
    return customers, contacts.drop("customer").insert_column(0, owner_ids)


def _assemble(register: _Register, book: Book) -> DemoPortfolio:
    customers, contacts = _customer_frames(register)
    owners = _Customers(customers.get_column("external_id"), pl.Series(register.currencies, dtype=pl.String))
    invoices = _invoice_frame(book, owners)
    invoice_ids = invoices.select(
        pl.col("key").alias("invoice_key"), pl.col("external_id").alias("invoice_external_id")
    )
    return DemoPortfolio(
        customers=customers,
        contacts=contacts,
        invoices=invoices.select(INVOICE_COLUMNS),
        payments=_flow_frame(book.payments, "PAY", owners, invoice_ids),
        credit_notes=_flow_frame(book.credits, "CN", owners, invoice_ids),
    )


def generate(*, customers: int, seed: int, as_of: date, months: int = 12) -> DemoPortfolio:
    """Generate `customers` demo customers with `months` of invoicing and payments ending at `as_of`.

    The same arguments always give identical frames. Nothing is dated after `as_of`; due dates may be.
    """
    if customers < 0 or months < 1:
        raise ValueError(f"need customers >= 0 and months >= 1, got customers={customers}, months={months}")
    rng = random.Random(seed)
    as_of_day = (as_of - EPOCH).days
    window_start = as_of_day - round(months * DAYS_PER_MONTH)
    register, book = _Register(), Book()
    for index in range(customers):
        profile = draw_profile(rng, index, window_start, as_of_day)
        row, people = describe(rng, profile)
        register.add(row, people, profile.currency)
        record_history(rng, profile, book)
    return _assemble(register, book)
