"""How a policy uses its templates (which channels, how many SMS): what `check.py` checks them for.

Apart from the checker so that a run can name what it uses, and find its last verdict, without
loading Jinja (see template_gate.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dunmore.domain.policy import PolicySet


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """How a policy uses a template: by which channels, within how many SMS, with legal wording or not."""

    template: str
    channels: tuple[str, ...]
    sms_segments: int = 2
    allow_legal_action: bool = False


def uses_for_policies(policies: PolicySet) -> list[TemplateUse]:
    """Each template the policies name, with every channel any step sends it by, and the smallest SMS
    budget (`sms_segments`) of the steps that send it by SMS."""
    channels: dict[str, set[str]] = {}
    budgets: dict[str, int] = {}
    from dunmore.domain.policy import sent_steps  # here: this module loads without the domain

    for policy in policies.policies.values():
        for step in sent_steps(policy):
            channels.setdefault(step.template, set()).update(step.channels)
            if "sms" in step.channels:
                budgets[step.template] = min(budgets.get(step.template, step.sms_segments), step.sms_segments)
    return [
        TemplateUse(template, tuple(sorted(used)), sms_segments=budgets.get(template, 2))
        for template, used in sorted(channels.items())
    ]
