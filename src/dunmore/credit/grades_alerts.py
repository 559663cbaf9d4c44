"""Early warning of a grading: which customers' behaviour deteriorated, as alerts to the owner and
the managers (`workspace.alerts`; said by `workspace.alert_texts`). Three rules, each named by the
alert's kind:

- `grade_downgraded` (key `grade-down:<customer>:<date>`): the grade in force fell (A → B, … C → D)
  from the one in force at the customer's previous grading (a first grading only sets a baseline:
  an imported grade is not Dunmore's judgement, and the first grading of a ledger would otherwise
  alert about every customer whose imported grade was generous);
- `beyond_terms_worsening` (key `beyond-terms-worse:<customer>:<date>`): the average days beyond
  terms rose by more than the scorecard's `early_warning.worsening_days` since the latest grading
  at least three months (90 days) before;
- `first_broken_promise` (key `first-broken-promise:<customer>:<date>`): a broken promise counts
  now where the customer's previous grading counted none.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from dunmore.credit.grades_models import GRADE_HISTORY
from dunmore.credit.scorecard import GRADES, Scorecard
from dunmore.store.bulk import read_frame
from dunmore.workspace.alerts import NewAlert

THREE_MONTHS = timedelta(days=90)
RANK = {grade: rank for rank, grade in enumerate(GRADES)}


def _history_at(conn: Connection, as_of: date | None, name: str) -> pl.DataFrame:
    """(customer, grade in force, days beyond terms, broken promises) of the grading of `as_of`."""
    h = GRADE_HISTORY.c
    schema = {
        "customer_id": pl.Int64,
        f"{name}_grade": pl.String,
        f"{name}_days": pl.Int64,
        f"{name}_broken": pl.Int64,
    }
    if as_of is None:
        return pl.DataFrame(schema=schema)
    query = select(h.customer_id, h.grade, h.days_beyond_terms, h.broken_promises).where(h.as_of == as_of)
    return read_frame(conn, query, schema)


def _latest(conn: Connection, before: date) -> date | None:
    found: date | None = conn.execute(
        select(func.max(GRADE_HISTORY.c.as_of)).where(GRADE_HISTORY.c.as_of < before)
    ).scalar()
    return found


def early_warnings(
    conn: Connection, graded: pl.DataFrame, scorecard: Scorecard, as_of: date
) -> list[NewAlert]:
    """The alerts of a grading (`graded`: the grade frame with `in_force`), read against the stored
    history before this grading's rows are written."""
    frame = graded.join(_history_at(conn, _latest(conn, as_of), "last"), on="customer_id", how="left")
    frame = frame.join(
        _history_at(conn, _latest(conn, as_of - THREE_MONTHS + timedelta(days=1)), "old"),
        on="customer_id",
        how="left",
    )
    rank = {
        name: pl.col(name).replace_strict(RANK, default=None, return_dtype=pl.Int64)
        for name in ("last_grade", "in_force")
    }
    rules = {
        "down": rank["in_force"] > rank["last_grade"],
        "worse": pl.col("avg_days_beyond_terms") - pl.col("old_days") > scorecard.worsening_days,
        "first": (pl.col("last_broken") == 0) & (pl.col("broken_promises") > 0),
    }
    flagged = frame.with_columns(rule.fill_null(False).alias(name) for name, rule in rules.items())
    flagged = flagged.filter(pl.col("down") | pl.col("worse") | pl.col("first"))
    return [alert for row in flagged.iter_rows(named=True) for alert in _of(row, as_of)]


def _of(row: dict[str, Any], as_of: date) -> list[NewAlert]:
    customer_id = int(row["customer_id"])
    key = f"{customer_id}:{as_of.isoformat()}"
    found = []
    if row["down"]:
        grades = {"before": str(row["last_grade"]), "after": str(row["in_force"])}
        found.append(NewAlert("grade_downgraded", f"grade-down:{key}", customer_id, grades))
    if row["worse"]:
        days = {"before": int(row["old_days"]), "after": int(row["avg_days_beyond_terms"])}
        found.append(NewAlert("beyond_terms_worsening", f"beyond-terms-worse:{key}", customer_id, days))
    if row["first"]:
        found.append(NewAlert("first_broken_promise", f"first-broken-promise:{key}", customer_id, {}))
    return found
