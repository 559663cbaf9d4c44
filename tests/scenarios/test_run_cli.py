"""The dunning cycle as a user types it: `policy check|load`, `run`, `approve`, `explain`.

One SQLite file per test; its ledger — C1 owes INV-1, 10,000.00 CNY due 2026-09-01 — is written
directly, and everything else goes through the command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.store.db import open_database
from tests.scenarios.story import EXAMPLE, Story

BAD_POLICY = """\
policies:
  standard:
    min_days_between_notices: 7
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: second-overdue, at: -15, channels: [email], template: overdue-2}
routes:
  - {policy: standard}
"""


def dunmore(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def as_json(*args: str) -> Any:
    code, out = dunmore(*args, "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = open_database(url)
    story = Story(engine, policy=None)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    engine.dispose()
    return url


def test_policy_check_refuses_a_bad_file_naming_its_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_POLICY, encoding="utf-8")
    code, out = dunmore("policy", "check", str(bad))
    assert code == 2
    assert f"{bad}:6: policies.standard.levels[1].at: a level comes after the due date" in out

    code, out = dunmore("policy", "check", str(EXAMPLE))
    assert code == 0, out
    assert "valid; fingerprint" in out


def test_a_season_of_dunning_from_the_command_line(db: str) -> None:
    code, out = dunmore("--db", db, "policy", "load", str(EXAMPLE))
    assert code == 0, out
    assert "as policy version 1" in out

    proposed = as_json("--db", db, "run", "--as-of", "2026-09-04")
    assert [(n["notice_id"], n["status"], n["step"]) for n in proposed] == [
        (None, "proposed", "first-overdue")
    ]
    code, out = dunmore("--db", db, "run", "--as-of", "2026-09-04")
    assert code == 0, out
    assert "nothing was written" in out

    first = as_json("--db", db, "run", "--as-of", "2026-09-04", "--approve")
    assert [(n["status"], n["step"], n["level"]) for n in first] == [("committed", "first-overdue", 1)]
    assert as_json("--db", db, "run", "--as-of", "2026-09-04", "--approve") == []
    for as_of in ("2026-09-16", "2026-10-01"):
        as_json("--db", db, "run", "--as-of", as_of, "--approve")
    legal = as_json("--db", db, "run", "--as-of", "2026-10-31", "--approve")
    assert [(n["status"], n["step"]) for n in legal] == [("pending_approval", "legal-review")]

    notice_id = str(legal[0]["notice_id"])
    code, out = dunmore("--db", db, "approve", notice_id)
    assert (code, out.strip()) == (0, f"notice {notice_id} approved")
    code, out = dunmore("--db", db, "reject", notice_id)
    assert code == 2
    assert "approved, not waiting for approval" in out
    code, out = dunmore("--db", db, "run", "--as-of", "2026-09-30", "--approve")
    assert code == 2
    assert "already committed" in out

    explained = as_json("--db", db, "explain", "C1", "--as-of", "2026-11-02", "--lang", "en")
    assert (explained["customer_id"], explained["as_of"]) == ("C1", "2026-11-02")
    invoice = next(item for item in explained["items"] if item["invoice_id"] == "INV-1")
    assert (invoice["level"], invoice["reasons"]) == (4, ["route_default", "at_target", "last_step"])
    assert invoice["text"][-1] == "no further step"
    assert {item["kind"] for item in explained["items"]} == {"invoice", "fee", "interest"}


def test_reject_needs_a_reason_and_reopen_lets_the_run_propose_the_step_again(db: str) -> None:
    assert dunmore("--db", db, "policy", "load", str(EXAMPLE))[0] == 0
    for as_of in ("2026-09-04", "2026-09-16", "2026-10-01"):
        as_json("--db", db, "run", "--as-of", as_of, "--approve")
    notice_id = str(as_json("--db", db, "run", "--as-of", "2026-10-31", "--approve")[0]["notice_id"])

    code, out = dunmore("--db", db, "reject", notice_id)
    assert code == 2
    assert f"notice {notice_id} was not rejected: a rejection needs a reason" in out
    code, out = dunmore("--db", db, "reject", notice_id, "--reason", "in talks with the CFO", "--by", "wang")
    assert code == 0, out
    assert f"notice {notice_id} rejected" in out
    assert as_json("--db", db, "run", "--as-of", "2026-11-07", "--approve") == []
    explained = as_json("--db", db, "explain", "C1", "--as-of", "2026-11-08", "--lang", "en")
    invoice = next(item for item in explained["items"] if item["invoice_id"] == "INV-1")
    assert re.search(r"rejected on \d{4}-\d\d-\d\d by wang because in talks with the CFO", invoice["text"][1])

    code, out = dunmore("--db", db, "reopen", notice_id, "--by", "li")
    assert (code, out.strip()) == (0, f"notice {notice_id} reopened (1 rejection(s) of its step lifted)")
    again = as_json("--db", db, "run", "--as-of", "2026-11-08", "--approve")
    assert [(n["status"], n["step"]) for n in again] == [("pending_approval", "legal-review")]


def test_policy_check_warns_of_a_ledger_currency_the_fee_and_minimum_maps_leave_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hk.db'}"
    engine = open_database(url)
    story = Story(engine, policy=None)
    story.customer("C9")
    story.invoice("INV-9", "C9", issued="2026-08-01", due="2026-09-01", amount="800.00", currency="HKD")
    engine.dispose()

    code, out = dunmore("--db", url, "policy", "check", str(EXAMPLE))
    assert code == 0, out
    assert "warning: Policy standard, level second-overdue: its fee lists no HKD, which the ledger has" in out
    assert "4 currency gap(s) against the policy set's currencies and the ledger's" in out

    missing = tmp_path / "none.db"
    code, out = dunmore("--db", f"sqlite:///{missing}", "policy", "check", str(EXAMPLE))
    assert code == 0, out
    assert "0 currency gap(s) against the policy set's currencies\n" in out
    assert not missing.exists()  # checking a policy creates no database


def test_a_run_committed_in_partitions_lists_what_a_whole_run_would(db: str) -> None:
    """On 2026-09-04 C1's INV-1 is 3 days late: committed in 4 partitions, the run lists the same
    notice and item as the proposal; a partition count out of range is refused."""
    dunmore("--db", db, "policy", "load", str(EXAMPLE))
    proposed = as_json("--db", db, "run", "--as-of", "2026-09-04")
    committed = as_json("--db", db, "run", "--as-of", "2026-09-04", "--approve", "--partitions", "4")
    assert [(n["status"], n["step"], n["items"]) for n in committed] == [
        ("committed", n["step"], n["items"]) for n in proposed
    ]
    code, out = dunmore("--db", db, "run", "--as-of", "2026-09-05", "--approve", "--partitions", "0")
    assert code == 2
    assert "--partitions" in out
