"""`explain`: for one customer on D, each item's policy, level, why it did or did not rise, what next.

The engine runs on the customer's part of the snapshot (groups are independent, so this is exact)
and its named rule columns become reasons, in words and as codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from dunmore.domain.money import format_minor
from dunmore.domain.policy import Policy, PolicySet
from dunmore.engine.decide import decide
from dunmore.engine.frames import SnapshotFrames
from dunmore.errors import NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run.explain_contract import applied_rate, contract_reason, fee_reason
from dunmore.run.explain_next_steps import pause_reason
from dunmore.run.explain_text import say
from dunmore.run.models import NOTICES
from dunmore.run.next_steps import steps_of_day
from dunmore.run.plans import planned_items
from dunmore.run.promises import pending_promises
from dunmore.run.service import current_policy
from dunmore.run.snapshot import read_snapshot, standing_rejections
from dunmore.store.db import as_utc


@dataclass(frozen=True)
class ItemStory:
    invoice_id: str
    reasons: list[str]
    sentences: list[str]
    facts: dict[str, Any]


def _customer_id(conn: Connection, external_id: str) -> int:
    found = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == external_id)).scalar()
    if found is None:
        raise NotFound(
            _m(
                "no customer %(customer)s: use the customer_id of your import files",
                customer=repr(external_id),
            )
        )
    return int(found)


def _only(snapshot: SnapshotFrames, customer_id: int) -> SnapshotFrames:
    mine = pl.col("customer_id") == customer_id
    return SnapshotFrames(
        snapshot.as_of,
        snapshot.items.filter(mine),
        snapshot.customers.filter(mine),
        snapshot.groups.filter(mine),
        snapshot.rejections.filter(mine),
        facts=snapshot.facts.filter(mine),
    )


Reason = tuple[str, dict[str, object]]  # a reason code and the values its sentence names


def _route(policies: PolicySet, grade: str | None, tags: list[str]) -> Reason:
    """Which route chose the customer's policy, and on what grounds."""
    for index, route in enumerate(policies.routes, start=1):
        if route.holds(grade, frozenset(tags)):
            if route.is_default:
                return "route_default", {"policy": route.policy}
            grounds = [f"grade {grade}"] if route.when_grade else []
            grounds += [f"tags {', '.join(sorted(route.when_tags_any))}"] if route.when_tags_any else []
            return "route_matched", {"policy": route.policy, "index": index, "conditions": "; ".join(grounds)}
    raise AssertionError("a policy set always has a default route")  # pragma: no cover


def _not_eligible(item: dict[str, Any]) -> str:
    if not item["customer_not_on_hold"]:
        return "customer_on_hold"
    if not item["item_not_on_hold"]:
        return "item_on_hold"
    return "disputed" if item["disputed_minor"] > 0 else "settled"


def _blocked(group: dict[str, Any]) -> str:
    if not group["not_paused_by_next_step"]:
        return "next_step_pause"
    if not group["not_awaiting_approval"]:
        return "awaiting_approval"
    if not group["not_held_by_rejection"]:
        return "held_by_rejection"
    return "below_minimum" if not group["balance_at_least_minimum"] else "spacing"


def _below_minimum(group: dict[str, Any]) -> bool:
    """The group's overdue total is below its policy's minimum: no level notice until it reaches it."""
    return not group["balance_at_least_minimum"]


def _amounts(group: dict[str, Any], currency: str) -> dict[str, str]:
    """The group's overdue total, minimum and rejected amount, as shown (absent: 0)."""
    minors = {"balance": "balance", "minimum": "minimum_minor", "rejected": "rejected_minor"}
    shown = {name: format_minor(group[column] or 0, currency) for name, column in minors.items()}
    return shown | {"currency": currency}


def _rejection(conn: Connection, customer_id: int, group: dict[str, Any]) -> dict[str, object]:
    """Who rejected the notice holding the group back at its step, when, why, and how to lift it."""
    query = standing_rejections().subquery()
    found = conn.execute(
        select(query.c.id, NOTICES.c.decided_at, NOTICES.c.decided_by, NOTICES.c.decision_reason)
        .join(NOTICES, NOTICES.c.id == query.c.id)
        .where(query.c.customer_id == customer_id, query.c.currency == group["currency"])
        .where(query.c.step == group["rise_step"])
        .order_by(query.c.rejected_minor.desc(), query.c.id.desc())
        .limit(1)
    ).first()
    if found is None:  # pragma: no cover - the rule read the same rows
        return {"notice": "?", "step": group["rise_step"], "on": "?", "by": "?", "reason": "?"}
    on = as_utc(found.decided_at).date().isoformat() if found.decided_at else "?"
    return {"notice": found.id, "step": group["rise_step"], "on": on, "by": found.decided_by or "?",
            "reason": found.decision_reason or "?"}  # fmt: skip


def _next_step(
    item: dict[str, Any], policy: Policy, level: int, last_notice: date | None, as_of: date
) -> tuple[str, date] | None:
    due: date = item["due_date"]
    if item["dpd"] <= 0:
        later = [s for s in policy.reminders if s.at > item["dpd"]] + list(policy.levels[:1])
        return (later[0].name, due + timedelta(days=later[0].at)) if later else None
    if level >= len(policy.levels):
        return None
    step = policy.levels[level]
    when = max(due + timedelta(days=step.at), as_of + timedelta(days=1))
    if last_notice is not None:
        when = max(when, last_notice + timedelta(days=policy.min_days_between_notices))
    return step.name, when


def _money(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


def _today(item: dict[str, Any], group: dict[str, Any], policy: Policy, ctx: dict[str, Any]) -> list[Reason]:
    """Why the item is where it is today: one reason, two when a reminder goes out."""
    if not item["eligible"]:
        return [(_not_eligible(item), {"disputed": _money(item["disputed_minor"], item["currency"])})]
    if item["kind"] != "invoice":
        return [("fee_item", {})]
    if item["dpd"] <= 0:
        reminded = ctx["reminded"].get(item["item_id"])
        return [("not_due", {"days": -item["dpd"]})] + (
            [("reminder_today", {"step": reminded})] if reminded else []
        )
    if item["would_rise"] and group["may_rise"]:
        step = policy.levels[item["new_level"] - 1].name
        return [("rises", {"old": item["level"], "new": item["new_level"], "step": step})]
    if not item["not_promised"] and item["new_level"] > item["level"]:
        return [("promised", ctx["promised"][item["item_id"]])]
    if not item["not_in_plan"] and item["new_level"] > item["level"]:
        return [("in_plan", ctx["planned"][item["item_id"]])]
    if not item["would_rise"]:
        code = "risen_today" if not item["not_risen_today"] else "at_target"
        return [(code, {"level": item["level"], "days": item["dpd"]})]
    code = _blocked(group)
    if code == "next_step_pause":
        return [pause_reason(group) or (code, {})]
    values = _amounts(group, item["currency"])
    if code == "held_by_rejection":
        values |= ctx["rejections"][item["currency"]]
    last = group["last_level_notice"]
    spaced = last + timedelta(days=policy.min_days_between_notices) if last else ctx["as_of"]
    return [(code, {**values, "last": last, "next": spaced})]


def _next(item: dict[str, Any], group: dict[str, Any], policy: Policy, ctx: dict[str, Any]) -> Reason:
    """What comes next: a step on a date, or — while the minimum holds the group back — what must
    change first (no date can be known)."""
    as_of, rising = ctx["as_of"], bool(item["would_rise"] and group["may_rise"])
    level = item["new_level"] if rising else item["level"]
    last_notice = as_of if group["notice_today"] else group["last_level_notice"]
    nxt = _next_step(item, policy, level, last_notice, as_of)
    if nxt is not None and group["next_step_paused_until"] is not None:  # not before the pause ends
        nxt = nxt[0], max(nxt[1], group["next_step_paused_until"] + timedelta(days=1))
    if nxt is None:
        return "last_step", {}
    if item["dpd"] > 0 and _below_minimum(group):
        return "next_at_minimum", {"step": nxt[0], **_amounts(group, item["currency"])}
    if item["would_rise"] and not group["not_held_by_rejection"]:
        return "next_after_rejection", {"step": group["rise_step"], **_amounts(group, item["currency"])}
    return "next_step", {"step": nxt[0], "date": nxt[1].isoformat()}


def _story(item: dict[str, Any], group: dict[str, Any], ctx: dict[str, Any]) -> ItemStory:
    policy = ctx["policies"].policies[item["policy"]]
    rising = bool(item["would_rise"] and group["may_rise"])
    level = item["new_level"] if rising else item["level"]
    reasons = [ctx["route"], *_today(item, group, policy, ctx)]
    nxt: Reason | None = None
    if item["eligible"] and item["kind"] == "invoice":
        nxt = _next(item, group, policy, ctx)
        reasons.append(nxt)
        reasons += ctx["next_steps"].get(item["currency"], []) if item["dpd"] > 0 else []
        reasons += contract_reason(item, policy, ctx["lang"])
        reasons += fee_reason(item, group, ctx["lang"])
    facts = {
        "kind": item["kind"],
        "currency": item["currency"],
        "due_date": item["due_date"].isoformat(),
        "days_past_due": item["dpd"],
        "open_amount": format_minor(max(item["undisputed"], 0), item["currency"]),
        "policy": item["policy"],
        "level": item["level"],
        "level_after_today": level,
        "target_level": item["target"],
        "rises_today": rising,
        "interest": format_minor(item["interest"], item["currency"]),
        "interest_clause": item.get("contract_clause"),
        "interest_annual_rate": _rate_text(applied_rate(item, policy)),
        "fee_clause": group.get("contract_fee_clause") if item["past_due"] else None,
        "next_step": _next_fact(nxt),
    }
    codes = [code for code, _ in reasons]
    words = [say(code, ctx["lang"], **values) for code, values in reasons]
    return ItemStory(item["invoice_id"], codes, words, facts)


def _rate_text(rate: Decimal | None) -> str | None:
    return None if rate is None else f"{rate.normalize():f}"


def _next_fact(nxt: Reason | None) -> dict[str, object] | None:
    """The next step as data: its date, or (held by the minimum) the total it waits for."""
    if nxt is None or nxt[0] == "last_step":
        return None
    code, values = nxt
    if code == "next_at_minimum":
        return {"step": values["step"], "date": None, "when_overdue_total_reaches": values["minimum"]}
    if code == "next_after_rejection":
        return {"step": values["step"], "date": None, "when_dunned_amount_exceeds": values["rejected"]}
    return {"step": values["step"], "date": values["date"]}


def promised_items(
    conn: Connection, customer_id: int, items: pl.DataFrame, as_of: date
) -> dict[int, dict[str, str]]:
    """item_id → the promise that pauses it on D (the one with the latest last day of grace), said
    as `promise`, `amount`, `by` and `until`."""
    paused = items.filter(pl.col("promised_until") >= as_of)
    if paused.is_empty():
        return {}
    found: dict[int, dict[str, str]] = {}
    for promise in pending_promises(conn, customer_id):
        until = promise.due_on + timedelta(days=promise.grace_days)
        covered = paused.filter(pl.col("currency") == promise.currency)
        if promise.item_ids:
            covered = covered.filter(pl.col("item_id").is_in(list(promise.item_ids)))
        said = {"promise": str(promise.id), "amount": _money(promise.amount_minor, promise.currency),
                "by": promise.due_on.isoformat(), "until": until.isoformat()}  # fmt: skip
        for item_id, latest in covered.select("item_id", "promised_until").iter_rows():
            if latest == until:
                found[item_id] = said
    return found


def explain(conn: Connection, *, customer: str, as_of: date, lang: str) -> list[ItemStory]:
    """Every open item of the customer on D with its reasons."""
    customer_id = _customer_id(conn, customer)
    policies = current_policy(conn).policies
    snapshot = _only(read_snapshot(conn, as_of, only=customer_id), customer_id)
    decisions = decide(snapshot, policies)
    customer_row = snapshot.customers.row(0, named=True)
    noticed = decisions.notices.filter(pl.col("kind") == "level").select(
        "currency", notice_today=pl.lit(True)
    )
    groups = decisions.groups.join(noticed, on="currency", how="left").with_columns(
        pl.col("notice_today").fill_null(False)
    )
    reminders = decisions.reminders.filter(pl.col("status") == "sent")
    held = groups.filter(~pl.col("not_held_by_rejection")).iter_rows(named=True)
    ctx = {
        "rejections": {group["currency"]: _rejection(conn, customer_id, group) for group in held},
        "lang": lang, "policies": policies, "as_of": as_of,
        "route": _route(policies, customer_row["grade"], customer_row["tags"]),
        "promised": promised_items(conn, customer_id, snapshot.items, as_of),
        "planned": planned_items(conn, customer_id, snapshot.items, as_of),
        "next_steps": steps_of_day(conn, customer_id, as_of, decisions.next_steps),
        "reminded": dict(zip(reminders["item_id"].to_list(), reminders["step"].to_list(), strict=True)),
    }  # fmt: skip
    ids = decisions.evaluated["item_id"].to_list()
    query = select(INVOICES.c.id, INVOICES.c.external_id).where(INVOICES.c.id.in_(ids))
    external = {int(item_id): str(name) for item_id, name in conn.execute(query)}
    evaluated = decisions.evaluated.with_columns(
        invoice_id=pl.col("item_id").replace_strict(external, return_dtype=pl.String)
    )
    by_group = {row["currency"]: row for row in groups.iter_rows(named=True)}
    rows = evaluated.sort("currency", "due_date", "invoice_id").iter_rows(named=True)
    return [_story(item, by_group[item["currency"]], ctx) for item in rows]
