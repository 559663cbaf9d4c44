"""Importing contracts: the whole file is checked first; a good file adds drafts, and importing it
again changes nothing; a changed row makes a new version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dunmore.credit.contract_import import import_contracts
from dunmore.credit.contract_models import CONTRACT_VERSIONS, CONTRACTS
from dunmore.errors import ImportRejected
from dunmore.store.db import transaction
from tests.scenarios.story import Story

NOW = datetime(2026, 8, 3, 8, tzinfo=UTC)
HEADER = "客户编号,合同编号,title,signed_on,amount,currency,terms,interest_terms\n"
GOOD = (
    HEADER + "C1,K-1,Line 3 press,2026-08-03,100000.00,CNY,30% signing; 70% delivery+30d,0.05% per day\n"
    'C1,K-2,Spare parts,2026-08-04,"1,200.50",CNY,net 30,\n'
)


def _import(engine: Engine, path: Path, *, dry_run: bool = False) -> tuple[int, int, int]:
    with transaction(engine) as conn:
        report = import_contracts(conn, path, by="wang", actor="cli:ops", now=NOW, dry_run=dry_run)
    return report.new, report.changed, report.unchanged


def _versions(engine: Engine) -> list[tuple[str, int, str, int]]:
    k, v = CONTRACTS.c, CONTRACT_VERSIONS.c
    query = select(k.number, v.version, v.status, v.amount_minor).join(CONTRACTS, k.id == v.contract_id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(k.number, v.version))]


def test_a_good_file_adds_drafts_and_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    Story(engine, policy=None).customer("C1")
    path = tmp_path / "contracts.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert _import(engine, path, dry_run=True) == (2, 0, 0)
    assert _versions(engine) == []
    assert _import(engine, path) == (2, 0, 0)
    assert _import(engine, path) == (0, 0, 2)
    path.write_text(GOOD.replace("100000.00", "90000.00"), encoding="utf-8")
    assert _import(engine, path) == (0, 1, 1)
    assert _versions(engine) == [
        ("K-1", 1, "superseded", 10_000_000),
        ("K-1", 2, "draft", 9_000_000),
        ("K-2", 1, "draft", 120_050),
    ]


def test_a_file_with_bad_rows_is_refused_whole_with_every_problem(engine: Engine, tmp_path: Path) -> None:
    Story(engine, policy=None).customer("C1")
    path = tmp_path / "contracts.csv"
    path.write_text(
        GOOD + "C9,K-3,Unknown customer,2026-08-03,10,CNY,net 30,\n"
        "C1,K-1,Twice,2026-08-03,10,CNY,net 30,\n"
        "C1,K-4,Bad terms,2026-08-03,10,CNY,50% signing,\n"
        "C1,K-5,Bad date,03/08/2026,10,CNY,net 30,\n"
        "C1,K-6,Bad interest,2026-08-03,10,CNY,net 30,5 per cent\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as refused:
        _import(engine, path)
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (4, "customer"),
        (5, "number"),
        (6, "terms"),
        (7, "signed_on"),
        (8, "interest_terms"),
    ]
    assert "sum to 50%" in refused.value.problems[2].reason
    assert _versions(engine) == []
