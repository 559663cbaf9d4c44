"""The run as a service: gather → decide → apply, plus policy versions and approvals.

Functions take the caller's connection (the caller owns the transaction) and the current time as
values; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError

from dunmore.access import audit
from dunmore.domain.policy import PolicySet, load_policy_file, load_policy_text
from dunmore.engine.decide import decide
from dunmore.engine.frames import DecisionFrames
from dunmore.engine.partition import MAX_PARTITIONS, Part, parts
from dunmore.errors import BadArgument, NotFound, RunConflict, RunError
from dunmore.i18n import _m
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.progress import Progress, quiet
from dunmore.run.apply import (
    apply_level_effects,
    insert_deliveries,
    insert_notice_items,
    insert_notices,
    insert_reminder_records,
    notice_row,
    write_group_state,
)
from dunmore.run.instalment_notices import remind_customers
from dunmore.run.models import NOTICES, POLICY_VERSIONS, RUNS
from dunmore.run.next_steps import write_next_steps
from dunmore.run.partitioned import joined_decisions, kept
from dunmore.run.plans import remind_instalments, write_plan_changes
from dunmore.run.promises import write_promise_changes
from dunmore.run.snapshot import read_snapshot
from dunmore.store.bulk import refresh_statistics, write_cache
from dunmore.store.partitions import lock_for_partitions, staged_partitions
from dunmore.webhooks import emit as webhooks
from dunmore.workspace.run_alerts import AlertRules, raise_run_alerts

if TYPE_CHECKING:
    from dunmore.delivery.template_gate import Verdict

REASON_MAX = 500  # characters of a rejection's reason


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
        raise RunError(
            _m("no dunning policy loaded yet: run `dunmore policy load examples/dunning.yaml` first"),
            code="no_policy",
        )
    return loaded


def policy_of_run(conn: Connection, run_id: int) -> LoadedPolicy:
    """The policy version a committed run used (an approval applies that one, not today's)."""
    version_id = select(RUNS.c.policy_version_id).where(RUNS.c.id == run_id).scalar_subquery()
    loaded = _policy_where(conn, POLICY_VERSIONS.c.id == version_id)
    if loaded is None:  # pragma: no cover - runs reference their policy version by a foreign key
        raise RunError(_m("run %(run)s has no stored policy version", run=run_id))
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
            _m(
                "--as-of %(date)s is %(days)s days after today (%(today)s); a run may be at most %(most)s "
                "day(s) ahead (setting run.max_days_ahead): check the date",
                date=as_of.isoformat(),
                days=(as_of - today).days,
                today=today.isoformat(),
                most=max_days_ahead,
            ),
            code="run_date_ahead",
            date=as_of.isoformat(),
            today=today.isoformat(),
            days=(as_of - today).days,
            max_days=max_days_ahead,
        )


def _check_not_behind(conn: Connection, as_of: date) -> None:
    """Refuse a run date before the latest run still standing."""
    _, last = _last_run(conn)
    if last is not None and as_of < last:
        raise RunError(
            _m(
                "a run for %(last)s is already committed: runs cannot go back to %(date)s",
                last=last.isoformat(),
                date=str(as_of),
            ),
            code="run_date_behind",
            date=as_of.isoformat(),
            last=last.isoformat(),
        )


def _policy_for(conn: Connection, as_of: date, *, today: date, max_days_ahead: int) -> LoadedPolicy:
    """The policy a run for `as_of` uses, once the date is known to be one a run may take."""
    check_run_date(as_of, today=today, max_days_ahead=max_days_ahead)
    policy = current_policy(conn)
    _check_not_behind(conn, as_of)
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


def check_templates(conn: Connection, policies: PolicySet, *, templates_dir: Path | None) -> Verdict:
    """The template gate: refuse (RunError `templates_failing`) a run, or an approval, whose
    templates fail `dunmore templates check` for its policy. Checked again only when the templates,
    the policy or the checker changed (see delivery.template_gate); writes nothing — a caller that
    goes on writes `remember_passed` after its own writes."""
    from dunmore.delivery.template_gate import template_verdict
    from dunmore.delivery.uses import uses_for_policies

    verdict = template_verdict(conn, templates_dir, uses_for_policies(policies))
    if problems := verdict.problems:
        raise RunError(
            _m(
                "the run was not committed: its templates have %(count)s problem(s), the first: "
                "%(first)s; `dunmore templates check` lists them all",
                count=len(problems),
                first=str(problems[0]),
            ),
            code="templates_failing",
            count=len(problems),
            first=str(problems[0]),
        )
    return verdict


def keep_passing_verdict(conn: Connection, verdict: Verdict | None) -> None:
    if verdict is not None:
        from dunmore.delivery.template_gate import remember_passed

        remember_passed(conn, verdict)


def commit(
    conn: Connection,
    *,
    as_of: date,
    today: date,
    now: datetime,
    actor: str,
    templates_dir: Path | None,
    gate_templates: bool = True,
    max_days_ahead: int = 1,
    progress: Progress = quiet,
    partitions: int = 1,
    alerting: AlertRules | None = None,
) -> RunOutcome:
    """Decide and commit the run for `as_of` in the caller's transaction; one audit row
    (`run.commit` on `run:<id>`) with its counts, whatever the number of notices.

    A run commits only with templates that pass their check (`check_templates`; `templates_dir` is
    the override folder, None for the shipped set). `gate_templates=False` is for callers that
    study the run itself over the shipped templates (scenario stories, benchmarks), never for a
    person's run.

    With `partitions` N > 1 the customers are split by a hash of their id (`engine.partition`) and
    each partition is read, decided and written before the next is read, so that no more than one
    partition's snapshot is in memory; the decisions are the same as unpartitioned, and it is still
    one transaction: a run is written whole or not at all. `alerting` (settings `workspace`) says
    which levels and invoices alert the owners and managers (`workspace.run_alerts`)."""
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise BadArgument(
            _m("--partitions %(partitions)s: give 1 to %(most)s", partitions=partitions, most=MAX_PARTITIONS),
            code="partitions_out_of_range",
            partitions=partitions,
            max_partitions=MAX_PARTITIONS,
        )
    # The date first: a date no run may have is refused at once, not after the templates' check
    # (which renders every template, seconds).
    check_run_date(as_of, today=today, max_days_ahead=max_days_ahead)
    _check_not_behind(conn, as_of)
    sequence, _ = _last_run(conn)
    verdict = None
    if gate_templates:
        verdict = check_templates(conn, current_policy(conn).policies, templates_dir=templates_dir)
    if partitions == 1:
        proposal = propose(conn, as_of=as_of, today=today, max_days_ahead=max_days_ahead, progress=progress)
        with write_cache(conn):
            outcome = _apply(conn, sequence, proposal, now, progress)
    else:
        policy = _policy_for(conn, as_of, today=today, max_days_ahead=max_days_ahead)
        with write_cache(conn):
            outcome = _apply_partitioned(conn, sequence, as_of, policy, now, parts(partitions), progress)
    raise_run_alerts(conn, run_id=outcome.run_id or 0, as_of=as_of, rules=alerting or AlertRules(), now=now)
    _audit_commit(conn, outcome, now=now, actor=actor)
    keep_passing_verdict(conn, verdict)
    webhooks.emit(conn, "run.committed", lambda: [{"run_id": outcome.run_id, **_counts(outcome)}], now=now)
    return outcome


def _audit_commit(conn: Connection, outcome: RunOutcome, *, now: datetime, actor: str) -> None:
    """The run's one audit row. Under REPEATABLE READ (PostgreSQL) an audit row another command
    committed after this run's snapshot is invisible to it, so the append takes the same id and the
    primary key refuses it: another command changed the database while the run was deciding."""
    try:
        audit.record(conn, at=now, actor=actor, action="run.commit", object=f"run:{outcome.run_id}",
                     after=_counts(outcome))  # fmt: skip
    except IntegrityError as exc:
        raise RunConflict(
            _m(
                "another command wrote to the audit log while this run was deciding; nothing was written; "
                "run it again"
            )
        ) from exc


def _counts(outcome: RunOutcome) -> dict[str, Any]:
    """What a committed run holds, for its audit row and its `run.committed` event."""
    notices = outcome.notices
    return {
        "as_of": outcome.as_of.isoformat(),
        "policy_version": outcome.policy.version,
        "notices": notices.height,
        "reminders": int((notices["kind"] == "reminder").sum()),
        "levels": int((notices["kind"] == "level").sum()),
        "pending_approval": int(notices["pending_approval"].sum()),
    }


def _apply(
    conn: Connection, sequence: int, proposal: RunOutcome, now: datetime, progress: Progress
) -> RunOutcome:
    as_of = proposal.as_of
    progress("write", 0, 5)
    lock_for_partitions(conn)
    run_id = _insert_run(conn, sequence + 1, as_of, proposal.policy, now, proposal.decisions.notices.height)
    with staged_partitions(conn):
        keyed = _write(conn, run_id, proposal.decisions, proposal.policy.policies, now, progress=progress)
    _roll_balances(conn, run_id, as_of)
    notices = _with_status(proposal.decisions, committed=True).with_columns(notice_id=keyed["notice_id"])
    return RunOutcome(as_of, proposal.policy, proposal.decisions, notices, committed=True, run_id=run_id)


def _roll_balances(conn: Connection, run_id: int, as_of: date) -> None:
    """Refresh the customer summary of the customers the run wrote notices for, and roll every row
    stale on the run's date (`ledger.balances.roll`): once per run, after all its partitions."""
    noticed = select(NOTICES.c.customer_id).where(NOTICES.c.run_id == run_id)
    balances.roll(conn, customer_ids=noticed, as_of=as_of)


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
    # What follows joins these rows: plan it on statistics that count them (a stale "no notices"
    # made PostgreSQL raise the levels by a nested loop that did not finish in 9 minutes). The
    # items' own partition is analyzed as it is attached; analyzing their partitioned table would
    # analyze every run's partition again.
    refresh_statistics(conn, keyed.height, NOTICES)
    progress("write", 2, 5)
    if keyed.height:
        ours = and_(NOTICES.c.run_id == run_id, NOTICES.c.id >= keyed["notice_id"].min())
        levels = keyed.filter(~pl.col("pending_approval") & (pl.col("kind") == "level"))
        apply_level_effects(conn, levels, which=ours, run_id=run_id, as_of=as_of)
        progress("write", 3, 5)
        insert_deliveries(conn, and_(ours, NOTICES.c.status == "committed"), policies, now)
    write_group_state(conn, decisions.group_changes, run_id=run_id, part=part)
    write_promise_changes(conn, decisions.promise_changes, run_id=run_id, as_of=as_of, now=now)
    write_plan_changes(conn, decisions.plan_changes, run_id=run_id, as_of=as_of, now=now)
    remind_instalments(conn, as_of=as_of, now=now, part=part)
    remind_customers(conn, policies, run_id=run_id, as_of=as_of, now=now, part=part)
    write_next_steps(conn, decisions.next_steps, run_id=run_id, as_of=as_of, now=now)
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
    lock_for_partitions(conn)
    run_id = _insert_run(conn, sequence + 1, as_of, policy, now, 0)
    written: list[tuple[DecisionFrames, pl.DataFrame]] = []
    with staged_partitions(conn):  # the levels and groups before of every part: one table, keyed once
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
    _roll_balances(conn, run_id, as_of)
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
        raise RunConflict(
            _m("another run committed while this one was deciding; nothing was written")
        ) from exc


def _pending(conn: Connection, notice_id: int) -> dict[str, Any]:
    notice = notice_row(conn, notice_id)
    if notice is None:
        raise NotFound(
            _m(
                "no notice %(notice)s: `dunmore run --as-of DATE` lists notices with their ids",
                notice=notice_id,
            )
        )
    if notice["status"] != "pending_approval":
        raise RunError(
            _m(
                "notice %(notice)s is %(status)s, not waiting for approval",
                notice=notice_id,
                status=notice["status"],
            ),
            code="notice_not_pending",
            notice=notice_id,
            status=notice["status"],
        )
    return notice


def approve(
    conn: Connection,
    notice_id: int,
    *,
    now: datetime,
    actor: str,
    by: str | None = None,
    templates_dir: Path | None,
    gate_templates: bool = True,
    alerting: AlertRules | None = None,
) -> None:
    """Apply a pending level notice as of its run date: levels, fee, interest, spacing, deliveries —
    after the template gate, as a commit. `actor` did it (the audit row's); `by` is who the interface
    says decided (kept with the notice). Set-at-a-time in `run.approvals`, which also approves a
    whole run."""
    from dunmore.run.approvals import approve_one

    approve_one(conn, notice_id, now=now, actor=actor, by=by, templates_dir=templates_dir,
                gate_templates=gate_templates, alerting=alerting)  # fmt: skip


def reject(conn: Connection, notice_id: int, *, reason: str, by: str, now: datetime, actor: str) -> None:
    """Reject a pending level notice with a reason: it changes nothing, and it stands as a decision —
    the run does not propose the group at that step again until its dunned amount grows above the
    notice's or someone reopens it (docs/design/dunning-run.md, `not_held_by_rejection`)."""
    notice = _pending(conn, notice_id)
    if not reason.strip():
        raise BadArgument(
            _m(
                "notice %(notice)s was not rejected: a rejection needs a reason, e.g. "
                "`dunmore reject %(notice)s "
                '--reason "the customer pays through its parent"`',
                notice=notice_id,
            ),
            code="reason_required",
            notice=notice_id,
        )
    if len(reason.strip()) > REASON_MAX:
        raise BadArgument(
            _m(
                "notice %(notice)s was not rejected: its reason has %(length)s characters, "
                "at most %(most)s are kept: say it shorter",
                notice=notice_id,
                length=len(reason.strip()),
                most=REASON_MAX,
            ),
            code="reason_too_long",
            notice=notice_id,
            length=len(reason.strip()),
            max_length=REASON_MAX,
        )
    _decide(conn, notice_id, "rejected", now, by=by, reason=reason.strip())
    after = {"status": "rejected", "by": by, "reason": reason.strip()}
    _audit_decision(conn, notice, "reject", now=now, actor=actor, after=after)


def reopen(conn: Connection, notice_id: int, *, by: str, now: datetime, actor: str) -> int:
    """Lift the rejection of a notice, and every other standing one of its group and step: the next
    run may propose that step again. Returns how many rejections were lifted."""
    notice = notice_row(conn, notice_id)
    if notice is None:
        raise NotFound(
            _m("no notice %(notice)s: `dunmore explain CUSTOMER` names the rejected notice", notice=notice_id)
        )
    if notice["status"] != "rejected" or notice["reopened_at"] is not None:
        state = "reopened" if notice["reopened_at"] is not None else notice["status"]
        raise RunError(
            _m(
                "notice %(notice)s is %(state)s, not a standing rejection: there is nothing to reopen",
                notice=notice_id,
                state=state,
            ),
            code="notice_not_rejected",
            notice=notice_id,
            status=state,
        )
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
