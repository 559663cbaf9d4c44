"""The services behind the pages, on both backends: the aging within a user's scope, and a manager's
aging read the way the CLI's is (the covering index, no detour through customers)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, false, true

from dunmore.access import service
from dunmore.access.permissions import customer_scope
from dunmore.domain.aging import buckets
from dunmore.reports import aging
from dunmore.reports.aging import aging_report
from dunmore.store.bulk import read_frame
from tests.web.conftest import NOW, fill_ledger


def _totals(engine: Engine, scope: Any) -> dict[str, int]:
    with engine.connect() as conn:
        report = aging_report(conn, as_of=NOW.date(), buckets=buckets(), by="currency", scope=scope)
    return {row["currency"]: row["total"] for row in report.totals.iter_rows(named=True)}


def test_the_aging_within_a_collectors_scope_counts_only_their_customers(engine: Engine) -> None:
    fill_ledger(engine)
    with engine.connect() as conn:
        ann = service.get_user(conn, login="ann")
    assert _totals(engine, customer_scope(ann)) == {"CNY": 700_000_00}
    assert _totals(engine, None) == {"CNY": 1_600_000_00, "USD": 15_000_00}
    assert _totals(engine, false()) == {}


def test_a_scope_of_every_customer_reads_the_aging_without_joining_customers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_ledger(engine)
    queries: list[str] = []

    def reading(conn: Any, query: Any, schema: Any) -> Any:
        queries.append(str(query).lower())
        return read_frame(conn, query, schema)

    monkeypatch.setattr(aging, "read_frame", reading)
    assert _totals(engine, true()) == {"CNY": 1_600_000_00, "USD": 15_000_00}
    assert len(queries) == 2
    assert not any("customers" in q for q in queries)  # 1.5 s → 23 ms on 150,000 items
