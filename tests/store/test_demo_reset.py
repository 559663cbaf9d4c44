"""`demo --reset` wipes only a database the demo built itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import make_engine, transaction, upgrade
from dunmore.store.meta import is_demo_database
from tests.store.ledger_rows import add_customer

AS_OF = "2026-11-23"


def demo(url: str, *extra: str) -> tuple[int, str]:
    args = ["--db", url, "demo", "--customers", "8", "--seed", "3", "--as-of", AS_OF, *extra]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize("extra", [["--reset"], []], ids=["reset", "no-reset"])
def test_demo_refuses_a_database_holding_a_ledger_it_did_not_build(tmp_path: Path, extra: list[str]) -> None:
    path = tmp_path / "books.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(engine) as conn:
        add_customer(conn, "REAL-1")

    code, out = demo(f"sqlite:///{path}", *extra)

    assert code == 2
    assert "refusing to build the demo" in out
    assert "generating" not in out  # refused before any work
    assert "writing" not in out
    assert "books.db" in out
    assert "another --db" in out
    assert "Traceback" not in out
    with engine.connect() as conn:
        assert conn.execute(select(CUSTOMERS.c.external_id)).scalars().all() == ["REAL-1"]
        assert not is_demo_database(conn)  # a worker would otherwise send from it as the demo creditor


def test_demo_marks_its_database_and_rebuilds_it_on_a_second_reset(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    first, out = demo(url, "--reset")  # a fresh clone: no demo.db yet
    assert first == 0, out
    second, out = demo(url, "--reset")
    assert second == 0, out

    with make_engine(url).connect() as conn:
        assert is_demo_database(conn)
        assert conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one() == 8


def test_demo_reset_works_on_an_empty_unmarked_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(make_engine(url))

    code, out = demo(url, "--reset")

    assert code == 0, out
