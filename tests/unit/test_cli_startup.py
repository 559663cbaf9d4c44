"""`dunmore --help` and the commands' start-up load only what they use (issue 15: an instant CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dunmore
from dunmore.cli import commands

SRC = str(Path(dunmore.__file__).resolve().parents[1])
HEAVY = (
    "polars",
    "sqlalchemy",
    "alembic",
    "openpyxl",
    "weasyprint",
    "fastapi",
    "uvicorn",
    "argon2",
    "jinja2",
    "pydantic_settings",
    "dunmore.delivery.worker",
    "dunmore.demo.generator",
    "dunmore.access.service",
)
COMMAND_MODULES = commands.MODULES  # each imported only when one of its commands is used


def _loaded_after(
    args: list[str], tmp_path: Path, *, watched: tuple[str, ...] = HEAVY, extra: dict[str, str] | None = None
) -> tuple[str, set[str]]:
    """Run `dunmore ARGS` in a fresh interpreter; its output and which of `watched` it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['dunmore', *{args!r}]\n"
        "from dunmore.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', *[name for name in {watched!r} if name in sys.modules])\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
        **(extra or {}),
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED"), done.stdout + done.stderr
    return done.stdout, set(last.split()[1:])


def test_help_imports_none_of_the_heavy_modules_nor_the_commands(tmp_path: Path) -> None:
    output, loaded = _loaded_after(["--help"], tmp_path, watched=HEAVY + COMMAND_MODULES)
    assert "aging" in output  # the whole help: every command listed
    assert "templates" in output
    assert loaded == set()


def test_a_sub_command_help_loads_the_settings_and_its_own_module(tmp_path: Path) -> None:
    output, loaded = _loaded_after(["run", "--help"], tmp_path, watched=HEAVY + COMMAND_MODULES)
    assert "--approve" in output
    # the root command reads the settings before any sub-command
    assert loaded == {"pydantic_settings", "dunmore.cli.dunning"}


def test_aging_on_a_current_database_loads_no_alembic_orm_delivery_or_demo(tmp_path: Path) -> None:
    from dunmore.store.db import open_database

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_database(url).dispose()
    watched = (*HEAVY, "sqlalchemy.orm", "sqlalchemy.dialects.postgresql", "dunmore.ledger.models")
    output, loaded = _loaded_after(["--db", url, "aging", "--as-of", "2026-11-23"], tmp_path, watched=watched)
    assert "no open items as of 2026-11-23" in output
    # a read-only report on SQLite: Core tables, no ORM, and no PostgreSQL dialect
    assert loaded <= {"polars", "sqlalchemy", "pydantic_settings"}


def test_the_help_in_chinese_compiles_its_catalog_once_and_then_loads_no_babel(tmp_path: Path) -> None:
    extra = {"DUNMORE_LANG": "zh-TW", "DUNMORE_CACHE_DIR": str(tmp_path / "cache")}
    first, loaded_first = _loaded_after(["--help"], tmp_path, watched=("babel",), extra=extra)
    again, loaded_again = _loaded_after(["--help"], tmp_path, watched=("babel",), extra=extra)
    assert "應收帳款催收" in first
    assert first.rpartition("LOADED")[0] == again.rpartition("LOADED")[0]
    assert (loaded_first, loaded_again) == ({"babel"}, set())  # compiled into the cache, then read from it
