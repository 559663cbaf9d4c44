"""The customer page's story: the "log a contact" form, the latest overdue reason, the timeline with
its filter and its exports, and the evidence files. Parse → call `dunmore.workspace` → render.

The form posts multipart (files), CSRF-checked like every form. With htmx the answer is the section
again (the new contact on the timeline, or the refusal beside the form, the fields kept); without,
a redirect back to the page (a refusal is the error page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from dunmore.access.values import User
from dunmore.errors import BadArgument
from dunmore.i18n import Text, _m
from dunmore.store.db import ID_MAX
from dunmore.web.auth import Conn, PageUser, Site
from dunmore.web.uploads import read_uploads
from dunmore.workspace import activities, playbook, timeline_export
from dunmore.workspace.activities import ATTACHMENTS_MAX, NOTE_MAX
from dunmore.workspace.codes import RECORD_NEXT, labels_of, list_codes
from dunmore.workspace.kinds import ActivityKind, Channel, CodeKind
from dunmore.workspace.timeline import KINDS, SOURCES, Filter, timeline, whole_timeline

router = APIRouter()
PAGE = 30
Code = Annotated[str, Path(min_length=1, max_length=64)]
Kinds = Annotated[list[str], Query(max_length=len(KINDS))]
Since = Annotated[date | None, Query(alias="from", ge=date(1900, 1, 1), le=date(2999, 12, 31))]
Until = Annotated[date | None, Query(alias="to", ge=date(1900, 1, 1), le=date(2999, 12, 31))]
After = Annotated[str | None, Query(max_length=100)]
# The form each `codes.RECORD_NEXT` record is made in.
NEXT_FORMS = {"promise": "/customers/{code}/promises#new-promise", "dispute": "/customers/{code}#new-dispute"}


@dataclass(frozen=True)
class Wanted:
    """The timeline's filter as the page's query carries it."""

    kind: list[str]
    since: date | None
    until: date | None
    after: str | None = None

    def filter(self) -> Filter:
        return Filter(frozenset(k for k in self.kind if k), self.since, self.until)

    def query(self, **more: object) -> str:
        values: dict[str, Any] = {"kind": [k for k in self.kind if k]}
        values |= {"from": self.since or "", "to": self.until or ""} | more
        return urlencode({k: v for k, v in values.items() if v not in ("", None, [])}, doseq=True)


def section(conn: Connection, *, user: User, code: str, language: str, wanted: Wanted,
            **more: Any) -> dict[str, Any]:  # fmt: skip
    """What `customer_activities.html` shows: the form's choices, the latest reason, a timeline page."""
    customer_id = activities.customer_id_of(conn, user=user, code=code)
    page = timeline(conn, user=user, customer=code, which=wanted.filter(), after=wanted.after, limit=PAGE)
    labels = labels_of(conn, language)
    return {
        "code": code,
        "outcomes": list_codes(conn, kind=CodeKind.OUTCOME, active_only=True),
        "reasons": list_codes(conn, kind=CodeKind.REASON, active_only=True),
        "activity_kinds": list(ActivityKind),
        "activity_channels": list(Channel),
        "latest_reason": activities.latest_reason(conn, customer_id=customer_id),
        "call_playbook": playbook.for_call(conn, user=user, customer=code, language=language),
        "contact_names": activities.contact_names(conn, customer_id=customer_id),
        "dated_sources": {name for name, source in SOURCES.items() if source.dated},
        "code_labels": labels,
        "timeline": page,
        "event_kinds": list(KINDS),
        "event_name": lambda kind: timeline_export.event_name(kind, language),
        "wanted": wanted,
        "describe": lambda event: timeline_export.describe(event, language, labels),
        "amount_of": timeline_export.amount_of,
        "note_max": NOTE_MAX,
        "files_max": ATTACHMENTS_MAX,
        "fields": {},
        "logged": None,
        "record_next": None,
        "next_forms": {name: path.format(code=quote(code, safe="")) for name, path in NEXT_FORMS.items()},
        "error": None,
    } | more


@router.post("/customers/{code}/activities", response_model=None)
async def log_contact(
    request: Request,
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    kind: Annotated[ActivityKind, Form()],
    channel: Annotated[str, Form(max_length=20)] = "",
    contact: Annotated[str, Form(max_length=200)] = "",
    outcome: Annotated[str, Form(max_length=30)] = "",
    reason: Annotated[str, Form(max_length=30)] = "",
    follow_up: Annotated[date | None, Form(ge=date(1900, 1, 1), le=date(2999, 12, 31))] = None,
    duration: Annotated[int | None, Form(ge=0, le=24 * 60)] = None,
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
    files: Annotated[list[UploadFile], File(max_length=ATTACHMENTS_MAX + 1)] = [],  # noqa: B006 - FastAPI reads, never mutates
) -> Response:
    """Log a contact now; the business date bounds the follow-up."""
    language = user.language.value
    fields: dict[str, object] = {
        "kind": kind.value,
        "channel": channel,
        "contact": contact,
        "outcome": outcome,
    }
    fields |= {"reason": reason, "follow_up": follow_up or "", "duration": duration or "", "note": note}
    try:
        new = activities.NewActivity(
            kind=kind,
            channel=_channel(channel),
            contact=contact or None,
            outcome=outcome or None,
            reason=reason or None,
            duration_minutes=duration,
            follow_up_on=follow_up,
            note=note,
            attachments=await read_uploads(files, most=ATTACHMENTS_MAX, too_many=_too_many),
        )
        logged = activities.log_activity(
            conn, user=user, customer=code, new=new, now=site.now(), today=site.today()
        )
    except BadArgument as exc:
        if request.headers.get("hx-request") != "true":
            raise
        return _section(request, site, conn, user, code, error=exc.render(language), fields=fields)
    record_next = RECORD_NEXT.get(outcome)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(_next_form(code, record_next), status_code=303)
    return _section(request, site, conn, user, code, logged=logged.id, fields={}, record_next=record_next)


def _next_form(code: str, record_next: str | None) -> str:
    """Where the page goes after a contact: the form its outcome asks for, else the story."""
    if record_next is not None:
        return NEXT_FORMS[record_next].format(code=quote(code, safe=""))
    return f"/customers/{quote(code)}#activities"


def _channel(text: str) -> Channel | None:
    if not text:
        return None
    try:
        return Channel(text)
    except ValueError as exc:
        raise BadArgument(_m("no channel %(channel)s", channel=repr(text[:20]))) from exc


def _too_many(count: int) -> Text:
    return _m("at most %(most)s files per contact, not %(count)s", most=ATTACHMENTS_MAX, count=count)


def _section(
    request: Request, site: Site, conn: Connection, user: User, code: str, **more: Any
) -> HTMLResponse:
    language = user.language.value
    wanted = Wanted([], None, None)
    values = section(conn, user=user, code=code, language=language, wanted=wanted, **more)
    return site.templates.render(request, "customer_activities.html", language=language, user=user,
                                 zone=site.settings.timezone, **values)  # fmt: skip


@router.get("/customers/{code}/timeline.csv")
def timeline_csv(
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    kind: Kinds = [],  # noqa: B006 - FastAPI reads, never mutates
    since: Since = None,
    until: Until = None,
) -> Response:
    """The filtered timeline as CSV (UTF-8 with BOM, for Excel)."""
    events, labels, language = _export(conn, user, code, Wanted(kind, since, until))
    data = timeline_export.csv_bytes(events, language, labels, site.settings.timezone)
    return _download(data, "text/csv; charset=utf-8", f"timeline-{code}.csv")


@router.get("/customers/{code}/timeline.pdf")
def timeline_pdf(
    site: Site,
    conn: Conn,
    user: PageUser,
    code: Code,
    kind: Kinds = [],  # noqa: B006 - FastAPI reads, never mutates
    since: Since = None,
    until: Until = None,
) -> Response:
    """The filtered timeline as a PDF table."""
    events, labels, language = _export(conn, user, code, Wanted(kind, since, until))
    title = _m("Timeline of %(customer)s", customer=code).render(language)
    data = timeline_export.pdf_bytes(events, language, labels, site.settings.timezone, title=title)
    return _download(data, "application/pdf", f"timeline-{code}.pdf")


def _export(conn: Connection, user: User, code: str, wanted: Wanted) -> tuple[list[Any], Any, str]:
    language = user.language.value
    events = whole_timeline(conn, user=user, customer=code, which=wanted.filter())
    return events, labels_of(conn, language), language


def _download(data: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/customers/{code}/attachments/{attachment_id}")
def attachment(
    conn: Conn, user: PageUser, code: Code, attachment_id: Annotated[int, Path(ge=1, le=ID_MAX)]
) -> Response:
    """An evidence file, as the type its content was checked to be; always downloaded, never shown
    inline, and named with its SHA-256 in a header for checking."""
    found = activities.get_attachment(conn, user=user, customer=code, attachment_id=attachment_id)
    response = _download(found.content, found.media_type, found.filename)
    response.headers["X-Content-SHA256"] = found.sha256
    return response
