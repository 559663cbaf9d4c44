"""No command answers a mistake with a Python traceback: each says, in one line, what happened and
what to do, and exits non-zero. A mistyped database path is refused instead of becoming a new,
empty ledger; only `db upgrade`, `import` and `demo` create a database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, create_engine, event, text
from typer.testing import CliRunner

from dunmore.access import audit
from dunmore.cli import dunning, imports
from dunmore.cli.app import app
from dunmore.cli.context import AppState
from dunmore.settings import Settings
from dunmore.store.db import make_engine, upgrade
from tests.scenarios.story import EXAMPLE, Story

runner = CliRunner()


def dunmore(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def on_engine(engine: Engine, *args: str) -> tuple[int, str]:
    """The run and import commands as `dunmore.cli.app` builds them, on a test's database."""
    cli = typer.Typer()

    @cli.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = AppState(Settings(database_url="sqlite://"), _engine=engine)

    dunning.register(cli)
    imports.register(cli)
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def assert_one_line_refusal(code: int, out: str, says: str) -> None:
    assert code != 0, out
    assert "Traceback" not in out
    assert out.strip().splitlines() == [out.strip()], out
    assert says in out


def overdue_ledger(engine: Engine) -> Story:
    """C1 owes INV-1, 10,000.00 CNY due 2026-09-01; the example policy is loaded."""
    story = Story(engine, EXAMPLE)
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    return story


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    """A SQLite ledger with an overdue invoice and a policy: the URL."""
    url = f"sqlite:///{tmp_path / 'books.db'}"
    engine = make_engine(url)
    upgrade(engine)
    overdue_ledger(engine)
    engine.dispose()
    return url


def _no_file(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite:///{tmp_path / 'mistyped.db'}", "aging"]


def _not_a_database(tmp_path: Path) -> list[str]:
    (tmp_path / "README.md").write_text("# not a database\n" * 200, encoding="utf-8")
    return ["--db", f"sqlite:///{tmp_path / 'README.md'}", "aging"]


CASES: dict[str, tuple[Callable[[Path, str], list[str]], str]] = {
    "as-of 9999-12-31": (
        lambda _, db: ["--db", db, "run", "--as-of", "9999-12-31"],
        "--as-of 9999-12-31 is outside 1900-01-01 to 2999-12-31",
    ),
    "run date years ahead": (
        lambda _, db: ["--db", db, "run", "--as-of", "2999-01-01", "--approve"],
        "a run may be at most 1 day(s) ahead (setting run.max_days_ahead)",
    ),
    "unknown dialect": (lambda _, db: ["--db", "foo://x", "aging"], "unknown kind of database 'foo'"),
    "a file that is not a database": (lambda tmp, _: _not_a_database(tmp), "is not a SQLite database file"),
    "aging -o into a missing folder": (
        lambda tmp, db: ["--db", db, "aging", "--format", "csv", "-o", str(tmp / "nowhere" / "aging.csv")],
        "folder",
    ),
    "mistyped SQLite path (aging)": (lambda tmp, _: _no_file(tmp), "there is no database at"),
    "mistyped SQLite path (run)": (
        lambda tmp, _: ["--db", f"sqlite:///{tmp / 'typo.db'}", "run", "--as-of", "2026-09-20"],
        "db upgrade` creates one",
    ),
    "mistyped SQLite path (explain)": (
        lambda tmp, _: ["--db", f"sqlite:///{tmp / 'typo.db'}", "explain", "C1"],
        "there is no database at",
    ),
    "mistyped SQLite path (revert)": (
        lambda tmp, _: ["--db", f"sqlite:///{tmp / 'typo.db'}", "run", "revert", "1"],
        "there is no database at",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_mistake_gets_a_one_line_message_and_no_traceback(case: str, tmp_path: Path, ledger: str) -> None:
    args, says = CASES[case]
    code, out = dunmore(*args(tmp_path, ledger))
    assert_one_line_refusal(code, out, says)
    assert not (tmp_path / "mistyped.db").exists()
    assert not (tmp_path / "typo.db").exists()


def test_db_upgrade_import_and_demo_may_create_a_database(tmp_path: Path) -> None:
    upgraded = tmp_path / "new.db"
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nC1,Acme\n", encoding="utf-8")
    assert dunmore("--db", f"sqlite:///{upgraded}", "db", "upgrade")[0] == 0
    assert dunmore("--db", f"sqlite:///{tmp_path / 'i.db'}", "import", "customers", str(customers))[0] == 0
    assert upgraded.exists()
    assert (tmp_path / "i.db").exists()


def test_a_postgresql_database_without_dunmore_tables_is_refused() -> None:
    from tests.conftest import POSTGRES_URL

    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured: set DUNMORE_TEST_POSTGRES_URL")
    schema = "t_empty_for_cli_errors"
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        code, out = dunmore("--db", url, "aging")
        assert_one_line_refusal(code, out, "holds no Dunmore tables")
        with admin.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
            ).scalar_one()
        assert tables == 0
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_a_nul_character_in_an_imported_cell_is_refused_with_its_line_and_column(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"customer_id,name\nC1,Acme\nC2,Bad\x00Name\n")

    code, out = on_engine(engine, "import", "customers", str(path))

    assert code == 2, out
    assert "Traceback" not in out
    assert "line 3, column name: contains a NUL character" in out


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("run", "--as-of", "2026-09-20", "--approve"), "another run committed while this one was deciding"),
        (("hold", "C1"), "is busy: another dunmore command is writing to it; nothing was written"),
    ],
)
def test_two_writers_at_once_on_sqlite_get_a_one_line_message(
    ledger: str, command: tuple[str, ...], says: str
) -> None:
    path = ledger.removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another command, in the middle of its commit
    try:
        code, out = dunmore("--db", ledger, *command)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert_one_line_refusal(code, out, says)


def test_a_run_overlapping_an_import_on_postgresql_says_to_run_it_again(postgres_engine: Engine) -> None:
    overdue_ledger(postgres_engine)
    other = create_engine(postgres_engine.url, connect_args=_connect_args(postgres_engine))
    fired: list[bool] = []

    def import_meanwhile(conn: Any, *_: Any) -> None:
        """Once the run has read its snapshot, an import changes the invoice it will raise and
        records itself in the audit log, as every import does. (The run no longer rewrites the
        invoice rows it raises — levels live in `item_levels` — so the audit log's chain is what
        makes it notice: its own row would take the id the import's row holds.)"""
        if not fired and conn.engine is postgres_engine:
            fired.append(True)
            with other.begin() as meanwhile:
                meanwhile.execute(text("UPDATE invoices SET open_minor = open_minor"))
                audit.record(meanwhile, at=datetime(2026, 9, 20, 9, tzinfo=UTC), actor="clerk",
                             action="ledger.import", object="import:invoices")  # fmt: skip

    event.listen(postgres_engine, "after_cursor_execute", import_meanwhile)
    try:
        code, out = on_engine(postgres_engine, "run", "--as-of", "2026-09-20", "--approve")
    finally:
        event.remove(postgres_engine, "after_cursor_execute", import_meanwhile)
        other.dispose()
    assert fired
    assert_one_line_refusal(code, out, "while this run was deciding; nothing was written; run it again")


def _connect_args(engine: Engine) -> dict[str, Any]:
    """The search path the test engine was made with (its schema)."""
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return {"options": f"-csearch_path={schema}"}
