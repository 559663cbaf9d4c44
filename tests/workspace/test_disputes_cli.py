"""`dunmore dispute open|resolve`, `dunmore disputes list`, the old `dunmore dispute INVOICE AMOUNT`
and `dunmore waive`, as a user types them, on one SQLite file: C1 owes INV-1, 10,000.00 CNY due
2026-09-01, and the runs of 09-04 and 09-16 charged it a fee of 50.00."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dunmore.access.service import add_user
from dunmore.access.values import Role
from dunmore.cli.app import app
from dunmore.ledger.models import INVOICES
from dunmore.store.db import open_database, transaction
from tests.scenarios.story import ACTOR, Story, morning


def dunmore(url: str, *args: str, code: int = 0) -> str:
    """What the command printed, its lines joined (the console wraps long ones)."""
    result = CliRunner().invoke(app, ["--db", url, *args])
    assert result.exit_code == code, result.output
    return " ".join(result.output.split(" \n")).replace("\n", " ")


def listed(url: str, *args: str) -> Any:
    return json.loads(dunmore(url, "disputes", "list", "--json", "--as-of", "2026-09-30", *args))


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = open_database(url)
    with transaction(engine) as conn:
        for login in ("boss", "chief"):
            add_user(
                conn,
                login=login,
                role=Role.MANAGER,
                password="a long enough password",
                actor=ACTOR,
                at=morning("2026-01-01"),
            )
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.run("2026-09-04")
    story.run("2026-09-16")
    engine.dispose()
    return url


def test_a_dispute_opened_listed_and_resolved_by_credit_note(db: str) -> None:
    out = dunmore(
        db, "dispute", "open", "INV-1", "4000.00", "--reason", "quality", "--note", "broken pallets"
    )
    assert "dispute 1 opened: 4000.00 CNY of invoice INV-1" in out
    [row] = listed(db, "--status", "open")
    assert (row["invoice"], row["customer"], row["amount"], row["reason"], row["status"]) == (
        "INV-1",
        "C1",
        "4000.00",
        "quality",
        "open",
    )
    out = dunmore(
        db, "dispute", "resolve", "1", "--outcome", "credit-note", "--amount", "2500", "--as-of", "2026-09-20"
    )
    assert "dispute 1 resolved (credit_note): 2500.00 CNY credited, 1500.00 CNY back to dunning" in out
    assert listed(db, "--status", "open") == []
    [row] = listed(db, "--customer", "C1")
    assert (row["outcome"], row["credited"]) == ("credit_note", "2500.00")
    out = dunmore(db, "dispute", "resolve", "1", "--outcome", "rejected", code=2)
    assert "already resolved" in out


def test_the_old_form_sets_the_disputed_total_and_refuses_a_bad_reason(db: str) -> None:
    assert "invoice INV-1: 300 disputed" in dunmore(db, "dispute", "INV-1", "300")
    assert [(r["amount"], r["reason"]) for r in listed(db)] == [("300.00", "other")]
    assert "invoice INV-1: 0 disputed" in dunmore(db, "dispute", "INV-1", "0")
    assert [(r["status"], r["outcome"]) for r in listed(db)] == [("resolved", "withdrawn")]
    engine = open_database(db)
    with engine.connect() as conn:
        assert (
            conn.execute(select(INVOICES.c.disputed_minor).where(INVOICES.c.external_id == "INV-1")).scalar()
            == 0
        )
    engine.dispose()
    assert "unknown reason 'mood'" in dunmore(db, "dispute", "open", "INV-1", "1", "--reason", "mood", code=2)


def test_a_fee_waived_above_the_threshold_waits_for_a_manager(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUNMORE_WORKSPACE__WAIVER_APPROVAL_MINOR", '{"CNY": 1000}')
    engine = open_database(db)
    with engine.connect() as conn:
        fee = conn.execute(select(INVOICES.c.external_id).where(INVOICES.c.kind == "fee")).scalar_one()
    engine.dispose()
    assert "waiver 1: 5.00 CNY waived" in dunmore(db, "waive", fee, "--amount", "5", "--reason", "goodwill")
    out = dunmore(db, "waive", fee, "--reason", "the rest", "--by", "boss")
    assert "waiver 2 of 45.00 CNY waits for a manager's approval" in out
    assert "cannot approve or reject it" in dunmore(db, "waive", "approve", "2", "--by", "boss", code=5)
    assert "only a manager" in dunmore(db, "waive", "approve", "2", "--by", "clerk", code=5)
    assert "waiver 2: applied" in dunmore(db, "waive", "approve", "2", "--by", "chief")
    rows = json.loads(dunmore(db, "waive", "list", "--json"))
    assert [(r["id"], r["status"], r["amount"]) for r in rows] == [
        (2, "applied", "45.00"),
        (1, "applied", "5.00"),
    ]
