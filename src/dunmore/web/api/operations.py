"""API of operations: deliveries and their retry, policy versions, the audit log.

The same services as the pages and the CLI (`delivery.browse`, `run.policies`, `access.audit`): a
delivery outside the token user's customers is 404, a route the role may not use is 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.access import audit
from dunmore.delivery import browse
from dunmore.run import policies
from dunmore.store.db import ID_MAX
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site

router = APIRouter()
NO_DELIVERY: errors.Responses = {
    404: errors.NOT_FOUND[404]
    | {"description": "No such delivery among the customers the token's user can see."}
}
NO_VERSION: errors.Responses = {404: errors.NOT_FOUND[404] | {"description": "No such policy version."}}
Cursor = Annotated[int | None, Query(ge=1, le=ID_MAX, description="`next` of the page before.")]
# Audit ids are BigInteger (the log outgrows an integer); any cursor up to 2**62 is looked up.
AuditCursor = Annotated[int | None, Query(ge=1, le=2**62, description="`next` of the page before.")]
Limit = Annotated[int, Query(ge=1, le=browse.PAGE_MAX)]
AuditFilter = Annotated[str, Query(max_length=audit.FILTER_MAX)]
DeliveryId = Annotated[int, Path(ge=1, le=ID_MAX, description="The delivery's id.")]
Version = Annotated[int, Path(ge=1, le=ID_MAX, description="The policy version's number.")]


class Delivery(BaseModel):
    id: int
    notice_id: int
    customer: str = Field(description="The customer's code (its id in the ERP).")
    customer_name: str
    step: str = Field(description="The policy step of the notice.")
    channel: str
    status: str = Field(description="pending, sending, sent, failed, dead or cancelled.")
    provider_status: str | None = Field(description="The SMS gateway's last status: delivered, failed…")
    attempts: int
    recipient: str | None = Field(description="Masked in lists: `a•••@example.com`, `+861••••••8000`.")
    message_id: str | None = Field(description="The idempotency key sent along.")
    provider_id: str | None = Field(description="The gateway's message id.")
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    dead_letter: bool = Field(description="Failed or dead: may be retried.")


class DeliveryPage(BaseModel):
    rows: list[Delivery]
    next: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


class DeliveryEvent(BaseModel):
    at: datetime
    attempt: int
    outcome: str = Field(description="claimed, sent, transient, permanent, deferred, cancelled, retried…")
    reason: str | None
    detail: str | None


class DeliveryProof(BaseModel):
    delivery: Delivery
    recipient: str | None = Field(description="In full.")
    language: str | None
    reply: str | None = Field(description="The receiving side's answer.")
    print_batch: str | None
    tracking_number: str | None
    content_sha256: str | None
    events: list[DeliveryEvent]


class Retried(BaseModel):
    retried: int = Field(description="How many deliveries went back in the queue.")


class PolicyVersion(BaseModel):
    version: int
    fingerprint: str
    source: str
    loaded_at: datetime
    runs: int = Field(description="Runs that used this version.")
    current: bool = Field(description="The version the next run uses.")


class PolicyVersionPage(BaseModel):
    rows: list[PolicyVersion]
    next: int | None


class PolicyProblem(BaseModel):
    line: int
    path: str
    reason: str = Field(description="In English, as `dunmore policy check` writes it.")


class CurrencyGap(BaseModel):
    policy: str
    step: str | None = Field(description="The level whose fee lacks the currency; null: the minimum.")
    currency: str
    named_by: str = Field(description='"the policy set" or "the ledger".')
    message: str = Field(description="In English, as `dunmore policy check` writes it.")


class PolicyVersionDetail(BaseModel):
    version: PolicyVersion
    text: str = Field(description="The YAML as loaded.")
    valid: bool
    problems: list[PolicyProblem]
    currency_gaps: list[CurrencyGap]
    ledger_currencies: list[str]


class AuditRow(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object: str
    before: str | None = Field(description="Canonical JSON text.")
    after: str | None = Field(description="Canonical JSON text.")
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    rows: list[AuditRow]
    next: int | None = Field(description="Pass as `before` for the next (older) page; null on the last.")


def _delivery(row: browse.DeliveryRow) -> Delivery:
    return Delivery.model_validate(row, from_attributes=True)


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    responses=errors.BAD_REQUEST | errors.FORBIDDEN,
    tags=["deliveries"],
)
def deliveries(
    conn: Conn,
    user: ApiUser,
    status: browse.Shown = browse.Shown.ALL,
    channel: Annotated[str, Query(max_length=10, description="email, sms, letter, call, visit, task.")] = "",
    customer: Annotated[str, Query(max_length=browse.CODE_MAX, description="A customer's code.")] = "",
    after: Cursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """Deliveries to the user's customers, newest first (keyset by id)."""
    which = browse.Filter(shown=status, channel=channel, customer=customer)
    page = browse.list_deliveries(conn, user=user, which=which, after=after, limit=limit)
    return DeliveryPage(rows=[_delivery(r) for r in page.rows], next=page.next_cursor)


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryProof,
    responses=errors.FORBIDDEN | NO_DELIVERY,
    tags=["deliveries"],
)
def delivery(conn: Conn, user: ApiUser, delivery_id: DeliveryId) -> DeliveryProof:
    """One delivery with its proof and status history."""
    found = browse.get_delivery(conn, user=user, delivery_id=delivery_id)
    return DeliveryProof(
        delivery=_delivery(found.row),
        recipient=found.recipient,
        language=found.language,
        reply=found.reply,
        print_batch=found.print_batch,
        tracking_number=found.tracking_number,
        content_sha256=found.content_sha256,
        events=[DeliveryEvent.model_validate(e, from_attributes=True) for e in found.events],
    )


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=Retried,
    responses=errors.BAD_REQUEST | errors.FORBIDDEN | NO_DELIVERY,
    tags=["deliveries"],
)
def retry(site: Site, conn: Conn, user: ApiUser, delivery_id: DeliveryId) -> Retried:
    """Put a dead letter (failed or dead) back in the queue; audited as `delivery.retry`. 400 when
    the delivery is not a dead letter."""
    return Retried(retried=browse.retry(conn, user=user, ids=[delivery_id], now=site.now()))


@router.get("/policies", response_model=PolicyVersionPage, responses=errors.FORBIDDEN, tags=["policies"])
def policy_versions(conn: Conn, user: ApiUser, after: Cursor = None, limit: Limit = 50) -> PolicyVersionPage:
    """The policy versions loaded, newest first."""
    page = policies.list_versions(conn, user=user, after=after, limit=limit)
    rows = [PolicyVersion.model_validate(r, from_attributes=True) for r in page.rows]
    return PolicyVersionPage(rows=rows, next=page.next_cursor)


@router.get(
    "/policies/{version}",
    response_model=PolicyVersionDetail,
    responses=errors.FORBIDDEN | NO_VERSION,
    tags=["policies"],
)
def policy_version(conn: Conn, user: ApiUser, version: Version) -> PolicyVersionDetail:
    """One policy version's YAML with the checks of `dunmore policy check` (currency gaps against the
    policy set and the ledger's open items)."""
    found = policies.get_version(conn, user=user, version=version)
    return PolicyVersionDetail(
        version=PolicyVersion.model_validate(found.row, from_attributes=True),
        text=found.text,
        valid=not found.problems,
        problems=[PolicyProblem(line=p.line, path=p.path, reason=p.reason) for p in found.problems],
        currency_gaps=[
            CurrencyGap(
                policy=g.policy, step=g.step, currency=g.currency, named_by=g.named_by, message=str(g)
            )
            for g in found.gaps
        ],
        ledger_currencies=list(found.ledger_currencies),
    )


@router.get(
    "/audit", response_model=AuditPage, responses=errors.BAD_REQUEST | errors.FORBIDDEN, tags=["audit"]
)
def audit_log(
    conn: Conn,
    user: ApiUser,
    object: AuditFilter = "",
    actor: AuditFilter = "",
    action: AuditFilter = "",
    before: AuditCursor = None,
    limit: Limit = 50,
) -> AuditPage:
    """The audit log, newest first, filtered by object (e.g. `customer:C0001`), actor and action."""
    page = audit.browse(
        conn, user=user, object=object, actor=actor, action=action, before_id=before, limit=limit
    )
    rows = [AuditRow.model_validate(r, from_attributes=True) for r in page.rows]
    return AuditPage(rows=rows, next=page.next_cursor)
