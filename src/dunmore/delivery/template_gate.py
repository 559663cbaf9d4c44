"""The gate a run passes before it commits: its templates pass `dunmore templates check`.

Checking compiles and renders every template in every language (about 1.5 s): a cost each run paid
although the templates rarely change. The verdict is kept in the database's `meta` facts under the
fingerprint of everything it depends on: the bytes of every file of the template set (the default
folder and the override folder), the uses the policy makes of them, and the checker itself (the
delivery package's code and the versions of Dunmore, Jinja and Babel). A run with the same fingerprint
as the last passing check skips the check (the run records a new passing verdict after its own
writes); any change to a file, the policy or the code checks again.

Why the database, not a file: the verdict belongs to the ledger it gates (a PostgreSQL ledger is
shared by every machine that runs against it), it is written in the run's own transaction (a run
that rolls back leaves no verdict), and a template folder or the package may be read-only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

import dunmore
from dunmore.store.meta import read_fact, write_fact

if TYPE_CHECKING:
    from dunmore.delivery.check import TemplateProblem
    from dunmore.delivery.uses import TemplateUse

FACT = "templates_passed"
PACKAGE = Path(__file__).parent
DEFAULT_SET = PACKAGE / "templates" / "default"


def fingerprint(override_dir: Path | None, uses: Sequence[TemplateUse]) -> str:
    """SHA-256 over the template files, the uses and the checker's code and versions."""
    digest = hashlib.sha256()
    for name in ("jinja2", "babel"):
        digest.update(f"{name} {version(name)}\n".encode())
    digest.update(f"dunmore {dunmore.__version__}\n{sorted(map(repr, uses))}\n".encode())
    folders = [("code", PACKAGE, "*.py"), ("default", DEFAULT_SET, "**/*")]
    if override_dir is not None:
        folders.append(("override", override_dir, "**/*"))
    for label, folder, pattern in folders:
        for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The check of a run's templates: its problems, and whether it was known from a passing check."""

    problems: list[TemplateProblem]
    fingerprint: str
    known: bool


def template_verdict(conn: Connection, override_dir: Path | None, uses: Sequence[TemplateUse]) -> Verdict:
    """The problems of the templates the run uses, checked only when their fingerprint differs from
    the last passing check of this database. Writes nothing: see `remember_passed`."""
    key = fingerprint(override_dir, uses)
    if read_fact(conn, FACT) == key:
        return Verdict([], key, known=True)
    from dunmore.delivery.check import check_templates
    from dunmore.delivery.render import Templates

    return Verdict(check_templates(Templates(override_dir), uses), key, known=False)


def remember_passed(conn: Connection, verdict: Verdict) -> None:
    """Keep a new passing verdict, in the caller's transaction. The run calls it after its own
    writes, so that a concurrent writer is met (and reported) by the run, not by this fact."""
    if not verdict.problems and not verdict.known:
        write_fact(conn, FACT, verdict.fingerprint)
