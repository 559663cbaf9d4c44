"""The policy's `plans:` section (instalment reminders to the customer) and the pure rule of which
reminder is due on a day."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from dunmore.domain.plan_reminders import PlanReminders, moment_of
from dunmore.domain.policy import instalment_step, sent_steps
from tests.unit.test_policy import doc, load, problems_of

SMS_LEVELS = "levels: [{name: l1, at: 3, channels: [sms, call], template: t}]"


def test_without_a_section_the_reminders_go_by_the_ladders_messages() -> None:
    policy = load(doc(SMS_LEVELS)).policies["p"]
    assert policy.plans == PlanReminders()
    step = instalment_step(policy)
    assert (step.name, step.template, step.channels) == (
        "instalment-reminder",
        "instalment-reminder",
        ("sms",),
    )
    assert sent_steps(policy)[-1] == step


def test_the_section_is_read_and_can_turn_them_off() -> None:
    text = doc(SMS_LEVELS, "plans:", "  remind_days_before: 5", "  channels: [email, letter]")
    policy = load(text).policies["p"]
    assert (policy.plans.days_before, instalment_step(policy).channels) == (5, ("email", "letter"))
    off = load(doc(SMS_LEVELS, "plans: {remind_customer: false}")).policies["p"]
    assert [step.name for step in sent_steps(off)] == ["l1"]


def test_every_bad_value_is_reported_with_its_line() -> None:
    text = doc(SMS_LEVELS, "plans:", "  remind_days_before: -1", "  channels: [call]", "  later: 2")
    found = sorted((p.line, p.reason) for p in problems_of(text))
    assert [line for line, _ in found] == [5, 6, 7]
    assert "must be at least 0, got -1" in found[0][1]
    assert "unknown channel 'call'" in found[1][1]
    assert "unknown key 'later' in plans" in found[2][1]


@given(st.integers(-40, 40), st.integers(0, 7), st.integers(0, 5))
def test_a_day_is_before_on_or_neither_and_the_windows_do_not_overlap(
    offset: int, before: int, grace: int
) -> None:
    due = date(2026, 9, 15)
    as_of = date.fromordinal(due.toordinal() + offset)
    moment = moment_of(due, as_of, days_before=before, grace_days=grace)
    expected = "before" if -before <= offset < 0 else "on" if 0 <= offset <= grace else None
    assert moment == expected
