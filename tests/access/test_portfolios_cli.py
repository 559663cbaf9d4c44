"""`dunmore portfolios …` from the terminal: a dry run shows the moves and changes nothing, the run
applies them, a bad rules file is refused with its lines, a file of codes moves those customers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dunmore.access.models import AUDIT_LOG
from dunmore.cli.app import app
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from tests.access.test_portfolios import RULES, _ledger


def test_assign_move_and_list_from_the_command_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    with transaction(sqlite_engine) as conn:
        _ledger(conn, tmp_path)
    runner = CliRunner()
    url = str(sqlite_engine.url)

    def dunmore(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", url, *args], env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result.output

    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    shown = dunmore("portfolios", "assign", "--rules", str(rules), "--dry-run", "--as-of", "2026-03-01")
    assert "dry run: 5 customers would move, nothing was changed" in shown
    assert "default" in shown
    assert "general" in shown
    with sqlite_engine.connect() as conn:
        assert set(conn.execute(select(CUSTOMERS.c.portfolio)).scalars()) == {"default"}
    assert "5 customers moved" in dunmore(
        "portfolios", "assign", "--rules", str(rules), "--as-of", "2026-03-01"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - portfolio: key\n    grade: A\n", encoding="utf-8")
    refused = dunmore("portfolios", "assign", "--rules", str(bad), code=2)
    assert f"{bad}:3: rules[0].grade: expected a list of values" in refused
    codes = tmp_path / "codes.csv"
    codes.write_text("customer_id\nC4\nC5\n", encoding="utf-8")
    assert "2 customers moved" in dunmore("portfolios", "move", "--to", "key", "--file", str(codes))
    dunmore("portfolios", "move", "--to", "key", "--from", "hk", "--customers", "C1", code=2)
    listed = dunmore("portfolios", "list", "--as-of", "2026-03-01")
    assert "200000.00 CNY" in listed
    assert "ann" in listed
    assert "bob now works key and owns 2 customers of ann" in dunmore(
        "portfolios", "reassign", "--from-user", "ann", "--to-user", "bob"
    )
    with sqlite_engine.connect() as conn:
        actors = set(conn.execute(select(AUDIT_LOG.c.actor).where(AUDIT_LOG.c.action.like("portfolios.%"))))
    assert all(actor[0].startswith("cli:") for actor in actors)
