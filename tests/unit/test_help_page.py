"""`dunmore --help` answered from a kept page (`dunmore.cli.entry`): the page is Typer's own, kept
per language and reader, made again when anything it is made of changes, and printed without
importing Typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dunmore
from dunmore.cli import entry

SRC = str(Path(dunmore.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the module's calls: the catalogs are compiled into it once a language."""
    return tmp_path_factory.mktemp("cache")


def _help(cache: Path, language: str, *, kept: bool = True, columns: str = "100") -> tuple[str, bool]:
    """`dunmore --help` in a fresh interpreter (through the entry point, or straight through Typer's
    app if not `kept`) with `cache` as the cache folder: what it printed, and whether it imported
    Typer."""
    run = "from dunmore.cli.entry import main" if kept else "from dunmore.cli.app import main"
    code = (
        "import sys\n"
        "sys.argv = ['dunmore', '--help']\n"
        f"{run}\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
        "print('TYPER', 'typer' in sys.modules, file=sys.stderr)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
        "DUNMORE_CACHE_DIR": str(cache),
        "DUNMORE_LANG": language,
        "COLUMNS": columns,
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cache)
    assert done.returncode == 0, done.stderr
    return done.stdout, "TYPER True" in done.stderr


def test_the_kept_page_is_typers_page_in_each_language(cache: Path) -> None:
    pages = {}
    kept_before = set((cache / "help").glob("*.txt"))
    for language in ("zh-CN", "zh-TW", "en"):
        first, typer_first = _help(cache, language)
        again, typer_again = _help(cache, language)
        assert (typer_first, typer_again) == (True, False)  # made with Typer once, then printed as kept
        assert again == first
        pages[language] = first
    assert "应收账款催收" in pages["zh-CN"]
    assert "應收帳款催收" in pages["zh-TW"]
    assert "accounts-receivable" in pages["en"]
    assert len(set((cache / "help").glob("*.txt")) - kept_before) == 3
    straight, _ = _help(cache, "zh-TW", kept=False)
    assert pages["zh-TW"] == straight


def test_another_width_makes_the_page_again(cache: Path) -> None:
    narrow, _ = _help(cache, "en", columns="80")
    wide, typer_wide = _help(cache, "en", columns="140")
    assert typer_wide
    assert max(map(len, narrow.splitlines())) == 80
    assert max(map(len, wide.splitlines())) == 140


def test_the_key_covers_what_the_page_is_made_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made_of = tmp_path / "cli"
    made_of.mkdir()
    listing = made_of / "commands.json"
    listing.write_text("[]", encoding="utf-8")
    monkeypatch.setattr(entry, "CLI", made_of)
    environ = {"DUNMORE_LANG": "en", "COLUMNS": "100", "PWD": "/somewhere"}
    key = entry.page_key(environ, "/usr/bin/dunmore", sys.stdout)

    assert entry.page_key({**environ, "PWD": "/elsewhere"}, "dunmore", sys.stdout) == key  # not read
    assert entry.page_key({**environ, "COLUMNS": "101"}, "dunmore", sys.stdout) != key
    assert entry.page_key({**environ, "DUNMORE_LANG": "zh-TW"}, "dunmore", sys.stdout) != key
    assert entry.page_key({**environ, "NO_COLOR": "1"}, "dunmore", sys.stdout) != key
    assert entry.page_key(environ, "other-name", sys.stdout) != key
    listing.write_text('[{"name": "aging"}]', encoding="utf-8")
    assert entry.page_key(environ, "dunmore", sys.stdout) != key


def test_at_most_so_many_pages_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNMORE_CACHE_DIR", str(tmp_path))
    for number in range(entry.KEPT + 5):
        entry._keep(f"{number:08x}", f"page {number}\n")
    kept = list((tmp_path / "help").glob("*.txt"))
    assert len(kept) == entry.KEPT
    written = {f"page {number}\n" for number in range(entry.KEPT + 5)}
    assert {path.read_text(encoding="utf-8") for path in kept} <= written
