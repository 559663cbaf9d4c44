"""The next step follows the answer: a policy's optional `next_steps:` section, read and checked.

```yaml
next_steps:
  confirm_receipt_after_days: 5        # an e-mail notice with no answer → a call to confirm receipt
  reasons:                             # the reason a customer gave (workspace reason codes)
    not_received: {action: resend_invoice, pause_days: 7}
    asked_for_time: {action: propose_promise}
    cash_flow: {action: propose_plan}
  outcomes:                            # the outcome of the last contact (workspace outcome codes)
    wrong_number: {action: find_contact}
    refused: {action: review_escalation}
```

The run decides the steps (`engine.next_steps` and the reference evaluator); this module holds only
the values and their reading. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from dunmore.domain.policy_yaml import Node, Reader

# What a next step does: re-send the last notice, or open a task (a call) for a person.
ACTIONS: Final = (
    "resend_invoice",
    "propose_promise",
    "propose_plan",
    "call",
    "find_contact",
    "review_escalation",
)
CONFIRM_RECEIPT: Final = "confirm_receipt"  # the action of an unanswered e-mail
EMAIL_UNANSWERED: Final = "email_unanswered"  # its reason code
REASON_CODE_MAX: Final = 30
OUTCOME_PREFIX: Final = "outcome:"  # an outcome's step is recorded under reason "outcome:<code>"


@dataclass(frozen=True, slots=True)
class ReasonStep:
    """What follows a reason: an `action` of `ACTIONS`, and `pause_days` of paused escalation."""

    action: str
    pause_days: int = 0


@dataclass(frozen=True, slots=True)
class NextSteps:
    """A policy's next steps: after how many days an unanswered e-mail asks for a call to confirm
    receipt (None: never), and the step that follows each reason code."""

    confirm_receipt_after_days: int | None = None
    reasons: Mapping[str, ReasonStep] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)  # outcome code → action

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))
        object.__setattr__(self, "outcomes", MappingProxyType(dict(self.outcomes)))

    def pause_days(self, reason: str | None) -> int:
        """The days of paused escalation that `reason` asks for (0: none)."""
        step = self.reasons.get(reason or "")
        return 0 if step is None else step.pause_days


def unknown_reasons(policies: Iterable[tuple[str, NextSteps]], known: Set[str]) -> list[tuple[str, str]]:
    """(policy, reason) of every reason a policy maps that is not among the `known` reason codes:
    a step no contact can trigger until an admin adds the code (`dunmore codes add reason …`)."""
    return [
        (name, reason) for name, steps in policies for reason in sorted(steps.reasons) if reason not in known
    ]


def read_next_steps(r: Reader, node: Node | None) -> NextSteps:
    """The `next_steps:` section (absent: no next steps); every problem is reported with its line."""
    if node is None:
        return NextSteps()
    keys = ("confirm_receipt_after_days", "reasons", "outcomes")
    found = r.fields(node, "next_steps", optional=keys) or {}
    after = r.days(found.get("confirm_receipt_after_days"), minimum=1)
    return NextSteps(
        confirm_receipt_after_days=after,
        reasons=_reasons(r, found.get("reasons")),
        outcomes=_outcomes(r, found.get("outcomes")),
    )


def _is_code(r: Reader, code: str, node: Node, noun: str) -> bool:
    if not code.replace("_", "").isalnum() or not code.islower() or len(code) > REASON_CODE_MAX:
        article = "an" if noun[0] in "aeiou" else "a"
        r.report(node, f"{noun} {code!r} is not {article} {noun} code: lower-case letters, digits and _")
        return False
    return True


def _outcomes(r: Reader, node: Node | None) -> dict[str, str]:
    """The `outcomes:` map: an outcome code → the action that follows it (no pause: an outcome says
    how the contact went, not why the customer does not pay)."""
    steps: dict[str, str] = {}
    for code, child in r.entries(node, "next_steps.outcomes") or []:
        if not _is_code(r, code, child, "outcome"):
            continue
        found = r.fields(child, "an outcome's next step", required=("action",))
        chosen = r.choices(_as_list(found.get("action")), ACTIONS, noun="action") if found else None
        if chosen:
            steps[code] = chosen[0]
    return steps


def unknown_outcomes(policies: Iterable[tuple[str, NextSteps]], known: Set[str]) -> list[tuple[str, str]]:
    """(policy, outcome) of every outcome a policy maps that is not among the `known` outcome codes."""
    return [
        (name, outcome)
        for name, steps in policies
        for outcome in sorted(steps.outcomes)
        if outcome not in known
    ]


def _reasons(r: Reader, node: Node | None) -> dict[str, ReasonStep]:
    steps: dict[str, ReasonStep] = {}
    for code, child in r.entries(node, "next_steps.reasons") or []:
        if not _is_code(r, code, child, "reason"):
            continue
        step = _reason_step(r, child)
        if step is not None:
            steps[code] = step
    return steps


def _reason_step(r: Reader, node: Node) -> ReasonStep | None:
    found = r.fields(node, "a reason's next step", required=("action",), optional=("pause_days",))
    if found is None:
        return None
    chosen = r.choices(_as_list(found.get("action")), ACTIONS, noun="action")
    pause = r.days(found.get("pause_days"), minimum=0)
    if not chosen:
        return None
    return ReasonStep(chosen[0], 0 if pause is None else pause)


def _as_list(node: Node | None) -> Node | None:
    """`action: resend_invoice` read as the one-element list `choices` checks."""
    if node is None or isinstance(node.raw, list):
        return node
    return Node(node.path, node.line, [node.raw])
