"""Every command that changes something leaves one audit row in the name of the person at the terminal
(`cli:<os user>`), naming the object as `dunmore audit list --object` finds it, with before and after;
and the chain still verifies afterwards.

The ledger of each case: C1 owes INV-1, 10,000.00 CNY due 2026-09-01. The run of 2026-09-04 sent it
the first-overdue notice (notice 1, an e-mail and a letter: deliveries 1 and 2); the run of
2026-09-16 proposed the second-overdue notice (notice 2), which waits for approval. The stories are
written straight into the database by the services (as `cli:ops` too); the command under test goes
through the command line.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from tests.scenarios.story import Story, policy_file
from tests.store.test_import_service import CUSTOMERS, write

POLICY = """\
policies:
  standard:
    min_days_between_notices: 7
    levels:
      - {name: first-overdue, at: 3, channels: [email, letter], template: overdue-1}
      - {name: second-overdue, at: 15, channels: [email], template: overdue-2, requires_approval: true}
routes:
  - {policy: standard}
"""
FILES = {
    "c.csv": CUSTOMERS,  # C1 changed, C2 new
    "i.csv": """
        invoice_id,customer_id,issue_date,due_date,amount,currency
        INV-1,C1,2026-08-01,2026-09-01,10000.00,CNY
        INV-2,C1,2026-09-05,2026-10-05,500.00,CNY
    """,
    "p.csv": """
        payment_id,customer_id,date,amount,currency,invoice_id
        P1,C1,2026-09-20,100.00,CNY,INV-1
    """,
    "n.csv": """
        credit_note_id,customer_id,date,amount,currency,invoice_id
        CN1,C1,2026-09-20,100.00,CNY,INV-1
    """,
}


@dataclass(frozen=True)
class Case:
    """`args` typed after any `setup`; the newest audit row must be `action` on `object`, its
    `before` equal to `before` and its `after` holding every key of `after` with that value."""

    args: list[str]
    action: str
    object: str
    before: Any = None
    after: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Story, Path], None] | None = None


def _reject(story: Story, _: Path) -> None:
    story.reject(2, on="2026-09-17", reason="paid by parent")


def _hold(story: Story, _: Path) -> None:
    _set_customer(story, on_hold=True)


def _cease(story: Story, _: Path) -> None:
    _set_customer(story, cease_contact=True)


def _set_customer(story: Story, **values: bool) -> None:
    from dunmore.ledger.models import CUSTOMERS as TABLE

    with story.engine.begin() as conn:
        conn.execute(update(TABLE).where(TABLE.c.external_id == "C1").values(values))


def _hold_invoice(story: Story, _: Path) -> None:
    from dunmore.ledger.models import INVOICES as TABLE

    with story.engine.begin() as conn:
        conn.execute(update(TABLE).where(TABLE.c.external_id == "INV-1").values(on_hold=True))


def _delivery(delivery_id: int, **values: str) -> Callable[[Story, Path], None]:
    def setup(story: Story, _: Path) -> None:
        with story.engine.begin() as conn:
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(values))

    return setup


def _contact(story: Story, _: Path) -> None:
    from sqlalchemy import insert, select

    from dunmore.ledger.models import CONTACTS
    from dunmore.ledger.models import CUSTOMERS as TABLE

    with story.engine.begin() as conn:
        customer_id = conn.execute(select(TABLE.c.id).where(TABLE.c.external_id == "C1")).scalar_one()
        conn.execute(insert(CONTACTS).values(customer_id=customer_id, name="Ms Li", is_primary=True))


def _files(story: Story, folder: Path) -> None:
    for name, body in FILES.items():
        write(folder, name, body)
    write(folder, "policy.yaml", POLICY)


CASES = {
    "import customers": Case(
        ["import", "customers", "c.csv"],
        "ledger.import",
        "import:customers",
        after={"file": "c.csv", "kind": "customers", "new": 1, "changed": 1, "unchanged": 0},
        setup=_files,
    ),
    "import invoices": Case(
        ["import", "invoices", "i.csv"],
        "ledger.import",
        "import:invoices",
        after={"file": "i.csv", "rows_read": 2, "new": 1, "changed": 0, "unchanged": 1},
        setup=_files,
    ),
    "import payments": Case(
        ["import", "payments", "p.csv"],
        "ledger.import",
        "import:payments",
        after={"kind": "payments", "new": 1},
        setup=_files,
    ),
    "import credit notes": Case(
        ["import", "credit-notes", "n.csv"],
        "ledger.import",
        "import:credit-notes",
        after={"kind": "credit-notes", "new": 1},
        setup=_files,
    ),
    "policy load": Case(
        ["policy", "load", "policy.yaml"],
        "policy.load",
        "policy:2",
        after={"version": 2, "source": "policy.yaml"},
        setup=_files,
    ),
    "run commit": Case(
        ["run", "--as-of", "2026-09-23", "--approve"],
        "run.commit",
        "run:3",
        after={"as_of": "2026-09-23", "policy_version": 1},
    ),
    "run revert": Case(
        ["run", "revert", "2"],
        "run.revert",
        "run:2",
        before={"status": "committed"},
        after={"status": "reverted", "as_of": "2026-09-16", "notices": 1},
    ),
    "approve": Case(
        ["approve", "2", "--by", "wang"],
        "notice.approve",
        "notice:2",
        before={"status": "pending_approval"},
        after={"status": "approved", "by": "wang", "customer": "C1", "run": 2},
    ),
    "reject": Case(
        ["reject", "2", "--reason", "paid by the parent"],
        "notice.reject",
        "notice:2",
        before={"status": "pending_approval"},
        after={"status": "rejected", "reason": "paid by the parent", "by": "ops", "customer": "C1"},
    ),
    "reopen": Case(
        ["reopen", "2", "--by", "li"],
        "notice.reopen",
        "notice:2",
        before={"status": "rejected", "reopened": False},
        after={"reopened": True, "by": "li", "rejections_lifted": 1},
        setup=_reject,
    ),
    "hold customer": Case(
        ["hold", "C1"],
        "customer.hold",
        "customer:C1",
        before={"on_hold": False},
        after={"on_hold": True, "deliveries_cancelled": 2},
    ),
    "hold invoice": Case(
        ["hold", "C1", "--invoice", "INV-1"],
        "invoice.hold",
        "invoice:INV-1",
        before={"on_hold": False},
        after={"on_hold": True, "customer": "C1"},
    ),
    "release customer": Case(
        ["release", "C1"],
        "customer.release",
        "customer:C1",
        before={"on_hold": True},
        after={"on_hold": False},
        setup=_hold,
    ),
    "release invoice": Case(
        ["release", "C1", "--invoice", "INV-1"],
        "invoice.release",
        "invoice:INV-1",
        before={"on_hold": True},
        after={"on_hold": False},
        setup=_hold_invoice,
    ),
    "dispute": Case(
        ["dispute", "INV-1", "100.00"],
        "invoice.dispute",
        "invoice:INV-1",
        before={"disputed": "0.00"},
        after={"disputed": "100.00", "currency": "CNY", "customer": "C1", "deliveries_cancelled": 2},
    ),
    "cease contact": Case(
        ["cease-contact", "C1"],
        "customer.cease_contact",
        "customer:C1",
        before={"cease_contact": False},
        after={"cease_contact": True, "channels_kept": ["letter"], "deliveries_cancelled": 1},
    ),
    "resume contact": Case(
        ["resume-contact", "C1"],
        "customer.resume_contact",
        "customer:C1",
        before={"cease_contact": True},
        after={"cease_contact": False},
        setup=_cease,
    ),
    "contact set": Case(
        ["contact", "set", "C1", "Ms Li", "--prefer", "sms", "--do-not-call"],
        "contact.wishes",
        "contact:1",
        before={"preferred_channel": None, "do_not_call": False, "do_not_email": False},
        after={"customer": "C1", "preferred_channel": "sms", "do_not_call": True, "do_not_email": False},
        setup=_contact,
    ),
    "deliveries retry": Case(
        ["deliveries", "retry", "1"],
        "delivery.retry",
        "outbox",
        before={"statuses": {"failed": 1}},
        after={"status": "pending", "deliveries": "1", "count": 1},
        setup=_delivery(1, status="failed"),
    ),
    "deliveries track": Case(
        ["deliveries", "track", "2", "RR123456789CN"],
        "delivery.track",
        "delivery:2",
        before={"tracking_number": None},
        after={"tracking_number": "RR123456789CN", "notice": 1},
        setup=_delivery(2, status="sent"),
    ),
}


@pytest.fixture
def story(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Story:
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    monkeypatch.chdir(tmp_path)  # the files a case names are there
    told = Story(sqlite_engine, policy_file(tmp_path, POLICY))
    told.customer("C1")
    told.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    told.run("2026-09-04")
    assert told.run("2026-09-16")[0]["status"] == "pending_approval"
    return told


def dunmore(engine: Engine, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(engine.url), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_command_that_changes_something_writes_its_audit_row(
    case: Case, story: Story, tmp_path: Path
) -> None:
    if case.setup is not None:
        case.setup(story, tmp_path)
    before = json.loads(dunmore(story.engine, "audit", "list", "--json"))
    dunmore(story.engine, *case.args)
    rows = json.loads(dunmore(story.engine, "audit", "list", "--json"))
    assert len(rows) == len(before) + 1, "one command, one audit row"
    row = rows[0]
    assert (row["actor"], row["action"], row["object"]) == ("cli:ops", case.action, case.object)
    assert row["before"] == case.before
    assert {key: row["after"].get(key) for key in case.after} == case.after
    assert "holds: " in dunmore(story.engine, "audit", "verify")
    by_object = json.loads(dunmore(story.engine, "audit", "list", "--object", case.object, "--json"))
    assert by_object[0]["id"] == row["id"]


def test_the_demo_is_audited_and_a_reset_leaves_the_log_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    def demo() -> None:
        args = ["--db", url, "demo", "--customers", "6", "--seed", "3", "--as-of", "2026-11-23", "--reset"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output

    demo()
    demo()  # deletes the ledger and its runs, never the audit log
    listed = CliRunner().invoke(app, ["--db", url, "audit", "list", "--json"])
    rows = list(reversed(json.loads(listed.stdout)))
    assert [(r["actor"], r["action"], r["object"]) for r in rows] == [
        ("cli:ops", "demo.build", "demo"),
        ("cli:ops", "policy.load", "policy:1"),
        ("cli:ops", "grades.compute", "grades:2026-11-23"),  # graded before the run routes them
        ("cli:ops", "run.commit", "run:1"),
        ("cli:ops", "user.add", "user:demo"),  # the demo manager the web application signs in with
        ("cli:ops", "demo.build", "demo"),
        ("cli:ops", "grades.compute", "grades:2026-11-23"),
        ("cli:ops", "run.commit", "run:1"),  # SQLite gives the new run the id of the deleted one
        ("cli:ops", "user.set_password", "user:demo"),  # a new password at every demo
    ]
    assert rows[5]["after"] == {
        "customers": 6,
        "invoices": rows[0]["after"]["invoices"],
        "seed": 3,
        "as_of": "2026-11-23",
        "reset": True,
    }
    verified = CliRunner().invoke(app, ["--db", url, "audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_what_writes_nothing_leaves_no_audit_row(story: Story, tmp_path: Path) -> None:
    """A dry run, a proposal, and a refused command (the transaction rolls back with its row)."""
    _files(story, tmp_path)
    before = dunmore(story.engine, "audit", "list", "--json")
    dunmore(story.engine, "import", "invoices", "i.csv", "--dry-run")
    dunmore(story.engine, "run", "--as-of", "2026-09-23")
    refused = CliRunner().invoke(app, ["--db", str(story.engine.url), "dispute", "INV-1", "99999.00"])
    assert refused.exit_code != 0
    assert dunmore(story.engine, "audit", "list", "--json") == before
