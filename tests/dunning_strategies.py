"""Hypothesis strategies for the dunning run: valid policy sets, and portfolios as the run sees them on D.

`policy_sets()` builds `PolicySet`s straight from the dataclasses, always valid (reminders at ≤ 0
and levels at > 0 in strictly increasing order, unique step names, interest charged only by a policy
that has a rate, a default route last). `snapshots(as_of=D)` builds a `Snapshot` of 1–6 customers
with items in currencies of 0, 2 and 3 decimals (JPY, CNY, KWD) due from 40 days after D to 130 days
before it, with partial payments, disputes, holds, levels, reminders already had, earlier interest,
fee and interest items, the group states earlier runs left, and rejections standing against some
groups' steps (their amount often exactly the group's dunned amount, or one more or one less).
Step names come from `REMINDER_NAMES` and `LEVEL_NAMES`, so that `reminders_had` names steps a
policy may have.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from hypothesis import strategies as st

from dunmore.domain.next_steps import ACTIONS, CONFIRM_RECEIPT, OUTCOME_PREFIX, NextSteps, ReasonStep
from dunmore.domain.policy import Policy, PolicySet, Route, Step
from dunmore.engine.model import (
    ContactFacts,
    Customer,
    Decisions,
    GroupState,
    Item,
    ItemKind,
    Rejection,
    Snapshot,
)

AS_OF: Final = date(2026, 10, 1)
CURRENCIES: Final = ("JPY", "CNY", "KWD")  # 0, 2 and 3 decimals
POLICY_CURRENCIES: Final = ("CNY", "JPY", "KWD", "EUR")  # EUR: a currency no item has
REMINDER_NAMES: Final = ("early", "pre-due", "due-today")
LEVEL_NAMES: Final = ("first-overdue", "second-overdue", "final-notice", "legal-review", "write-off")
GRADES: Final = ("A", "B", "C")
TAGS: Final = ("strategic", "public", "vip")
RATES: Final = (Decimal("0.0365"), Decimal("0.08"), Decimal("0.1"), Decimal("0.125"))
# Contract clauses as annual rates: 0.05 % a day, 1.5 % a month, 6 % a year, a rate of nothing.
CONTRACT_RATES: Final = (Decimal("0.1825"), Decimal("0.18"), Decimal("0.06"), Decimal("0"))
CONTRACT_CAPS: Final = (Decimal("0.1488"), Decimal("0.2"), Decimal("0"))
# Contract fee clauses per notice, in minor units: nothing, a cent, 200.00, 50.00.
CONTRACT_FEES: Final = (0, 1, 200_00, 50_00)
ITEM_KINDS: Final[tuple[ItemKind, ...]] = ("invoice", "invoice", "invoice", "fee", "interest")


NEAR: Final = st.sampled_from((-1, 0, 0, 1))


def sometimes(chance_in_ten: int) -> st.SearchStrategy[bool]:
    """True about `chance_in_ten` times in ten: for flags that are mostly off (holds, approval)."""
    return st.integers(0, 9).map(lambda n: n < chance_in_ten)


def subsets(names: tuple[str, ...], *, min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    """A subset of `names` in one draw (drawing a set element by element is slow)."""
    every = [frozenset(n for i, n in enumerate(names) if mask >> i & 1) for mask in range(1 << len(names))]
    return st.sampled_from([subset for subset in every if len(subset) >= min_size])


# Strategies are built once here: building them inside every draw is what makes generation slow.
RARELY: Final = sometimes(1)
SOMETIMES: Final = sometimes(2)
MOSTLY_NOT: Final = sometimes(7)  # draws True 7 times in 10: "no promise"
OFTEN: Final = sometimes(5)
FEE_MENU: Final[tuple[dict[str, int], ...]] = (
    {},
    {},
    {"CNY": 5_000, "JPY": 700},
    {"CNY": 10_000, "KWD": 40_000, "EUR": 4_000},
    {"JPY": 5_000},
    {"KWD": 1_500},
    {"CNY": 0, "JPY": 0},  # a zero fee is still a fee the policy has
)
FEES: Final = st.sampled_from(FEE_MENU)
# Percentage fees (a currency with a fixed fee keeps it) and their caps: 5 % of 10 minor units is
# 0.5, which rounds half-up to 1; 12.34 % has a denominator of 5000.
FEE_RATE_MENU: Final[tuple[dict[str, Decimal], ...]] = (
    {},
    {},
    {"CNY": Decimal("0.05")},
    {"JPY": Decimal("0.015"), "KWD": Decimal("0.1234")},
    {"CNY": Decimal("0.025"), "JPY": Decimal("1"), "KWD": Decimal("0")},
    {"CNY": Decimal("0.1234567890123456789")},  # too fine for Int64: the engine's Int128 path
)
FEE_RATES: Final = st.sampled_from(FEE_RATE_MENU)
FEE_CAPS: Final = st.sampled_from(({}, {"CNY": 500_00, "JPY": 2_000}, {"KWD": 1}, {"CNY": 0}))
MINIMUMS: Final = st.dictionaries(st.sampled_from(POLICY_CURRENCIES), st.integers(0, 200_000), max_size=3)
RATE_OR_NONE: Final = st.none() | st.sampled_from(RATES)
CONTRACT_RATE_OR_NONE: Final = st.none() | st.none() | st.sampled_from(CONTRACT_RATES)
CONTRACT_CAP_OR_NONE: Final = st.none() | st.sampled_from(CONTRACT_CAPS)
CONTRACT_FEE_OR_NONE: Final = st.none() | st.none() | st.sampled_from(CONTRACT_FEES)
GRADE_OR_NONE: Final = st.none() | st.sampled_from(GRADES)
TAG_SETS: Final = subsets(TAGS)
GRADE_CONDITION: Final = st.none() | subsets(GRADES, min_size=1)
TAGS_CONDITION: Final = st.none() | subsets(TAGS, min_size=1)
REMINDERS_HAD: Final = st.just(frozenset[str]()) | subsets(REMINDER_NAMES)
# Days past due, drawn more often where the reminders and the levels are.
DAYS_PAST_DUE: Final = st.integers(-12, 0) | st.integers(1, 130) | st.integers(-40, 130)
AMOUNTS: Final = st.integers(1, 1_000) | st.integers(1_000, 2_000_000)
PER_MILLE: Final = st.integers(0, 1000)
DAYS_AGO: Final = st.integers(0, 60)
FEE_LEVELS: Final = st.sampled_from((frozenset[int](), frozenset({1}), frozenset({2}), frozenset({2, 3})))
INTEREST_CHARGED: Final = st.just(0) | st.integers(0, 5_000)
KINDS: Final = st.sampled_from(ITEM_KINDS)
CURRENCY: Final = st.sampled_from(CURRENCIES)
LEVEL: Final = st.sampled_from((0, 0, 0, 1, 1, 2, 3, 4, 5))  # mostly low
LEVEL_DAYS: Final = st.sets(st.integers(1, 90), min_size=1, max_size=len(LEVEL_NAMES))
REMINDER_DAYS: Final = st.sets(st.integers(-10, 0), max_size=len(REMINDER_NAMES))
MIN_DAYS: Final = st.integers(0, 10)


def share(draw: st.DrawFn, whole: int) -> int:
    """A part of `whole` from 1 to all of it (without building a strategy per bound)."""
    return 1 + (whole - 1) * draw(PER_MILLE) // 1000


# --- Policies -------------------------------------------------------------------------------------
# Helpers take `draw` rather than being composite strategies: a strategy built per draw is slow.


def levels(draw: st.DrawFn, *, has_interest: bool) -> tuple[Step, ...]:
    """1–5 levels at > 0 in strictly increasing order; `charge_interest` only with a rate."""
    return tuple(
        level(draw, name, at, has_interest=has_interest)
        for name, at in zip(LEVEL_NAMES, sorted(draw(LEVEL_DAYS)), strict=False)
    )


def level(draw: st.DrawFn, name: str, at: int, *, has_interest: bool) -> Step:
    """A level with fixed fees, percentage fees in other currencies, and caps on some of those."""
    fee = draw(FEES)
    rates = {c: rate for c, rate in draw(FEE_RATES).items() if c not in fee}
    return Step(
        name=name,
        at=at,
        channels=("email",),
        template=f"overdue-{name}",
        fee=fee,
        fee_rate=rates,
        fee_cap={c: cap for c, cap in draw(FEE_CAPS).items() if c in rates},
        charge_interest=has_interest and draw(OFTEN),
        requires_approval=draw(RARELY),
    )


def reminders(draw: st.DrawFn) -> tuple[Step, ...]:
    """0–3 reminders at ≤ 0 in strictly increasing order."""
    days = sorted(draw(REMINDER_DAYS))
    names = REMINDER_NAMES[len(REMINDER_NAMES) - len(days) :]
    return tuple(
        Step(name=name, at=at, channels=("email",), template=f"reminder-{name}")
        for name, at in zip(names, days, strict=True)
    )


def policy(draw: st.DrawFn, name: str) -> Policy:
    """One valid policy called `name`."""
    rate = draw(RATE_OR_NONE)
    return Policy(
        name=name,
        min_days_between_notices=draw(MIN_DAYS),
        allow_skip=draw(st.booleans()),
        minimum_overdue=draw(MINIMUMS),
        interest_rate=rate,
        contract_interest_cap=draw(CONTRACT_CAP_OR_NONE),
        reminders=reminders(draw),
        levels=levels(draw, has_interest=rate is not None),
        next_steps=next_steps(draw),
    )


def conditional_route(draw: st.DrawFn, names: list[str]) -> Route:
    """A route with a grade condition, a tags condition or both (never the default)."""
    when_grade, when_tags = draw(GRADE_CONDITION), draw(TAGS_CONDITION)
    if when_grade is None and when_tags is None:
        when_grade = frozenset(GRADES[:1])
    return Route(when_tags_any=when_tags, when_grade=when_grade, policy=draw(st.sampled_from(names)))


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    """1–3 valid policies, 0–3 conditional routes among them, and a default route last."""
    names = [f"policy-{n}" for n in range(draw(st.integers(1, 3)))]
    routes = [conditional_route(draw, names) for _ in range(draw(st.integers(0, 3)))]
    default = Route(when_tags_any=None, when_grade=None, policy=draw(st.sampled_from(names)))
    return PolicySet({name: policy(draw, name) for name in names}, (*routes, default))


# --- Snapshots ------------------------------------------------------------------------------------


def customer(draw: st.DrawFn, customer_id: int) -> Customer:
    return Customer(customer_id, grade=draw(GRADE_OR_NONE), tags=draw(TAG_SETS), on_hold=draw(RARELY))


def disputed_part(draw: st.DrawFn, open_minor: int) -> int:
    """Mostly nothing in dispute; else the whole open amount, or a part of it."""
    if not draw(SOMETIMES):
        return 0
    return open_minor if draw(st.booleans()) else share(draw, open_minor)


def level_history(draw: st.DrawFn, as_of: date) -> tuple[int, date | None]:
    """An invoice's level 0–5 and the date it last rose: sometimes today (a second run for D)."""
    level = draw(LEVEL)
    if level == 0:
        return 0, None
    return level, as_of if draw(SOMETIMES) else as_of - timedelta(days=draw(DAYS_AGO))


def item(draw: st.DrawFn, item_id: int, customer_id: int, as_of: date) -> Item:
    """An open item on D: an invoice (perhaps partly paid, late) or a fee or interest item."""
    kind = draw(KINDS)
    dpd = draw(DAYS_PAST_DUE)
    amount = draw(AMOUNTS)
    open_minor = amount if draw(st.booleans()) else share(draw, amount)
    invoice = kind == "invoice"
    level, level_date = level_history(draw, as_of) if invoice else (0, None)
    paid_late_days = share(draw, dpd + 1) - 1 if dpd > 0 else 0
    contract_rate = draw(CONTRACT_RATE_OR_NONE)  # on any kind: only invoices accrue
    contract_fee = draw(CONTRACT_FEE_OR_NONE)  # on any kind: only invoices' clauses count
    return Item(
        item_id=item_id,
        customer_id=customer_id,
        currency=draw(CURRENCY),
        kind=kind,
        due_date=as_of - timedelta(days=dpd),
        open_minor=open_minor,
        disputed_minor=disputed_part(draw, open_minor),
        on_hold=draw(RARELY),
        level=level,
        level_date=level_date,
        reminders_had=draw(REMINDERS_HAD) if invoice else frozenset(),
        paid_minor_days=(amount - open_minor) * paid_late_days if invoice else 0,
        interest_charged_minor=draw(INTEREST_CHARGED) if invoice else 0,
        promised_until=promised_until(draw, as_of),
        plan_until=promised_until(draw, as_of),
        contract_rate=contract_rate,
        contract_clause=None if contract_rate is None else f"K-{contract_rate}: {contract_rate} a year",
        contract_fee_minor=contract_fee,
        contract_fee_clause=None if contract_fee is None else f"K-{contract_fee}: {contract_fee} per notice",
    )


def promised_until(draw: st.DrawFn, as_of: date) -> date | None:
    """The last day of a promise's pause: none mostly, else around D (yesterday, today, tomorrow)."""
    return None if draw(MOSTLY_NOT) else as_of + timedelta(days=draw(NEAR))


def promise_broken_on(draw: st.DrawFn, last_level_notice: date | None, as_of: date) -> date | None:
    """The day a promise of the group broke: none mostly, else before, on or after its last notice."""
    if draw(MOSTLY_NOT):
        return None
    anchor = last_level_notice or as_of
    return min(as_of, anchor + timedelta(days=draw(NEAR)))


def group_state(draw: st.DrawFn, customer_id: int, currency: str, as_of: date) -> GroupState:
    """What earlier runs may have left for a group (not necessarily consistent with its items)."""
    last = None if draw(st.booleans()) else as_of - timedelta(days=draw(DAYS_AGO) // 3)
    return GroupState(
        customer_id=customer_id,
        currency=currency,
        last_level_notice=last,
        fee_levels=draw(FEE_LEVELS),
        episode_open=draw(st.booleans()),
        awaiting_approval=draw(RARELY),
        promise_broken_on=promise_broken_on(draw, last, as_of),
        plan_broken_on=promise_broken_on(draw, last, as_of),
    )


def dunned_amount(items: list[Item], customer: Customer, as_of: date) -> int:
    """The undisputed past-due balance of a group's eligible items (what a notice would ask for)."""
    return sum(
        i.open_minor - i.disputed_minor
        for i in items
        if i.open_minor > i.disputed_minor and not i.on_hold and not customer.on_hold and i.due_date < as_of
    )


def rejections(draw: st.DrawFn, portfolio: list[Customer], items: list[Item], as_of: date) -> list[Rejection]:
    """Some groups have a rejected step: at their dunned amount (±1), or at any amount."""
    found = []
    for each in portfolio:
        for currency in CURRENCIES:
            if not draw(SOMETIMES):
                continue
            mine = [i for i in items if i.customer_id == each.customer_id and i.currency == currency]
            near = max(0, dunned_amount(mine, each, as_of) + draw(NEAR))
            amount = near if draw(OFTEN) else draw(AMOUNTS)
            steps = draw(subsets(LEVEL_NAMES, min_size=1))
            found += [Rejection(each.customer_id, currency, step, amount) for step in sorted(steps)]
    return found


@st.composite
def snapshots(draw: st.DrawFn, as_of: date = AS_OF) -> Snapshot:
    """A portfolio of 1–6 customers with 0–8 items each (unique ids) and some groups' earlier state."""
    portfolio = [customer(draw, customer_id) for customer_id in range(1, draw(st.integers(1, 6)) + 1)]
    open_items: list[Item] = []
    for each in portfolio:
        for _ in range(draw(st.integers(0, 8))):
            open_items.append(item(draw, len(open_items) + 1, each.customer_id, as_of))
    # Every group of the items may have a state, and so may groups without items today.
    keys = {(each.customer_id, each.currency) for each in open_items}
    keys |= {(each.customer_id, draw(CURRENCY)) for each in portfolio}
    states = [group_state(draw, c, currency, as_of) for c, currency in sorted(keys) if draw(st.booleans())]
    return Snapshot(
        as_of=as_of,
        items=tuple(open_items),
        customers=tuple(portfolio),
        groups=tuple(states),
        rejections=tuple(rejections(draw, portfolio, open_items, as_of)),
        facts=tuple(contact_facts(draw, sorted(keys), as_of)),
    )


# --- The next step follows the answer -------------------------------------------------------------

REASONS: Final = ("not_received", "cash_flow", "forgot", "asked_for_time")  # forgot: mapped by none
OUTCOMES: Final = ("wrong_number", "refused", "no_answer", "reached")  # reached: mapped by none
STEP_ACTIONS: Final = st.sampled_from(ACTIONS)
CONFIRM_DAYS: Final = st.sampled_from((None, 1, 3, 5))
PAUSE_DAYS: Final = st.sampled_from((0, 1, 3, 7))
NEAR_DAYS: Final = st.sampled_from((None, -12, -7, -5, -3, -1, 0))  # days from D, None: no fact


def next_steps(draw: st.DrawFn) -> NextSteps:
    """A policy's next steps: sometimes none, else a confirm-receipt delay and some mapped reasons."""
    if draw(SOMETIMES):
        return NextSteps()
    mapped = draw(subsets(REASONS[:2] + REASONS[3:]))
    reasons = {reason: ReasonStep(draw(STEP_ACTIONS), draw(PAUSE_DAYS)) for reason in sorted(mapped)}
    outcomes = {outcome: draw(STEP_ACTIONS) for outcome in sorted(draw(subsets(OUTCOMES[:3])))}
    return NextSteps(confirm_receipt_after_days=draw(CONFIRM_DAYS), reasons=reasons, outcomes=outcomes)


def _near(draw: st.DrawFn, as_of: date) -> date | None:
    days = draw(NEAR_DAYS)
    return None if days is None else as_of + timedelta(days=days)


def contact_facts(draw: st.DrawFn, keys: list[tuple[int, str]], as_of: date) -> list[ContactFacts]:
    """Some groups' contact facts: dates a few days before D (or on it), so that delays, answers and
    steps already taken fall on both sides of each rule's boundary."""
    found = []
    for customer_id, currency in keys:
        if draw(SOMETIMES):
            continue
        reason = draw(st.sampled_from((None, *REASONS)))
        outcome = draw(st.sampled_from((None, *OUTCOMES)))
        found.append(
            ContactFacts(
                customer_id, currency,
                emailed_on=_near(draw, as_of), answered_on=_near(draw, as_of),
                reason=reason, reason_on=None if reason is None else _near(draw, as_of) or as_of,
                confirm_asked_on=_near(draw, as_of), reason_acted_on=_near(draw, as_of),
                outcome=outcome, outcome_on=None if outcome is None else _near(draw, as_of) or as_of,
                outcome_acted_on=_near(draw, as_of),
            )
        )  # fmt: skip
    return found


def acted_on(facts: tuple[ContactFacts, ...], decisions: Decisions) -> tuple[ContactFacts, ...]:
    """The next steps taken are remembered (as the run's next_steps table does): once per trigger."""
    taken = {
        (s.customer_id, s.currency, _kind(s.action, s.reason)): s.trigger_on for s in decisions.next_steps
    }
    return tuple(
        replace(
            f,
            confirm_asked_on=taken.get((f.customer_id, f.currency, "confirm"), f.confirm_asked_on),
            reason_acted_on=taken.get((f.customer_id, f.currency, "reason"), f.reason_acted_on),
            outcome_acted_on=taken.get((f.customer_id, f.currency, "outcome"), f.outcome_acted_on),
        )
        for f in facts
    )


def _kind(action: str, reason: str) -> str:
    """Which trigger a step answers, as the run's `next_steps` table tells them apart."""
    if action == CONFIRM_RECEIPT:
        return "confirm"
    return "outcome" if reason.startswith(OUTCOME_PREFIX) else "reason"
