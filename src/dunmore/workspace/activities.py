"""Logging a contact: a call, visit, e-mail, chat, meeting or note on a customer, with its outcome,
the reason the customer gave for being late, a follow-up date and evidence files.

Every function takes the user and reaches only the customers of `customer_scope`: a customer out of
reach is not found, whether it exists or not. A logged activity is one audit row in the same
transaction. An outcome `promised` or `disputed` records what was said; the promise or the dispute
itself is made by its own command (`dunmore promise add`, `dunmore dispute open`).

Attachments are evidence: PDF, PNG, JPEG or WebP, told by their first bytes (a `.pdf` that is really a
ZIP is refused), at most 10 MiB each and 5 per activity, kept with their SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select

from dunmore.access import audit
from dunmore.access.permissions import Permission, customer_scope, require
from dunmore.access.values import User
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS, CUSTOMERS
from dunmore.store.db import ID_MAX, as_utc
from dunmore.workspace.codes import check_code
from dunmore.workspace.kinds import ATTACHMENT_MAX_BYTES, ActivityKind, Channel, CodeKind
from dunmore.workspace.models import ACTIVITIES, ACTIVITY_ATTACHMENTS

NOTE_MAX = 4000
CONTACT_MAX = 200
DURATION_MAX_MINUTES = 24 * 60
ATTACHMENTS_MAX = 5
FILENAME_MAX = 200
LATE_LOGGING = timedelta(days=366)  # a contact logged more than a year afterwards is a typo
CLOCK_SLACK = timedelta(minutes=1)  # the logging device's clock may run a little ahead
FOLLOW_UP_HORIZON = timedelta(days=366)
PAGE_MAX = 200


# What a file's first bytes must be, per type, and the file name endings each type may have.
MEDIA_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    "application/pdf": ((".pdf",), "pdf"),
    "image/png": ((".png",), "png"),
    "image/jpeg": ((".jpg", ".jpeg"), "jpeg"),
    "image/webp": ((".webp",), "webp"),
}


@dataclass(frozen=True)
class Upload:
    """A file as sent: its name and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class NewActivity:
    """What a person logs; `at` None is now, `contact` a contact's id or name, `duration_minutes`
    how long the call or visit took."""

    kind: ActivityKind
    channel: Channel | None = None
    contact: str | None = None
    outcome: str | None = None
    reason: str | None = None
    at: datetime | None = None
    duration_minutes: int | None = None
    follow_up_on: date | None = None
    note: str = ""
    attachments: Sequence[Upload] = ()


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ActivityView:
    id: int
    customer: str
    kind: str
    channel: str | None
    contact: str | None  # the contact's name
    outcome: str | None
    reason: str | None
    at: datetime
    duration_minutes: int | None
    follow_up_on: date | None
    note: str
    actor: str
    attachments: tuple[AttachmentView, ...]


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    sha256: str
    content: bytes


def customer_id_of(conn: Connection, *, user: User, code: str) -> int:
    """The row id of a customer the user reaches, else `NotFound` (the same for one out of reach)."""
    found = conn.execute(
        select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == code, customer_scope(user))
    ).scalar()
    if found is None:
        raise NotFound(
            _m(
                "no customer %(customer)s among the customers you can see: check the code in the list",
                customer=repr(code),
            )
        )
    return int(found)


def log_activity(
    conn: Connection, *, user: User, customer: str, new: NewActivity, now: datetime, today: date
) -> ActivityView:
    """Record a contact on a customer the user reaches (`today` is the business date, for the
    follow-up); checked whole before anything is written; audited."""
    require(user, Permission.CUSTOMER_ACT)
    customer_id = customer_id_of(conn, user=user, code=customer)
    at = _check_moment(new.at or now, now)
    _check_fields(conn, new, today)
    contact_id = _contact_id(conn, customer_id, new.contact)
    files = [_checked_file(upload) for upload in _bounded(new.attachments)]
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "contact_id": contact_id,
        "kind": new.kind.value,
        "channel": None if new.channel is None else new.channel.value,
        "outcome": new.outcome,
        "reason": new.reason,
        "at": at,
        "follow_up_on": new.follow_up_on,
        "note": new.note.strip(),
        "duration_seconds": None if new.duration_minutes is None else new.duration_minutes * 60,
        "actor": user.login,
        "created_at": now,
    }
    activity_id = int(conn.execute(insert(ACTIVITIES).values(row).returning(ACTIVITIES.c.id)).scalar_one())
    if files:
        conn.execute(insert(ACTIVITY_ATTACHMENTS), [_file_row(activity_id, f) for f in files])
    _audit(conn, user=user, customer=customer, activity_id=activity_id, row=row, files=files, now=now)
    return list_activities(conn, user=user, customer=customer, limit=1, before=activity_id + 1)[0]


def _audit(conn: Connection, *, user: User, customer: str, activity_id: int, row: dict[str, Any],
           files: list[Attachment], now: datetime) -> None:  # fmt: skip
    names = ("kind", "channel", "outcome", "reason", "follow_up_on", "contact_id", "at")
    after: dict[str, Any] = {"activity": activity_id}
    after |= {k: (row[k].isoformat() if isinstance(row[k], date) else row[k]) for k in names}
    after["attachments"] = [{"filename": f.filename, "sha256": f.sha256} for f in files]
    audit.record(conn, at=now, actor=user.login, action="activity.add", object=f"customer:{customer}",
                 after=after)  # fmt: skip


def _check_moment(at: datetime, now: datetime) -> datetime:
    if at.tzinfo is None:
        raise BadArgument(_m("the moment of a contact needs its timezone, e.g. 2026-03-10T09:30+08:00"))
    if at > now + CLOCK_SLACK:
        raise BadArgument(
            _m("a contact is logged when it has happened: %(at)s is in the future", at=at.isoformat())
        )
    if at < now - LATE_LOGGING:
        raise BadArgument(
            _m(
                "a contact is logged within a year of it: %(at)s is more than a year ago, check the year",
                at=at.isoformat(),
            )
        )
    return at.astimezone(now.tzinfo)


def _check_fields(conn: Connection, new: NewActivity, today: date) -> None:
    if new.outcome is not None:
        check_code(conn, CodeKind.OUTCOME, new.outcome)
    if new.reason is not None:
        check_code(conn, CodeKind.REASON, new.reason)
    if len(new.note) > NOTE_MAX:
        raise BadArgument(
            _m(
                "a note holds at most %(most)s characters, not %(length)s",
                most=NOTE_MAX,
                length=len(new.note),
            )
        )
    if new.duration_minutes is not None and not 0 <= new.duration_minutes <= DURATION_MAX_MINUTES:
        raise BadArgument(
            _m(
                "a duration is 0 to %(most)s minutes, not %(minutes)s",
                most=DURATION_MAX_MINUTES,
                minutes=new.duration_minutes,
            )
        )
    _check_follow_up(new, today)


def _check_follow_up(new: NewActivity, today: date) -> None:
    if new.follow_up_on is None:
        if new.outcome == "call_back":
            raise BadArgument(_m("the outcome call_back needs the date to call back (--follow-up)"))
        return
    if not today <= new.follow_up_on <= today + FOLLOW_UP_HORIZON:
        raise BadArgument(
            _m(
                "a follow-up date is from today %(today)s to a year on, not %(day)s",
                today=today.isoformat(),
                day=new.follow_up_on.isoformat(),
            )
        )


def _contact_id(conn: Connection, customer_id: int, contact: str | None) -> int | None:
    """One of the customer's contacts, by id or by name (case ignored), else `NotFound`."""
    if contact is None or not contact.strip():
        return None
    k = CONTACTS.c
    wanted = contact.strip()[:CONTACT_MAX]
    by_id = k.id == int(wanted) if wanted.isdigit() and int(wanted) <= ID_MAX else None
    by_name = func.lower(k.name) == wanted.lower()
    match = by_name if by_id is None else (by_id | by_name)
    found = conn.execute(select(k.id).where(k.customer_id == customer_id, match).order_by(k.id)).scalars()
    ids = list(found)
    if not ids:
        raise NotFound(
            _m("the customer has no contact %(contact)s: give a contact's name or id", contact=repr(wanted))
        )
    return int(ids[0])


def _bounded(uploads: Sequence[Upload]) -> Sequence[Upload]:
    if len(uploads) > ATTACHMENTS_MAX:
        raise BadArgument(
            _m("at most %(most)s files per contact, not %(count)s", most=ATTACHMENTS_MAX, count=len(uploads))
        )
    return uploads


def media_type_of(content: bytes) -> str | None:
    """The type a file's first bytes say it is, among the four kept; None for any other."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def _safe_name(filename: str) -> str:
    """The last part of a path, without control characters, at most FILENAME_MAX characters."""
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-FILENAME_MAX:] or "file"


def _checked_file(upload: Upload) -> Attachment:
    name = _safe_name(upload.filename)
    size = len(upload.content)
    if not 0 < size <= ATTACHMENT_MAX_BYTES:
        raise BadArgument(
            _m("%(file)s: a file holds 1 byte to 10 MiB, not %(size)s bytes", file=name, size=size)
        )
    media_type = media_type_of(upload.content)
    endings = MEDIA_TYPES[media_type][0] if media_type else ()
    if media_type is None or ("." in name and not name.lower().endswith(endings)):
        raise BadArgument(
            _m(
                "%(file)s: only PDF, PNG, JPEG and WebP files are kept, told by their content and "
                "named for it",
                file=name,
            )
        )
    return Attachment(name, media_type, hashlib.sha256(upload.content).hexdigest(), upload.content)


def _file_row(activity_id: int, file: Attachment) -> dict[str, object]:
    return {
        "activity_id": activity_id,
        "filename": file.filename,
        "media_type": file.media_type,
        "size": len(file.content),
        "sha256": file.sha256,
        "content": file.content,
    }


def list_activities(
    conn: Connection, *, user: User, customer: str, limit: int = 50, before: int | None = None
) -> list[ActivityView]:
    """The customer's activities, newest logged first (`before`: ids below it), with attachments."""
    require(user, Permission.LEDGER_READ)
    customer_id = customer_id_of(conn, user=user, code=customer)
    a = ACTIVITIES.c
    query = (
        select(ACTIVITIES, CONTACTS.c.name.label("contact_name"))
        .select_from(ACTIVITIES.outerjoin(CONTACTS, CONTACTS.c.id == a.contact_id))
        .where(a.customer_id == customer_id)
    )
    if before is not None:
        query = query.where(a.id < before)
    rows = conn.execute(query.order_by(a.id.desc()).limit(max(1, min(limit, PAGE_MAX)))).all()
    files = attachments_of(conn, [r.id for r in rows])
    return [_view(customer, r, files[r.id]) for r in rows]


def attachments_of(conn: Connection, activity_ids: Sequence[int]) -> dict[int, list[AttachmentView]]:
    """The attachments (without their bytes) of each activity, by activity id."""
    t = ACTIVITY_ATTACHMENTS.c
    found: dict[int, list[AttachmentView]] = defaultdict(list)
    if not activity_ids:
        return found
    query = select(t.activity_id, t.id, t.filename, t.media_type, t.size, t.sha256)
    for r in conn.execute(query.where(t.activity_id.in_(activity_ids)).order_by(t.id)):
        found[r.activity_id].append(AttachmentView(r.id, r.filename, r.media_type, r.size, r.sha256))
    return found


def _view(customer: str, r: object, files: list[AttachmentView]) -> ActivityView:
    row = r._mapping  # type: ignore[attr-defined]
    seconds = row["duration_seconds"]
    return ActivityView(
        id=row["id"],
        customer=customer,
        kind=row["kind"],
        channel=row["channel"],
        contact=row["contact_name"],
        outcome=row["outcome"],
        reason=row["reason"],
        at=as_utc(row["at"]),
        duration_minutes=None if seconds is None else seconds // 60,
        follow_up_on=row["follow_up_on"],
        note=row["note"],
        actor=row["actor"],
        attachments=tuple(files),
    )


def get_attachment(conn: Connection, *, user: User, customer: str, attachment_id: int) -> Attachment:
    """One attachment of an activity of a customer the user reaches, with its bytes."""
    require(user, Permission.LEDGER_READ)
    customer_id = customer_id_of(conn, user=user, code=customer)
    t, a = ACTIVITY_ATTACHMENTS.c, ACTIVITIES.c
    row = conn.execute(
        select(t.filename, t.media_type, t.sha256, t.content)
        .join(ACTIVITIES, a.id == t.activity_id)
        .where(t.id == attachment_id, a.customer_id == customer_id)
    ).first()
    if row is None:
        raise NotFound(_m("no attachment %(id)s on this customer's contacts", id=attachment_id))
    return Attachment(row.filename, row.media_type, row.sha256, bytes(row.content))


@dataclass(frozen=True)
class LatestReason:
    reason: str
    at: datetime
    actor: str


def latest_reason(conn: Connection, *, customer_id: int) -> LatestReason | None:
    """The overdue reason the customer gave last (by when it was said), if any: the page shows it
    near the top, and it stays as data for the analytics."""
    a = ACTIVITIES.c
    row = conn.execute(
        select(a.reason, a.at, a.actor)
        .where(a.customer_id == customer_id, a.reason.is_not(None))
        .order_by(a.at.desc(), a.id.desc())
        .limit(1)
    ).first()
    return None if row is None else LatestReason(row.reason, as_utc(row.at), row.actor)


def contact_names(conn: Connection, *, customer_id: int) -> list[str]:
    """The names of the customer's contacts, primary first: what the form offers."""
    k = CONTACTS.c
    query = select(k.name).where(k.customer_id == customer_id, k.name.is_not(None))
    names = conn.execute(query.order_by(k.is_primary.desc(), k.id).limit(100)).scalars()
    return [str(name) for name in names]
