"""A contact person's wishes: the channel they prefer, and whether they may be called or e-mailed.

The run's channel choice respects them (`delivery.contact_wishes`) where the compliance guard
allows. Setting them is a person's action on a customer they reach: checked whole, written, and
recorded in the audit log with what changed, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select, update

from dunmore.access import audit
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS
from dunmore.workspace.activities import _contact_id, customer_id_of

PREFERRED: Final = ("email", "sms", "letter", "call")
NONE: Final = "none"  # `--prefer none`: no preference any more


@dataclass(frozen=True)
class ContactWishes:
    """What one contact wishes (a None field of a change: left as it is)."""

    prefer: str | None = None
    do_not_call: bool | None = None
    do_not_email: bool | None = None


@dataclass(frozen=True)
class ContactView:
    id: int
    name: str | None
    preferred_channel: str | None
    do_not_call: bool
    do_not_email: bool


def _view(conn: Connection, contact_id: int) -> ContactView:
    k = CONTACTS.c
    row = conn.execute(
        select(k.id, k.name, k.preferred_channel, k.do_not_call, k.do_not_email).where(k.id == contact_id)
    ).one()
    return ContactView(*row)


def _values(change: ContactWishes) -> dict[str, object]:
    if change.prefer is not None and change.prefer not in (*PREFERRED, NONE):
        raise BadArgument(
            _m(
                "no channel %(channel)s: prefer one of %(known)s",
                channel=repr(change.prefer[:20]),
                known=", ".join((*PREFERRED, NONE)),
            )
        )
    values: dict[str, object] = {}
    if change.prefer is not None:
        values["preferred_channel"] = None if change.prefer == NONE else change.prefer
    if change.do_not_call is not None:
        values["do_not_call"] = change.do_not_call
    if change.do_not_email is not None:
        values["do_not_email"] = change.do_not_email
    if not values:
        raise BadArgument(_m("nothing to change: give --prefer, --do-not-call or --do-not-email"))
    return values


def set_wishes(
    conn: Connection, *, user: User, customer: str, contact: str, change: ContactWishes, now: datetime
) -> ContactView:
    """Set a contact's wishes (`contact`: its id or name) on a customer the user reaches; audited."""
    require(user, Permission.CUSTOMER_ACT)
    values = _values(change)
    customer_id = customer_id_of(conn, user=user, code=customer)
    contact_id = _contact_id(conn, customer_id, contact)
    if contact_id is None:
        raise BadArgument(_m("give the contact's name or id"))
    before = _view(conn, contact_id)
    conn.execute(update(CONTACTS).where(CONTACTS.c.id == contact_id).values(values))
    after = _view(conn, contact_id)
    fields = ("preferred_channel", "do_not_call", "do_not_email")
    said = {f: getattr(after, f) for f in fields}
    audit.record(
        conn, at=now, actor=user.login, action="contact.wishes", object=f"contact:{contact_id}",
        before={f: getattr(before, f) for f in fields}, after={"customer": customer} | said,
    )  # fmt: skip
    return after
