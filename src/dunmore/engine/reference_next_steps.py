"""The next step follows the answer, as plain per-group rules beside `engine.reference` (whose
groups call them): one small function per rule, named by its reason code. The vectorised twin is
`engine.next_steps`; property tests hold the two equal (docs/next-steps.md)."""

from __future__ import annotations

from datetime import date, timedelta

from dunmore.domain.next_steps import CONFIRM_RECEIPT, EMAIL_UNANSWERED, OUTCOME_PREFIX, NextSteps
from dunmore.engine.model import ContactFacts, NextStep


def next_step_order(step: NextStep) -> tuple[int, str, str, str]:
    """Next steps are listed by (customer_id, currency, action, reason)."""
    return step.customer_id, step.currency, step.action, step.reason


def next_step_paused_until(facts: ContactFacts | None, policy: NextSteps) -> date | None:
    """The last day of the pause the group's last reason asks for (None: no pause)."""
    if facts is None or facts.reason_on is None:
        return None
    days = policy.pause_days(facts.reason)
    return facts.reason_on + timedelta(days=days) if days > 0 else None


def not_paused_by_next_step(facts: ContactFacts | None, policy: NextSteps, as_of: date) -> bool:
    """No reason of the group pauses its escalation on D (the pause's last day is before D)."""
    until = next_step_paused_until(facts, policy)
    return until is None or until < as_of


def email_unanswered(facts: ContactFacts | None, policy: NextSteps, as_of: date) -> bool:
    """An e-mail notice at least `confirm_receipt_after_days` ago, no contact, payment or promise
    since it, and no confirm-receipt step taken for it yet."""
    after = policy.confirm_receipt_after_days
    if facts is None or facts.emailed_on is None or after is None:
        return False
    emailed = facts.emailed_on
    answered = facts.answered_on is not None and facts.answered_on >= emailed
    asked = facts.confirm_asked_on is not None and facts.confirm_asked_on >= emailed
    return (as_of - emailed).days >= after and not answered and not asked


def reason_not_acted_on(facts: ContactFacts | None, policy: NextSteps) -> bool:
    """The group's last reason maps to a step of the policy, not taken since the reason was given."""
    if facts is None or facts.reason is None or facts.reason_on is None:
        return False
    if facts.reason not in policy.reasons:
        return False
    return facts.reason_acted_on is None or facts.reason_acted_on < facts.reason_on


def outcome_not_acted_on(facts: ContactFacts | None, policy: NextSteps) -> bool:
    """The outcome of the group's last contact maps to a step of the policy, not taken since it was
    recorded."""
    if facts is None or facts.outcome is None or facts.outcome_on is None:
        return False
    if facts.outcome not in policy.outcomes:
        return False
    return facts.outcome_acted_on is None or facts.outcome_acted_on < facts.outcome_on


def next_steps_of_group(
    facts: ContactFacts | None, policy: NextSteps, as_of: date, has_past_due: bool
) -> tuple[NextStep, ...]:
    """The group's next steps for D: only a group with something past due is followed up."""
    if not has_past_due or facts is None:
        return ()
    key = (facts.customer_id, facts.currency)
    steps = []
    if email_unanswered(facts, policy, as_of) and facts.emailed_on is not None:
        steps.append(NextStep(*key, CONFIRM_RECEIPT, EMAIL_UNANSWERED, facts.emailed_on))
    if reason_not_acted_on(facts, policy) and facts.reason is not None and facts.reason_on is not None:
        action = policy.reasons[facts.reason].action
        until = next_step_paused_until(facts, policy)
        steps.append(NextStep(*key, action, facts.reason, facts.reason_on, until))
    if outcome_not_acted_on(facts, policy) and facts.outcome is not None and facts.outcome_on is not None:
        outcome_action = policy.outcomes[facts.outcome]
        steps.append(NextStep(*key, outcome_action, OUTCOME_PREFIX + facts.outcome, facts.outcome_on))
    return tuple(steps)
