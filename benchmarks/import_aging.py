"""Benchmark of importing 1,000,000 invoices for 200,000 customers into SQLite, then aging them.

    .venv/bin/python -m benchmarks.import_aging [--customers 200000] [--invoices 1000000]
    .venv/bin/python -m benchmarks.import_aging --db postgresql+psycopg://postgres@127.0.0.1/test

Without `--db` into a fresh SQLite file; with a PostgreSQL URL into a schema of its own in that
database, dropped afterwards.

The files come from the demo generator (seeded) written as CSV in the documented import format.
Timed: importing the customers, importing the invoices (read, validate, write, commit: end to end
through `import_file`, as `dunmore import` runs it), importing the same invoice file again (it must
change nothing), and the aging report by currency and by customer.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

import polars as pl

from benchmarks.common import DATA, peak_memory_mb, postgres_schema, save, timed
from dunmore.demo.generator import generate
from dunmore.domain.aging import buckets
from dunmore.domain.money_frames import minor_to_text
from dunmore.imports.columns import Kind
from dunmore.imports.service import import_file
from dunmore.reports.aging import aging_report
from dunmore.store.db import open_database, transaction

AS_OF = date(2026, 11, 23)


def write_files(customers: int, invoices: int) -> tuple[int, int]:
    portfolio = generate(customers=customers, seed=1, as_of=AS_OF)
    people = portfolio.customers.select(
        customer_id="external_id", name="name", language="language", timezone="timezone", country="country",
        grade="grade", tags="tags",
    )  # fmt: skip
    people.write_csv(DATA / "customers.csv")
    chosen = portfolio.invoices.head(invoices)
    currencies = chosen["currency"].unique().to_list()
    rows = chosen.with_columns(minor_to_text("amount_minor", "currency", currencies)).select(
        invoice_id="external_id", customer_id="customer_external_id", issue_date="issue_date",
        due_date="due_date", amount="amount_minor", currency="currency",
    )  # fmt: skip
    rows.write_csv(DATA / "invoices.csv")
    return people.height, rows.height


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--db", help="a PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    for path in DATA.glob("import*.db*"):
        path.unlink()
    if args.db:
        with postgres_schema(args.db, "bench_import") as url:
            measure(args.customers, args.invoices, url, "import_aging_postgresql")
    else:
        measure(args.customers, args.invoices, f"sqlite:///{DATA / 'import.db'}", "import_aging")


def measure(customers: int, invoices: int, url: str, name: str) -> None:
    results: dict[str, float] = {}
    print(f"import + aging benchmark: {customers} customers, {invoices} invoices, {url.split(':')[0]}")
    with timed("generate and write CSV files", results):
        customers, invoices = write_files(customers, invoices)
    engine = open_database(url)
    with timed("import customers", results), transaction(engine) as conn:
        import_file(conn, Kind.CUSTOMERS, DATA / "customers.csv", actor="system", at=datetime.now(UTC))
    with timed("import invoices", results), transaction(engine) as conn:
        report = import_file(conn, Kind.INVOICES, DATA / "invoices.csv", actor="system", at=datetime.now(UTC))
    with timed("import the same invoices again", results), transaction(engine) as conn:
        again = import_file(conn, Kind.INVOICES, DATA / "invoices.csv", actor="system", at=datetime.now(UTC))
    with engine.connect() as conn:
        aging_report(conn, as_of=AS_OF, buckets=buckets(), by="currency")  # warm the page cache once
        with timed("aging by currency", results):
            totals = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="currency")
        with timed("aging by customer", results):
            per_customer = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="customer")
    rate = round(invoices / results["import invoices"])
    print(
        f"  {report.new} new invoices ({rate:,} rows/s); re-import: {again.new} new, {again.changed} changed"
    )
    print(f"  aging: {totals.totals.height} currencies, {per_customer.rows.height} customer rows")
    pl.Config.set_tbl_rows(10)
    payload = {
        "customers": customers,
        "invoices": invoices,
        "seconds": results,
        "import_rows_per_second": rate,
    }
    engine.dispose()
    save(name, payload | {"peak_memory_mb": peak_memory_mb()})


if __name__ == "__main__":
    main()
