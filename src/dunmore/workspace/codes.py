"""Outcome and overdue-reason codes: what a contact ended with and why the customer says it is late.

The built-in codes live here, their labels in the catalogs (three languages); an admin adds more in
`workspace_codes` with a label per language. A code is never deleted: activities name it for ever
(the analytics read the reasons), so an admin code that should no longer be offered is disabled.
Contacts logged with a disabled code keep it and still show its label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import LANGUAGES, N_, _m, translate
from dunmore.workspace.kinds import CodeKind
from dunmore.workspace.models import WORKSPACE_CODES

LABEL_MAX = 100
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,29}$")


BUILT_IN: dict[CodeKind, dict[str, str]] = {
    CodeKind.OUTCOME: {
        "reached": N_("Reached"),
        "no_answer": N_("No answer"),
        "wrong_number": N_("Wrong number"),
        "promised": N_("Promised to pay"),
        "disputed": N_("Disputes the amount"),
        "paid": N_("Says it has paid"),
        "refused": N_("Refused to pay"),
        "call_back": N_("Call back on a date"),
    },
    CodeKind.REASON: {
        "forgot": N_("Forgot"),
        "not_received": N_("Invoice not received"),
        "awaiting_approval": N_("Awaiting internal approval"),
        "dispute": N_("Disputes the invoice"),
        "cash_flow": N_("Cash-flow difficulty"),
        "refuses": N_("Refuses to pay"),
        "other": N_("Other reason"),
    },
}

# What a contact's outcome asks to record next, so that the run sees it: a promise pauses its items,
# a dispute takes its amount out of dunning. The customer page offers that form after the contact,
# `dunmore activity add` names the command.
RECORD_NEXT: dict[str, str] = {"promised": "promise", "disputed": "dispute"}


@dataclass(frozen=True)
class Code:
    """A code with its label in each language (`labels["zh-CN"]`…); `built_in` codes cannot change."""

    kind: str
    code: str
    labels: Mapping[str, str]
    active: bool
    built_in: bool

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


def _built_in(kind: CodeKind) -> list[Code]:
    return [
        Code(kind.value, code, {lang: translate(lang, label) for lang in LANGUAGES}, True, True)
        for code, label in BUILT_IN[kind].items()
    ]


def _kinds(kind: CodeKind | None) -> list[CodeKind]:
    return list(CodeKind) if kind is None else [kind]


def list_codes(conn: Connection, *, kind: CodeKind | None = None, active_only: bool = False) -> list[Code]:
    """The codes of `kind` (both kinds: None), built-in first, then the admin's in the order added."""
    w = WORKSPACE_CODES.c
    query = select(w.kind, w.code, w.label_zh_cn, w.label_zh_tw, w.label_en, w.active)
    query = query.where(w.kind.in_([k.value for k in _kinds(kind)])).order_by(w.kind, w.created_at, w.code)
    added = [
        Code(
            r.kind,
            r.code,
            {"zh-CN": r.label_zh_cn, "zh-TW": r.label_zh_tw, "en": r.label_en},
            r.active,
            False,
        )
        for r in conn.execute(query)
    ]
    found = [code for k in _kinds(kind) for code in _built_in(k) + [a for a in added if a.kind == k]]
    return [code for code in found if code.active or not active_only]


def labels_of(conn: Connection, language: str) -> dict[tuple[str, str], str]:
    """(kind, code) → its label in `language`, for every code (disabled ones too: old contacts)."""
    return {(c.kind, c.code): c.label(language) for c in list_codes(conn)}


def check_code(conn: Connection, kind: CodeKind, code: str) -> None:
    """Refuse a code that is not an active code of `kind`, naming the ones that are."""
    offered = [c.code for c in list_codes(conn, kind=kind, active_only=True)]
    if code not in offered:
        raise BadArgument(
            _m(
                "%(code)s is not an active %(kind)s code: use one of %(codes)s",
                code=repr(code),
                kind=kind.value,
                codes=", ".join(offered),
            )
        )


def add_code(
    conn: Connection, *, user: User, kind: CodeKind, code: str, labels: Mapping[str, str], now: datetime
) -> Code:
    """Add an admin code with its label in each of the three languages; audited."""
    require(user, Permission.SETTINGS_MANAGE)
    _check_new(conn, kind, code)
    said = {lang: _label(labels.get(lang, ""), lang) for lang in LANGUAGES}
    row = {"kind": kind.value, "code": code, "active": True, "created_by": user.login, "created_at": now}
    row |= {"label_zh_cn": said["zh-CN"], "label_zh_tw": said["zh-TW"], "label_en": said["en"]}
    conn.execute(insert(WORKSPACE_CODES).values(row))
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action="code.add",
        object=f"code:{kind.value}:{code}",
        after={"labels": said},
    )
    return Code(kind.value, code, said, True, False)


def _check_new(conn: Connection, kind: CodeKind, code: str) -> None:
    if not CODE_PATTERN.match(code):
        raise BadArgument(
            _m(
                "code %(code)s: 2 to 30 small letters, digits or _, starting with a letter (e.g. "
                "bank_holiday)",
                code=repr(code[:40]),
            )
        )
    if any(c.code == code for c in list_codes(conn, kind=kind)):
        raise BadArgument(
            _m("the %(kind)s code %(code)s exists already: choose another", kind=kind.value, code=code)
        )


def _label(text: str, language: str) -> str:
    text = text.strip()
    if not 1 <= len(text) <= LABEL_MAX:
        raise BadArgument(
            _m(
                "the %(language)s label holds 1 to %(most)s characters, not %(length)s",
                language=language,
                most=LABEL_MAX,
                length=len(text),
            )
        )
    return text


def disable_code(conn: Connection, *, user: User, kind: CodeKind, code: str, now: datetime) -> None:
    """Stop offering an admin code; contacts that name it keep it. Built-in codes stay; audited."""
    require(user, Permission.SETTINGS_MANAGE)
    if code in BUILT_IN[kind]:
        raise BadArgument(
            _m("%(code)s is a built-in code and stays offered: disable codes an admin added", code=code)
        )
    w = WORKSPACE_CODES.c
    done = conn.execute(
        update(WORKSPACE_CODES).where(w.kind == kind.value, w.code == code).values(active=False)
    )
    if done.rowcount != 1:
        raise NotFound(
            _m("no %(kind)s code %(code)s: `dunmore codes list` shows them", kind=kind.value, code=repr(code))
        )
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action="code.disable",
        object=f"code:{kind.value}:{code}",
        after={"active": False},
    )
