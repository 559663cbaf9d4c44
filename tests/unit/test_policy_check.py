"""`policy check` reports the currencies a fee or minimum map leaves out (they would get no fee, no
minimum, silently)."""

from __future__ import annotations

from pathlib import Path

from dunmore.domain.policy import load_policy_file, load_policy_text
from dunmore.domain.policy_check import CurrencyGap, currency_gaps

EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
GAPPY = """\
policies:
  standard:
    minimum_overdue: {CNY: "100.00", USD: "10.00"}
    levels:
      - {name: first, at: 3, channels: [email], template: overdue-1}
      - {name: second, at: 15, channels: [email], template: overdue-2, fee: {CNY: "5%", EUR: "5.00"}}
  other:
    levels:
      - {name: only, at: 5, channels: [email], template: overdue-1, fee: {JPY: "700"}}
routes:
  - {policy: standard}
"""


def test_a_fee_map_missing_a_currency_the_policy_set_names_is_reported() -> None:
    gaps = currency_gaps(load_policy_text(GAPPY, source="gappy.yaml"))
    assert gaps == [
        CurrencyGap("standard", None, "EUR", "the policy set"),
        CurrencyGap("standard", None, "JPY", "the policy set"),
        CurrencyGap("standard", "second", "JPY", "the policy set"),
        CurrencyGap("standard", "second", "USD", "the policy set"),
        CurrencyGap("other", "only", "CNY", "the policy set"),
        CurrencyGap("other", "only", "EUR", "the policy set"),
        CurrencyGap("other", "only", "USD", "the policy set"),
    ]
    assert str(gaps[3]) == (
        "Policy standard, level second: its fee lists no USD, which the policy set has, so USD "
        "accounts are charged no fee there. Add USD (0 if that is meant)."
    )


def test_empty_maps_are_a_choice_and_not_reported() -> None:
    # `first` has no fee and `other` no minimum: neither is listed above, and the example has no gap.
    assert currency_gaps(load_policy_file(EXAMPLE)) == []


def test_a_currency_of_the_ledger_that_no_map_lists_is_reported_for_every_non_empty_map() -> None:
    gaps = currency_gaps(load_policy_file(EXAMPLE), ledger=["CNY", "HKD"])
    assert [(g.policy, g.step, g.currency, g.named_by) for g in gaps] == [
        ("standard", None, "HKD", "the ledger"),
        ("standard", "second-overdue", "HKD", "the ledger"),
        ("standard", "final-notice", "HKD", "the ledger"),
        ("gentle", None, "HKD", "the ledger"),
    ]
    assert str(gaps[0]) == (
        "Policy standard: its minimum overdue lists no HKD, which the ledger has, so HKD accounts "
        "are dunned from any amount. Add HKD to it."
    )
