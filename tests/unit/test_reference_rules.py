"""The dunning run's rules, one story each, on the plain reference evaluator.

Every story runs on D = 2026-10-01 (unless it says otherwise) with the shipped example policy
(`examples/dunning.yaml`): customer 1 has no grade and no tags, so it gets `standard` —
minimum overdue 100.00 CNY / ¥1000, 7 days between notices, interest 3.65 % (which is exactly
0.0001 per minor-unit-day), reminders `pre-due` (−3) and `due-today` (0), levels
1 `first-overdue` (3), 2 `second-overdue` (15, fee 50.00 CNY / ¥700),
3 `final-notice` (30, fee 100.00 CNY, charges interest) and 4 `legal-review` (60, needs approval).
Amounts are minor units written as `1000_00` for 1,000.00 CNY.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from hypothesis import given, settings

from dunmore.domain.policy import Policy, PolicySet, Route, load_policy_file
from dunmore.engine.model import (
    Customer,
    Decisions,
    GroupChange,
    GroupState,
    Item,
    ItemKind,
    LevelChange,
    Notice,
    NoticeItem,
    Rejection,
    ReminderRecord,
    Snapshot,
)
from dunmore.engine.reference import decide_reference, interest_for
from tests.dunning_strategies import acted_on, policy_sets, snapshots

EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
D = date(2026, 10, 1)
CUSTOMER = Customer(1)
NOTHING = Decisions(D)


@cache
def example() -> PolicySet:
    return load_policy_file(EXAMPLE)


def standard() -> Policy:
    return example().policies["standard"]


def only(policy: Policy) -> PolicySet:
    """A policy set where every customer gets `policy`."""
    return PolicySet({policy.name: policy}, (Route(None, None, policy.name),))


def day(text: str) -> date:
    return date.fromisoformat(text)


def invoice(
    item_id: int,
    due: str,
    open_minor: int,
    *,
    currency: str = "CNY",
    customer_id: int = 1,
    disputed: int = 0,
    on_hold: bool = False,
    level: int = 0,
    risen: str | None = None,
    had: Iterable[str] = (),
    paid_minor_days: int = 0,
    interest_charged: int = 0,
) -> Item:
    """An open invoice of customer 1 in CNY unless told; `risen` is the date of its last level rise."""
    return Item(
        item_id=item_id,
        customer_id=customer_id,
        currency=currency,
        kind="invoice",
        due_date=day(due),
        open_minor=open_minor,
        disputed_minor=disputed,
        on_hold=on_hold,
        level=level,
        level_date=day(risen) if risen else None,
        reminders_had=frozenset(had),
        paid_minor_days=paid_minor_days,
        interest_charged_minor=interest_charged,
    )


def charge(item_id: int, kind: ItemKind, due: str, open_minor: int) -> Item:
    """A fee or interest item of customer 1 in CNY, created by an earlier notice."""
    return Item(item_id, 1, "CNY", kind, day(due), open_minor)


def run(
    *items: Item,
    customers: Iterable[Customer] = (CUSTOMER,),
    groups: Iterable[GroupState] = (),
    policies: PolicySet | None = None,
    as_of: date = D,
    rejections: Iterable[Rejection] = (),
) -> Decisions:
    snapshot = Snapshot(as_of, tuple(items), tuple(customers), tuple(groups), tuple(rejections))
    return decide_reference(snapshot, policies or example())


def level_notice(decisions: Decisions) -> Notice:
    """The one level notice of the decisions (fails when there is none or more than one)."""
    (notice,) = (notice for notice in decisions.notices if notice.kind == "level")
    return notice


def headline(notice: Notice) -> tuple[str, int | None, int | None, int | None]:
    """What a level notice says at the top: its step, level, fee and interest charge."""
    return notice.step, notice.level, notice.fee_minor, notice.interest_charge_minor


def state_after(change: GroupChange) -> GroupState:
    """The group state the next run reads after a run made `change`."""
    return GroupState(
        change.customer_id, change.currency, change.last_level_notice, change.fee_levels, change.episode_open
    )


# --- Reminders ------------------------------------------------------------------------------------


def test_reminder_due_today_is_sent_and_the_missed_pre_due_is_skipped_not_sent_late() -> None:
    decisions = run(invoice(1, due="2026-10-01", open_minor=500_00))
    assert decisions.reminders == (
        ReminderRecord(1, "due-today", "sent"),
        ReminderRecord(1, "pre-due", "skipped"),
    )
    assert decisions.notices == (
        Notice(
            customer_id=1,
            currency="CNY",
            kind="reminder",
            step="due-today",
            policy="standard",
            level=None,
            fee_minor=None,
            interest_charge_minor=None,
            pending_approval=False,
            items=(NoticeItem(1, "invoice", level=0, days_past_due=0, open_minor=500_00, interest_minor=0),),
        ),
    )
    assert decisions.level_changes == ()
    assert decisions.group_changes == ()


def test_pre_due_reminder_goes_three_days_before_and_nothing_earlier() -> None:
    assert run(invoice(1, due="2026-10-04", open_minor=500_00)).reminders == (
        ReminderRecord(1, "pre-due", "sent"),
    )
    assert run(invoice(1, due="2026-10-05", open_minor=500_00)) == NOTHING


def test_a_reminder_is_never_repeated() -> None:
    assert run(invoice(1, due="2026-10-03", open_minor=500_00, had={"pre-due"})) == NOTHING
    both = run(invoice(1, due="2026-10-01", open_minor=500_00, had={"pre-due", "due-today"}))
    assert both == NOTHING


def test_a_missed_earlier_reminder_is_recorded_skipped_even_when_the_due_one_was_had() -> None:
    decisions = run(invoice(1, due="2026-10-01", open_minor=500_00, had={"due-today"}))
    assert decisions.reminders == (ReminderRecord(1, "pre-due", "skipped"),)
    assert decisions.notices == ()


def test_only_reminders_never_had_are_recorded_skipped() -> None:
    decisions = run(invoice(1, due="2026-10-01", open_minor=500_00, had={"pre-due"}))
    assert decisions.reminders == (ReminderRecord(1, "due-today", "sent"),)


def test_reminders_are_not_held_back_by_minimum_or_spacing() -> None:
    recently_dunned = GroupState(1, "CNY", last_level_notice=day("2026-09-30"), episode_open=True)
    tiny = invoice(1, due="2026-10-01", open_minor=1_00)
    assert ReminderRecord(1, "due-today", "sent") in run(tiny, groups=[recently_dunned]).reminders


def test_fee_and_interest_items_never_get_reminders() -> None:
    assert run(charge(1, "fee", "2026-10-01", 50_00), charge(2, "interest", "2026-10-03", 9_00)) == NOTHING


def test_one_reminder_notice_per_group_and_step() -> None:
    decisions = run(
        invoice(1, due="2026-10-01", open_minor=100_00),
        invoice(2, due="2026-10-01", open_minor=200_00),
        invoice(3, due="2026-10-01", open_minor=30_000, currency="JPY"),
        invoice(4, due="2026-10-04", open_minor=400_00),
    )
    shape = [(n.currency, n.kind, n.step, [i.item_id for i in n.items]) for n in decisions.notices]
    assert shape == [
        ("CNY", "reminder", "due-today", [1, 2]),
        ("CNY", "reminder", "pre-due", [4]),
        ("JPY", "reminder", "due-today", [3]),
    ]


# --- Levels ---------------------------------------------------------------------------------------


def test_levels_rise_one_at_a_time_without_allow_skip() -> None:
    decisions = run(invoice(1, due="2026-08-01", open_minor=1000_00))  # 61 days late: target 4
    assert headline(level_notice(decisions)) == ("first-overdue", 1, None, None)
    assert decisions.level_changes == (LevelChange(1, 1),)
    assert decisions.group_changes == (GroupChange(1, "CNY", D, frozenset(), episode_open=True),)


def test_allow_skip_jumps_to_the_target_level() -> None:
    skipping = only(replace(standard(), allow_skip=True))
    decisions = run(invoice(1, due="2026-08-31", open_minor=1000_00), policies=skipping)  # 31 days late
    assert headline(level_notice(decisions))[:3] == ("final-notice", 3, 100_00)
    assert decisions.level_changes == (LevelChange(1, 3),)


def test_an_item_rises_at_most_once_a_day() -> None:
    already = invoice(1, due="2026-08-01", open_minor=1000_00, level=1, risen="2026-10-01")
    decisions = run(already)
    assert decisions.notices == ()
    assert decisions.level_changes == ()


def test_a_second_run_for_the_same_day_acts_only_on_what_is_new() -> None:
    first = run(invoice(1, due="2026-09-11", open_minor=1000_00))
    (change,) = first.group_changes
    again = invoice(1, due="2026-09-11", open_minor=1000_00, level=1, risen="2026-10-01")
    new = invoice(2, due="2026-09-21", open_minor=1000_00)  # arrived between the two runs
    second = run(
        again,
        new,
        groups=[state_after(change)],
        policies=only(replace(standard(), min_days_between_notices=0)),
    )
    assert second.level_changes == (LevelChange(2, 1),)
    assert [(i.item_id, i.level) for i in level_notice(second).items] == [(1, 1), (2, 1)]


def test_minimum_overdue_blocks_the_whole_group_and_fee_items_count() -> None:
    small = [invoice(1, due="2026-09-11", open_minor=40_00), invoice(2, due="2026-09-26", open_minor=40_00)]
    assert run(*small).notices == ()  # 80.00 < 100.00
    decisions = run(*small, charge(3, "fee", "2026-09-21", 20_00))  # exactly 100.00
    assert [(i.item_id, i.kind, i.level) for i in level_notice(decisions).items] == [
        (1, "invoice", 1),
        (2, "invoice", 1),
        (3, "fee", 0),
    ]


def test_min_days_between_notices_blocks_until_the_seventh_day() -> None:
    overdue = invoice(1, due="2026-08-01", open_minor=1000_00, level=1, risen="2026-09-25")
    six_days = GroupState(1, "CNY", last_level_notice=day("2026-09-25"), episode_open=True)
    assert run(overdue, groups=[six_days]) == NOTHING
    seven_days = replace(six_days, last_level_notice=day("2026-09-24"))
    assert run(overdue, groups=[seven_days]).level_changes == (LevelChange(1, 2),)


def test_a_notice_awaiting_approval_blocks_the_group() -> None:
    waiting = GroupState(
        1, "CNY", last_level_notice=day("2026-08-01"), episode_open=True, awaiting_approval=True
    )
    assert run(invoice(1, due="2026-08-01", open_minor=1000_00), groups=[waiting]) == NOTHING


def test_a_rejected_step_is_not_proposed_again_until_the_dunned_amount_grows_above_it() -> None:
    # Levels 1–3 are behind the invoice; legal review (level 4, at 60 days) was rejected at 1,000.00.
    overdue = invoice(1, due="2026-07-01", open_minor=1000_00, level=3, risen="2026-08-01")
    state = GroupState(1, "CNY", last_level_notice=day("2026-08-01"), episode_open=True)
    rejected = Rejection(1, "CNY", "legal-review", 1000_00)
    assert run(overdue, groups=[state], rejections=[rejected]) == NOTHING
    assert run(overdue, groups=[state], rejections=[replace(rejected, step="final-notice")]).notices
    grown = run(overdue, invoice(2, due="2026-09-20", open_minor=1), groups=[state], rejections=[rejected])
    assert headline(level_notice(grown)) == ("legal-review", 4, None, None)
    assert level_notice(grown).pending_approval


def test_a_rejection_holds_back_the_whole_group_like_the_other_group_rules() -> None:
    # Invoice 2 would rise to level 1 alone, but the group's notice would be the rejected legal review.
    overdue = invoice(1, due="2026-07-01", open_minor=1000_00, level=3, risen="2026-08-01")
    fresh = invoice(2, due="2026-09-20", open_minor=500_00)
    state = GroupState(1, "CNY", last_level_notice=day("2026-08-01"), episode_open=True)
    assert run(overdue, fresh, groups=[state], rejections=[Rejection(1, "CNY", "legal-review", 2000_00)]) == (
        NOTHING
    )


def test_one_level_notice_lists_every_eligible_past_due_item_with_its_level() -> None:
    decisions = run(
        invoice(1, due="2026-09-11", open_minor=200_00),  # rises 0 → 1
        invoice(2, due="2026-09-11", open_minor=100_00, level=1, risen="2026-09-14"),  # rises 1 → 2
        invoice(3, due="2026-09-11", open_minor=300_00, level=2, risen="2026-09-26"),  # stays at 2
        invoice(4, due="2026-09-11", open_minor=500_00, disputed=500_00),  # all disputed: not listed
        invoice(5, due="2026-10-11", open_minor=700_00),  # not due: not listed
        replace(charge(6, "interest", "2026-09-27", 5_00), level=1),  # fee and interest items show 0
    )
    assert decisions.notices == (
        Notice(
            customer_id=1,
            currency="CNY",
            kind="level",
            step="second-overdue",
            policy="standard",
            level=2,
            fee_minor=50_00,
            interest_charge_minor=None,
            pending_approval=False,
            items=(
                NoticeItem(1, "invoice", level=1, days_past_due=20, open_minor=200_00, interest_minor=40),
                NoticeItem(2, "invoice", level=2, days_past_due=20, open_minor=100_00, interest_minor=20),
                NoticeItem(3, "invoice", level=2, days_past_due=20, open_minor=300_00, interest_minor=60),
                NoticeItem(6, "interest", level=0, days_past_due=4, open_minor=5_00, interest_minor=0),
            ),
        ),
    )
    assert decisions.level_changes == (LevelChange(1, 1), LevelChange(2, 2))
    assert decisions.group_changes == (GroupChange(1, "CNY", D, frozenset({2}), episode_open=True),)


def test_fee_is_charged_once_per_level_per_episode_and_again_in_a_new_episode() -> None:
    # 2026-10-01: invoice 1 reaches level 2 and pays its fee.
    first = run(invoice(1, due="2026-09-16", open_minor=1000_00, level=1, risen="2026-09-19"))
    assert level_notice(first).fee_minor == 50_00
    (after_first,) = first.group_changes
    # 2026-10-08: invoice 2 reaches level 2 in the same episode: no second fee.
    second = run(
        invoice(1, due="2026-09-16", open_minor=1000_00, level=2, risen="2026-10-01"),
        invoice(2, due="2026-09-21", open_minor=500_00, level=1, risen="2026-09-24"),
        groups=[state_after(after_first)],
        as_of=day("2026-10-08"),
    )
    assert headline(level_notice(second)) == ("second-overdue", 2, None, None)
    (after_second,) = second.group_changes
    # 2026-10-20: everything is paid; the episode closes and forgets its fees.
    third = run(groups=[state_after(after_second)], as_of=day("2026-10-20"))
    assert third.group_changes == (GroupChange(1, "CNY", day("2026-10-08"), frozenset(), episode_open=False),)
    # 2026-11-20: a new invoice reaches level 2 in a new episode: the fee is charged again.
    fourth = run(
        invoice(3, due="2026-11-05", open_minor=800_00, level=1, risen="2026-11-08"),
        groups=[state_after(third.group_changes[0])],
        as_of=day("2026-11-20"),
    )
    assert level_notice(fourth).fee_minor == 50_00
    assert fourth.group_changes == (
        GroupChange(1, "CNY", day("2026-11-20"), frozenset({2}), episode_open=True),
    )


def test_pending_approval_changes_nothing() -> None:
    state = GroupState(1, "CNY", day("2026-08-31"), frozenset({2, 3}), episode_open=True)
    decisions = run(
        invoice(1, due="2026-08-01", open_minor=1000_00, level=3, risen="2026-08-31"), groups=[state]
    )
    notice = level_notice(decisions)
    assert (notice.step, notice.level, notice.pending_approval) == ("legal-review", 4, True)
    assert notice.items == (
        NoticeItem(1, "invoice", level=4, days_past_due=61, open_minor=1000_00, interest_minor=610),
    )
    assert decisions.level_changes == ()
    assert decisions.group_changes == ()


# --- Interest -------------------------------------------------------------------------------------


def test_interest_example_from_the_specification() -> None:
    # 10,000.00 due 2026-09-01; 4,000.00 paid 2026-09-21, 20 days late.
    late = invoice(
        1, due="2026-09-01", open_minor=6000_00, level=2, risen="2026-09-16", paid_minor_days=4000_00 * 20
    )
    assert interest_for(late, standard(), D) == 2600  # (400000×20 + 600000×30) × 0.0365 / 365
    notice = level_notice(run(late))
    assert headline(notice) == ("final-notice", 3, 100_00, 2600)
    assert notice.items[0].interest_minor == 2600


def test_interest_rounds_half_up_to_the_minor_unit() -> None:
    assert interest_for(invoice(1, due="2026-09-06", open_minor=10_00), standard(), D) == 3  # 2.5 → 3
    assert interest_for(invoice(1, due="2026-09-07", open_minor=10_00), standard(), D) == 2  # 2.4 → 2
    # At 10 %, 365 minor units 5 days late: 1825 × 0.1 / 365 = 0.5 exactly → 1.
    ten_percent = replace(standard(), interest_rate=Decimal("0.1"))
    assert interest_for(invoice(1, due="2026-09-26", open_minor=365), ten_percent, D) == 1


def test_interest_already_charged_is_not_charged_again() -> None:
    charged = invoice(
        1, due="2026-09-01", open_minor=1000_00, level=2, risen="2026-09-16", interest_charged=200
    )
    assert interest_for(charged, standard(), D) == 100  # 100000 × 30 days × 0.0001 = 300 accrued
    all_charged = replace(charged, interest_charged_minor=300)
    assert interest_for(all_charged, standard(), D) == 0
    assert level_notice(run(all_charged)).interest_charge_minor is None


def test_only_invoices_of_a_policy_with_a_rate_bear_interest() -> None:
    overdue = invoice(1, due="2026-09-01", open_minor=1000_00)
    assert interest_for(overdue, example().policies["gentle"], D) == 0
    assert interest_for(replace(overdue, kind="fee"), standard(), D) == 0


# --- Eligibility ----------------------------------------------------------------------------------


def test_a_wholly_disputed_item_is_not_dunned_and_a_partly_disputed_one_for_the_rest() -> None:
    assert run(invoice(1, due="2026-10-01", open_minor=500_00, disputed=500_00)) == NOTHING
    # 50.00 undisputed is below the 100.00 minimum.
    assert run(invoice(1, due="2026-09-11", open_minor=500_00, disputed=450_00)).notices == ()
    partly = run(invoice(1, due="2026-09-11", open_minor=500_00, disputed=300_00))
    assert level_notice(partly).items == (
        NoticeItem(1, "invoice", 1, 20, open_minor=200_00, interest_minor=40),
    )


def test_held_items_and_held_customers_are_not_dunned() -> None:
    held_item = invoice(2, due="2026-09-11", open_minor=5000_00, on_hold=True)
    decisions = run(invoice(1, due="2026-09-11", open_minor=200_00), held_item)
    assert [i.item_id for i in level_notice(decisions).items] == [1]
    open_episode = GroupState(1, "CNY", day("2026-09-01"), frozenset({2}), episode_open=True)
    held = run(
        invoice(1, due="2026-10-01", open_minor=500_00),
        customers=[Customer(1, on_hold=True)],
        groups=[open_episode],
    )
    assert held.notices == ()
    assert held.reminders == ()
    assert held.group_changes == (GroupChange(1, "CNY", day("2026-09-01"), frozenset(), episode_open=False),)


def test_jpy_amounts_have_no_minor_unit() -> None:
    assert run(invoice(1, due="2026-09-21", open_minor=999, currency="JPY")).notices == ()  # ¥999 < ¥1000
    decisions = run(
        invoice(1, due="2026-09-16", open_minor=100_000, currency="JPY", level=1, risen="2026-09-19")
    )
    notice = level_notice(decisions)
    assert (notice.currency, notice.level, notice.fee_minor) == ("JPY", 2, 700)
    assert notice.items[0].interest_minor == 150  # 100000 × 15 days × 0.0001


def test_routes_choose_the_policy_by_tags_and_grade() -> None:
    five_days_late = invoice(1, due="2026-09-26", open_minor=1000_00)
    assert level_notice(run(five_days_late, customers=[Customer(1, grade="B")])).policy == "standard"
    strategic = Customer(1, tags=frozenset({"strategic"}))
    assert run(five_days_late, customers=[strategic]).notices == ()  # gentle's first level is at 7 days
    gentle = run(replace(five_days_late, due_date=day("2026-09-24")), customers=[Customer(1, grade="A")])
    assert (level_notice(gentle).policy, headline(level_notice(gentle))) == (
        "gentle",
        ("first-overdue", 1, None, None),
    )


# --- Outputs --------------------------------------------------------------------------------------


def test_a_reminder_and_a_level_notice_on_the_same_day_for_the_same_group() -> None:
    decisions = run(
        invoice(1, due="2026-10-01", open_minor=500_00), invoice(2, due="2026-09-21", open_minor=500_00)
    )
    assert [(n.kind, n.step, [i.item_id for i in n.items]) for n in decisions.notices] == [
        ("level", "first-overdue", [2]),
        ("reminder", "due-today", [1]),
    ]


def test_group_changes_list_only_groups_whose_state_changed() -> None:
    decisions = run(
        invoice(1, due="2026-09-01", open_minor=1000_00, customer_id=1),
        invoice(2, due="2026-09-01", open_minor=1000_00, customer_id=2),
        customers=[Customer(1), Customer(2), Customer(3)],
        groups=[
            GroupState(1, "CNY", day("2026-09-28"), episode_open=True),  # spacing blocks: unchanged
            GroupState(1, "JPY"),  # nothing open, episode closed: unchanged
            GroupState(3, "KWD", day("2026-09-01"), frozenset({2}), episode_open=True),  # all paid: closes
        ],
    )
    assert decisions.group_changes == (
        GroupChange(2, "CNY", D, frozenset(), episode_open=True),
        GroupChange(3, "KWD", day("2026-09-01"), frozenset(), episode_open=False),
    )


# --- Properties -----------------------------------------------------------------------------------


def item_after(item: Item, decisions: Decisions) -> Item:
    """An item as the applicator leaves it: reminders recorded, and its new level dated D."""
    had = item.reminders_had | {r.step for r in decisions.reminders if r.item_id == item.item_id}
    rises = [change.level for change in decisions.level_changes if change.item_id == item.item_id]
    if not rises:
        return replace(item, reminders_had=had)
    return replace(item, reminders_had=had, level=rises[0], level_date=decisions.as_of)


def applied(snapshot: Snapshot, decisions: Decisions) -> Snapshot:
    """The snapshot a second run on the same D sees once the first run's decisions are written."""
    states = {(state.customer_id, state.currency): state for state in snapshot.groups}
    for change in decisions.group_changes:
        key = (change.customer_id, change.currency)
        waiting = key in states and states[key].awaiting_approval
        states[key] = replace(state_after(change), awaiting_approval=waiting)
    for notice in decisions.notices:
        if notice.pending_approval:
            key = (notice.customer_id, notice.currency)
            states[key] = replace(states.get(key, GroupState(*key)), awaiting_approval=True)
    items = tuple(item_after(item, decisions) for item in snapshot.items)
    return replace(
        snapshot, items=items, groups=tuple(states.values()), facts=acted_on(snapshot.facts, decisions)
    )


@settings(max_examples=60, deadline=None)
@given(snapshots(), policy_sets())
def test_decisions_are_deterministic_and_do_not_depend_on_input_order(
    snapshot: Snapshot, policies: PolicySet
) -> None:
    decisions = decide_reference(snapshot, policies)
    assert decide_reference(snapshot, policies) == decisions
    reversed_snapshot = Snapshot(
        snapshot.as_of,
        snapshot.items[::-1],
        snapshot.customers[::-1],
        snapshot.groups[::-1],
        snapshot.rejections[::-1],
        snapshot.facts[::-1],
    )
    assert decide_reference(reversed_snapshot, policies) == decisions


@settings(max_examples=60, deadline=None)
@given(snapshots(), policy_sets())
def test_a_second_run_on_the_same_day_finds_nothing_new(snapshot: Snapshot, policies: PolicySet) -> None:
    first = decide_reference(snapshot, policies)
    second = decide_reference(applied(snapshot, first), policies)
    assert second == Decisions(snapshot.as_of)


@settings(max_examples=100, deadline=None)
@given(snapshots(), policy_sets())
def test_notices_list_only_eligible_items_and_levels_never_decrease(
    snapshot: Snapshot, policies: PolicySet
) -> None:
    decisions = decide_reference(snapshot, policies)
    items = {item.item_id: item for item in snapshot.items}
    held = {customer.customer_id for customer in snapshot.customers if customer.on_hold}
    for change in decisions.level_changes:
        assert items[change.item_id].kind == "invoice"
        assert change.level > items[change.item_id].level
    for notice in decisions.notices:
        for entry in notice.items:
            item = items[entry.item_id]
            assert not item.on_hold
            assert item.customer_id not in held
            assert entry.open_minor == item.open_minor - item.disputed_minor > 0
            assert entry.days_past_due == (decisions.as_of - item.due_date).days
            assert (entry.days_past_due > 0) == (notice.kind == "level")
            assert entry.level >= item.level or item.kind != "invoice"


@settings(max_examples=100, deadline=None)
@given(snapshots(), policy_sets())
def test_one_level_notice_per_group_a_fee_once_per_level_and_every_sent_reminder_on_a_notice(
    snapshot: Snapshot, policies: PolicySet
) -> None:
    decisions = decide_reference(snapshot, policies)
    states = {(state.customer_id, state.currency): state for state in snapshot.groups}
    changes = {(change.customer_id, change.currency): change for change in decisions.group_changes}
    level_notices = [notice for notice in decisions.notices if notice.kind == "level"]
    assert len({(n.customer_id, n.currency) for n in level_notices}) == len(level_notices)
    for notice in level_notices:
        key = (notice.customer_id, notice.currency)
        if notice.fee_minor is not None and key in states and states[key].episode_open:
            assert notice.level not in states[key].fee_levels
        if notice.fee_minor is not None and not notice.pending_approval:
            assert notice.level in changes[key].fee_levels
    sent = {(r.item_id, r.step) for r in decisions.reminders if r.status == "sent"}
    listed = {(i.item_id, n.step) for n in decisions.notices if n.kind == "reminder" for i in n.items}
    assert sent == listed
