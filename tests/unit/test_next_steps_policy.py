"""The policy's `next_steps:` section: read into values, every problem reported with its line."""

from __future__ import annotations

from dunmore.domain.next_steps import NextSteps, ReasonStep
from tests.unit.test_policy import doc, load, problems_of

LEVELS = "levels: [{name: l1, at: 3, channels: [email], template: t}]"


def test_a_policy_without_next_steps_has_none() -> None:
    policy = load(doc(LEVELS)).policies["p"]
    assert policy.next_steps == NextSteps()
    assert policy.next_steps.pause_days("not_received") == 0


def test_next_steps_are_read() -> None:
    text = doc(
        LEVELS,
        "next_steps:",
        "  confirm_receipt_after_days: 5",
        "  reasons:",
        "    not_received: {action: resend_invoice, pause_days: 7}",
        "    cash_flow: {action: propose_plan}",
    )
    steps = load(text).policies["p"].next_steps
    assert steps.confirm_receipt_after_days == 5
    assert dict(steps.reasons) == {
        "not_received": ReasonStep("resend_invoice", 7),
        "cash_flow": ReasonStep("propose_plan", 0),
    }
    assert steps.pause_days("not_received") == 7
    assert steps.pause_days(None) == 0


def test_every_bad_value_is_reported_with_its_line() -> None:
    text = doc(
        LEVELS,
        "next_steps:",
        "  confirm_receipt_after_days: 0",
        "  reasons:",
        "    not_received: {action: fax_it, pause_days: -1}",
        "    Cash Flow: {action: propose_plan}",
        "  wait: 3",
    )
    found = sorted((p.line, p.reason) for p in problems_of(text))
    assert found == [
        (5, "must be at least 1, got 0"),
        (7, "must be at least 0, got -1"),
        (
            7,
            "unknown action 'fax_it': allowed actions are "
            "resend_invoice, propose_promise, propose_plan, call, find_contact, review_escalation",
        ),
        (8, "reason 'Cash Flow' is not a reason code: lower-case letters, digits and _"),
        (
            9,
            "unknown key 'wait' in next_steps: allowed keys are "
            "confirm_receipt_after_days, reasons, outcomes",
        ),
    ]


def test_outcomes_map_to_actions_and_bad_ones_are_reported() -> None:
    text = doc(
        LEVELS,
        "next_steps:",
        "  outcomes:",
        "    wrong_number: {action: find_contact}",
        "    refused: {action: review_escalation}",
    )
    steps = load(text).policies["p"].next_steps
    assert dict(steps.outcomes) == {"wrong_number": "find_contact", "refused": "review_escalation"}
    bad = doc(
        LEVELS,
        "next_steps:",
        "  outcomes:",
        "    wrong_number: {action: shout}",
        "    No Answer: {action: call}",
        "    refused: {action: call, pause_days: 3}",
    )
    found = sorted((p.line, p.reason) for p in problems_of(bad))
    assert [line for line, _ in found] == [6, 7, 8]
    assert "unknown action 'shout'" in found[0][1]
    assert found[1][1] == "outcome 'No Answer' is not an outcome code: lower-case letters, digits and _"
    assert "unknown key 'pause_days'" in found[2][1]
