"""A run committed by mistake is reverted before its deliveries go out, and the right run follows.

The `plain` policy: pre-due reminder (−3, e-mail); levels 1 first-overdue (+3, e-mail) and
2 second-overdue (+10, e-mail and SMS, fee 50.00 CNY, charges interest); 7 days between level
notices; interest 3.65 % a year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.models import DELIVERIES
from dunmore.errors import RunError
from dunmore.store.db import open_database, transaction
from tests.scenarios.story import Story, digest, policy_file

PLAIN = """\
policies:
  plain:
    min_days_between_notices: 7
    interest: {annual_rate: "0.0365"}
    reminders:
      - {name: pre-due, at: -3, channels: [email], template: reminder-pre-due}
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - name: second-overdue
        at: 10
        channels: [email, sms]
        template: overdue-2
        fee: {CNY: "50.00"}
        charge_interest: true
routes:
  - {policy: plain}
"""


def plain_story(engine: Engine, folder: Path) -> Story:
    """C1 owes INV-1 (10,000.00 due 2026-09-01) and INV-2 (2,000.00 due 2026-09-20); the run of
    2026-09-04 raised INV-1 to first-overdue."""
    story = Story(engine, policy_file(folder, PLAIN))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    story.invoice("INV-2", "C1", issued="2026-09-01", due="2026-09-20", amount="2000.00")
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    return story


def state(story: Story) -> dict[str, Any]:
    """Everything a run changes in the ledger and the group state."""
    return {
        "levels": story.levels(),
        "level dates": story.level_dates(),
        "charges": story.charges(),
        "interest charged": story.interest_charged(),
        "group": story.group("C1"),
        "reminders": story.reminders(),
    }


def test_a_run_dated_a_month_ahead_is_reverted_and_the_right_run_follows(
    engine: Engine, tmp_path: Path
) -> None:
    story = plain_story(engine, tmp_path)
    before = state(story)

    # On 2026-09-14 the clerk types 2026-10-14 (this business allows runs 30 days ahead).
    wrong = story.run_ahead("2026-10-14", on="2026-09-14", max_days_ahead=30)
    assert digest(wrong) == [
        "C1 CNY L2 second-overdue fee 50.00 interest 47.80: "
        "INV-1 L2 +43d 10000.00 (interest 43.00), INV-2 L1 +24d 2000.00 (interest 4.80)"
    ]
    [(_, _, _), (run_id, _, _)] = story.runs()
    level_notice = wrong[0]["notice_id"]

    done = story.revert(run_id, on="2026-09-14")

    assert (done.deliveries_cancelled, done.charges_removed, done.levels_restored) == (2, 2, 2)
    assert state(story) == before
    assert story.runs()[-1] == (run_id, "2026-10-14", "reverted")
    assert story.status(level_notice) == "reverted"
    assert story.deliveries(level_notice) == [("email", "cancelled"), ("sms", "cancelled")]

    right = story.run("2026-09-14")  # not refused as going back before 2026-10-14
    assert digest(right) == [
        "C1 CNY L2 second-overdue fee 50.00 interest 13.00: INV-1 L2 +13d 10000.00 (interest 13.00)",
    ]
    # The wrong run had recorded INV-2's pre-due reminder as skipped; it is sent on its day after all.
    assert digest(story.run("2026-09-17")) == ["C1 CNY reminder pre-due: INV-2 L0 -3d 2000.00"]


def test_a_run_whose_delivery_was_sent_is_not_reverted(engine: Engine, tmp_path: Path) -> None:
    story = plain_story(engine, tmp_path)
    notices = story.run("2026-09-14")
    [(_, _, _), (run_id, _, _)] = story.runs()
    with transaction(engine) as conn:
        sent = update(DELIVERIES).where(DELIVERIES.c.notice_id == notices[0]["notice_id"])
        conn.execute(sent.where(DELIVERIES.c.channel == "sms").values(status="sent"))
    after_run = state(story)

    with pytest.raises(RunError, match=r"1 of its deliveries already went out .*\(1 sent; deliveries \d+\)"):
        story.revert(run_id, on="2026-09-15")

    assert state(story) == after_run
    assert story.runs()[-1][2] == "committed"
    assert story.deliveries(notices[0]["notice_id"]) == [("email", "pending"), ("sms", "sent")]


def test_only_the_latest_standing_run_is_reverted_newest_first(engine: Engine, tmp_path: Path) -> None:
    story = plain_story(engine, tmp_path)
    story.run("2026-09-14")
    [(first, _, _), (second, _, _)] = story.runs()

    with pytest.raises(RunError, match=rf"run {first} \(2026-09-04\) is not the latest run: run {second}"):
        story.revert(first, on="2026-09-15")

    story.revert(second, on="2026-09-15")
    story.revert(first, on="2026-09-15")
    assert story.levels() == {"INV-1": 0, "INV-2": 0}
    assert story.group("C1") is None
    with pytest.raises(RunError, match="already reverted"):
        story.revert(first, on="2026-09-15")


def test_a_run_date_too_far_after_today_is_refused_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    story = plain_story(engine, tmp_path)

    with pytest.raises(RunError, match=r"--as-of 2099-09-14 is 26663 days after today \(2026-09-14\)"):
        story.run_ahead("2099-09-14", on="2026-09-14", max_days_ahead=1)

    assert len(story.runs()) == 1


def test_run_revert_from_the_command_line_keeps_run_with_options_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = open_database(url)
    plain_story(engine, tmp_path)
    engine.dispose()

    runner = CliRunner()
    proposed = runner.invoke(app, ["--db", url, "run", "--as-of", "2026-09-14"])
    committed = runner.invoke(app, ["--db", url, "run", "--as-of", "2026-09-14", "--approve"])
    reverted = runner.invoke(app, ["--db", url, "run", "revert", "2"])
    again = runner.invoke(app, ["--db", url, "run", "revert", "2"])

    assert proposed.exit_code == 0, proposed.output
    assert "nothing was written" in proposed.output
    assert committed.exit_code == 0, committed.output
    assert "dunmore run revert 2" in committed.output
    assert reverted.exit_code == 0, reverted.output
    assert reverted.output == (
        "run 2 (2026-09-14) reverted: 1 notice(s) marked reverted, 2 delivery(ies) cancelled, "
        "2 fee or interest item(s) removed, 1 invoice level(s) put back\n"
    )
    assert again.exit_code == 2
    assert "already reverted" in again.output
