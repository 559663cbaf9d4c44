"""What a valid policy may still get wrong: currencies its fee and minimum maps leave out.

A level whose fee lists CNY and EUR charges a USD group nothing, and a `minimum_overdue` without
USD duns a USD group from its first cent: both silently. `currency_gaps` reports, for every
non-empty fee map (of a level) and minimum map (of a policy), each currency that the policy set
names anywhere else, or that the ledger holds open items in, and the map does not list. An empty
map is a choice (no fee at this level, no minimum) and is not reported. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dunmore.domain.policy import PolicySet
from dunmore.i18n import Text, _m

__all__ = ["CurrencyGap", "currency_gaps", "policy_currencies"]


@dataclass(frozen=True, slots=True)
class CurrencyGap:
    """A map of `policy` (at `step`, or its minimum when `step` is None) without `currency`."""

    policy: str
    step: str | None
    currency: str
    named_by: str  # "the policy set" or "the ledger"

    @property
    def said(self) -> Text:
        """The gap as a sentence of the catalog, said in the reader's language at the edge (the
        command line's warning, the policy page's list, the API's message)."""
        source = _m("the policy set") if self.named_by == "the policy set" else _m("the ledger")
        if self.step is None:
            return _m(
                "Policy %(policy)s: its minimum overdue lists no %(currency)s, which %(source)s has, "
                "so %(currency)s accounts are dunned from any amount. Add %(currency)s to it.",
                policy=self.policy, currency=self.currency, source=source,
            )  # fmt: skip
        return _m(
            "Policy %(policy)s, level %(step)s: its fee lists no %(currency)s, which %(source)s has, "
            "so %(currency)s accounts are charged no fee there. Add %(currency)s (0 if that is meant).",
            policy=self.policy, step=self.step, currency=self.currency, source=source,
        )  # fmt: skip

    def __str__(self) -> str:
        return str(self.said)


def policy_currencies(policies: PolicySet) -> set[str]:
    """Every currency a fee or minimum map of the policy set names."""
    every = policies.policies.values()
    minimums = {c for policy in every for c in policy.minimum_overdue}
    return minimums | {c for policy in every for step in policy.levels for c in step.fee_currencies}


def currency_gaps(policies: PolicySet, ledger: Iterable[str] = ()) -> list[CurrencyGap]:
    """Each currency a non-empty fee or minimum map leaves out, among those the policy set names or
    the ledger (its open items' currencies, when known) holds; in policy, step and currency order."""
    named = dict.fromkeys(sorted(policy_currencies(policies)), "the policy set")
    named |= {c: "the ledger" for c in sorted(set(ledger)) if c not in named}
    gaps = []
    for policy in policies.policies.values():
        maps: list[tuple[str | None, set[str]]] = [(None, set(policy.minimum_overdue))]
        maps += [(step.name, set(step.fee_currencies)) for step in policy.levels]
        for step, listed in maps:
            missing = [c for c in named if listed and c not in listed]
            gaps += [CurrencyGap(policy.name, step, c, named[c]) for c in missing]
    return gaps
