"""The `dunmore` program's entry point, which answers `dunmore --help` from a kept page.

The root's help page is the same on every call until one of the things it is made of changes, yet
making it means importing Typer, click and Rich's help formatter (≈0.15 s, issue 15 asks for an
instant `--help`). So the page Typer prints is kept, as printed, in the user's cache folder
(`dunmore.i18n.cache_folder`, folder `help/`) under a key of everything it is made of:

- the code and texts: the name, size and time of every file of `dunmore.cli` (the commands' listing
  `commands.json` included) and of the reader's language's catalogs, Dunmore's version, and the files
  of Typer, click and Rich as installed;
- the reader: the language (`dunmore.i18n.from_environment`), the program's name, the environment
  variables that Rich, Typer, click or Dunmore read (terminal, colours, width, locale, `DUNMORE_*`),
  whether each standard stream is a terminal and its size, and the output's encoding.

A later call with the same key writes the kept page and imports none of them; any other call — a
changed file, another language, a wider terminal — makes the page with Typer as before and keeps it.
Only the root's bare `--help` is kept: every other command line goes to `dunmore.cli.app`. At most
`KEPT` pages are kept, the oldest dropped first; a cache folder that cannot be written only costs the
speed.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any, Final

from dunmore import __version__, i18n

__all__ = ["KEPT", "main", "page_key"]

KEPT: Final = 16
HELP: Final = ["--help"]
CLI: Final = Path(__file__).parent
LIBRARIES: Final = ("typer", "click", "rich")
# Environment variables Rich, Typer, click and Dunmore read (by name or by prefix): a change to any
# of them may change the page.
READ: Final = (
    "DUNMORE_",
    "LC_",
    "LANG",
    "TERM",  # TERM, TERMINAL_WIDTH (Typer), TERM_PROGRAM
    "COLORTERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "PY_COLORS",
    "CLICOLOR",
    "GITHUB_ACTIONS",
    "TTY_",
    "COLUMNS",
    "LINES",
    "JUPYTER_",
    "_TYPER",
    "TYPER_",
    "DATABRICKS_RUNTIME_VERSION",
    "UNICODE_VERSION",
    "PYTHON",
)


def main() -> None:
    """Run the command line (the `dunmore` program)."""
    if sys.argv[1:] == HELP:
        key = page_key(os.environ, sys.argv[0], sys.stdout)
        page = _kept(key)
        if page is not None:
            sys.stdout.write(page)
            sys.stdout.flush()
            return
        _print_and_keep(key)
        return
    from dunmore.cli.app import main as run

    run()


def page_key(environ: Mapping[str, str], program: str, out: IO[str]) -> str:
    """The key of the root's help page as it would be printed now to `out` (see the module's
    docstring for what it covers)."""
    language = i18n.from_environment(environ)
    files = sorted(path for path in CLI.iterdir() if path.suffix in {".py", ".json"})
    files += i18n.catalog_files(language)
    files += [Path(origin) for name in LIBRARIES if (origin := _origin(name))]
    made_of = [(str(path), *_stat(path)) for path in files]
    reader = [(name, value) for name, value in sorted(environ.items()) if name.startswith(READ)]
    streams = [(_is_terminal(fd), _size(fd)) for fd in (0, 1, 2)]
    said = (__version__, language, Path(program).name, getattr(out, "encoding", None))
    return f"{zlib.crc32(repr((made_of, reader, streams, said)).encode()):08x}"


def _origin(name: str) -> str | None:
    """Where library `name` is installed (its package's `__init__`), without importing it."""
    spec = find_spec(name)
    return spec.origin if spec is not None else None


def _stat(path: Path) -> tuple[int, int]:
    try:
        found = path.stat()
    except OSError:
        return (-1, -1)
    return (found.st_size, found.st_mtime_ns)


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _size(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return (size.columns, size.lines)


def _folder() -> Path:
    return i18n.cache_folder(os.environ) / "help"


def _kept(key: str) -> str | None:
    try:
        return (_folder() / f"{key}.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _print_and_keep(key: str) -> None:
    """Print the root's help page with Typer, recording what it writes, and keep it under `key` if
    the command line ended as a help page does (exit status 0)."""
    from dunmore.cli.app import main as run

    out = sys.stdout
    recorder = _Recorder(out)
    sys.stdout = recorder
    try:
        run()
    except SystemExit as exit:
        if exit.code not in (0, None):
            raise
    finally:
        sys.stdout = out
    _keep(key, "".join(recorder.written))


def _keep(key: str, page: str) -> None:
    """Keep `page` under `key` (written whole or not at all), and drop the oldest pages past `KEPT`."""
    folder = _folder()
    i18n.keep(folder / f"{key}.txt", page.encode("utf-8"))
    try:
        pages = sorted(folder.glob("*.txt"), key=lambda path: path.stat().st_mtime_ns)
        for old in pages[:-KEPT]:
            old.unlink(missing_ok=True)
    except OSError:
        return


class _Recorder:
    """Standard output as Typer and Rich see it (a terminal if it is one, its encoding, its file
    number), keeping a copy of everything written."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.written: list[str] = []

    def write(self, text: str) -> int:
        count = self.stream.write(text)  # first: click probes with bytes, which a text stream refuses
        self.written.append(text)
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
