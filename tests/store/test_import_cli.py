"""`dunmore import …` and `dunmore export` as a user runs them: reports, refusals and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli.context import AppState
from dunmore.cli.imports import register
from dunmore.settings import Settings
from tests.store.test_import_service import CUSTOMERS, INVOICES, PAYMENTS, ledger_state, write

runner = CliRunner()


def cli(engine: Engine) -> typer.Typer:
    """The application as `dunmore.cli.app` builds it, on the test's database."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = AppState(Settings(database_url="sqlite://"), _engine=engine)

    register(app)
    return app


def invoke(engine: Engine, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli(engine), list(args))
    return result.exit_code, result.output


def test_importing_prints_what_changed_and_payments_show_their_allocation(
    engine: Engine, tmp_path: Path
) -> None:
    code, output = invoke(engine, "import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    assert code == 0, output
    assert "rows read" in output
    assert "new" in output
    assert invoke(engine, "import", "invoices", str(write(tmp_path, "i.csv", INVOICES)))[0] == 0
    code, output = invoke(engine, "import", "payments", str(write(tmp_path, "p.csv", PAYMENTS)))
    assert code == 0, output
    assert "allocation" in output
    assert "150.00" in output


def test_a_dry_run_says_so_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    code, output = invoke(
        engine, "import", "customers", "--dry-run", str(write(tmp_path, "c.csv", CUSTOMERS))
    )
    assert code == 0, output
    assert "dry run: the file is valid and nothing was written" in output
    with engine.connect() as conn:
        assert ledger_state(conn)["customers"] == []


def test_a_rejected_file_lists_its_problems_and_exits_with_2(engine: Engine, tmp_path: Path) -> None:
    invoke(engine, "import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    bad = INVOICES.replace("INV-3,C2,2026-01-10", "INV-3,C9,2026-01-10")
    code, output = invoke(engine, "import", "invoices", str(write(tmp_path, "i.csv", bad)))
    assert code == 2
    assert "nothing written" in output
    assert "line 4, column customer_id: unknown customer" in output


def test_a_file_without_a_required_column_exits_with_2(engine: Engine, tmp_path: Path) -> None:
    code, output = invoke(
        engine, "import", "payments", str(write(tmp_path, "p.csv", "payment_id,amount\nP1,1\n"))
    )
    assert code == 2
    assert "needs the column(s) customer_id, date, currency" in output


def test_export_writes_one_file_per_kind_and_names_each_on_one_line(engine: Engine, tmp_path: Path) -> None:
    invoke(engine, "import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    out = tmp_path / "a folder whose name is long enough to pass the edge of any terminal" / "out"
    code, output = invoke(engine, "export", str(out), "--format", "xlsx")
    assert code == 0, output
    assert sorted(path.name for path in out.iterdir()) == [
        "credit_notes.xlsx",
        "customers.xlsx",
        "invoices.xlsx",
        "payments.xlsx",
    ]
    assert f"{out / 'customers.xlsx'}: 2 rows" in output.splitlines()


def test_columns_that_match_nothing_are_named_after_the_report(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "客户编号,客户名称,备注\nC1,上海甲公司,VIP\n\nC1,上海甲公司,VIP\n")
    code, output = invoke(engine, "import", "customers", str(path))
    assert code == 0, output
    assert "ignored columns: 备注" in output
    assert "identical duplicates collapsed" in output
    assert "blank rows skipped" in output


TAIWAN = "客戶編號,客戶名稱\nC1,臺灣精密機械股份有限公司\nC2,應收帳款\n"
MAINLAND = "客户编号,客户名称\nC1,上海某某贸易有限公司\nC2,北京乙科技有限公司\n"


@pytest.mark.parametrize(("text", "encoding"), [(TAIWAN, "big5"), (MAINLAND, "gb18030")])
def test_a_chinese_windows_csv_is_read_in_its_encoding_by_a_dry_run_and_an_import(
    engine: Engine, tmp_path: Path, text: str, encoding: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode(encoding))

    code, output = invoke(engine, "import", "customers", "--dry-run", str(path))
    assert code == 0, output
    assert f"customers from c.csv ({encoding})" in output
    assert "dry run: the file is valid and nothing was written" in output

    code, output = invoke(engine, "import", "customers", str(path))
    assert code == 0, output
    with engine.connect() as conn:
        names = [row[1] for row in ledger_state(conn)["customers"]]
    assert names == [line.split(",")[1] for line in text.splitlines()[1:]]
