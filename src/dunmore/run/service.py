"""The run as a service: gather → decide → apply, plus policy versions and approvals.

Functions take the caller's connection (the caller owns the transaction) and the current time as
values; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError

from dunmore.access import audit
from dunmore.domain.policy import PolicySet, load_policy_file, load_policy_text
from dunmore.engine.decide import decide
from dunmore.engine.frames import DecisionFrames
from dunmore.engine.partition import MAX_PARTITIONS, Part, parts
from dunmore.errors import BadArgument, NotFound, RunConflict, RunError
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.progress import Progress, quiet
from dunmore.run.apply import (
    apply_level_effects,
    group_after_approval,
    insert_deliveries,
    insert_notice_items,
    insert_notices,
    insert_reminder_records,
    notice_row,
    write_group_state,
)
from dunmore.run.models import NOTICES, POLICY_VERSIONS, RUNS
from dunmore.run.partitioned import joined_decisions, kept
from dunmore.run.snapshot import read_snapshot
from dunmore.store.bulk import write_cache


@dataclass(frozen=True)
class LoadedPolicy:
    version: int
    version_id: int
    fingerprint: str
    policies: PolicySet


@dataclass(frozen=True)
class RunOutcome:
    """A decided run; `notices` has `notice_id` (None while proposed) and `status` columns."""

    as_of: date
    policy: LoadedPolicy
    decisions: DecisionFrames
    notices: pl.DataFrame
    committed: bool
    run_id: int | None = None  # the committed run's id


def load_policy(conn: Connection, path: Path, *, now: datetime, actor: str) -> LoadedPolicy:
    """Check a policy file and store it as a new version (every load is a new version), audited as
    `policy.load` on `policy:<version>`."""
    policies = load_policy_file(path)
    text = path.read_text(encoding="utf-8-sig")
    version = (conn.execute(select(func.max(POLICY_VERSIONS.c.version))).scalar() or 0) + 1
    values = {"version": version, "fingerprint": policies.fingerprint(), "source": str(path), "text": text}
    row_id = conn.execute(
        insert(POLICY_VERSIONS).values({**values, "loaded_at": now}).returning(POLICY_VERSIONS.c.id)
    )
    after = {"version": version, "fingerprint": values["fingerprint"], "source": str(path)}
    audit.record(conn, at=now, actor=actor, action="policy.load", object=f"policy:{version}", after=after)
    return LoadedPolicy(version, int(row_id.scalar_one()), policies.fingerprint(), policies)


def ledger_currencies(conn: Connection) -> set[str]:
    """The currencies the ledger has open items in (what a policy's fee and minimum maps must cover)."""
    query = select(INVOICES.c.currency).where(INVOICES.c.open_minor > 0).distinct()
    return {str(currency) for currency in conn.execute(query).scalars()}


@lru_cache(maxsize=8)
def _parsed(text: str, source: str) -> PolicySet:
    """Stored policy texts were checked when loaded; parse each once per process."""
    return load_policy_text(text, source=source)


def _policy_where(conn: Connection, condition: Any) -> LoadedPolicy | None:
    query = select(POLICY_VERSIONS).where(condition).order_by(POLICY_VERSIONS.c.version.desc()).limit(1)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return LoadedPolicy(row["version"], row["id"], row["fingerprint"], _parsed(row["text"], row["source"]))


def current_policy(conn: Connection) -> LoadedPolicy:
    loaded = _policy_where(conn, true())
    if loaded is None:
        raise RunError("no dunning policy loaded yet: run `dunmore policy load examples/dunning.yaml` first")
    return loaded


def policy_of_run(conn: Connection, run_id: int) -> LoadedPolicy:
    """The policy version a committed run used (an approval applies that one, not today's)."""
    version_id = select(RUNS.c.policy_version_id).where(RUNS.c.id == run_id).scalar_subquery()
    loaded = _policy_where(conn, POLICY_VERSIONS.c.id == version_id)
    if loaded is None:  # pragma: no cover - runs reference their policy version by a foreign key
        raise RunError(f"run {run_id} has no stored policy version")
    return loaded


def _last_run(conn: Connection) -> tuple[int, date | None]:
    """The highest run sequence, and the date of the latest run still standing (a reverted run
    keeps its sequence but no longer holds later runs back)."""
    sequence = conn.execute(select(func.max(RUNS.c.sequence))).scalar() or 0
    standing = select(RUNS.c.as_of).where(RUNS.c.status == "committed")
    last = conn.execute(standing.order_by(RUNS.c.sequence.desc()).limit(1)).scalar()
    return int(sequence), last


def _with_status(decisions: DecisionFrames, committed: bool) -> pl.DataFrame:
    pending = pl.when(pl.col("pending_approval")).then(pl.lit("pending_approval"))
    status = pending.otherwise(pl.lit("committed" if committed else "proposed"))
    return decisions.notices.with_columns(status=status)


def check_run_date(as_of: date, *, today: date, max_days_ahead: int) -> None:
    """Refuse a run date too far after today: a typo (2099 for 2026) would queue real deliveries and
    leave a run no later one can go back from."""
    if (as_of - today).days > max_days_ahead:
        raise RunError(
            f"--as-of {as_of.isoformat()} is {(as_of - today).days} days after today ({today.isoformat()}); "
            f"a run may be at most {max_days_ahead} day(s) ahead (setting run.max_days_ahead): check the date"
        )


def _policy_for(conn: Connection, as_of: date, *, today: date, max_days_ahead: int) -> LoadedPolicy:
    """The policy a run for `as_of` uses, once the date is known to be one a run may take."""
    check_run_date(as_of, today=today, max_days_ahead=max_days_ahead)
    policy = current_policy(conn)
    _, last = _last_run(conn)
    if last is not None and as_of < last:
        raise RunError(f"a run for {last.isoformat()} is already committed: runs cannot go back to {as_of}")
    return policy


def propose(
    conn: Connection, *, as_of: date, today: date, max_days_ahead: int = 1, progress: Progress = quiet
) -> RunOutcome:
    """Decide the run for `as_of` and write nothing; `today` is the creditor's date, given by the caller."""
    policy = _policy_for(conn, as_of, today=today, max_days_ahead=max_days_ahead)
    progress("read", 0, 1)
    snapshot = read_snapshot(conn, as_of)
    progress("read", 1, 1)
    progress("decide", 0, 1)
    decisions = decide(snapshot, policy.policies)
    progress("decide", 1, 1)
    notices = _with_status(decisions, committed=False).with_columns(notice_id=pl.lit(None, dtype=pl.Int64))
    return RunOutcome(as_of, policy, decisions, notices, committed=False)


def commit(
    conn: Connection,
    *,
    as_of: date,
    today: date,
    now: datetime,
    actor: str,
    max_days_ahead: int = 1,
    progress: Progress = quiet,
    partitions: int = 1,
) -> RunOutcome:
    """Decide and commit the run for `as_of` in the caller's transaction; one audit row
    (`run.commit` on `run:<id>`) with its counts, whatever the number of notices.

    With `partitions` N > 1 the customers are split by a hash of their id (`engine.partition`) and
    each partition is read, decided and written before the next is read, so that no more than one
    partition's snapshot is in memory; the decisions are the same as unpartitioned, and it is still
    one transaction: a run is written whole or not at all."""
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise BadArgument(f"--partitions {partitions}: give 1 to {MAX_PARTITIONS}")
    sequence, _ = _last_run(conn)
    if partitions == 1:
        proposal = propose(conn, as_of=as_of, today=today, max_days_ahead=max_days_ahead, progress=progress)
        with write_cache(conn):
            outcome = _apply(conn, sequence, proposal, now, progress)
    else:
        policy = _policy_for(conn, as_of, today=today, max_days_ahead=max_days_ahead)
        with write_cache(conn):
            outcome = _apply_partitioned(conn, sequence, as_of, policy, now, parts(partitions), progress)
    _audit_commit(conn, outcome, now=now, actor=actor)
    return outcome


def _audit_commit(conn: Connection, outcome: RunOutcome, *, now: datetime, actor: str) -> None:
    """The run's one audit row. Under REPEATABLE READ (PostgreSQL) an audit row another command
    committed after this run's snapshot is invisible to it, so the append takes the same id and the
    primary key refuses it: another command changed the database while the run was deciding."""
    notices = outcome.notices
    after = {
        "as_of": outcome.as_of.isoformat(),
        "policy_version": outcome.policy.version,
        "notices": notices.height,
        "reminders": int((notices["kind"] == "reminder").sum()),
        "levels": int((notices["kind"] == "level").sum()),
        "pending_approval": int(notices["pending_approval"].sum()),
    }
    try:
        audit.record(conn, at=now, actor=actor, action="run.commit", object=f"run:{outcome.run_id}",
                     after=after)  # fmt: skip
    except IntegrityError as exc:
        raise RunConflict(
            "another command wrote to the audit log while this run was deciding; nothing was written; "
            "run it again"
        ) from exc


def _apply(
    conn: Connection, sequence: int, proposal: RunOutcome, now: datetime, progress: Progress
) -> RunOutcome:
    as_of = proposal.as_of
    progress("write", 0, 5)
    run_id = _insert_run(conn, sequence + 1, as_of, proposal.policy, now, proposal.decisions.notices.height)
    keyed = _write(conn, run_id, proposal.decisions, proposal.policy.policies, now, progress=progress)
    notices = _with_status(proposal.decisions, committed=True).with_columns(notice_id=keyed["notice_id"])
    return RunOutcome(as_of, proposal.policy, proposal.decisions, notices, committed=True, run_id=run_id)


def _write(
    conn: Connection,
    run_id: int,
    decisions: DecisionFrames,
    policies: PolicySet,
    now: datetime,
    *,
    part: Part | None = None,
    progress: Progress = quiet,
) -> pl.DataFrame:
    """Write decided notices, items, reminders, level effects, group state and deliveries under run
    `run_id`; returns the notices with their `notice_id`. Only this call's notices are applied (ids
    are given in order, so they are the run's from the first id given here), so that the partitions
    of a run write one after another through the same function."""
    as_of = decisions.as_of
    keyed = insert_notices(conn, decisions.notices, run_id=run_id, as_of=as_of)
    progress("write", 1, 5)
    insert_notice_items(conn, decisions.notice_items, keyed)
    insert_reminder_records(conn, decisions.reminders, run_id=run_id)
    progress("write", 2, 5)
    if keyed.height:
        ours = and_(NOTICES.c.run_id == run_id, NOTICES.c.id >= keyed["notice_id"].min())
        levels = keyed.filter(~pl.col("pending_approval") & (pl.col("kind") == "level"))
        apply_level_effects(conn, levels, which=ours, as_of=as_of)
        progress("write", 3, 5)
        insert_deliveries(conn, and_(ours, NOTICES.c.status == "committed"), policies, now)
    write_group_state(conn, decisions.group_changes, run_id=run_id, part=part)
    progress("write", 5, 5)
    return keyed


def _apply_partitioned(
    conn: Connection,
    sequence: int,
    as_of: date,
    policy: LoadedPolicy,
    now: datetime,
    partitions: list[Part],
    progress: Progress,
) -> RunOutcome:
    """Read, decide and write each partition in turn; the outcome joins what each wrote."""
    run_id = _insert_run(conn, sequence + 1, as_of, policy, now, 0)
    written: list[tuple[DecisionFrames, pl.DataFrame]] = []
    for part in partitions:
        progress("read", part.index, len(partitions))
        snapshot = read_snapshot(conn, as_of, part)
        progress("decide", part.index, len(partitions))
        decisions = kept(decide(snapshot, policy.policies))
        del snapshot  # the next partition's is read only after this one's is gone
        progress("write", part.index, len(partitions))
        keyed = _write(conn, run_id, decisions, policy.policies, now, part=part)
        written.append((decisions, keyed))
    decisions, notice_ids = joined_decisions(as_of, written)
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(notices=decisions.notices.height))
    notices = _with_status(decisions, committed=True).with_columns(notice_id=notice_ids)
    return RunOutcome(as_of, policy, decisions, notices, committed=True, run_id=run_id)


def _insert_run(
    conn: Connection, sequence: int, as_of: date, policy: LoadedPolicy, now: datetime, notices: int
) -> int:
    values = {"sequence": sequence, "as_of": as_of, "policy_version_id": policy.version_id}
    values |= {"committed_at": now, "notices": notices}
    try:
        return int(conn.execute(insert(RUNS).values(values).returning(RUNS.c.id)).scalar_one())
    except (IntegrityError, OperationalError) as exc:
        raise RunConflict("another run committed while this one was deciding; nothing was written") from exc


def _pending(conn: Connection, notice_id: int) -> dict[str, Any]:
    notice = notice_row(conn, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}: `dunmore run --as-of DATE` lists notices with their ids")
    if notice["status"] != "pending_approval":
        raise RunError(f"notice {notice_id} is {notice['status']}, not waiting for approval")
    return notice


def approve(conn: Connection, notice_id: int, *, now: datetime, actor: str, by: str | None = None) -> None:
    """Apply a pending level notice as of its run date: levels, fee, interest, spacing, deliveries.
    `actor` did it (the audit row's); `by` is who the interface says decided (kept with the notice)."""
    notice = _pending(conn, notice_id)
    columns = ["customer_id", "currency", "fee_minor", "interest_charge_minor", "policy", "step"]
    frame = pl.DataFrame(
        [{"notice_id": notice_id} | {c: notice[c] for c in columns}],
        schema={
            "notice_id": pl.Int64,
            "customer_id": pl.Int64,
            "currency": pl.String,
            "fee_minor": pl.Int64,
            "interest_charge_minor": pl.Int64,
            "policy": pl.String,
            "step": pl.String,
        },
    )
    as_of: date = notice["as_of"]
    write_group_state(conn, group_after_approval(conn, notice), run_id=notice["run_id"])
    _decide(conn, notice_id, "approved", now, by=by)
    apply_level_effects(conn, frame, which=NOTICES.c.id == notice_id, as_of=as_of)
    insert_deliveries(conn, NOTICES.c.id == notice_id, policy_of_run(conn, notice["run_id"]).policies, now)
    _audit_decision(conn, notice, "approve", now=now, actor=actor, after={"status": "approved", "by": by})


def reject(conn: Connection, notice_id: int, *, reason: str, by: str, now: datetime, actor: str) -> None:
    """Reject a pending level notice with a reason: it changes nothing, and it stands as a decision —
    the run does not propose the group at that step again until its dunned amount grows above the
    notice's or someone reopens it (docs/design/dunning-run.md, `not_held_by_rejection`)."""
    notice = _pending(conn, notice_id)
    if not reason.strip():
        raise BadArgument(
            f"notice {notice_id} was not rejected: a rejection needs a reason, "
            f'e.g. `dunmore reject {notice_id} --reason "the customer pays through its parent"`'
        )
    _decide(conn, notice_id, "rejected", now, by=by, reason=reason.strip())
    after = {"status": "rejected", "by": by, "reason": reason.strip()}
    _audit_decision(conn, notice, "reject", now=now, actor=actor, after=after)


def reopen(conn: Connection, notice_id: int, *, by: str, now: datetime, actor: str) -> int:
    """Lift the rejection of a notice, and every other standing one of its group and step: the next
    run may propose that step again. Returns how many rejections were lifted."""
    notice = notice_row(conn, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}: `dunmore explain CUSTOMER` names the rejected notice")
    if notice["status"] != "rejected" or notice["reopened_at"] is not None:
        state = "reopened" if notice["reopened_at"] is not None else notice["status"]
        raise RunError(f"notice {notice_id} is {state}, not a standing rejection: there is nothing to reopen")
    n = NOTICES.c
    same = and_(
        n.customer_id == notice["customer_id"],
        n.currency == notice["currency"],
        n.step == notice["step"],
        n.status == "rejected",
        n.reopened_at.is_(None),
    )
    lifted = int(conn.execute(update(NOTICES).where(same).values(reopened_at=now, reopened_by=by)).rowcount)
    after = {"status": "rejected", "reopened": True, "by": by, "rejections_lifted": lifted}
    _audit_decision(conn, notice, "reopen", now=now, actor=actor, after=after)
    return lifted


def _audit_decision(conn: Connection, notice: dict[str, Any], verb: str, *, now: datetime, actor: str,
                    after: dict[str, Any]) -> None:  # fmt: skip
    """One row on `notice:<id>`: its status before, the decision after, and whose notice it is."""
    code = select(CUSTOMERS.c.external_id).where(CUSTOMERS.c.id == notice["customer_id"])
    about = {"customer": conn.execute(code).scalar_one(), "run": notice["run_id"], "step": notice["step"]}
    before = {"status": notice["status"]} | ({"reopened": False} if verb == "reopen" else {})
    audit.record(conn, at=now, actor=actor, action=f"notice.{verb}", object=f"notice:{notice['id']}",
                 before=before, after=about | after)  # fmt: skip


def _decide(
    conn: Connection, notice_id: int, status: str, now: datetime, *, by: str | None, reason: str | None = None
) -> None:
    values = {"status": status, "decided_at": now, "decided_by": by, "decision_reason": reason}
    conn.execute(update(NOTICES).where(NOTICES.c.id == notice_id).values(values))
