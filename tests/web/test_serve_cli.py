"""`dunmore serve` and the demo's way into the web application."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dunmore.access.models import USERS
from dunmore.access.service import authenticate_password
from dunmore.cli.app import app
from dunmore.store.db import make_engine, upgrade

runner = CliRunner()


def test_serve_refuses_to_start_without_a_secret_key_outside_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUNMORE_WEB__SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no dunmore.toml
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    engine.dispose()
    result = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'ledger.db'}", "serve", "--port", "1"])
    assert result.exit_code == 2
    assert "DUNMORE_WEB__SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_serve_command_module_imports_no_web_framework() -> None:
    code = "import sys, dunmore.cli.web; print(sorted({'fastapi', 'uvicorn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_demo_prints_how_to_sign_in_to_the_web_application(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["--db", url, "demo", "--customers", "8", "--seed", "3", "--as-of", "2026-03-16"]
    result = runner.invoke(app, args, env={"DUNMORE_LANG": "en"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"web: dunmore --db {url} serve" in said
    found = re.search(r"sign in as demo, password (\S+) ", said)
    assert found is not None, result.output
    engine = make_engine(url)
    with engine.begin() as conn:
        user = authenticate_password(conn, login="demo", password=found.group(1))
        assert user is not None
        assert user.role.value == "manager"
    again = runner.invoke(app, [*args, "--reset"])
    second = re.search(r"sign in as demo, password (\S+) ", " ".join(again.output.split()))
    assert second is not None
    assert second.group(1) != found.group(1)  # a new password every time, the old one no longer works
    with engine.begin() as conn:
        assert authenticate_password(conn, login="demo", password=found.group(1)) is None
        assert conn.execute(select(USERS.c.login)).scalars().all() == ["demo"]
    engine.dispose()
