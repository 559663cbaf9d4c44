"""The call playbook (针对常见的拖欠借口准备好应对方案): what a collector may answer to each overdue
reason, in each language, shown beside the call.

Each (reason, language) has one answer: the manager's (`playbook_answers`) when one was written, else
the shipped one (`playbook_defaults`); reasons an admin added have none until a manager writes one.
Managers edit it (`Permission.PLAYBOOK_EDIT`), every change audited; a new answer passes the wording
lint of the notices (`delivery.lint`: no threat, blacklist, court or invented fee), since a collector
reads it aloud to the customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy import Connection, delete, insert, select

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.delivery.languages import LANGUAGES, Language
from dunmore.delivery.lint import lint
from dunmore.errors import BadArgument
from dunmore.i18n import _m, translate
from dunmore.workspace import activities
from dunmore.workspace.codes import Code, check_code, list_codes
from dunmore.workspace.kinds import CodeKind
from dunmore.workspace.playbook_defaults import SHIPPED
from dunmore.workspace.playbook_models import PLAYBOOK_ANSWERS

TEXT_MAX = 2000
FILE_MAX = 200_000  # characters of a playbook file: seven reasons × three languages fit many times


@dataclass(frozen=True)
class Answer:
    """The answer to `reason` in `language`; `edited_by` None: the shipped one (or none: `text` "")."""

    reason: str
    reason_label: str
    language: str
    text: str
    edited_by: str | None = None
    edited_at: datetime | None = None

    @property
    def shipped(self) -> bool:
        return self.edited_by is None


@dataclass(frozen=True)
class CallPlaybook:
    """The playbook beside a call: the customer's latest reason (if any) first, then the others."""

    latest_reason: str | None
    answers: tuple[Answer, ...]

    @property
    def latest(self) -> Answer | None:
        """The answer to the latest reason (None: no reason yet, or one no longer offered)."""
        found = self.answers[0] if self.answers else None
        return found if found is not None and found.reason == self.latest_reason else None


def _language(language: str) -> Language:
    for known in LANGUAGES:
        if known == language:
            return known
    raise BadArgument(_m("unknown language %(language)s: choose zh-CN, zh-TW or en", language=repr(language)))


def _edited(conn: Connection, reason: str | None, language: str | None) -> dict[tuple[str, str], Any]:
    p = PLAYBOOK_ANSWERS.c
    query = select(p.reason, p.language, p.text, p.edited_by, p.edited_at)
    if reason is not None:
        query = query.where(p.reason == reason)
    if language is not None:
        query = query.where(p.language == language)
    return {(row.reason, row.language): row for row in conn.execute(query)}


def _answer(code: Code, language: str, edited: Any | None) -> Answer:
    label = code.label(language)
    if edited is not None:
        return Answer(code.code, label, language, edited.text, edited.edited_by, edited.edited_at)
    shipped = SHIPPED.get(code.code)
    return Answer(code.code, label, language, translate(language, shipped) if shipped else "")


def playbook(
    conn: Connection, *, user: User, reason: str | None = None, language: str | None = None
) -> list[Answer]:
    """The answers of the active reasons (or of `reason`), in each language (or in `language`)."""
    require(user, Permission.LEDGER_READ)
    languages = LANGUAGES if language is None else (_language(language),)
    if reason is not None:
        check_code(conn, CodeKind.REASON, reason)
    codes = [c for c in list_codes(conn, kind=CodeKind.REASON, active_only=True) if reason in (None, c.code)]
    edited = _edited(conn, reason, language)
    return [_answer(code, lang, edited.get((code.code, lang))) for code in codes for lang in languages]


def _checked_text(text: str, language: Language) -> str:
    text = text.strip()
    if not 1 <= len(text) <= TEXT_MAX:
        raise BadArgument(
            _m("an answer holds 1 to %(most)s characters, not %(length)s", most=TEXT_MAX, length=len(text))
        )
    hits = lint(text, language)
    if hits:
        raise BadArgument(
            _m(
                "the %(language)s answer must not say %(words)s (wording rule %(rule)s): a collector "
                "reads it to the customer, so keep it firm, truthful and polite",
                language=language,
                words=repr(hits[0].excerpt),
                rule=hits[0].code,
            )
        )
    return text


def set_answer(
    conn: Connection, *, user: User, reason: str, language: str, text: str, now: datetime
) -> Answer:
    """Write the answer to `reason` in `language` (replacing the shipped or an earlier one); audited."""
    require(user, Permission.PLAYBOOK_EDIT)
    check_code(conn, CodeKind.REASON, reason)
    lang = _language(language)
    said = _checked_text(text, lang)
    before = _current(conn, user, reason, lang)
    p = PLAYBOOK_ANSWERS.c
    conn.execute(delete(PLAYBOOK_ANSWERS).where(p.reason == reason, p.language == lang))
    row = {"reason": reason, "language": lang, "text": said, "edited_by": user.login, "edited_at": now}
    conn.execute(insert(PLAYBOOK_ANSWERS).values(row))
    audit.record(conn, at=now, actor=user.login, action="playbook.set", object=f"playbook:{reason}:{lang}",
                 before={"text": before.text, "shipped": before.shipped}, after={"text": said})  # fmt: skip
    return Answer(reason, before.reason_label, lang, said, user.login, now)


def reset_answer(conn: Connection, *, user: User, reason: str, language: str, now: datetime) -> Answer:
    """Drop a manager's answer: the shipped one (or none, for an admin's reason) stands again; audited."""
    require(user, Permission.PLAYBOOK_EDIT)
    check_code(conn, CodeKind.REASON, reason)
    lang = _language(language)
    before = _current(conn, user, reason, lang)
    p = PLAYBOOK_ANSWERS.c
    conn.execute(delete(PLAYBOOK_ANSWERS).where(p.reason == reason, p.language == lang))
    after = _current(conn, user, reason, lang)
    audit.record(conn, at=now, actor=user.login, action="playbook.reset", object=f"playbook:{reason}:{lang}",
                 before={"text": before.text, "shipped": before.shipped},
                 after={"text": after.text})  # fmt: skip
    return after


def _current(conn: Connection, user: User, reason: str, language: str) -> Answer:
    return playbook(conn, user=user, reason=reason, language=language)[0]


def read_file(text: str) -> dict[str, dict[str, str]]:
    """A playbook file: YAML mapping each reason code to its answers by language, e.g.
    `cash_flow: {zh-CN: "…", en: "…"}`. Only its shape is checked here; `load` checks the rest."""
    if len(text) > FILE_MAX:
        raise BadArgument(_m("a playbook file holds at most %(most)s characters", most=FILE_MAX))
    try:
        found = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise BadArgument(_m("the playbook file is not YAML: %(problem)s", problem=str(exc)[:300])) from exc
    shaped = isinstance(found, dict) and all(
        isinstance(r, str) and isinstance(a, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                           for k, v in a.items())
        for r, a in found.items()
    )  # fmt: skip
    if not shaped:
        raise BadArgument(
            _m("a playbook file maps each reason code to its answers by language, e.g. cash_flow: {en: …}")
        )
    return cast(dict[str, dict[str, str]], found)


def load(conn: Connection, *, user: User, answers: Mapping[str, Mapping[str, str]], now: datetime) -> int:
    """Write every answer of a playbook file, all or none (the caller's transaction); how many."""
    written = 0
    for reason, by_language in answers.items():
        for language, text in by_language.items():
            set_answer(conn, user=user, reason=reason, language=language, text=text, now=now)
            written += 1
    return written


def for_call(conn: Connection, *, user: User, customer: str, language: str) -> CallPlaybook:
    """The playbook beside a call to `customer` (in the user's scope), in `language`: the answer to
    the reason the customer gave last comes first."""
    customer_id = activities.customer_id_of(conn, user=user, code=customer)
    latest = activities.latest_reason(conn, customer_id=customer_id)
    reason = None if latest is None else str(latest.reason)
    answers = playbook(conn, user=user, language=language)
    return CallPlaybook(reason, _latest_first(answers, reason))


def _latest_first(answers: Sequence[Answer], reason: str | None) -> tuple[Answer, ...]:
    return tuple(sorted(answers, key=lambda a: a.reason != reason))  # stable: the others keep their order
