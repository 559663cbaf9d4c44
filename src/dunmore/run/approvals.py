"""Approving pending level notices, set-at-a-time: one notice (`dunmore approve`) or every pending
notice of a run a reviewer can see (the run review's "approve the run").

An approval applies what the run would have applied on its date — group state, levels, fee and
interest items, deliveries, the "level reached" alert — with the same functions the run's commit
uses (`run.apply`, `workspace.run_alerts`), in a bounded number of statements per batch of notices,
and one audit row per notice (`notice.approve`), written in one append. Like a commit, it passes the
template gate first: an approval queues deliveries.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, and_, select, true, update

from dunmore.access import audit
from dunmore.errors import NotFound, RunError
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.apply import GROUP, apply_level_effects, insert_deliveries, write_group_state
from dunmore.run.models import DUNNING_GROUPS, NOTICES, RUNS
from dunmore.store.bulk import read_frame
from dunmore.store.partitions import lock_for_partitions
from dunmore.webhooks import emit as webhooks
from dunmore.workspace.run_alerts import AlertRules, raise_approval_alerts

BATCH = 5_000  # notices per set of statements: bounds the parameters of each IN list

_PENDING = {
    "notice_id": pl.Int64,
    "customer_id": pl.Int64,
    "currency": pl.String,
    "fee_minor": pl.Int64,
    "interest_charge_minor": pl.Int64,
    "policy": pl.String,
    "step": pl.String,
    "level": pl.Int64,
    "as_of": pl.Date,
    "customer": pl.String,
}


def _pending_frame(conn: Connection, condition: ColumnElement[bool]) -> pl.DataFrame:
    n = NOTICES.c
    query = (
        select(n.id, n.customer_id, n.currency, n.fee_minor, n.interest_charge_minor, n.policy, n.step,
               n.level, n.as_of, CUSTOMERS.c.external_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == n.customer_id)
        .where(n.status == "pending_approval", condition)
        .order_by(n.id)
    )  # fmt: skip
    return read_frame(conn, query, _PENDING)


def approve_one(
    conn: Connection,
    notice_id: int,
    *,
    now: datetime,
    actor: str,
    by: str | None,
    templates_dir: Path | None,
    gate_templates: bool = True,
    alerting: AlertRules | None = None,
) -> None:
    """Approve one pending notice (see `dunmore approve`)."""
    row = conn.execute(select(NOTICES.c.run_id, NOTICES.c.status).where(NOTICES.c.id == notice_id)).first()
    if row is None:
        raise NotFound(
            _m(
                "no notice %(notice)s: `dunmore run --as-of DATE` lists notices with their ids",
                notice=notice_id,
            )
        )
    if row.status != "pending_approval":
        raise RunError(
            _m(
                "notice %(notice)s is %(status)s, not waiting for approval",
                notice=notice_id,
                status=row.status,
            ),
            code="notice_not_pending",
            notice=notice_id,
            status=row.status,
        )
    approve_pending(conn, row.run_id, NOTICES.c.id == notice_id, now=now, actor=actor, by=by,
                    templates_dir=templates_dir, gate_templates=gate_templates,
                    alerting=alerting)  # fmt: skip


def approve_pending(
    conn: Connection,
    run_id: int,
    which: ColumnElement[bool] = true(),  # noqa: B008 - an immutable SQL constant
    *,
    now: datetime,
    actor: str,
    by: str | None,
    templates_dir: Path | None,
    gate_templates: bool = True,
    alerting: AlertRules | None = None,
) -> int:
    """Approve the notices of run `run_id` waiting for approval that `which` selects (e.g. the
    customers a reviewer can see); returns how many. Each applies as of the run's date, and raises
    the "level reached" alert as a commit would (`alerting`: settings `workspace`)."""
    from dunmore.run.service import check_templates, keep_passing_verdict, policy_of_run

    status = conn.execute(select(RUNS.c.status).where(RUNS.c.id == run_id)).scalar()
    if status is None:
        raise NotFound(_m("no run %(run)s: `dunmore run` prints the id of the run it commits", run=run_id))
    if status != "committed":
        raise RunError(
            _m("run %(run)s is %(status)s: its notices cannot be approved", run=run_id, status=status),
            code="run_not_committed",
            run=run_id,
        )
    policies = policy_of_run(conn, run_id).policies
    verdict = check_templates(conn, policies, templates_dir=templates_dir) if gate_templates else None
    pending = _pending_frame(conn, and_(NOTICES.c.run_id == run_id, which))
    if not pending.is_empty():
        lock_for_partitions(conn)  # before writing: a run writing meanwhile is waited for, not deadlocked
    for start in range(0, pending.height, BATCH):
        batch = pending.slice(start, BATCH)
        _approve_batch(conn, batch, run_id=run_id, now=now, by=by)
        insert_deliveries(conn, NOTICES.c.id.in_(batch["notice_id"].to_list()), policies, now)
    _audit(conn, pending, run_id=run_id, now=now, actor=actor, by=by)
    raise_approval_alerts(
        conn, notice_ids=pending["notice_id"].to_list(), rules=alerting or AlertRules(), now=now
    )
    webhooks.emit(conn, "notice.approved", lambda: _approved(pending, run_id, by), now=now)
    keep_passing_verdict(conn, verdict)
    return pending.height


def _approve_batch(
    conn: Connection, batch: pl.DataFrame, *, run_id: int, now: datetime, by: str | None
) -> None:
    ids = batch["notice_id"].to_list()
    write_group_state(conn, _groups_after(conn, batch), run_id=run_id)
    values = {"status": "approved", "decided_at": now, "decided_by": by, "decision_reason": None}
    conn.execute(update(NOTICES).where(NOTICES.c.id.in_(ids)).values(values))
    as_of: date = batch["as_of"][0]  # one run: one date
    apply_level_effects(conn, batch, which=NOTICES.c.id.in_(ids), run_id=run_id, as_of=as_of)
    balances.refresh(conn, customer_ids=batch["customer_id"].unique().to_list(), as_of=as_of)


_GROUP_STATE = {
    "customer_id": pl.Int64,
    "currency": pl.String,
    "last_level_notice": pl.Date,
    "fee_levels": pl.String,
    "episode_open": pl.Boolean,
}


def _groups_after(conn: Connection, notices: pl.DataFrame) -> pl.DataFrame:
    """Each group's state once its approved notices apply: their run date as last level notice (unless
    a later one stands), the levels that charged a fee added to its fee levels, its episode open."""
    g = DUNNING_GROUPS.c
    query = select(*(g[name] for name in _GROUP_STATE)).where(
        g.customer_id.in_(notices["customer_id"].unique().to_list())
    )
    current = read_frame(conn, query, _GROUP_STATE).with_columns(
        fee_levels=pl.col("fee_levels").str.split(";").list.eval(pl.element().filter(pl.element() != ""))
        .cast(pl.List(pl.Int64))
    )  # fmt: skip
    approved = notices.group_by(GROUP).agg(
        approved_on=pl.col("as_of").max(),
        charged=pl.col("level").filter(pl.col("fee_minor").is_not_null()),
    )
    joined = approved.join(current, on=GROUP, how="left")
    return joined.select(
        *GROUP,
        last_level_notice=pl.max_horizontal("last_level_notice", "approved_on"),
        fee_levels=pl.concat_list(pl.col("fee_levels").fill_null([]), "charged").list.unique().list.sort(),
        episode_open=pl.col("episode_open").fill_null(True),
    )


def _audit(conn: Connection, pending: pl.DataFrame, *, run_id: int, now: datetime, actor: str,
           by: str | None) -> None:  # fmt: skip
    """One `notice.approve` row per notice, as `dunmore approve` writes it, in one append."""
    events = [
        audit.Event(
            at=now,
            actor=actor,
            action="notice.approve",
            object=f"notice:{row['notice_id']}",
            before={"status": "pending_approval"},
            after=_about(row, run_id) | {"status": "approved", "by": by},
        )
        for row in pending.iter_rows(named=True)
    ]
    audit.record_many(conn, events)


def _approved(pending: pl.DataFrame, run_id: int, by: str | None) -> list[dict[str, Any]]:
    """The data of each `notice.approved` event: which notice, whose, which step, who decided."""
    return [
        {"notice_id": row["notice_id"], "run_id": run_id, "as_of": row["as_of"].isoformat(),
         "customer": row["customer"], "currency": row["currency"], "step": row["step"], "by": by}
        for row in pending.iter_rows(named=True)
    ]  # fmt: skip


def _about(row: dict[str, Any], run_id: int) -> dict[str, Any]:
    return {"customer": row["customer"], "run": run_id, "step": row["step"]}
