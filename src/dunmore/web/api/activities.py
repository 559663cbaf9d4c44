"""API of the customer's story: log and list contacts, read the timeline, the outcome and reason
codes (an admin adds and disables them). The same services as the pages and the CLI
(`dunmore.workspace`): a customer outside the token user's reach is 404.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.errors import BadArgument
from dunmore.i18n import _m
from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace import activities, codes
from dunmore.workspace.activities import ATTACHMENTS_MAX, NOTE_MAX, PAGE_MAX
from dunmore.workspace.kinds import ATTACHMENT_MAX_BYTES, ActivityKind, Channel, CodeKind
from dunmore.workspace.timeline import KINDS, Filter, timeline
from dunmore.workspace.timeline import PAGE_MAX as TIMELINE_MAX

router = APIRouter()
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN
NOT_FOUND: errors.Responses = {
    404: errors.NOT_FOUND[404] | {"description": "No such customer among those the token's user can see."}
}
CustomerCode = Annotated[str, Path(min_length=1, max_length=64, description="The customer's code.")]
BASE64_MAX = (ATTACHMENT_MAX_BYTES + 2) // 3 * 4


class FileIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(max_length=BASE64_MAX, description="The file's bytes, base64; ≤ 10 MiB.")


class ActivityIn(BaseModel):
    kind: ActivityKind
    channel: Channel | None = None
    contact: str | None = Field(
        None, max_length=200, description="One of the customer's contacts: id or name."
    )
    outcome: str | None = Field(None, max_length=30, description="An active outcome code (GET /codes).")
    reason: str | None = Field(None, max_length=30, description="An active overdue-reason code.")
    at: datetime | None = Field(None, description="When it happened, with its offset; default now.")
    duration_minutes: int | None = Field(None, ge=0, le=activities.DURATION_MAX_MINUTES)
    follow_up_on: date | None = Field(
        None, description="When to come back (today to a year on); needed for the outcome call_back."
    )
    note: str = Field("", max_length=NOTE_MAX)
    attachments: list[FileIn] = Field([], max_length=ATTACHMENTS_MAX, description="PDF, PNG, JPEG or WebP.")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


class Activity(BaseModel):
    id: int
    customer: str
    kind: str
    channel: str | None
    contact: str | None = Field(description="The contact's name.")
    outcome: str | None
    reason: str | None
    at: datetime
    duration_minutes: int | None
    follow_up_on: date | None
    note: str
    actor: str
    attachments: list[AttachmentOut]


class ActivityList(BaseModel):
    rows: list[Activity]


class Event(BaseModel):
    at: datetime = Field(description="When; events known by their date stand at midnight UTC.")
    kind: str = Field(description=", ".join(KINDS))
    source: str = Field(description="The table the event comes from; `ref` is its row id.")
    ref: int
    what: str | None
    status: str | None
    reason: str | None
    channel: str | None
    on: date | None
    amount_minor: int | None
    currency: str | None
    actor: str | None
    note: str | None
    attachments: list[AttachmentOut]


class TimelinePage(BaseModel):
    events: list[Event]
    next: str | None = Field(description="Pass as `after` for the next (older) page; null on the last.")


class CodeOut(BaseModel):
    kind: str
    code: str
    labels: dict[str, str] = Field(description="The label in zh-CN, zh-TW and en.")
    active: bool
    built_in: bool


class CodeIn(BaseModel):
    kind: CodeKind
    code: str = Field(min_length=2, max_length=30, pattern=r"^[a-z][a-z0-9_]{1,29}$")
    zh_cn: str = Field(min_length=1, max_length=codes.LABEL_MAX)
    zh_tw: str = Field(min_length=1, max_length=codes.LABEL_MAX)
    en: str = Field(min_length=1, max_length=codes.LABEL_MAX)


def _activity(found: activities.ActivityView) -> Activity:
    files = [AttachmentOut(**vars(f)) for f in found.attachments]
    return Activity(**(vars(found) | {"attachments": files}))


def _decoded(file: FileIn) -> activities.Upload:
    try:
        return activities.Upload(file.filename, base64.b64decode(file.content_base64, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise BadArgument(_m("%(file)s: content_base64 is not base64", file=file.filename)) from exc


@router.post("/customers/{code}/activities", response_model=Activity, status_code=201,
             responses=REFUSED | NOT_FOUND, tags=["workspace"])  # fmt: skip
def log_activity(site: Site, conn: Conn, user: ApiUser, code: CustomerCode, body: ActivityIn) -> Activity:
    """Log a contact with the customer: outcome, reason given, follow-up date, evidence files."""
    new = activities.NewActivity(
        kind=body.kind, channel=body.channel, contact=body.contact, outcome=body.outcome, reason=body.reason,
        at=body.at, duration_minutes=body.duration_minutes, follow_up_on=body.follow_up_on, note=body.note,
        attachments=[_decoded(f) for f in body.attachments],
    )  # fmt: skip
    logged = activities.log_activity(
        conn, user=user, customer=code, new=new, now=site.now(), today=site.today()
    )
    return _activity(logged)


@router.get("/customers/{code}/activities", response_model=ActivityList, responses=REFUSED | NOT_FOUND,
            tags=["workspace"])  # fmt: skip
def list_activities(
    conn: Conn,
    user: ApiUser,
    code: CustomerCode,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX, description="Only contacts of lower ids.")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> ActivityList:
    """The customer's contacts, newest logged first."""
    found = activities.list_activities(conn, user=user, customer=code, limit=limit, before=before)
    return ActivityList(rows=[_activity(a) for a in found])


@router.get("/customers/{code}/timeline", response_model=TimelinePage, responses=REFUSED | NOT_FOUND,
            tags=["workspace"])  # fmt: skip
def customer_timeline(
    conn: Conn,
    user: ApiUser,
    code: CustomerCode,
    kind: Annotated[list[str], Query(max_length=len(KINDS), description=", ".join(KINDS))] = [],  # noqa: B006 - FastAPI reads, never mutates
    since: Annotated[date | None, Query(alias="from", description="From this date (UTC), 1900-2999.")] = None,
    until: Annotated[date | None, Query(alias="to", description="To this date, included.")] = None,
    after: Annotated[str | None, Query(max_length=100, description="`next` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=TIMELINE_MAX)] = 50,
) -> TimelinePage:
    """The customer's timeline, newest first: notices, deliveries, contacts, payments and credit
    notes, promises, disputes, holds and changes, tasks."""
    which = Filter(frozenset(kind), since, until)
    page = timeline(conn, user=user, customer=code, which=which, after=after, limit=limit)
    events = [
        Event(
            **(vars(e) | {"kind": e.kind, "attachments": [AttachmentOut(**vars(f)) for f in e.attachments]})
        )
        for e in page.events
    ]
    return TimelinePage(events=events, next=page.next_cursor)


@router.get("/codes", response_model=list[CodeOut], tags=["workspace"])
def list_codes(conn: Conn, user: ApiUser) -> list[CodeOut]:
    """The outcome and overdue-reason codes, built-in first, with their labels."""
    return [CodeOut(**(vars(c) | {"labels": dict(c.labels)})) for c in codes.list_codes(conn)]


@router.post("/codes", response_model=CodeOut, status_code=201, responses=REFUSED, tags=["workspace"])
def add_code(site: Site, conn: Conn, user: ApiUser, body: CodeIn) -> CodeOut:
    """Add an outcome or reason code with its three labels (administrators)."""
    labels = {"zh-CN": body.zh_cn, "zh-TW": body.zh_tw, "en": body.en}
    added = codes.add_code(conn, user=user, kind=body.kind, code=body.code, labels=labels, now=site.now())
    return CodeOut(**(vars(added) | {"labels": dict(added.labels)}))
