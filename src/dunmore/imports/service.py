"""Importing a file into the ledger: gather → validate the whole file → decide → apply.

`import_file` reads the file, checks every row against itself and the database, and raises
`ImportRejected` with every problem before anything is written. Then it compares the rows with
what is stored: new rows are inserted, changed rows updated, unchanged rows left alone (so
importing the same file again changes nothing), and the allocations of every customer whose
documents changed are recomputed. A dry run stops before writing and reports the same counts.
The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection

from dunmore.access import audit
from dunmore.errors import ImportProblem, ImportRejected
from dunmore.i18n import Text, _m
from dunmore.imports import repository
from dunmore.imports.columns import SPECS, HeaderMatch, Kind, match_header
from dunmore.imports.fields import CONTACT_FIELDS, stored_columns
from dunmore.imports.reading import RawTable, read_table, take_columns
from dunmore.imports.validate import OLD, Ledger, changed, validate
from dunmore.ledger import balances
from dunmore.ledger.models import CONTACTS
from dunmore.ledger.service import reallocate
from dunmore.progress import Progress, quiet
from dunmore.store.bulk import write_cache

"""Told `(stage, done, total)` as an import advances: read, validate, write, reallocate."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """What became of the payments or credit notes of one currency in the file."""

    currency: str
    amount_minor: int
    unapplied_minor: int

    @property
    def allocated_minor(self) -> int:
        return self.amount_minor - self.unapplied_minor


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of an import: rows read and how many were new, changed or unchanged."""

    kind: Kind
    file: str
    encoding: str
    rows_read: int
    new: int
    changed: int
    unchanged: int
    duplicates: int
    blank_rows: int
    ignored_columns: tuple[str, ...]
    dry_run: bool
    settlements: tuple[Settlement, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Plan:
    """The decision: rows to insert, rows to update, and how many are already as stored."""

    new: pl.DataFrame
    changed: pl.DataFrame
    unchanged: int


def import_file(
    conn: Connection,
    kind: Kind,
    path: Path,
    *,
    encoding: str = "auto",
    sheet: str | None = None,
    dry_run: bool = False,
    progress: Progress = quiet,
    actor: str,
    at: datetime,
) -> ImportReport:
    """Import a CSV or XLSX file of this kind; raises `ImportRejected` (writing nothing) if any row is bad.
    An import that writes is one audit row (`ledger.import` on `import:<kind>`) in `actor`'s name."""
    progress("read", 0, 1)
    raw = read_table(path, encoding=encoding, sheet=sheet)
    rows, header = file_rows(raw, kind)
    progress("read", 1, 1)
    progress("validate", 0, 1)
    checked = validate(rows, kind, gather(conn, kind, rows))
    if checked.problems:
        raise ImportRejected(_rejection(kind, path, checked.problems), checked.problems)
    decided = plan(checked.rows, kind)
    progress("validate", 1, 1)
    settlements: tuple[Settlement, ...] = ()
    if not dry_run:
        apply(conn, kind, decided, progress, as_of=at.date())
        settlements = _settlements(conn, kind, checked.rows)
    report = ImportReport(
        kind=kind,
        file=path.name,
        encoding=raw.encoding,
        rows_read=rows.height,
        new=decided.new.height,
        changed=decided.changed.height,
        unchanged=decided.unchanged,
        duplicates=checked.duplicates,
        blank_rows=raw.blank_rows,
        ignored_columns=header.ignored,
        dry_run=dry_run,
        settlements=settlements,
    )
    if not dry_run:
        _audit(conn, report, actor=actor, at=at)
    return report


def _audit(conn: Connection, report: ImportReport, *, actor: str, at: datetime) -> None:
    """One row per import, never one per ledger row: the file, and how many rows it added or changed."""
    after = {
        "file": report.file,
        "kind": report.kind.value,
        "encoding": report.encoding,
        "rows_read": report.rows_read,
        "new": report.new,
        "changed": report.changed,
        "unchanged": report.unchanged,
    }
    audit.record(conn, at=at, actor=actor, action="ledger.import", object=f"import:{report.kind.value}",
                 after=after)  # fmt: skip


def file_rows(raw: RawTable, kind: Kind) -> tuple[pl.DataFrame, HeaderMatch]:
    """The file's rows with columns named as the spec's (unknown columns dropped), and the match."""
    header = match_header(raw.headers, SPECS[kind])
    return take_columns(raw.frame, header.columns.items()), header


def _rejection(kind: Kind, path: Path, problems: list[ImportProblem]) -> Text:
    lines = len({problem.line for problem in problems})
    return _m(
        "the %(kind)s file %(name)s was rejected, nothing written: %(count)s; fix them and import again",
        kind=str(kind),
        name=path.name,
        count=_counted(len(problems), lines),
    )


def _counted(problems: int, lines: int) -> Text:
    if problems == 1:
        return _m("1 problem on 1 line")
    if lines == 1:
        return _m("%(problems)s problems on 1 line", problems=problems)
    return _m("%(problems)s problems on %(lines)s lines", problems=problems, lines=lines)


def gather(conn: Connection, kind: Kind, rows: pl.DataFrame) -> Ledger:
    """Read, once, what validating these rows of a file of this kind needs from the database."""
    stored = repository.stored_rows(conn, kind)
    if kind is Kind.CUSTOMERS:
        return Ledger(repository.customer_ids(None), repository.invoice_facts(None), stored)
    invoices = repository.invoice_facts(None)
    if kind in (Kind.PAYMENTS, Kind.CREDIT_NOTES):
        named = (
            rows.get_column("invoice_id") if "invoice_id" in rows.columns else pl.Series([], dtype=pl.String)
        )
        mine = stored.filter(pl.col("external_id").is_in(rows.get_column(SPECS[kind].id_column).implode()))
        invoices = repository.invoice_facts(conn, external_ids=named, ids=mine.get_column("invoice_id"))
    return Ledger(repository.customer_ids(conn), invoices, stored)


def plan(rows: pl.DataFrame, kind: Kind) -> Plan:
    """Split validated rows into new, changed and unchanged by comparing them with the stored rows."""
    is_new = pl.col("id").is_null()
    new = rows.filter(is_new)
    differs = rows.filter(~is_new & changed(kind))
    return Plan(new, differs, rows.height - new.height - differs.height)


def apply(conn: Connection, kind: Kind, decided: Plan, progress: Progress = quiet, *, as_of: date) -> None:
    """Write the plan: insert new rows, update changed ones, then bring derived amounts up to date
    (the customer summary computed for `as_of`, the import's day)."""
    total = decided.new.height + decided.changed.height
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        progress("write", done, total)

    progress("write", 0, total)
    with write_cache(conn):
        if kind is Kind.CUSTOMERS:
            _write_customers(conn, decided, advance)
            # a changed customer may have a new portfolio or owner, which its summary rows carry
            balances.follow(conn, customer_ids=decided.changed.get_column("id").to_list())
            balances.refresh(conn, customer_ids=balances.without_row(), as_of=as_of)
            return
        _write_documents(conn, kind, decided, advance)
        progress("reallocate", 0, 1)
        reallocate(conn, _affected_customers(decided, repository.customers_with_settlements(conn)))
        balances.refresh(conn, customer_ids=_document_customers(decided), as_of=as_of)
        progress("reallocate", 1, 1)


def _write_documents(conn: Connection, kind: Kind, decided: Plan, advance: repository.Advance) -> None:
    table = repository.TABLES[kind]
    columns = stored_columns(kind)
    derived = (
        [
            pl.coalesce("snapshot_open_minor", "amount_minor").alias("open_minor"),
            pl.lit(False).alias("on_hold"),
        ]
        if kind is Kind.INVOICES
        else [pl.col("amount_minor").alias("unapplied_minor")]
    )
    repository.insert_rows(conn, table, decided.new.select(*columns, *derived), advance)
    repository.update_rows(conn, table, decided.changed.select("id", *columns), advance)


def _affected_customers(decided: Plan, settled: set[int]) -> set[int]:
    """The customers whose derived amounts may have changed.

    Every customer of a changed document (for a moved one, the old owner too). A new document
    matters only to a customer with payments or credit notes: without any, nothing is allocated
    and the open amount is what was written on insert.
    """
    changed = decided.changed.select(pl.col("customer_id").append(pl.col(OLD + "customer_id")))
    new = set(decided.new.get_column("customer_id").unique().to_list()) & settled
    return new | set(changed.to_series().drop_nulls().unique().to_list())


def _document_customers(decided: Plan) -> set[int]:
    """Every customer of a new or changed document (for a moved one, the old customer too)."""
    changed = decided.changed.select(pl.col("customer_id").append(pl.col(OLD + "customer_id")))
    touched = decided.new.get_column("customer_id").append(changed.to_series())
    return set(touched.drop_nulls().unique().to_list())


def _write_customers(conn: Connection, decided: Plan, advance: repository.Advance) -> None:
    table = repository.TABLES[Kind.CUSTOMERS]
    own = [name for name in stored_columns(Kind.CUSTOMERS) if name not in CONTACT_FIELDS]
    new = decided.new.select(*own, pl.lit(False).alias("on_hold"))
    repository.insert_rows(conn, table, new, advance)
    repository.update_rows(conn, table, decided.changed.select("id", *own), advance)
    _write_contacts(conn, pl.concat([decided.new, decided.changed]))


def _write_contacts(conn: Connection, customers: pl.DataFrame) -> None:
    """Create or update each customer's primary contact from the contact columns of the file."""
    ids = repository.customer_ids(conn).rename({"id": "customer_id"})
    rows = customers.drop("id").join(ids, on="external_id", how="left")
    values = [pl.col(target).alias(column) for target, column in CONTACT_FIELDS.items()]
    anything = pl.any_horizontal(pl.col(target).is_not_null() for target in CONTACT_FIELDS)
    created = rows.filter(pl.col("contact_id").is_null() & anything)
    repository.insert_rows(
        conn, CONTACTS, created.select("customer_id", *values, is_primary=pl.lit(True)), lambda _: None
    )
    differs = pl.any_horizontal(~pl.col(t).eq_missing(pl.col(OLD + t)) for t in CONTACT_FIELDS)
    updated = rows.filter(pl.col("contact_id").is_not_null() & differs)
    repository.update_rows(
        conn, CONTACTS, updated.select(pl.col("contact_id").alias("id"), *values), lambda _: None
    )


def _settlements(conn: Connection, kind: Kind, rows: pl.DataFrame) -> tuple[Settlement, ...]:
    if kind not in (Kind.PAYMENTS, Kind.CREDIT_NOTES):
        return ()
    totals = repository.settlement_totals(conn, kind, rows.get_column("external_id"))
    return tuple(Settlement(*row) for row in totals.iter_rows())
