"""Stored notices as the values templates render: one batch of reads for a batch of notices.

`load_notices(conn, ids, settings)` gives, per notice id, a `StoredNotice`: the `NoticeView` a
template sees, plus what sending needs and a template does not (the step of the policy the run used,
the debtor's timezone and addresses, holds). Reads are set-based: four queries for any batch size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from dunmore.credit.contract_interest import read_clauses
from dunmore.credit.contract_models import CONTRACTS
from dunmore.delivery.instalment_view import instalment_lines
from dunmore.delivery.view import (
    LANGUAGES,
    Contact,
    Creditor,
    Debtor,
    Language,
    Line,
    NextStep,
    NoticeView,
    totals,
)
from dunmore.domain.calendar import business_deadline
from dunmore.domain.money import Money
from dunmore.domain.policy import Policy, Step, sent_steps
from dunmore.errors import NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CONTACTS, CUSTOMERS, INVOICES
from dunmore.run.models import NOTICE_ITEMS, NOTICES, RUNS
from dunmore.run.service import policy_of_run
from dunmore.settings import Settings
from dunmore.store.db import as_utc


@dataclass(frozen=True, slots=True)
class StoredNotice:
    view: NoticeView
    run_id: int
    customer_id: int
    template: str  # the step's template name
    channels: tuple[str, ...]
    timezone: str  # the debtor's
    address: tuple[str, ...]  # postal address lines of the contact (or the customer)
    cease_contact: bool
    on_hold: bool  # the customer or an item of the notice
    disputed_since_notice: bool  # an item disputed after the notice was issued
    issued_at: datetime  # when the notice took effect: the run's commit, or its approval


def reference(notice_id: int) -> str:
    """The notice number printed on it and quoted back by the debtor."""
    return f"DN-{notice_id:06d}"


def creditor(settings: Settings, language: Language) -> Creditor:
    """The creditor as a notice in `language` shows it (the signatory is per language)."""
    c = settings.creditor
    return Creditor(
        name=c.name,
        address=tuple(c.address),
        phone=c.phone,
        email=c.email,
        country=c.country,
        signatory=c.signatory_in(language),
        payment_instructions=tuple(c.payment_instructions),
        sms_signature=c.sms_signature,
    )


def portal_link(settings: Settings, notice_reference: str) -> str:
    """Where the debtor confirms or disputes this notice online; "" while no portal URL is set, and
    templates then leave out the link and the sentence around it."""
    url = settings.delivery.portal_url
    return url.replace("{reference}", notice_reference) if url else ""


def load_notices(conn: Connection, ids: Collection[int], settings: Settings) -> dict[int, StoredNotice]:
    """The stored notices with these ids; raises NotFound naming any id that does not exist."""
    if not ids:
        return {}
    notices = _notice_rows(conn, ids)
    if missing := sorted(set(ids) - notices.keys()):
        raise NotFound(
            _m("no notice %(ids)s: `dunmore deliveries list` shows notices", ids=", ".join(map(str, missing)))
        )
    items = _item_rows(conn, ids)
    rates = contract_rates(conn, {row["customer_id"] for row in notices.values()})
    items = {
        notice_id: [{**row, "contract_rate": rates.get(row["item_id"])} for row in rows]
        for notice_id, rows in items.items()
    }
    contacts = _primary_contacts(conn, {row["customer_id"] for row in notices.values()})
    policies = {
        run_id: policy_of_run(conn, run_id).policies for run_id in {r["run_id"] for r in notices.values()}
    }
    instalments = instalment_lines(conn, ids)
    stored = {
        # a notice may list no items (an instalment reminder names the plan's instalment instead)
        notice_id: _stored(
            row, items.get(notice_id, []), contacts.get(row["customer_id"], {}), policies, settings
        )
        for notice_id, row in notices.items()
    }
    stored = {
        notice_id: replace(one, view=replace(one.view, instalment=instalments[notice_id]))
        if notice_id in instalments
        else one
        for notice_id, one in stored.items()
    }
    return _with_portal_links(conn, stored, settings)


def _with_portal_links(
    conn: Connection, stored: dict[int, StoredNotice], settings: Settings
) -> dict[int, StoredNotice]:
    """Each notice with a signed link to its customer's portal, where `delivery.portal_url` asks for one."""
    from dunmore.portal.links import notice_links

    wanted = {notice_id: (one.view.debtor.external_id, one.view.date) for notice_id, one in stored.items()}
    found = notice_links(conn, settings, wanted)
    return {
        notice_id: replace(one, view=replace(one.view, portal_link=found[notice_id]))
        if notice_id in found
        else one
        for notice_id, one in stored.items()
    }


def _notice_rows(conn: Connection, ids: Collection[int]) -> dict[int, Mapping[str, Any]]:
    n, c = NOTICES.c, CUSTOMERS.c
    query = (
        select(
            n.id, n.run_id, n.as_of, n.customer_id, n.currency, n.kind, n.step, n.policy, n.level,
            n.fee_minor, n.interest_charge_minor, n.decided_at, RUNS.c.committed_at,
            c.name, c.external_id, c.language, c.timezone, c.country, c.cease_contact,
            c.on_hold.label("customer_on_hold"),
        )
        .join(RUNS, RUNS.c.id == n.run_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(n.id.in_(list(ids)))
    )  # fmt: skip
    return {row["id"]: dict(row) for row in conn.execute(query).mappings()}


def _item_rows(conn: Connection, ids: Collection[int]) -> Mapping[int, list[Mapping[str, Any]]]:
    i, v = NOTICE_ITEMS.c, INVOICES.c
    query = (
        select(
            i.notice_id, i.item_id, i.kind, i.level, i.days_past_due, i.open_minor, i.interest_minor,
            v.external_id, v.issue_date, v.due_date, v.on_hold, v.disputed_at,
        )
        .join(INVOICES, v.id == i.item_id)
        .where(i.notice_id.in_(list(ids)))
        .order_by(i.notice_id, v.due_date, v.external_id)
    )  # fmt: skip
    rows: defaultdict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in conn.execute(query).mappings():
        rows[row["notice_id"]].append(dict(row))
    return rows


def _primary_contacts(conn: Connection, customers: Collection[int]) -> dict[int, Mapping[str, Any]]:
    """Each customer's primary contact, or its first contact when none is marked primary."""
    k = CONTACTS.c
    rank = func.row_number().over(partition_by=k.customer_id, order_by=(k.is_primary.desc(), k.id))
    ranked = (
        select(k.customer_id, k.name, k.email, k.phone, k.address, rank.label("rank"))
        .where(k.customer_id.in_(list(customers)))
        .subquery()
    )
    query = select(ranked).where(ranked.c["rank"] == 1)
    return {row["customer_id"]: dict(row) for row in conn.execute(query).mappings()}


def _stored(
    row: Mapping[str, Any],
    items: list[Mapping[str, Any]],
    contact: Mapping[str, Any],
    policies: Mapping[int, Any],
    settings: Settings,
) -> StoredNotice:
    policy: Policy = policies[row["run_id"]].policies[row["policy"]]
    step = _step(policy, row["step"])
    issued_at = as_utc(row["decided_at"] or row["committed_at"])
    address = tuple(line.strip() for line in (contact.get("address") or "").split(";") if line.strip())
    return StoredNotice(
        view=_view(row, items, contact, policy, step, settings, address),
        run_id=row["run_id"],
        customer_id=row["customer_id"],
        template=step.template,
        channels=step.channels,
        timezone=row["timezone"],
        address=address,
        cease_contact=bool(row["cease_contact"]),
        on_hold=bool(row["customer_on_hold"]) or any(item["on_hold"] for item in items),
        disputed_since_notice=any(
            item["disputed_at"] is not None and as_utc(item["disputed_at"]) > issued_at for item in items
        ),
        issued_at=issued_at,
    )


def _step(policy: Policy, name: str) -> Step:
    return next(step for step in sent_steps(policy) if step.name == name)


def _view(
    row: Mapping[str, Any],
    items: list[Mapping[str, Any]],
    contact: Mapping[str, Any],
    policy: Policy,
    step: Step,
    settings: Settings,
    address: tuple[str, ...],
) -> NoticeView:
    currency = row["currency"]
    lines = tuple(_line(item, currency, policy) for item in items)
    fee = _money(row["fee_minor"], currency)
    charge = _money(row["interest_charge_minor"], currency)
    total_open, total_interest, total_due = totals(lines, fee, charge, currency)
    as_of: date = row["as_of"]
    language = _language(row["language"])
    return NoticeView(
        notice_id=row["id"],
        reference=reference(row["id"]),
        language=language,
        kind=row["kind"],
        step=row["step"],
        level=row["level"],
        date=as_of,
        currency=currency,
        creditor=creditor(settings, language),
        debtor=Debtor(row["name"], row["external_id"], address, row["country"]),
        contact=Contact(contact.get("name") or "", contact.get("email") or "", contact.get("phone") or ""),
        items=lines,
        total_open=total_open,
        total_interest=total_interest,
        fee=fee,
        interest_charge=charge,
        total_due=total_due,
        interest_rate=notice_rate(lines),
        deadline=(
            business_deadline(as_of, step.deadline_days, settings.creditor.country)
            if step.deadline_days is not None
            else None
        ),
        next_step=_next_step(policy, step),
        portal_link=portal_link(settings, reference(row["id"])),
    )


def in_language(view: NoticeView, code: str, settings: Settings) -> NoticeView:
    """The notice as it reads in another language (a preview): its words and its signatory."""
    language = _language(code)
    return replace(view, language=language, creditor=creditor(settings, language))


def contract_rates(conn: Connection, customers: Collection[int]) -> dict[int, Decimal]:
    """item_id → the annual rate of the contract clause that made the invoice (`credit.contract_interest`)."""
    clauses = read_clauses(conn, CONTRACTS.c.customer_id.in_(list(customers)))
    return {
        item_id: Decimal(rate) for item_id, rate in clauses.select("item_id", "contract_rate").iter_rows()
    }


def applied_rate(contract_rate: Decimal | None, policy: Policy) -> Decimal | None:
    """The rate an invoice accrues at: its contract clause's, cut to the policy's cap; else the policy's."""
    if contract_rate is None:
        return policy.interest_rate
    cap = policy.contract_interest_cap
    return contract_rate if cap is None else min(contract_rate, cap)


def notice_rate(lines: tuple[Line, ...]) -> Decimal | None:
    """The one rate the notice's invoices accrue at (None: none, or several)."""
    rates = {line.interest_rate for line in lines if line.kind == "invoice"}
    return rates.pop() if len(rates) == 1 else None


def _line(item: Mapping[str, Any], currency: str, policy: Policy) -> Line:
    invoice = item["kind"] == "invoice"
    return Line(
        reference=item["external_id"],
        kind=item["kind"],
        issue_date=item["issue_date"],
        due_date=item["due_date"],
        days_past_due=item["days_past_due"],
        level=item["level"],
        open_amount=Money(item["open_minor"], currency),
        interest=Money(item["interest_minor"], currency),
        interest_rate=applied_rate(item["contract_rate"], policy) if invoice else None,
    )


def _next_step(policy: Policy, step: Step) -> NextStep | None:
    ladder = (*policy.reminders, *policy.levels)
    if step not in ladder:  # an instalment reminder: beside the ladder, it leads to no next step
        return None
    later = ladder[ladder.index(step) + 1 :]
    following = next((s for s in later if s.at > 0), None) if step.at > 0 else (later[0] if later else None)
    if following is None:
        return None
    return NextStep(following.name, following.channels, following.requires_approval)


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(minor, currency)


def _language(code: str) -> Language:
    """The customer's language if a template set exists for it; otherwise simplified Chinese."""
    return next((language for language in LANGUAGES if language == code), "zh-CN")
