"""What the customer sees and does in the portal: their open items, their notices, how to pay, and
the binding actions — dispute an item, promise to pay, ask for an instalment plan.

Every action is done through the workspace's own service (`open_dispute`, `promises.add`,
`plans.add`) as the actor `portal:<customer>`, spending a one-time code verified before (a spent
one refuses the action), and only on
the customer the link grants: an invoice of another customer is not found. A promise outside the
policy's limits is not refused: it becomes a request the collector sees (a note on the customer's
timeline and an alert), as does every action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from dunmore.access.values import Language, Role, User
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.portal import codes
from dunmore.portal.links import Access
from dunmore.run.models import NOTICES, RUNS
from dunmore.settings import Settings
from dunmore.workspace import activities, plans, promises
from dunmore.workspace.alerts import raise_alert
from dunmore.workspace.disputes import REASONS, open_dispute
from dunmore.workspace.kinds import ActivityKind, Channel

UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # a phone photo or a scan; the workspace keeps up to 10 MiB
COMMENT_MAX = 1000
SHOWN_NOTICES = ("approved", "sent", "delivered", "committed")


@dataclass(frozen=True)
class OpenItem:
    invoice: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    open_minor: int
    disputed_minor: int


@dataclass(frozen=True)
class NoticeRef:
    id: int
    as_of: date
    currency: str


@dataclass(frozen=True)
class Overview:
    """The portal's page: the customer, their open items and notices, how to pay."""

    access: Access
    items: tuple[OpenItem, ...]
    notices: tuple[NoticeRef, ...]
    payment_instructions: tuple[str, ...]
    pay_url: str | None


def actor(access: Access, now: datetime) -> User:
    """The customer as the workspace's services see them: acting on their own customer only (the
    portal never passes another), under the policy's limits the portal checks itself."""
    language = access.language if access.language in {lang.value for lang in Language} else "zh-CN"
    return User(0, access.actor, Role.MANAGER, Language(language), frozenset(), False, now)


def open_items(conn: Connection, access: Access) -> tuple[OpenItem, ...]:
    i = INVOICES.c
    rows = conn.execute(
        select(
            i.external_id,
            i.issue_date,
            i.due_date,
            i.currency,
            i.amount_minor,
            i.open_minor,
            i.disputed_minor,
        )
        .where(i.customer_id == access.customer_id, i.open_minor > 0)
        .order_by(i.due_date, i.external_id)
        .limit(500)
    ).all()
    return tuple(OpenItem(*row) for row in rows)


def notices_of(conn: Connection, access: Access) -> tuple[NoticeRef, ...]:
    n = NOTICES.c
    query = (
        select(n.id, n.as_of, n.currency)
        .join(RUNS, RUNS.c.id == n.run_id)
        .where(
            n.customer_id == access.customer_id,
            RUNS.c.status == "committed",
            n.status.not_in(("pending_approval", "rejected")),
        )
        .order_by(n.id.desc())
        .limit(50)
    )
    return tuple(NoticeRef(*row) for row in conn.execute(query).all())


def overview(conn: Connection, *, access: Access, settings: Settings) -> Overview:
    return Overview(
        access,
        open_items(conn, access),
        notices_of(conn, access),
        tuple(settings.creditor.payment_instructions),
        settings.creditor.pay_url,
    )


def notice_message(conn: Connection, *, access: Access, notice_id: int, settings: Settings) -> Any:
    """The rendered notice (`letter_html`, `html`) of one of the customer's own notices."""
    from dunmore.delivery.notice_view import load_notices
    from dunmore.delivery.render import Templates

    if notice_id not in {ref.id for ref in notices_of(conn, access)}:
        raise NotFound(_m("no such notice"))
    stored = load_notices(conn, [notice_id], settings)[notice_id]
    return Templates(settings.delivery.templates_dir).render(stored.template, stored.view)


def _own_invoice(conn: Connection, access: Access, invoice: str) -> Any:
    i = INVOICES.c
    row = conn.execute(
        select(i.id, i.currency, i.open_minor, i.disputed_minor).where(
            i.external_id == invoice, i.customer_id == access.customer_id
        )
    ).first()
    if row is None:
        raise NotFound(_m("no such invoice among your open items"))
    return row


def checked_upload(filename: str, content: bytes) -> activities.Upload:
    """A file the customer attaches: PDF or image told by its content, at most 5 MiB."""
    if not 0 < len(content) <= UPLOAD_MAX_BYTES:
        raise BadArgument(_m("the file must be between 1 byte and 5 MB"), code="upload_size")
    if activities.media_type_of(content) is None:
        raise BadArgument(_m("only PDF, PNG, JPEG or WebP files are accepted"), code="upload_type")
    return activities.Upload(filename, content)


def note(
    conn: Connection,
    access: Access,
    *,
    note: str,
    now: datetime,
    today: date,
    upload: activities.Upload | None = None,
    follow_up: bool = False,
) -> None:
    """The customer's action as a note on their timeline; with `follow_up`, a request a collector
    must answer: due today, it puts the customer first on the owner's worklist (follow-ups due)."""
    new = activities.NewActivity(
        kind=ActivityKind.NOTE,
        channel=Channel.OTHER,
        note=note[: activities.NOTE_MAX],
        attachments=(upload,) if upload else (),
        follow_up_on=today if follow_up else None,
    )
    activities.log_activity(
        conn, user=actor(access, now), customer=access.customer, new=new, now=now, today=today
    )


def alert(conn: Connection, access: Access, what: str, ref: str, now: datetime, **params: Any) -> None:
    raise_alert(
        conn,
        kind="portal_request",
        key=f"portal:{what}:{ref}",
        customer_id=access.customer_id,
        params={"what": what, **params},
        at=now,
    )


def dispute(
    conn: Connection,
    *,
    access: Access,
    code_id: int,
    invoice: str,
    amount: Decimal,
    reason: str,
    comment: str,
    upload: activities.Upload | None,
    now: datetime,
    today: date,
) -> int:
    """Dispute `amount` of one of the customer's invoices after the code checks; the dispute's id."""
    codes.spend(conn, code_id=code_id, now=now)
    _own_invoice(conn, access, invoice)
    if reason not in REASONS:
        raise BadArgument(_m("choose a reason"), code="reason")
    comment = comment.strip()[:COMMENT_MAX]
    opened = open_dispute(
        conn, invoice=invoice, amount=amount, reason=reason, note=comment, now=now, actor=access.actor
    )
    note(
        conn,
        access,
        note=f"[portal] dispute {opened.dispute_id} of {invoice} ({reason}): {comment}",
        now=now,
        today=today,
        upload=upload,
    )
    return opened.dispute_id


def promise(
    conn: Connection,
    *,
    access: Access,
    code_id: int,
    amount: Decimal,
    by: date,
    currency: str | None,
    now: datetime,
    today: date,
) -> int | None:
    """Promise `amount` by `by`: recorded when within the policy's limits (the promise's id), else a
    request for the collector (None)."""
    codes.spend(conn, code_id=code_id, now=now)
    if amount <= 0:
        raise BadArgument(_m("give an amount above zero"), code="amount")
    row = conn.execute(
        select(CUSTOMERS.c.grade, CUSTOMERS.c.tags).where(CUSTOMERS.c.id == access.customer_id)
    ).one()
    limits = promises.limits_of(conn, row.grade, row.tags or "")
    within = today <= by <= today + timedelta(days=limits.max_days_out) and (
        promises.broken_recently(conn, access.customer_id, today) < limits.max_broken
    )
    made: int | None = None
    if within:
        made = promises.add(
            conn,
            user=actor(access, now),
            customer=access.customer,
            amount=amount,
            by=by,
            today=today,
            now=now,
            currency=currency,
        ).id
    else:
        note(
            conn,
            access,
            note=f"[portal] asks to pay {amount} {currency or ''} by {by.isoformat()} "
            "(outside the policy's promise limits: a collector decides)",
            now=now,
            today=today,
            follow_up=True,
        )
    alert(conn, access, "promise", str(made or code_id), now, amount=str(amount), due_on=by.isoformat())
    return made


def ask_plan(
    conn: Connection,
    *,
    access: Access,
    code_id: int,
    instalments: int,
    first: date,
    currency: str | None,
    country: str,
    now: datetime,
    today: date,
) -> int:
    """Ask for `instalments` monthly instalments from `first` over every open invoice: a plan with
    status "proposed" that a collector accepts or refuses; its id."""
    codes.spend(conn, code_id=code_id, now=now)
    if not 2 <= instalments <= 24:
        raise BadArgument(_m("choose 2 to 24 instalments"), code="instalments")
    plan = plans.add(
        conn,
        user=actor(access, now),
        customer=access.customer,
        today=today,
        now=now,
        country=country,
        instalments=instalments,
        first=first,
        currency=currency,
        proposed=True,
        note="asked for in the portal",
    )
    note(
        conn,
        access,
        now=now,
        today=today,
        note=f"[portal] asks for {instalments} instalments from {first.isoformat()} (plan {plan.id})",
        follow_up=True,
    )
    alert(conn, access, "plan", str(plan.id), now, plan=plan.id)
    return plan.id
