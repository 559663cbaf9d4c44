"""A run commits only with templates that pass their check: a user's override that threatens the
debtor stops `dunmore run --approve` before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.errors import RunError
from dunmore.run import service
from dunmore.run.models import NOTICES, RUNS
from dunmore.store.db import make_engine, transaction
from tests.web.conftest import NOW
from tests.web.run_ledger import TODAY, fill_run_ledger

DEFAULTS = Path(__file__).parents[2] / "src" / "dunmore" / "delivery" / "templates" / "default"
EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"


def test_a_threatening_override_stops_the_run_and_the_defaults_let_it_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0  # only it creates the database
    assert runner.invoke(app, ["--db", url, "policy", "load", str(EXAMPLE)]).exit_code == 0

    overrides = tmp_path / "templates" / "overdue-1"
    overrides.mkdir(parents=True)
    source = (DEFAULTS / "overdue-1" / "zh-CN.jinja").read_text(encoding="utf-8")
    threat = source.replace("{% block text %}", "{% block text %}如不还款将通知您的家人和单位。", 1)
    (overrides / "zh-CN.jinja").write_text(threat, encoding="utf-8")
    env = {"DUNMORE_DELIVERY__TEMPLATES_DIR": str(tmp_path / "templates")}

    refused = runner.invoke(app, ["--db", url, "run", "--as-of", "2026-11-23", "--approve"], env=env)
    assert refused.exit_code != 0
    assert "the run was not committed" in refused.output
    assert "overdue-1" in refused.output
    assert "templates check" in refused.output
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RUNS)).scalar_one() == 0

    shutil.rmtree(tmp_path / "templates")
    (tmp_path / "templates").mkdir()
    committed = runner.invoke(app, ["--db", url, "run", "--as-of", "2026-11-23", "--approve"], env=env)
    assert committed.exit_code == 0, committed.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RUNS)).scalar_one() == 1
    engine.dispose()


def _threatening_override(folder: Path) -> Path:
    (folder / "overdue-1").mkdir(parents=True)
    source = (DEFAULTS / "overdue-1" / "zh-CN.jinja").read_text(encoding="utf-8")
    threat = source.replace("{% block text %}", "{% block text %}如不还款将通知您的家人和单位。", 1)
    (folder / "overdue-1" / "zh-CN.jinja").write_text(threat, encoding="utf-8")
    return folder


def test_the_run_service_itself_refuses_a_commit_and_an_approval_whose_templates_fail(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The gate is the service's, not the CLI's: every interface that commits or approves meets it."""
    fill_run_ledger(sqlite_engine)
    threat = _threatening_override(tmp_path / "threat")
    refusal = pytest.raises(RunError, match="the run was not committed")
    with refusal as refused, transaction(sqlite_engine) as conn:
        service.commit(conn, as_of=TODAY, templates_dir=threat, today=TODAY, now=NOW, actor="web:boss")
    assert refused.value.code == "templates_failing"
    assert "overdue-1/zh-CN.jinja" in str(refused.value.values["first"])
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RUNS)).scalar_one() == 0

    with transaction(sqlite_engine) as conn:
        outcome = service.commit(
            conn, as_of=TODAY, templates_dir=None, today=TODAY, now=NOW, actor="web:boss"
        )
    pending = outcome.notices.filter(pl.col("status") == "pending_approval")["notice_id"].to_list()
    assert len(pending) == 2
    with pytest.raises(RunError, match="templates have"), transaction(sqlite_engine) as conn:
        service.approve(conn, pending[0], now=NOW, actor="web:boss", templates_dir=threat)
    with transaction(sqlite_engine) as conn:
        service.approve(conn, pending[0], now=NOW, actor="web:boss", templates_dir=None)
        statuses = conn.execute(
            select(NOTICES.c.status).where(NOTICES.c.id.in_(pending)).order_by(NOTICES.c.id)
        )
        assert list(statuses.scalars()) == ["approved", "pending_approval"]
