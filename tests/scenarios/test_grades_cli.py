"""`dunmore grades …` and `dunmore credit …` on a story's database: C1 stops paying in 2025-10;
graded on 2026-03-01 it is D and on credit hold, so `credit check` refuses its order (exit 9) until
`credit release`; then the order is over its grade's limit (exit 8); `audit verify` checks the
grading's holds against the digest of its one audit row; a scorecard file is checked
with its line; `grades explain` speaks the reader's language."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.credit.grades_models import CREDIT_HOLDS
from tests.scenarios.story import Story
from tests.scenarios.test_grades import _monthly

ENV = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}


def test_grades_and_credit_from_the_command_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    story = Story(sqlite_engine, policy=None)
    story.customer("C1", grade="A")
    _monthly(story, "C1", first="2025-01-01", months=14, late_from=9, until="2025-10-01")
    runner = CliRunner()

    def dunmore(*args: str, code: int = 0, lang: str = "en") -> str:
        result = runner.invoke(app, ["--db", str(sqlite_engine.url), *args], env=ENV | {"DUNMORE_LANG": lang})
        assert result.exit_code == code, result.output
        return result.output

    graded = json.loads(dunmore("grades", "compute", "--as-of", "2026-03-01", "--json"))
    assert graded["counts"] == {"D": 1}
    assert graded["holds_set"] == 1
    assert graded["changed"] == [{"customer": "C1", "before": "A", "after": "D"}]
    explained = json.loads(dunmore("grades", "explain", "C1", "--json"))
    assert explained["grade"] == "D"
    assert explained["factors"]["max_days_beyond_terms"]["points"] == 0
    assert "高风险" in dunmore("grades", "explain", "C1", lang="zh-CN")
    assert "Refused: C1 is on credit hold (grade D)" in dunmore("credit", "check", "C1", "500.00", code=9)
    assert "released" in dunmore("credit", "release", "C1", "--reason", "prepaid by bank transfer")
    over = json.loads(dunmore("credit", "check", "C1", "500.00", "--json", code=8))
    assert (over["status"], over["limit"], over["over"]) == ("over_limit", "0.00", "50500.00")
    assert "the audit log holds" in dunmore("audit", "verify")  # a release keeps the grading's digest
    with sqlite_engine.begin() as conn:  # a hold slipped in under the grading's audit row
        conn.execute(update(CREDIT_HOLDS).values(detail='{"grade": "C"}'))
    refused = dunmore("audit", "verify", code=6)
    assert "the credit holds of the grading at audit row" in refused
    bad = tmp_path / "scorecard.yaml"
    bad.write_text("factors: {}\ngrades:\n  A: {min_points: 80}\nnew_customers: {min_months: 3}\n")
    refused = dunmore("grades", "load", str(bad), code=2)
    assert f"{bad}:1: factors: missing required key 'avg_days_beyond_terms'" in refused
    default = Path(__file__).parents[2] / "src" / "dunmore" / "credit" / "scorecard.yaml"
    assert "Scorecard version 1 loaded" in dunmore("grades", "load", str(default))
