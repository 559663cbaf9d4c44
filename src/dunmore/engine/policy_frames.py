"""A policy set as small integer-coded lookup tables and expressions, for the vectorised engine.

The engine never joins the item frame to the policies. Policies, currencies and step names get
integer codes (a currency's code is its rank in sorted order, a step's the rank of its name, so
that sorting by code sorts as the strings do); per-policy values, per (policy, level) values and
per (policy, level, currency) fees are small Series indexed by a flat code, read with `gather`.
Names come back only at the end, on the few rows that leave the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from dunmore.domain.policy import Policy, PolicySet, Route, Step

DAYS_PER_YEAR = 365
PolarsType = pl.DataType | type[pl.DataType]


def _ratio(step: Step, currency: str, part: int) -> int | None:
    """The numerator (part 0) or denominator (part 1) of the step's fee rate for the currency."""
    rate = step.fee_rate.get(currency)
    return None if rate is None else rate.as_integer_ratio()[part]


def codes_of(values: Sequence[str], column: str) -> pl.Expr:
    """The rank of each row's `column` among the sorted `values` (null for a value not listed)."""
    if len(values) > 8:  # many values: one hash lookup beats a chain of comparisons
        return pl.col(column).replace_strict(values, range(len(values)), default=None, return_dtype=pl.Int64)
    code: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for rank, value in reversed(list(enumerate(values))):
        code = pl.when(pl.col(column) == value).then(pl.lit(rank, dtype=pl.Int64)).otherwise(code)
    return code


def names_of(
    code: pl.Expr, names: Sequence[str], dtype: pl.DataType | type[pl.DataType] = pl.String
) -> pl.Expr:
    """The name of each row's code (the inverse of `codes_of`), as strings or as `dtype` (an Enum)."""
    return pl.lit(pl.Series(names, dtype=dtype)).gather(code)


def lookup(values: Sequence[object], dtype: pl.DataType | type[pl.DataType], index: pl.Expr) -> pl.Expr:
    """`values[index]` per row: a table read instead of a join (null where the table holds None)."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(index)


def _accrued(minor_days: pl.Expr, rate: Decimal) -> pl.Expr:
    """round_half_up(minor_days × rate / 365) in exact integers, for minor_days ≥ 0.

    With rate / 365 = num / d and minor_days = q × d + r (0 ≤ r < d), the exact value is
    q × num + r × num / d, so the result is q × num + (2 × r × num + d) // (2 × d): Int64 never
    overflows while 2 × d × num does not. A rate too fine for that is computed in Int128.
    """
    num, den = rate.as_integer_ratio()
    d = den * DAYS_PER_YEAR
    if 2 * d * num + d >= 2**63:
        wide = minor_days.cast(pl.Int128) * num
        return ((wide * 2 + d) // (2 * d)).cast(pl.Int64)
    return (minor_days // d) * num + ((minor_days % d) * (2 * num) + d) // (2 * d)


def _share_half_up(amount: pl.Expr, num: pl.Expr, den: pl.Expr, *, wide: bool) -> pl.Expr:
    """round_half_up(amount × num / den) in exact integers, for amount ≥ 0 and num ≤ den.

    With amount = q × den + r (0 ≤ r < den) the result is q × num + (2 × r × num + den) // (2 × den):
    nothing exceeds Int64 while 2 × den × num + den does not (`wide`: num and den are Int128, and so
    is the computation).
    """
    if wide:
        return ((amount.cast(pl.Int128) * num * 2 + den) // (den * 2)).cast(pl.Int64)
    return (amount // den) * num + ((amount % den) * num * 2 + den) // (den * 2)


def _route_condition(route: Route) -> pl.Expr:
    condition = pl.lit(True)
    if route.when_grade is not None:
        condition &= pl.col("grade").is_in(sorted(route.when_grade)).fill_null(False)
    if route.when_tags_any is not None:
        wanted = sorted(route.when_tags_any)
        condition &= pl.col("tags").list.eval(pl.element().is_in(wanted)).list.any().fill_null(False)
    return condition


@dataclass(frozen=True)
class PolicyCodes:
    """The policy set coded for one run: `names[code]` is a policy, `currencies[code]` a currency,
    `steps[code]` a step name; level n of policy p is at flat index `p * stride + n`."""

    policies: PolicySet
    names: list[str]
    currencies: list[str]
    steps: list[str]

    @classmethod
    def of(cls, policies: PolicySet, currencies: set[str]) -> PolicyCodes:
        names = {s.name for p in policies.policies.values() for s in (*p.reminders, *p.levels)}
        return cls(policies, list(policies.policies), sorted(currencies), sorted(names))

    @property
    def ladders(self) -> list[Policy]:
        return [self.policies.policies[name] for name in self.names]

    @property
    def stride(self) -> int:
        return 1 + max(len(policy.levels) for policy in self.ladders)

    def route(self) -> pl.Expr:
        """The policy code of each customer row (columns `grade`, `tags`): first route that holds."""
        *conditional, default = self.policies.routes
        code: pl.Expr = pl.lit(self.names.index(default.policy), dtype=pl.Int64)
        for route in reversed(conditional):
            then = pl.lit(self.names.index(route.policy), dtype=pl.Int64)
            code = pl.when(_route_condition(route)).then(then).otherwise(code)
        return code

    def per_policy(
        self, value: Callable[[Policy], object], dtype: pl.DataType | type[pl.DataType]
    ) -> pl.Expr:
        """A per-policy value of each row's `policy` code."""
        values = [value(policy) for policy in self.ladders]
        if len(set(values)) == 1:  # the same for every policy: no lookup
            return pl.lit(values[0], dtype=dtype)
        return lookup(values, dtype, pl.col("policy"))

    def per_level(
        self,
        value: Callable[[Policy, int], object],
        dtype: pl.DataType | type[pl.DataType],
        level: pl.Expr | None = None,
    ) -> pl.Expr:
        """A value of each row's (`policy`, `level`) (level 0: None); `level` defaults to the column."""
        table = [
            value(policy, n) if 0 < n <= len(policy.levels) else None
            for policy in self.ladders
            for n in range(self.stride)
        ]
        at = pl.col("level") if level is None else level
        return lookup(table, dtype, pl.col("policy") * self.stride + at)

    def minimum(self) -> pl.Expr:
        """`minimum_overdue[currency]` of each group row's policy (null: no minimum)."""
        table = [policy.minimum_overdue.get(c) for policy in self.ladders for c in self.currencies]
        return lookup(table, pl.Int64, pl.col("policy") * len(self.currencies) + pl.col("currency"))

    def _per_level_currency(self, value: Callable[[Step, str], object], dtype: PolarsType) -> pl.Expr:
        """A value of each notice row's (policy, level, currency) (level 0: None)."""
        table = [
            value(policy.levels[n - 1], c) if 0 < n <= len(policy.levels) else None
            for policy in self.ladders
            for n in range(self.stride)
            for c in self.currencies
        ]
        flat = (pl.col("policy") * self.stride + pl.col("level")) * len(self.currencies) + pl.col("currency")
        return lookup(table, dtype, flat)

    def fee(self) -> pl.Expr:
        """The fee of each notice row's (policy, level, currency) (null: none): the fixed amount, or
        round_half_up(balance × rate) to the minor unit, at most the cap."""
        fixed = self._per_level_currency(lambda step, c: step.fee.get(c), pl.Int64)
        if not any(step.fee_rate for policy in self.ladders for step in policy.levels):
            return fixed
        wide = not self._fee_rates_fit_int64()
        dtype = pl.Int128 if wide else pl.Int64
        num = self._per_level_currency(lambda step, c: _ratio(step, c, 0), dtype)
        den = self._per_level_currency(lambda step, c: _ratio(step, c, 1), dtype)
        share = _share_half_up(pl.col("balance"), num, den, wide=wide)
        cap = self._per_level_currency(lambda step, c: step.fee_cap.get(c), pl.Int64)
        return pl.when(num.is_not_null()).then(pl.min_horizontal(share, cap)).otherwise(fixed)

    def _fee_rates_fit_int64(self) -> bool:
        """Every fee rate num/den has 2 × den × num + den < 2**63 (see `_share_half_up`)."""
        ratios = [r.as_integer_ratio() for p in self.ladders for s in p.levels for r in s.fee_rate.values()]
        return all(2 * den * num + den < 2**63 for num, den in ratios)

    def step(self, policy: Policy, n: int) -> int:
        """The step code of level n of `policy`."""
        return self.steps.index(policy.levels[n - 1].name)

    def target_level(self) -> pl.Expr:
        """The highest level whose `at` ≤ days past due (0 if none), per the row's policy."""
        target: pl.Expr = pl.lit(0, dtype=pl.Int64)
        for code, policy in enumerate(self.ladders):
            reached: pl.Expr = pl.lit(0, dtype=pl.Int64)
            for n, step in enumerate(policy.levels, start=1):  # `at`s increase: the last that holds wins
                reached = pl.when(pl.col("dpd") >= step.at).then(pl.lit(n, dtype=pl.Int64)).otherwise(reached)
            if len(self.ladders) == 1:
                return reached
            target = pl.when(pl.col("policy") == code).then(reached).otherwise(target)
        return target

    def interest(self, contract_rates: Sequence[str] = ()) -> pl.Expr:
        """Accrued to D, rounded half-up once per item, less what earlier notices charged (invoices).

        An item with a `contract_rate` (one of `contract_rates`, the run's distinct ones) accrues at
        that rate instead of its policy's, cut to the policy's `contract_interest_cap`: accrual only
        grows with the rate, so the lesser of the two accruals is the accrual at the lesser rate."""
        owed_days = pl.max_horizontal(pl.col("undisputed"), 0) * pl.max_horizontal(pl.col("dpd"), 0)
        minor_days = pl.col("paid_minor_days") + owed_days
        interest: pl.Expr = pl.lit(0, dtype=pl.Int64)
        for code, policy in enumerate(self.ladders):
            if policy.interest_rate is None or policy.interest_rate == 0:
                continue
            interest = (
                pl.when(pl.col("policy") == code)
                .then(_accrued(minor_days, policy.interest_rate))
                .otherwise(interest)
            )
        if contract_rates:
            interest = (
                pl.when(pl.col("contract_rate").is_not_null())
                .then(self._contract_accrued(minor_days, contract_rates))
                .otherwise(interest)
            )
        owed = pl.max_horizontal(interest - pl.col("interest_charged_minor"), 0)
        return pl.when(pl.col("is_invoice")).then(owed).otherwise(0)

    def _contract_accrued(self, minor_days: pl.Expr, contract_rates: Sequence[str]) -> pl.Expr:
        """Accrued at each row's contract rate, at most what its policy's cap would accrue."""
        accrued: pl.Expr = pl.lit(0, dtype=pl.Int64)
        for text in contract_rates:
            at_rate = _accrued(minor_days, Decimal(text))
            accrued = pl.when(pl.col("contract_rate") == text).then(at_rate).otherwise(accrued)
        for code, policy in enumerate(self.ladders):
            if policy.contract_interest_cap is not None:
                capped = pl.min_horizontal(accrued, _accrued(minor_days, policy.contract_interest_cap))
                accrued = pl.when(pl.col("policy") == code).then(capped).otherwise(accrued)
        return accrued

    def reminders(self) -> pl.DataFrame:
        """One row per (policy code, reminder): its step code and `at`."""
        rows = [
            (code, self.steps.index(step.name), step.at)
            for code, policy in enumerate(self.ladders)
            for step in policy.reminders
        ]
        schema = {"policy": pl.Int64, "step": pl.Int64, "at": pl.Int64}
        return pl.DataFrame(rows, schema=schema, orient="row")
