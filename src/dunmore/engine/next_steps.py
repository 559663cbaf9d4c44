"""The next step follows the answer, vectorised: the groups' contact facts (`FACTS`, one row per
group, read by the run's snapshot) joined to the evaluated groups, the pause a reason asks for as
the group rule `not_paused_by_next_step`, and the next steps decided for D (`STEPS`).

The rules, each named by its reason code (the reference evaluator has the same, one per function):
- `email_unanswered`: an e-mail notice, then no answer (contact, payment, promise) for the policy's
  `confirm_receipt_after_days` → `confirm_receipt` (a call), once per e-mail;
- a reason the policy maps (`next_steps.reasons`) → its action, once per time the reason was given,
  and escalation paused until the reason's day plus its `pause_days`;
- the outcome of the last contact, when the policy maps it (`next_steps.outcomes`) → its action,
  once per time the outcome was recorded (reason code `outcome:<code>`).
Both act only on groups with an eligible past-due item (nothing to follow up otherwise).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dunmore.domain.next_steps import CONFIRM_RECEIPT, EMAIL_UNANSWERED, OUTCOME_PREFIX
from dunmore.engine.frames import SnapshotFrames
from dunmore.engine.items import Coding
from dunmore.engine.policy_frames import PolicyCodes, names_of

FACTS = pl.Schema(
    {
        "customer_id": pl.Int64,
        "currency": pl.String,
        "emailed_on": pl.Date,
        "answered_on": pl.Date,
        "reason": pl.String,
        "reason_on": pl.Date,
        "confirm_asked_on": pl.Date,
        "reason_acted_on": pl.Date,
        "outcome": pl.String,
        "outcome_on": pl.Date,
        "outcome_acted_on": pl.Date,
    }
)
STEPS = pl.Schema(
    {
        "customer_id": pl.Int64,
        "currency": pl.String,
        "action": pl.String,
        "reason": pl.String,
        "trigger_on": pl.Date,
        "pause_until": pl.Date,
    }
)
FACT_COLUMNS = [name for name in FACTS if name not in ("customer_id", "currency")]
_REASON_TABLE = {"policy": pl.Int64, "reason": pl.String, "step_action": pl.String, "pause_days": pl.Int64}
_OUTCOME_TABLE = {"policy": pl.Int64, "outcome": pl.String, "outcome_action": pl.String}


def no_facts() -> pl.DataFrame:
    return pl.DataFrame(schema=FACTS)


def no_steps() -> pl.DataFrame:
    return pl.DataFrame(schema=STEPS)


def reason_table(codes: PolicyCodes) -> pl.DataFrame:
    """(policy code, reason, action, pause days) of every reason a policy maps to a next step."""
    rows = [
        (code, reason, step.action, step.pause_days)
        for code, policy in enumerate(codes.ladders)
        for reason, step in policy.next_steps.reasons.items()
    ]
    return pl.DataFrame(rows, schema=_REASON_TABLE, orient="row")


def outcome_table(codes: PolicyCodes) -> pl.DataFrame:
    """(policy code, outcome, action) of every outcome a policy maps to a next step."""
    rows = [
        (code, outcome, action)
        for code, policy in enumerate(codes.ladders)
        for outcome, action in policy.next_steps.outcomes.items()
    ]
    return pl.DataFrame(rows, schema=_OUTCOME_TABLE, orient="row")


def not_paused_by_next_step(as_of: date) -> pl.Expr:
    """No reason of the group pauses escalation on D (the pause's last day is before D)."""
    return (pl.col("next_step_paused_until") < pl.lit(as_of)).fill_null(True)


def with_facts(groups: pl.LazyFrame, snapshot: SnapshotFrames, coding: Coding) -> pl.LazyFrame:
    """The evaluated groups with their contact facts, the step their last reason maps to, and the
    rule `not_paused_by_next_step`, which `may_rise` (and so `noticed`) now also needs."""
    facts = snapshot.facts
    if facts.is_empty():
        nulls = [pl.lit(None, dtype=FACTS[name]).alias(name) for name in FACT_COLUMNS]
        groups = groups.with_columns(
            *nulls,
            step_action=pl.lit(None, pl.String),
            pause_days=pl.lit(None, pl.Int64),
            outcome_action=pl.lit(None, pl.String),
        )
    else:
        keyed = facts.select(coding.gkey(facts), *FACT_COLUMNS).drop_nulls("gkey")
        groups = groups.join(keyed.lazy(), on="gkey", how="left", maintain_order="left")
        reasons = reason_table(coding.codes).lazy()
        groups = groups.join(reasons, on=["policy", "reason"], how="left", maintain_order="left")
        outcomes = outcome_table(coding.codes).lazy()
        groups = groups.join(outcomes, on=["policy", "outcome"], how="left", maintain_order="left")
    paused_until = pl.col("reason_on") + pl.duration(days=pl.col("pause_days"))
    groups = groups.with_columns(next_step_paused_until=pl.when(pl.col("pause_days") > 0).then(paused_until))
    may_rise = pl.col("may_rise") & not_paused_by_next_step(snapshot.as_of)
    return groups.with_columns(not_paused_by_next_step=not_paused_by_next_step(snapshot.as_of)).with_columns(
        may_rise=may_rise, noticed=may_rise & (pl.col("rise_level").fill_null(0) > 0)
    )


def email_unanswered(coding: Coding, as_of: date) -> pl.Expr:
    """An e-mail notice at least `confirm_receipt_after_days` ago, no answer since it, and no
    confirm-receipt step taken for it yet."""
    after = coding.codes.per_policy(lambda p: p.next_steps.confirm_receipt_after_days, pl.Int64)
    waited = (pl.lit(as_of) - pl.col("emailed_on")).dt.total_days() >= after
    answered = (pl.col("answered_on") >= pl.col("emailed_on")).fill_null(False)
    asked = (pl.col("confirm_asked_on") >= pl.col("emailed_on")).fill_null(False)
    return pl.col("has_past_due") & waited.fill_null(False) & ~answered & ~asked


def reason_not_acted_on() -> pl.Expr:
    """The group's last reason maps to a step that was not taken since the reason was given."""
    acted = (pl.col("reason_acted_on") >= pl.col("reason_on")).fill_null(False)
    return pl.col("has_past_due") & pl.col("step_action").is_not_null() & ~acted


def outcome_not_acted_on() -> pl.Expr:
    """The outcome of the group's last contact maps to a step not taken since it was recorded."""
    acted = (pl.col("outcome_acted_on") >= pl.col("outcome_on")).fill_null(False)
    return pl.col("has_past_due") & pl.col("outcome_action").is_not_null() & ~acted


def decided_steps(groups: pl.LazyFrame, snapshot: SnapshotFrames, coding: Coding) -> pl.DataFrame:
    """The next steps for D (`STEPS`), by customer, currency and action."""
    if snapshot.facts.is_empty():
        return no_steps()
    confirms = groups.filter(email_unanswered(coding, snapshot.as_of)).select(
        "gkey", "currency",
        action=pl.lit(CONFIRM_RECEIPT), reason=pl.lit(EMAIL_UNANSWERED),
        trigger_on=pl.col("emailed_on"), pause_until=pl.lit(None, dtype=pl.Date),
    )  # fmt: skip
    answers = groups.filter(reason_not_acted_on()).select(
        "gkey", "currency", action=pl.col("step_action"), reason=pl.col("reason"),
        trigger_on=pl.col("reason_on"), pause_until=pl.col("next_step_paused_until"),
    )  # fmt: skip
    outcomes = groups.filter(outcome_not_acted_on()).select(
        "gkey", "currency", action=pl.col("outcome_action"),
        reason=pl.lit(OUTCOME_PREFIX) + pl.col("outcome"),
        trigger_on=pl.col("outcome_on"), pause_until=pl.lit(None, dtype=pl.Date),
    )  # fmt: skip
    steps = pl.concat([confirms, answers, outcomes]).with_columns(
        customer_id=coding.of_customer("customer_id"),
        currency=names_of(pl.col("currency"), coding.codes.currencies),
    )
    return steps.select(list(STEPS)).collect().sort("customer_id", "currency", "action", "reason").cast(STEPS)
