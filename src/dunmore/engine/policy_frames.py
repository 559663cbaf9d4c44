"""A policy set as small Polars tables and expressions, for the vectorised engine.

The engine joins items and groups to these tables instead of looking policies up row by row: one
row per policy level, per reminder, per (policy, currency) minimum and per (policy, level,
currency) fee. Routing is one `when/then` chain over the customers frame; per-policy scalars are
looked up by policy name in `decide.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dunmore.domain.policy import PolicySet, Route


@dataclass(frozen=True)
class PolicyTables:
    levels: pl.DataFrame  # policy, level, level_step, level_at, charge_interest, requires_approval
    reminders: pl.DataFrame  # policy, step, at
    minimums: pl.DataFrame  # policy, currency, minimum_minor
    fees: pl.DataFrame  # policy, level, currency, fee_minor


def _route_condition(route: Route) -> pl.Expr:
    condition = pl.lit(True)
    if route.when_grade is not None:
        condition &= pl.col("grade").is_in(sorted(route.when_grade)).fill_null(False)
    if route.when_tags_any is not None:
        wanted = sorted(route.when_tags_any)
        condition &= pl.col("tags").list.eval(pl.element().is_in(wanted)).list.any().fill_null(False)
    return condition


def route_expr(policies: PolicySet) -> pl.Expr:
    """The policy name of each customer row (columns `grade`, `tags`): first route that holds."""
    *conditional, default = policies.routes
    expr: pl.Expr = pl.lit(default.policy)
    for route in reversed(conditional):
        expr = pl.when(_route_condition(route)).then(pl.lit(route.policy)).otherwise(expr)
    return expr.alias("policy")


def _levels(policies: PolicySet) -> pl.DataFrame:
    rows = [
        (name, n, step.name, step.at, step.charge_interest, step.requires_approval)
        for name, policy in policies.policies.items()
        for n, step in enumerate(policy.levels, start=1)
    ]
    schema = {"policy": pl.String, "level": pl.Int64, "level_step": pl.String, "level_at": pl.Int64}
    schema |= {"charge_interest": pl.Boolean, "requires_approval": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _reminders(policies: PolicySet) -> pl.DataFrame:
    rows = [
        (name, step.name, step.at) for name, policy in policies.policies.items() for step in policy.reminders
    ]
    return pl.DataFrame(rows, schema={"policy": pl.String, "step": pl.String, "at": pl.Int64}, orient="row")


def _minimums(policies: PolicySet) -> pl.DataFrame:
    rows = [
        (name, currency, minor)
        for name, policy in policies.policies.items()
        for currency, minor in policy.minimum_overdue.items()
    ]
    schema = {"policy": pl.String, "currency": pl.String, "minimum_minor": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _fees(policies: PolicySet) -> pl.DataFrame:
    rows = [
        (name, n, currency, minor)
        for name, policy in policies.policies.items()
        for n, step in enumerate(policy.levels, start=1)
        for currency, minor in step.fee.items()
    ]
    schema = {"policy": pl.String, "level": pl.Int64, "currency": pl.String, "fee_minor": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def policy_tables(policies: PolicySet) -> PolicyTables:
    return PolicyTables(_levels(policies), _reminders(policies), _minimums(policies), _fees(policies))
