"""Credit limits and credit holds: may a new order of an amount ship to a customer?

- **Limit**: the customer's own (`customers.credit_limit`, in its `credit_currency`) where set for
  the currency asked, else its grade's in the scorecard (a customer never graded has grade N's);
  a currency the scorecard lists no limit for has none.
- **Exposure**: the customer's open receivables in the currency plus its uninvoiced open orders (the
  `orders` import, `credit.orders`).
- A customer whose credit application as a new customer is not approved has grade N's limit
  (`credit.admission`).
- **Credit hold**: set by grading (`hold_candidates`, `set_holds`) for the scorecard's hold grades, or
  for anything open and overdue more than its `holds.overdue_days` on the grading's date; released
  by a manager with a reason. A manager's
  release lasts `RELEASE_LASTS`: the rules do not set the customer's hold again before. A credit hold
  refuses new credit only; the customer is still dunned (the dunning hold is `customers.on_hold`).

Audit (docs/credit.md, "Credit holds in the audit log"): a grading is one action, whatever the number
of holds it sets — one `grades.compute` row with the counts and the SHA-256 of the holds it set, each
hold row naming that audit row (`credit_holds.audit_id`); the customer's timeline reads the hold
rows. A risk signal's hold and a manager's release are each one audit row on the customer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select, update

from dunmore.access import audit
from dunmore.access.models import AUDIT_LOG
from dunmore.access.permissions import Permission, require
from dunmore.access.values import User
from dunmore.credit import admission
from dunmore.credit.admission_models import OPEN_ORDERS
from dunmore.credit.grades import REASON_MAX, current_scorecard, customer_row
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.credit.scorecard import GRADES, NEW, Scorecard
from dunmore.domain.money import check_currency, to_minor
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import INVOICES
from dunmore.store.bulk import deferred_indexes, insert_frame, read_frame

RELEASE_LASTS = timedelta(days=30)
OK, OVER_LIMIT, ON_HOLD = "ok", "over_limit", "on_hold"


@dataclass(frozen=True)
class HoldView:
    rule: str  # grade | overdue | signal
    detail: dict[str, Any]
    set_on: date
    audit_id: int | None = None  # the audit row of the action that set it (a grading's one row)
    set_by: str | None = None  # who did that action (who ran the grading)


@dataclass(frozen=True)
class CreditVerdict:
    """The answer of a credit check (amounts in minor units of `currency`)."""

    status: str  # ok | over_limit | on_hold
    customer: str
    grade: str
    currency: str
    amount_minor: int
    exposure_minor: int
    limit_minor: int | None  # None: no limit in this currency
    limit_source: str  # customer | grade | none
    over_minor: int  # by how much the order would pass the limit (0 when within)
    holds: tuple[HoldView, ...]


def active_holds(conn: Connection, customer_id: int) -> tuple[HoldView, ...]:
    h, log = CREDIT_HOLDS.c, AUDIT_LOG.c
    rows = conn.execute(
        select(h.rule, h.detail, h.set_on, h.audit_id, log.actor)
        .select_from(CREDIT_HOLDS.outerjoin(AUDIT_LOG, log.id == h.audit_id))
        .where(h.customer_id == customer_id, h.released_at.is_(None))
        .order_by(h.id)
    ).all()
    return tuple(HoldView(r.rule, json.loads(r.detail), r.set_on, r.audit_id, r.actor) for r in rows)


def check(
    conn: Connection, *, user: User, customer: str, amount: Decimal, currency: str | None
) -> CreditVerdict:
    """Whether a new order of `amount` may ship to the customer: on hold, over its limit, or ok."""
    require(user, Permission.LEDGER_READ)
    row = customer_row(conn, user, customer)
    currency = _currency(conn, row, currency)
    if amount <= 0:
        raise BadArgument(_m("an order's amount is above 0, not %(amount)s", amount=str(amount)))
    minor = to_minor(amount, currency)
    grade = row.grade if row.grade in (*GRADES, NEW) and admission.is_admitted(conn, row.id) else NEW
    limit, source = _limit(row, current_scorecard(conn).scorecard, grade, currency)
    exposure = _exposure(conn, row.id, currency)
    over = 0 if limit is None else max(0, exposure + minor - limit)
    holds = active_holds(conn, row.id)
    status = ON_HOLD if holds else OVER_LIMIT if over else OK
    return CreditVerdict(status, customer, grade, currency, minor, exposure, limit, source, over, holds)


def _currency(conn: Connection, row: Any, currency: str | None) -> str:
    if currency is not None:
        return check_currency(currency.upper())
    if row.credit_currency:
        return str(row.credit_currency)
    i = INVOICES.c
    found = sorted(conn.execute(select(i.currency).where(i.customer_id == row.id).distinct()).scalars())
    if len(found) != 1:
        raise BadArgument(
            _m(
                "customer %(customer)s has no one currency: say which with --currency",
                customer=row.external_id,
            )
        )
    return str(found[0])


def _limit(row: Any, scorecard: Scorecard, grade: str, currency: str) -> tuple[int | None, str]:
    if row.credit_limit_minor is not None and row.credit_currency == currency:
        return int(row.credit_limit_minor), "customer"
    limit = scorecard.terms(grade).limits.get(currency)
    return limit, "none" if limit is None else "grade"


def _exposure(conn: Connection, customer_id: int, currency: str) -> int:
    i = INVOICES.c
    query = select(func.coalesce(func.sum(i.open_minor), 0)).where(
        i.customer_id == customer_id, i.currency == currency
    )
    o = OPEN_ORDERS.c
    orders = select(func.coalesce(func.sum(o.amount_minor), 0)).where(
        o.customer_id == customer_id, o.currency == currency
    )
    return int(conn.execute(query).scalar_one()) + int(conn.execute(orders).scalar_one())


# --- holds -----------------------------------------------------------------------------------------


def hold_candidates(
    conn: Connection, graded: pl.DataFrame, scorecard: Scorecard, *, as_of: date
) -> pl.DataFrame:
    """`customer_id`, `rule` and `detail` (JSON) of each customer the scorecard's hold rules name that
    has no hold (nor a release within `RELEASE_LASTS`), from a grading's frame (`in_force`,
    `overdue_days`): its grade is a hold grade, or its oldest open item is overdue more than
    `holds.overdue_days` days as of the grading's date; the grade rule wins when both apply."""
    in_grade = pl.col("in_force").is_in(sorted(scorecard.hold_grades))
    limit = scorecard.hold_overdue_days
    overdue = pl.lit(False) if limit is None else pl.col("overdue_days") > limit
    held = _held_or_released(conn, as_of)
    wanted = graded.filter(in_grade | overdue).join(held, on="customer_id", how="anti")
    return wanted.select(
        "customer_id",
        pl.when(in_grade).then(pl.lit("grade")).otherwise(pl.lit("overdue")).alias("rule"),
        pl.when(in_grade)  # as json.dumps writes them: {"grade": "D"}, {"days": 120}
        .then(pl.concat_str(pl.lit('{"grade": "'), pl.col("in_force"), pl.lit('"}')))
        .otherwise(pl.concat_str(pl.lit('{"days": '), pl.col("overdue_days").cast(pl.String), pl.lit("}")))
        .alias("detail"),
    ).sort("customer_id")


def holds_digest(holds: pl.DataFrame) -> str:
    """SHA-256 over the holds one grading set, one line `customer_id<TAB>rule<TAB>detail` each in
    customer order: the grading's audit row carries it, so the hold rows it names are as chained as
    the row itself (`grading_holds_intact`)."""
    lines = holds.sort("customer_id").select(
        pl.concat_str(pl.col("customer_id").cast(pl.String), "rule", "detail", separator="\t").str.join("\n")
    )
    text = lines.item() if holds.height else ""
    return hashlib.sha256(text.encode()).hexdigest()


def set_holds(conn: Connection, holds: pl.DataFrame, *, audit_id: int, as_of: date, now: datetime) -> int:
    """Insert the holds a grading decided (`hold_candidates`), each naming the grading's audit row.
    A mass hold (`bulk.deferred_indexes`: 100,000 rows or more, at least half the table) checks its
    foreign keys in one pass after the COPY on PostgreSQL, not with two triggers per row (194,727
    holds: 6.9 → about 1 s)."""
    rows = holds.select(
        "customer_id",
        "rule",
        "detail",
        pl.lit(as_of).alias("set_on"),
        pl.lit(now).alias("set_at"),
        pl.lit(audit_id).alias("audit_id"),
    )
    with deferred_indexes(conn, CREDIT_HOLDS, rows.height):
        return insert_frame(conn, CREDIT_HOLDS, rows)


def grading_holds_intact(conn: Connection, audit_id: int) -> bool:
    """Whether the holds stored under a grading's audit row are the ones it recorded (its digest).
    A grading audited before migration 0038 records no digest (its holds have audit rows of their
    own): nothing to compare, intact."""
    row = conn.execute(select(AUDIT_LOG.c.after).where(AUDIT_LOG.c.id == audit_id)).scalar_one()
    recorded = json.loads(row or "{}").get("holds_digest")
    if recorded is None:
        return True
    h = CREDIT_HOLDS.c
    schema = {"customer_id": pl.Int64, "rule": pl.String, "detail": pl.String}
    stored = read_frame(conn, select(h.customer_id, h.rule, h.detail).where(h.audit_id == audit_id), schema)
    return bool(recorded == holds_digest(stored))


def gradings_with_changed_holds(conn: Connection) -> list[int]:
    """The audit rows of the gradings whose holds no longer match their digest (`audit verify`)."""
    log = AUDIT_LOG.c
    gradings = conn.execute(select(log.id).where(log.action == "grades.compute").order_by(log.id)).scalars()
    return [int(row) for row in gradings if not grading_holds_intact(conn, int(row))]


def _held_or_released(conn: Connection, as_of: date) -> pl.DataFrame:
    h = CREDIT_HOLDS.c
    since = datetime.combine(as_of - RELEASE_LASTS, time(0), tzinfo=UTC)
    query = select(h.customer_id).where(h.released_at.is_(None) | (h.released_at >= since)).distinct()
    return read_frame(conn, query, {"customer_id": pl.Int64})


def release(conn: Connection, *, user: User, customer: str, reason: str, now: datetime) -> int:
    """A manager lifts the customer's credit holds, with a reason; audited as `customer.credit_release`."""
    require(user, Permission.CREDIT_MANAGE)
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise BadArgument(_m("give a reason of 1 to %(most)s characters", most=REASON_MAX))
    row = customer_row(conn, user, customer)
    h = CREDIT_HOLDS.c
    released = conn.execute(
        update(CREDIT_HOLDS)
        .where(h.customer_id == row.id, h.released_at.is_(None))
        .values(released_by=user.login, released_at=now, release_reason=reason)
    ).rowcount
    if not released:
        raise NotFound(_m("customer %(customer)s is not on credit hold", customer=customer))
    audit.record(
        conn,
        at=now,
        actor=user.login,
        action="customer.credit_release",
        object=f"customer:{customer}",
        after={"reason": reason, "released": released},
    )
    return int(released)
