"""The audit log's hash chain: it verifies as written, and an edited, deleted or moved row is named.

Stories on both backends: on 2026-03-02 an operator adds five things; someone then changes the
database behind Dunmore's back, and `verify` says where.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine, text

from dunmore.access import audit
from dunmore.access.models import AUDIT_LOG

MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def five_rows(conn: Connection) -> list[audit.AuditRow]:
    return [
        audit.record(
            conn,
            at=MORNING + timedelta(minutes=n),
            actor="cli:ops",
            action="user.add",
            object=f"user:u{n}",
            after={"login": f"u{n}", "role": "viewer"},
        )
        for n in range(1, 6)
    ]


@pytest.fixture
def chain(engine: Engine) -> Engine:
    with engine.begin() as conn:
        five_rows(conn)
    return engine


def tamper(engine: Engine, statement: str) -> audit.ChainBreak | None:
    with engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        return audit.verify(conn).broken


def test_an_untouched_log_verifies_and_reports_its_head(chain: Engine) -> None:
    with chain.connect() as conn:
        result = audit.verify(conn)
        last = audit.list_rows(conn, limit=1)[0]
    assert (result.rows, result.broken, result.head_hash) == (5, None, last.hash)
    assert last.id == 5


def _said(broken: audit.ChainBreak | None) -> tuple[int, str] | None:
    """The break's row and its reason in English (the reason is said in the reader's language)."""
    return None if broken is None else (broken.row_id, str(broken.reason))


def test_an_edited_action_is_named_by_its_row(chain: Engine) -> None:
    broken = tamper(chain, "UPDATE audit_log SET action = 'user.disable' WHERE id = 3")
    assert broken is not None
    assert broken.row_id == 3
    assert "changed after it was written" in str(broken.reason)


def test_a_deleted_middle_row_is_named_by_the_row_after_the_gap(chain: Engine) -> None:
    broken = tamper(chain, "DELETE FROM audit_log WHERE id = 3")
    assert _said(broken) == (4, "row 3 is missing before row 4: deleted from the log")


def test_a_deleted_first_row_is_named_by_the_row_after_it(chain: Engine) -> None:
    broken = tamper(chain, "DELETE FROM audit_log WHERE id IN (1, 2)")
    assert _said(broken) == (3, "rows 1 to 2 are missing before row 3: deleted from the log")


def test_two_rows_swapped_are_named_by_the_first_of_them(chain: Engine) -> None:
    with chain.begin() as conn:
        for old, new in ((2, 100), (3, 2), (100, 3)):
            conn.execute(text("UPDATE audit_log SET id = :new WHERE id = :old"), {"old": old, "new": new})
    with chain.connect() as conn:
        broken = audit.verify(conn).broken
    assert broken is not None
    assert broken.row_id == 2


def test_a_row_edited_with_a_fresh_hash_is_caught_by_the_next_row(chain: Engine) -> None:
    with chain.begin() as conn:
        row = audit.list_rows(conn, object="user:u3")[0]
        forged = audit.AuditRow(**{**row.__dict__, "action": "user.disable", "hash": ""})
        conn.execute(
            AUDIT_LOG.update()
            .where(AUDIT_LOG.c.id == 3)
            .values(action="user.disable", hash=audit.row_hash(forged))
        )
    with chain.connect() as conn:
        broken = audit.verify(conn).broken
    assert _said(broken) == (4, "row 4 does not follow row 3: one of them was changed, or rows were moved")


def test_verify_reads_the_log_a_batch_at_a_time(chain: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_BATCH", 2)
    seen: list[int] = []
    stream = audit._stream

    def counting(conn: Connection) -> Iterator[audit.AuditRow]:
        for row in stream(conn):
            seen.append(row.id)
            yield row

    monkeypatch.setattr(audit, "_stream", counting)
    with chain.connect() as conn:
        assert audit.verify(conn).rows == 5
    assert seen == [1, 2, 3, 4, 5]
    broken = tamper(chain, "UPDATE audit_log SET object = 'user:x' WHERE id = 5")
    assert _said(broken) == (5, "row 5 was changed after it was written: its hash does not match")


def test_events_appended_together_chain_as_if_appended_one_by_one(engine: Engine, tmp_path: Path) -> None:
    events = [
        audit.Event(
            MORNING + timedelta(seconds=n), "system", "run.commit", f"customer:C{n}", None, {"level": n}
        )
        for n in range(4)
    ]
    alone = create_engine(f"sqlite:///{tmp_path / 'alone.db'}")
    with engine.begin() as conn, alone.begin() as other:
        AUDIT_LOG.create(other)
        assert audit.record_many(conn, []) == []
        together = audit.record_many(conn, events)
        one_by_one = [audit.record(other, **event.__dict__) for event in events]
        assert audit.verify(conn) == audit.Verification(4, together[-1].hash, None)
    alone.dispose()
    assert together == one_by_one


def test_before_and_after_are_stored_as_canonical_json(engine: Engine) -> None:
    with engine.begin() as conn:
        row = audit.record(conn, at=MORNING, actor="system", action="run.commit", object="run:1",
                           before={"b": 1, "a": "东"}, after=[3, {"z": None, "y": True}])  # fmt: skip
        stored = audit.list_rows(conn)[0]
    assert (stored.before, stored.after) == ('{"a":"东","b":1}', '[3,{"y":true,"z":null}]')
    assert stored == row


def test_a_moment_without_a_timezone_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="timezone-aware"):
        audit.record(conn, at=datetime(2026, 3, 2, 9, 0), actor="system", action="x", object="y")  # noqa: DTZ001


def test_the_list_filters_by_object_and_actor_newest_first(chain: Engine) -> None:
    with chain.begin() as conn:
        audit.record(conn, at=MORNING, actor="alice", action="customer.hold", object="customer:C0001")
        audit.record(conn, at=MORNING, actor="bob", action="customer.release", object="customer:C0001")
        by_object = audit.list_rows(conn, object="customer:C0001")
        by_actor = audit.list_rows(conn, actor="cli:ops", limit=2)
        older = audit.list_rows(conn, actor="cli:ops", before_id=3)
    assert [(r.id, r.actor) for r in by_object] == [(7, "bob"), (6, "alice")]
    assert [r.id for r in by_actor] == [5, 4]
    assert [r.id for r in older] == [2, 1]


def test_two_transactions_appending_at_once_take_turns_on_postgresql(postgres_engine: Engine) -> None:
    """The second append waits on the advisory lock until the first commits, then chains onto it."""
    first = postgres_engine.connect()
    first.begin()
    audit.record(first, at=MORNING, actor="alice", action="customer.hold", object="customer:C0001")
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with postgres_engine.begin() as conn:
                audit.record(conn, at=MORNING, actor="bob", action="customer.hold", object="customer:C0002")
        except BaseException as exc:  # reported to the test below
            failures.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    _wait_for_a_waiting_advisory_lock(postgres_engine)
    first.commit()
    first.close()
    worker.join(timeout=30)
    assert failures == []
    with postgres_engine.connect() as conn:
        result = audit.verify(conn)
        actors = [row.actor for row in audit.list_rows(conn)]
    assert (result.rows, result.broken, actors) == (2, None, ["bob", "alice"])


def _wait_for_a_waiting_advisory_lock(engine: Engine) -> None:
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    for _ in range(300):
        with engine.connect() as conn:
            if conn.scalar(waiting):
                return
        time.sleep(0.01)
    pytest.fail("the second append never waited for the audit log's advisory lock")


# --- properties: any sequence of records verifies; any single-field change is detected -------------

json_values = st.none() | st.dictionaries(
    st.text(max_size=5), st.integers() | st.text(max_size=5) | st.booleans(), max_size=3
)
records = st.lists(
    st.fixed_dictionaries(
        {
            "at": st.integers(0, 10**12).map(lambda n: MORNING + timedelta(microseconds=n)),
            "actor": st.text(max_size=12),
            "action": st.text(max_size=12),
            "object": st.text(max_size=12),
            "before": json_values,
            "after": json_values,
        }
    ),
    min_size=1,
    max_size=8,
)
FIELDS = ["id", "at", "actor", "action", "object", "before", "after", "prev_hash", "hash"]


def _logged(entries: list[dict[str, Any]]) -> tuple[Engine, list[audit.AuditRow]]:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        AUDIT_LOG.create(conn)
        rows = [audit.record(conn, **entry) for entry in entries]
    return engine, rows


def _changed(row: audit.AuditRow, field: str) -> object:
    value = getattr(row, field)
    if field == "id":
        return value + 1000
    if field == "at":
        return value + timedelta(microseconds=1)
    if field in ("before", "after"):
        return '"tampered"' if value is None else None
    return value + "x"


@settings(max_examples=60, deadline=None)
@given(entries=records)
def test_any_sequence_of_records_verifies(entries: list[dict[str, Any]]) -> None:
    engine, rows = _logged(entries)
    with engine.connect() as conn:
        assert audit.verify(conn) == audit.Verification(len(rows), rows[-1].hash, None)


@settings(max_examples=120, deadline=None)
@given(entries=records, data=st.data())
def test_any_single_field_change_is_detected(entries: list[dict[str, Any]], data: st.DataObject) -> None:
    engine, rows = _logged(entries)
    row = data.draw(st.sampled_from(rows))
    field = data.draw(st.sampled_from(FIELDS))
    with engine.begin() as conn:
        conn.execute(AUDIT_LOG.update().where(AUDIT_LOG.c.id == row.id).values({field: _changed(row, field)}))
        broken = audit.verify(conn).broken
    assert broken is not None
    if field != "id":
        assert broken.row_id == row.id
