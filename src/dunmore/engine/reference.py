"""The dunning run as a plain per-customer evaluator, written to be read next to the specification.

`decide_reference(snapshot, policies)` decides, for the snapshot's as-of date D, the same
`Decisions` as the vectorised engine, one (customer, currency) group at a time, with one small
function per rule of `docs/design/dunning-run.md`. A rule's function name is its reason code
(`eligible`, `balance_at_least_minimum`, `min_days_since_last_notice`, …). Property tests hold the
fast engine equal to this one, so clarity wins over speed here: nothing is vectorised or cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dunmore.domain.policy import Policy, PolicySet, Step
from dunmore.engine.model import (
    ContactFacts,
    Customer,
    Decisions,
    GroupChange,
    GroupState,
    Item,
    LevelChange,
    NextStep,
    Notice,
    NoticeItem,
    ReminderRecord,
    Snapshot,
)
from dunmore.engine.reference_next_steps import next_step_order, next_steps_of_group, not_paused_by_next_step

__all__ = ["decide_reference"]

DAYS_PER_YEAR = Decimal(365)  # ACT/365


@dataclass(frozen=True, slots=True)
class Group:
    """One (customer, currency) group as the run sees it on D: its items and earlier state."""

    as_of: date
    customer: Customer
    currency: str
    items: tuple[Item, ...]
    state: GroupState
    policy: Policy
    rejections: Mapping[str, int]  # step → the dunned amount of its standing rejection
    facts: ContactFacts | None = None  # what the next steps read (none: no contact facts)


@dataclass(frozen=True, slots=True)
class Episode:
    """A group's episode after today's transition: open or not, and the levels already fined in it."""

    open: bool
    fee_levels: frozenset[int]


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """Everything decided for one group."""

    notices: tuple[Notice, ...]
    level_changes: tuple[LevelChange, ...]
    reminders: tuple[ReminderRecord, ...]
    change: GroupChange | None
    next_steps: tuple[NextStep, ...] = ()


def decide_reference(snapshot: Snapshot, policies: PolicySet) -> Decisions:
    """Decide the reminders, level notices, level rises and group changes for `snapshot.as_of`.

    Pure: reads only its arguments. Every list of the result is sorted as the specification says,
    so two evaluations of the same inputs compare equal as values.
    """
    outcomes = [decide_group(group) for group in groups_of(snapshot, policies)]
    return Decisions(
        as_of=snapshot.as_of,
        notices=tuple(sorted((n for o in outcomes for n in o.notices), key=notice_order)),
        level_changes=tuple(sorted((c for o in outcomes for c in o.level_changes), key=lambda c: c.item_id)),
        reminders=tuple(
            sorted((r for o in outcomes for r in o.reminders), key=lambda r: (r.item_id, r.step))
        ),
        group_changes=tuple(o.change for o in outcomes if o.change is not None),
        next_steps=tuple(sorted((s for o in outcomes for s in o.next_steps), key=next_step_order)),
    )


def notice_order(notice: Notice) -> tuple[int, str, str, str]:
    """Notices are listed by (customer_id, currency, kind, step)."""
    return notice.customer_id, notice.currency, notice.kind, notice.step


# --- Gathering the groups -------------------------------------------------------------------------


def groups_of(snapshot: Snapshot, policies: PolicySet) -> list[Group]:
    """Every group of the snapshot's items or of its group states, in (customer_id, currency) order."""
    customers = {customer.customer_id: customer for customer in snapshot.customers}
    states = {(state.customer_id, state.currency): state for state in snapshot.groups}
    items: defaultdict[tuple[int, str], list[Item]] = defaultdict(list)
    for item in snapshot.items:
        items[(item.customer_id, item.currency)].append(item)
    rejections: defaultdict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for rejection in snapshot.rejections:
        steps = rejections[(rejection.customer_id, rejection.currency)]
        steps[rejection.step] = max(rejection.rejected_minor, steps.get(rejection.step, 0))
    facts = {(fact.customer_id, fact.currency): fact for fact in snapshot.facts}
    groups = []
    for key in sorted(items.keys() | states.keys()):
        customer = customers.get(key[0], Customer(key[0]))
        state = states.get(key, GroupState(key[0], key[1]))
        policy = route(customer, policies)
        group_items = tuple(items[key])
        group = Group(
            snapshot.as_of, customer, key[1], group_items, state, policy, rejections[key], facts.get(key)
        )
        groups.append(group)
    return groups


def route(customer: Customer, policies: PolicySet) -> Policy:
    """The customer's policy: the first route of the policy set whose conditions hold."""
    return policies.policy_for(customer.grade, customer.tags)


# --- Definitions ----------------------------------------------------------------------------------


def days_past_due(item: Item, as_of: date) -> int:
    """`dpd = D − due_date` in calendar days (negative before the due date)."""
    return (as_of - item.due_date).days


def undisputed(item: Item) -> int:
    """The open amount that is not in dispute: the only amount that counts anywhere."""
    return item.open_minor - item.disputed_minor


def item_not_on_hold(item: Item) -> bool:
    return not item.on_hold


def customer_not_on_hold(customer: Customer) -> bool:
    return not customer.on_hold


def eligible(item: Item, customer: Customer) -> bool:
    """Something undisputed is open, and neither the item nor its customer is on hold."""
    return undisputed(item) > 0 and item_not_on_hold(item) and customer_not_on_hold(customer)


def is_invoice(item: Item) -> bool:
    """Reminders, levels and interest apply to invoices only, never to fee or interest items."""
    return item.kind == "invoice"


def past_due_items(group: Group) -> list[Item]:
    """The group's eligible items with `dpd > 0` (fee and interest items included)."""
    return [
        item
        for item in group.items
        if eligible(item, group.customer) and days_past_due(item, group.as_of) > 0
    ]


# --- Reminders ------------------------------------------------------------------------------------


def reminder_due(item: Item, policy: Policy, as_of: date) -> Step | None:
    """The latest reminder whose `at ≤ dpd` (None before the first reminder)."""
    dpd = days_past_due(item, as_of)
    reached = [step for step in policy.reminders if step.at <= dpd]
    return reached[-1] if reached else None


def reminder_records(item: Item, policy: Policy, as_of: date) -> list[ReminderRecord]:
    """The due reminder as sent unless had; every earlier one never had as skipped (never sent late)."""
    due = reminder_due(item, policy, as_of)
    if due is None:
        return []
    had = item.reminders_had
    earlier = policy.reminders[: policy.reminders.index(due)]
    records = [ReminderRecord(item.item_id, step.name, "skipped") for step in earlier if step.name not in had]
    sent = [] if due.name in had else [ReminderRecord(item.item_id, due.name, "sent")]
    return records + sent


def reminder_candidates(group: Group) -> list[Item]:
    """Eligible invoices on or before their due date: the only items that get reminders."""
    return [
        item
        for item in group.items
        if is_invoice(item) and eligible(item, group.customer) and days_past_due(item, group.as_of) <= 0
    ]


def reminder_notice(group: Group, step: Step, items: Sequence[Item]) -> Notice:
    """One reminder notice of the group for `step`, listing the items that got it (interest 0)."""
    return Notice(
        customer_id=group.customer.customer_id,
        currency=group.currency,
        kind="reminder",
        step=step.name,
        policy=group.policy.name,
        level=None,
        fee_minor=None,
        interest_charge_minor=None,
        pending_approval=False,
        items=tuple(reminder_item(group, item) for item in sorted(items, key=lambda item: item.item_id)),
    )


def reminder_item(group: Group, item: Item) -> NoticeItem:
    """An item on a reminder notice: its current level, `dpd`, undisputed amount and interest 0."""
    dpd = days_past_due(item, group.as_of)
    return NoticeItem(item.item_id, item.kind, item.level, dpd, undisputed(item), interest_minor=0)


def reminders_of_group(group: Group) -> tuple[list[ReminderRecord], list[Notice]]:
    """The group's reminder records, and one reminder notice per reminder step sent today."""
    records: list[ReminderRecord] = []
    sent: defaultdict[str, list[Item]] = defaultdict(list)
    for item in reminder_candidates(group):
        item_records = reminder_records(item, group.policy, group.as_of)
        records += item_records
        for record in item_records:
            if record.status == "sent":
                sent[record.step].append(item)
    steps = [step for step in group.policy.reminders if step.name in sent]
    return records, [reminder_notice(group, step, sent[step.name]) for step in steps]


# --- Levels ---------------------------------------------------------------------------------------


def target_level(policy: Policy, dpd: int) -> int:
    """The highest level n whose `at ≤ dpd` (0 if none)."""
    return sum(1 for step in policy.levels if step.at <= dpd)


def new_level(item: Item, policy: Policy, dpd: int) -> int:
    """The target with `allow_skip`, else at most one level above the current one."""
    target = target_level(policy, dpd)
    return target if policy.allow_skip else min(target, item.level + 1)


def not_risen_today(item: Item, as_of: date) -> bool:
    """A second run for the same D acts only on what is new: an item rises at most once a day."""
    return item.level_date != as_of


def not_promised(item: Item, as_of: date) -> bool:
    """No pending promise to pay covers the item on D: its pause ended before D (or it has none)."""
    return item.promised_until is None or item.promised_until < as_of


def not_in_plan(item: Item, as_of: date) -> bool:
    """No instalment plan that is not broken covers the item on D: its pause ended before D (or none)."""
    return item.plan_until is None or item.plan_until < as_of


def would_rise(item: Item, policy: Policy, as_of: date) -> bool:
    """A past-due invoice whose new level is above its level, that did not rise today and that no
    pending promise or kept instalment plan pauses."""
    dpd = days_past_due(item, as_of)
    rises = is_invoice(item) and new_level(item, policy, dpd) > item.level
    paused = not not_promised(item, as_of) or not not_in_plan(item, as_of)
    return rises and not_risen_today(item, as_of) and not paused


def dunned_amount(past_due: Iterable[Item]) -> int:
    """The group's undisputed past-due balance: what a level notice would ask for."""
    return sum(undisputed(item) for item in past_due)


def balance_at_least_minimum(past_due: Iterable[Item], policy: Policy, currency: str) -> bool:
    """The undisputed past-due balance reaches the policy's minimum for the currency (none if unlisted)."""
    return dunned_amount(past_due) >= policy.minimum_overdue.get(currency, 0)


def min_days_since_last_notice(state: GroupState, policy: Policy, as_of: date) -> bool:
    """No level notice yet, or at least `min_days_between_notices` days since the last one, or a
    promise of the group broke since it."""
    last = state.last_level_notice
    spaced = last is None or (as_of - last).days >= policy.min_days_between_notices
    return spaced or promise_broken_since_last_notice(state) or plan_broken_since_last_notice(state)


def promise_broken_since_last_notice(state: GroupState) -> bool:
    """A promise to pay of the group broke after its last level notice: escalation resumes at once."""
    broken, last = state.promise_broken_on, state.last_level_notice
    return broken is not None and last is not None and broken > last


def plan_broken_since_last_notice(state: GroupState) -> bool:
    """An instalment plan of the group broke after its last level notice: escalation resumes at once."""
    broken, last = state.plan_broken_on, state.last_level_notice
    return broken is not None and last is not None and broken > last


def not_awaiting_approval(state: GroupState) -> bool:
    """No level notice of the group is waiting for a person's approval."""
    return not state.awaiting_approval


def not_held_by_rejection(group: Group, past_due: Sequence[Item], level: int) -> bool:
    """No standing rejection of the step the group would rise to, or the dunned amount has grown
    above the rejected notice's: a person's rejection sticks until the debt grows or is reopened."""
    rejected = group.rejections.get(group.policy.levels[level - 1].name)
    return rejected is None or dunned_amount(past_due) > rejected


def group_may_rise(group: Group, past_due: Sequence[Item], level: int) -> bool:
    """All four group conditions hold for a notice at `level`; otherwise nothing in the group rises."""
    return (
        balance_at_least_minimum(past_due, group.policy, group.currency)
        and min_days_since_last_notice(group.state, group.policy, group.as_of)
        and not_awaiting_approval(group.state)
        and not_held_by_rejection(group, past_due, level)
        and not_paused_by_next_step(group.facts, group.policy.next_steps, group.as_of)
    )


def risen_levels(group: Group, past_due: Sequence[Item]) -> dict[int, int]:
    """item_id → new level of every item that rises today (empty when the group may not rise)."""
    rising = {
        item.item_id: new_level(item, group.policy, days_past_due(item, group.as_of))
        for item in past_due
        if would_rise(item, group.policy, group.as_of)
    }
    if not rising or not group_may_rise(group, past_due, max(rising.values())):
        return {}
    return rising


# --- Fees and interest ----------------------------------------------------------------------------


def round_minor_half_up(minor: Decimal) -> int:
    """An amount already in minor units, rounded half-up to a whole minor unit."""
    return int(minor.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def interest_rate_for(item: Item, policy: Policy) -> Decimal | None:
    """The item's contract clause's rate, at most the policy's cap for contracts; else the policy's."""
    if item.contract_rate is None:
        return policy.interest_rate
    cap = policy.contract_interest_cap
    return item.contract_rate if cap is None else min(item.contract_rate, cap)


def interest_for(item: Item, policy: Policy, as_of: date) -> int:
    """Simple ACT/365 interest accrued to D and not charged before; invoices with a rate only."""
    rate = interest_rate_for(item, policy)
    if rate is None or not is_invoice(item):
        return 0
    minor_days = item.paid_minor_days + max(0, undisputed(item)) * max(0, days_past_due(item, as_of))
    accrued = round_minor_half_up(Decimal(minor_days) * rate / DAYS_PER_YEAR)
    return max(0, accrued - item.interest_charged_minor)


def fee_for(step: Step, level: int, currency: str, fee_levels: frozenset[int], dunned: int) -> int | None:
    """`fee_once_per_level_per_episode`: the level's fee, unless already charged in this episode.

    A percentage fee is that share of the dunned amount, rounded half-up to the minor unit once,
    and at most its cap."""
    if level in fee_levels:
        return None
    if currency in step.fee_rate:
        share = round_minor_half_up(Decimal(dunned) * step.fee_rate[currency])
        cap = step.fee_cap.get(currency)
        return share if cap is None else min(share, cap)
    return step.fee.get(currency)


def contract_fee_of(past_due: Iterable[Item]) -> int | None:
    """The lowest fee of the contract fee clauses of the past-due invoices (None: no clause)."""
    fees = [item.contract_fee_minor for item in past_due if is_invoice(item)]
    named = [fee for fee in fees if fee is not None]
    return min(named) if named else None


def notice_fee(policy_fee: int | None, past_due: Iterable[Item]) -> int | None:
    """`contract_fee_applies`: where the level charges a fee, a contract fee clause of a past-due
    invoice says how much instead of the policy (the lowest clause when several contracts are dunned)."""
    contract_fee = contract_fee_of(past_due)
    return policy_fee if policy_fee is None or contract_fee is None else contract_fee


def interest_charge_for(step: Step, notice_items: Iterable[NoticeItem]) -> int | None:
    """The interest item a `charge_interest` level adds: the items' interest, when positive."""
    total = sum(notice_item.interest_minor for notice_item in notice_items)
    return total if step.charge_interest and total > 0 else None


# --- The level notice -----------------------------------------------------------------------------


def level_after_today(item: Item, risen: dict[int, int]) -> int:
    """An invoice's level once the notice is made; fee and interest items show level 0."""
    return risen.get(item.item_id, item.level) if is_invoice(item) else 0


def notice_item(group: Group, item: Item, risen: dict[int, int]) -> NoticeItem:
    return NoticeItem(
        item_id=item.item_id,
        kind=item.kind,
        level=level_after_today(item, risen),
        days_past_due=days_past_due(item, group.as_of),
        open_minor=undisputed(item),
        interest_minor=interest_for(item, group.policy, group.as_of),
    )


def level_notice(group: Group, past_due: Sequence[Item], risen: dict[int, int], episode: Episode) -> Notice:
    """The group's one level notice: every past-due item, at the highest level any item rose to."""
    level = max(risen.values())
    step = group.policy.levels[level - 1]
    items = tuple(notice_item(group, item, risen) for item in sorted(past_due, key=lambda i: i.item_id))
    return Notice(
        customer_id=group.customer.customer_id,
        currency=group.currency,
        kind="level",
        step=step.name,
        policy=group.policy.name,
        level=level,
        fee_minor=notice_fee(
            fee_for(step, level, group.currency, episode.fee_levels, dunned_amount(past_due)), past_due
        ),
        interest_charge_minor=interest_charge_for(step, items),
        pending_approval=step.requires_approval,
        items=items,
    )


# --- Episodes and the group's new state -----------------------------------------------------------


def episode_transition(state: GroupState, has_past_due: bool) -> Episode:
    """Open an episode at the first eligible past-due item, close it at the last; both reset fee levels."""
    if has_past_due != state.episode_open:
        return Episode(open=has_past_due, fee_levels=frozenset())
    return Episode(open=state.episode_open, fee_levels=state.fee_levels)


def fee_levels_after(episode: Episode, applied: Notice | None) -> frozenset[int]:
    """The episode's fee levels, plus the level of an applied notice that charged a fee."""
    if applied is None or applied.level is None or applied.fee_minor is None:
        return episode.fee_levels
    return episode.fee_levels | {applied.level}


def group_change(group: Group, episode: Episode, applied: Notice | None) -> GroupChange | None:
    """The group's whole new state when it differs from the old one; None when nothing changed."""
    state = group.state
    last = group.as_of if applied is not None else state.last_level_notice
    new = (last, fee_levels_after(episode, applied), episode.open)
    if new == (state.last_level_notice, state.fee_levels, state.episode_open):
        return None
    return GroupChange(state.customer_id, state.currency, *new)


def level_changes_of(applied: Notice | None, risen: dict[int, int]) -> tuple[LevelChange, ...]:
    """The rises of an applied notice (a pending notice changes nothing until approved)."""
    if applied is None:
        return ()
    return tuple(LevelChange(item_id, level) for item_id, level in sorted(risen.items()))


def decide_group(group: Group) -> GroupOutcome:
    """Reminders, then the episode transition, then at most one level notice, for one group."""
    records, notices = reminders_of_group(group)
    past_due = past_due_items(group)
    episode = episode_transition(group.state, has_past_due=bool(past_due))
    risen = risen_levels(group, past_due)
    notice = level_notice(group, past_due, risen, episode) if risen else None
    applied = notice if notice is not None and not notice.pending_approval else None
    return GroupOutcome(
        notices=(*notices, notice) if notice is not None else tuple(notices),
        level_changes=level_changes_of(applied, risen),
        reminders=tuple(records),
        change=group_change(group, episode, applied),
        next_steps=next_steps_of_group(group.facts, group.policy.next_steps, group.as_of, bool(past_due)),
    )
