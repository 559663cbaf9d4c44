"""Signed, expiring links that open the portal for one customer (and, later, one statement).

A link's token is signed with the web secret (itsdangerous); it says the customer's code, when it
was issued and until when it opens. Nothing is stored when a link is made, so every notice can carry
a fresh one; a revocation is stored (one link by its SHA-256, or every link of a customer issued
before a moment). Expiry is checked against the instant passed in, never the wall clock.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, insert, or_, select

from dunmore.access import audit
from dunmore.errors import BadArgument, ConfigError, DunmoreError, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.portal.models import PORTAL_REVOCATIONS
from dunmore.settings import Settings
from dunmore.store.meta import read_fact

SALT = "dunmore.portal.link"
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOKEN_MAX = 600
DEMO_SECRET_FACT = "web_secret_key"  # the one `web.auth.secret_key` keeps on the demo database
ANONYMOUS = "portal:anonymous"


class LinkRefused(DunmoreError):
    """A portal link that does not open: `code` says why (expired, revoked, tampered, locked)."""

    code = "link_refused"
    exit_code = 5


@dataclass(frozen=True)
class Access:
    """What a link that opens grants: one customer (and a statement, when the link names one)."""

    customer_id: int
    customer: str
    name: str
    language: str
    statement: int | None
    link_sha256: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """Who the audit log and the timeline say acted: the customer through the portal."""
        return f"portal:{self.customer}"


def signing_key(conn: Connection, settings: Settings) -> str | None:
    """The web secret (`DUNMORE_WEB__SECRET_KEY`, or the demo database's); None when there is none."""
    configured = settings.web.secret_key
    return configured.get_secret_value() if configured is not None else read_fact(conn, DEMO_SECRET_FACT)


def _serializer(key: str) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=SALT)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(conn: Connection, settings: Settings) -> str:
    key = signing_key(conn, settings)
    if key is None:
        raise ConfigError(
            _m("portal links are signed with DUNMORE_WEB__SECRET_KEY, which is not set: set it first")
        )
    return key


def _customer(conn: Connection, code: str) -> Any:
    c = CUSTOMERS.c
    row = conn.execute(select(c.id, c.external_id, c.name, c.language).where(c.external_id == code)).first()
    if row is None:
        raise NotFound(_m("no customer %(customer)s: check the customer code", customer=repr(code)))
    return row


def sign_token(
    key: str, *, customer: str, issued: datetime, days: int, statement: int | None = None, nonce: str = ""
) -> str:
    """The signed token of a link (pure): `customer`'s portal from `issued` for `days` days."""
    start = int(issued.timestamp())
    payload = {"c": customer, "s": statement, "i": start, "x": start + days * 86400, "n": nonce}
    return str(_serializer(key).dumps(payload))


def make_token(
    conn: Connection,
    *,
    settings: Settings,
    customer: str,
    now: datetime,
    days: int = DEFAULT_DAYS,
    statement: int | None = None,
) -> str:
    """A fresh token opening the portal of `customer` for `days` days from `now`."""
    if not 1 <= days <= MAX_DAYS:
        raise BadArgument(_m("a link opens for 1 to %(most)s days, not %(days)s", most=MAX_DAYS, days=days))
    _customer(conn, customer)
    return sign_token(
        _key(conn, settings),
        customer=customer,
        issued=now,
        days=days,
        statement=statement,
        nonce=secrets.token_hex(4),
    )


def notice_links(
    conn: Connection, settings: Settings, wanted: Mapping[int, tuple[str, date]]
) -> dict[int, str]:
    """The portal link each notice carries (notice id → (customer, as-of day)): issued on the
    notice's day, so a re-render says the same link; {} while `delivery.portal_url` has no {token}."""
    base = settings.delivery.portal_url
    key = signing_key(conn, settings) if base and "{token}" in base else None
    if key is None:
        return {}
    return {
        notice: url_of(
            settings,
            sign_token(
                key, customer=customer, days=DEFAULT_DAYS, issued=datetime.combine(day, time(0), tzinfo=UTC)
            ),
        )
        for notice, (customer, day) in wanted.items()
    }


def url_of(settings: Settings, token: str) -> str:
    """The address a person opens: `delivery.portal_url` with `{token}` filled, else `/portal/l/…`."""
    base = settings.delivery.portal_url
    if base and "{token}" in base:
        return base.replace("{token}", token)
    return f"/portal/l/{token}"


def read_token(key: str, token: str) -> dict[str, Any]:
    """What a token says, when its signature holds (pure); `LinkRefused` (tampered) else."""
    try:
        payload = _serializer(key).loads(token)
    except BadSignature:
        payload = None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("c"), str)
        and isinstance(payload.get("i"), int)
        and isinstance(payload.get("x"), int)
    ):
        raise LinkRefused(_m("this link is not valid"), code="tampered")
    # Base64 leaves spare bits in a last character: only the one spelling we make is accepted.
    if _serializer(key).dumps(payload) != token:
        raise LinkRefused(_m("this link is not valid"), code="tampered")
    return payload


def open_link(conn: Connection, *, settings: Settings, token: str, now: datetime) -> Access:
    """The access a link grants at `now`; `LinkRefused` (expired, revoked, locked, tampered) else."""
    if not token or len(token) > TOKEN_MAX:
        raise LinkRefused(_m("this link is not valid"), code="tampered")
    payload = read_token(_key(conn, settings), token)
    try:
        row = _customer(conn, payload["c"])
    except NotFound:
        raise LinkRefused(_m("this link is not valid"), code="tampered") from None
    issued = datetime.fromtimestamp(payload["i"], UTC)
    expires = datetime.fromtimestamp(payload["x"], UTC)
    if now >= expires:
        raise LinkRefused(_m("this link has expired"), code="expired", customer=row.external_id)
    link = digest(token)
    if why := _revoked(conn, row.id, link, issued):
        raise LinkRefused(_m("this link was withdrawn"), code=why, customer=row.external_id)
    statement = payload.get("s") if isinstance(payload.get("s"), int) else None
    return Access(row.id, row.external_id, row.name, row.language, statement, link, expires)


def _revoked(conn: Connection, customer_id: int, link: str, issued: datetime) -> str | None:
    r = PORTAL_REVOCATIONS.c
    query = select(r.reason).where(
        r.customer_id == customer_id,
        or_(r.link_sha256 == link, r.issued_before >= issued),
    )
    return conn.execute(query.limit(1)).scalar()


def revoke(
    conn: Connection,
    *,
    customer: str,
    now: datetime,
    actor: str,
    token: str | None = None,
    reason: str = "revoked",
    link: str | None = None,
) -> None:
    """Withdraw one link (`token`, or its digest `link`) or every link of `customer` issued until
    `now`; audited."""
    row = _customer(conn, customer)
    link = link or (digest(token) if token else None)
    values = {
        "customer_id": row.id,
        "link_sha256": link,
        "issued_before": None if link else now,
        "reason": reason,
        "actor": actor,
        "at": now,
    }
    conn.execute(insert(PORTAL_REVOCATIONS).values(values))
    after = {"customer": customer, "link": link or "all", "reason": reason}
    audit.record(
        conn, at=now, actor=actor, action="portal.revoke", object=f"customer:{customer}", after=after
    )


def record_refusal(
    conn: Connection, *, why: str, now: datetime, customer: str | None = None, detail: str = ""
) -> None:
    """Keep a refused attempt in the audit log (the reason, never the token)."""
    actor = f"portal:{customer}" if customer else ANONYMOUS
    audit.record(
        conn,
        at=now,
        actor=actor,
        action="portal.refused",
        object="portal",
        after={"reason": why, "detail": detail[:200]},
    )
