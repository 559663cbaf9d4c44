"""Opening a current database answers "is the schema current?" with one plain query, not Alembic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, text

import dunmore
from dunmore.store.db import (
    alembic_config,
    head_of_scripts,
    head_revision,
    is_current,
    make_engine,
    migration_head,
    open_database,
    stored_revisions,
    upgrade,
)

SRC = str(Path(dunmore.__file__).resolve().parents[1])


def test_the_head_read_from_the_migration_files_is_alembics_head() -> None:
    assert migration_head() is not None
    assert migration_head() == head_revision()


def test_a_migrated_database_is_current_and_one_without_a_revision_is_not(engine: Engine) -> None:
    assert is_current(engine)
    with engine.begin() as conn:
        assert stored_revisions(conn) == (head_revision(),)
        conn.execute(text("DELETE FROM alembic_version"))
    assert not is_current(engine)


def test_an_older_database_is_still_brought_to_the_newest_schema(tmp_path: Path) -> None:
    older = make_engine(f"sqlite:///{tmp_path / 'older.db'}")
    with older.begin() as conn:
        command.upgrade(alembic_config(conn), "0011")
    assert not is_current(older)
    assert upgrade(older) is True
    assert is_current(older)
    assert upgrade(older) is False
    older.dispose()


def test_opening_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    open_database(url).dispose()
    code = (
        "import sys; from dunmore.store.db import open_database; "
        f"open_database({url!r}, create=False).dispose(); print('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False"


def _script(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.py").write_text(f'"""{name}"""\n\n{text}\n', encoding="utf-8")


def test_the_head_is_read_from_annotated_and_merging_scripts_and_two_heads_name_none(tmp_path: Path) -> None:
    _script(tmp_path, "a", 'revision = "a"\ndown_revision = None')
    _script(tmp_path, "b", 'revision: str = "b"\ndown_revision: str | None = "a"')
    _script(tmp_path, "c", 'revision = "c"\ndown_revision = "a"')
    assert head_of_scripts(tmp_path) is None  # b and c both revise a: Alembic must decide
    _script(tmp_path, "d", 'revision = "d"\ndown_revision = ("b", "c")')
    assert head_of_scripts(tmp_path) == "d"
