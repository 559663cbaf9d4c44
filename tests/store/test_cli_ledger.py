"""The ledger's commands as a user runs them: demo, aging in every format, db, and clear errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from dunmore.access.models import AUDIT_LOG
from dunmore.cli.app import app
from dunmore.credit.grades_models import GRADE_HISTORY
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import make_engine

AS_OF = "2026-11-23"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(
        app, ["--db", url, "demo", "--customers", "40", "--seed", "3", "--as-of", AS_OF]
    )
    assert result.exit_code == 0, result.output
    return url


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_demo_prints_a_summary_and_runs_the_days_dunning(db: str) -> None:
    args = ["--db", db, "demo", "--customers", "40", "--seed", "3", "--as-of", AS_OF, "--reset"]
    result = CliRunner().invoke(app, args, env={"DUNMORE_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "40 customers" in result.output
    assert "Overdue total" in result.output
    assert "Dunning run for 2026-11-23" in result.output
    said = CliRunner().invoke(app, args, env={"DUNMORE_LANG": "zh-TW", "COLUMNS": "200"}).output
    assert all(
        words in said for words in ("40 個客戶", "各幣別逾期合計", "2026-11-23 的催收批次", "通知數")
    ), said


def test_demo_grades_every_customer_before_the_run(db: str) -> None:
    """The demo's customers have a grade earned from their history as of the demo's day (the
    customer page's grade panel and `grades explain` read it), computed before the run routes them."""
    code, out = run("--db", db, "grades", "explain", "C000001", "--json")
    assert code == 0, out
    explained = json.loads(out)
    assert explained["graded_on"] == AS_OF
    assert explained["grade"] in {"A", "B", "C", "D", "N"}
    with make_engine(db).connect() as conn:
        graded = conn.execute(select(func.count()).where(GRADE_HISTORY.c.as_of == date(2026, 11, 23)))
        customers = conn.execute(select(func.count()).select_from(CUSTOMERS))
        assert graded.scalar_one() == customers.scalar_one() == 40
        computed = conn.execute(
            select(AUDIT_LOG.c.id).where(AUDIT_LOG.c.action == "grades.compute")
        ).scalar_one()
        run_audit = conn.execute(
            select(func.min(AUDIT_LOG.c.id)).where(AUDIT_LOG.c.action == "run.commit")
        ).scalar_one()
    assert computed < run_audit  # graded first: the run's routes read the grades


def test_demo_refuses_to_mix_with_an_existing_ledger(db: str) -> None:
    code, out = run("--db", db, "demo", "--customers", "5", "--as-of", AS_OF)
    assert code == 2
    assert "--reset" in out


def test_aging_formats_agree(db: str, tmp_path: Path) -> None:
    code, out = run("--db", db, "aging", "--as-of", AS_OF, "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    totals = {row["currency"]: Decimal(row["total"]) for row in report["totals"]}
    assert "CNY" in totals
    assert report["buckets"] == ["not due", "1-30", "31-60", "61-90", "91-180", ">180"]

    code, out = run("--db", db, "aging", "--as-of", AS_OF, "--format", "csv", "--by", "customer")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    per_currency: dict[str, Decimal] = {}
    for row in rows:
        per_currency[row["currency"]] = per_currency.get(row["currency"], Decimal(0)) + Decimal(row["total"])
    assert per_currency == totals

    target = tmp_path / "aging.xlsx"
    code, out = run("--db", db, "aging", "--as-of", AS_OF, "--format", "xlsx", "-o", str(target))
    assert code == 0, out
    sheet = load_workbook(target)["totals"]
    header = [cell.value for cell in sheet[1]]
    xlsx = {
        r[0]: Decimal(str(r[header.index("total")])) for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert xlsx == totals


def test_aging_rejects_bad_input_with_a_clear_message(db: str) -> None:
    code, out = run("--db", db, "aging", "--as-of", "2026-02-30")
    assert code == 2
    assert "YYYY-MM-DD" in out
    code, out = run("--db", db, "aging", "--buckets", "60,30")
    assert code == 2
    assert "increasing" in out
    code, out = run("--db", db, "aging", "--format", "xlsx")
    assert code == 2
    assert "--output" in out


def test_db_status_and_upgrade(db: str) -> None:
    code, out = run("--db", db, "db", "status")
    assert code == 0
    assert "schema:" in out
    code, out = run("--db", db, "db", "upgrade")
    assert code == 0
    assert "already at the newest schema" in out


def test_a_database_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run("--db", f"sqlite:///{tmp_path / 'nope' / 'x.db'}", "aging")
    assert code == 1
    assert "does not exist" in out


def test_settings_errors_name_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUNMORE_TIMEZONE", "Mars/Olympus")
    code, out = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "aging")
    assert code == 2
    assert "timezone" in out
