"""The one error tree of Dunmore.

Every error a user can cause is a `DunmoreError` with a stable `code`; interfaces map them to exit
codes (CLI) or HTTP statuses (API). Validation never uses `assert`.

A message is raised as a `Text` (`raise NotFound(_m("no customer %(code)s", code=code))`): `str(exc)`
is the English, and the interfaces say `exc.render(language)` in the reader's language. A message
still raised as a plain string is English in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dunmore.i18n import Text, _m, translate_english


class DunmoreError(Exception):
    """Root of every error Dunmore raises on purpose."""

    code = "dunmore_error"
    exit_code = 1

    def __init__(self, message: str | Text = "", *args: Any, code: str | None = None, **values: Any) -> None:
        """`message` is English, or a `Text` (`_m(...)`) the interfaces render in the reader's language;
        `code` names a finer case than the class's (stable, for machines and translated messages);
        `values` are what a translated message of that case fills in (named placeholders)."""
        super().__init__(str(message), *args)
        self.text = message if isinstance(message, Text) else None
        if code is not None:
            self.code = code
        self.values = values

    def render(self, language: str) -> str:
        """The message in `language` (English where it was raised as a plain string)."""
        return str(self) if self.text is None else self.text.render(language)


class CurrencyError(DunmoreError):
    """An unknown ISO 4217 code, or two currencies mixed in one operation."""

    code = "currency"


class AmountError(DunmoreError):
    """An amount that is malformed, negative where it may not be, or finer than its currency allows."""

    code = "amount"


@dataclass(frozen=True, order=True)
class ImportProblem:
    """A bad cell or row. `line` is the 1-based line in the file, the header being line 1."""

    line: int
    column: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value else ""
        return f"line {self.line}, column {self.column}: {self.reason}{shown}"

    def render(self, language: str) -> str:
        """The problem in `language`: the reason is a marked English sentence (see `i18n.N_`)."""
        reason = translate_english(language, self.reason)
        where = _m(
            "line %(line)s, column %(column)s: %(reason)s", line=self.line, column=self.column, reason=reason
        )
        if not self.value:
            return where.render(language)
        return _m("%(where)s (got %(value)s)", where=where, value=repr(self.value)).render(language)


class ImportRejected(DunmoreError):
    """An import file failed validation; nothing was written. `problems` lists every bad row."""

    code = "import_rejected"
    exit_code = 2

    def __init__(self, message: str | Text, problems: list[ImportProblem]) -> None:
        super().__init__(message)
        self.problems = problems


class InputFileError(DunmoreError):
    """A file that cannot be read at all: missing, wrong format, undecodable, missing columns."""

    code = "input_file"
    exit_code = 2


class BadArgument(DunmoreError):
    """A command-line value that cannot be understood (a date, a number, a choice)."""

    code = "bad_argument"
    exit_code = 2


def refuse_nul(*texts: str | None) -> None:
    """PostgreSQL stores no NUL character in text, nor compares one: a request with one is refused
    before any query, on every database alike."""
    if any(text and "\x00" in text for text in texts):
        raise BadArgument(_m("a text contains a NUL character (\\x00): remove it"))


class ConfigError(DunmoreError):
    """Settings (environment, dunmore.toml) that are invalid."""

    code = "config"
    exit_code = 2


class DatabaseError(DunmoreError):
    """The database cannot be opened or migrated."""

    code = "database"


class NotFound(DunmoreError):
    """A customer, invoice or other record named by the user does not exist."""

    code = "not_found"
    exit_code = 3


class PromiseRefused(DunmoreError):
    """A promise to pay beyond its policy's limits, or over invoices it cannot cover."""

    code = "promise_refused"
    exit_code = 2


class PlanRefused(DunmoreError):
    """An instalment plan whose schedule does not add up, or over invoices it cannot cover."""

    code = "plan_refused"
    exit_code = 2


@dataclass(frozen=True, order=True)
class PolicyProblem:
    """A bad entry of a dunning-policy file: where it is (file, 1-based line, dotted path) and why."""

    file: str
    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.reason}"


class PolicyError(DunmoreError):
    """A dunning-policy file failed validation; `problems` lists every problem found, in line order."""

    code = "policy"
    exit_code = 2

    def __init__(self, problems: list[PolicyProblem]) -> None:
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__("\n".join([f"{count} in the dunning policy:", *map(str, problems)]))
        self.problems = problems


__all__ = [
    "AmountError",
    "BadArgument",
    "ConfigError",
    "CurrencyError",
    "DatabaseError",
    "DunmoreError",
    "ImportProblem",
    "ImportRejected",
    "InputFileError",
    "NotFound",
    "PolicyError",
    "PolicyProblem",
    "RunConflict",
    "RunError",
]


class RunError(DunmoreError):
    """A dunning run or approval that cannot go ahead; the message says why and what to do."""

    code = "run"
    exit_code = 2


class RunConflict(RunError):
    """Another run committed while this one was deciding: one wins, the other changes nothing."""

    code = "run_conflict"
    exit_code = 4


class DeliveryError(DunmoreError):
    """A notice that cannot be delivered as it stands: no address for the channel, a template that no
    longer renders. The delivery fails for good and waits in the dead letters for an operator."""

    code = "delivery"


class PermissionDenied(DunmoreError):
    """A user's role does not allow what was asked (see docs/design/access.md)."""

    code = "permission_denied"
    exit_code = 5


class AccessError(DunmoreError):
    """A user, password or token change that cannot be made as asked: a bad login, a weak password,
    an unknown role or portfolio name, a token name already in use."""

    code = "access"
    exit_code = 2


class AuditChainBroken(DunmoreError):
    """The audit log's hash chain does not hold: a row was edited, deleted or moved."""

    code = "audit_chain_broken"
    exit_code = 6


class SendingNotConfigured(ConfigError):
    """A worker asked to send from a database that is not the demo's, with settings sending needs
    still unset or the demo's; `problems` names each, with its environment variable and toml key."""

    code = "sending_not_configured"

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} setting{'' if len(problems) == 1 else 's'}"
        head = (
            f"the worker will not send from this database (not the demo's) until {count} "
            "below are set, in the environment or in dunmore.toml:"
        )
        super().__init__("\n".join([head, *(f"  {problem}" for problem in problems)]))
        self.problems = problems


class NoDatabase(DatabaseError):
    """A command that reads or changes a ledger was pointed at a database that does not exist (a
    mistyped path) or holds no Dunmore tables; only `db upgrade`, `import` and `demo` create one."""

    code = "no_database"
    exit_code = 2


class DatabaseBusy(DatabaseError):
    """Another command held or changed what this one needed; nothing was written, running it again
    once the other has finished works."""

    code = "database_busy"
    exit_code = 4
