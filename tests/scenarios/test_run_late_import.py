"""Invoices that reach Dunmore late: they climb one level per notice and never get a reminder late.

Standard policy of examples/dunning.yaml (levels at +3, +15, +30, +60; 7 days between notices;
allow_skip false; interest 0.01 % a day).
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.scenarios.story import Story, digest


def test_an_invoice_first_seen_forty_days_late_rises_one_level_per_notice(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    # Imported on 2026-09-10, when the customer moved to Dunmore: already 40 days past due.
    story.invoice("INV-7", "C1", issued="2026-07-01", due="2026-08-01", amount="5000.00")

    assert digest(story.run("2026-09-10")) == [
        "C1 CNY L1 first-overdue: INV-7 L1 +40d 5000.00 (interest 20.00)"
    ]
    assert story.run("2026-09-11") == []
    assert story.run("2026-09-16") == []
    second = story.run("2026-09-17")
    assert digest(second) == ["C1 CNY L2 second-overdue fee 50.00: INV-7 L2 +47d 5000.00 (interest 23.50)"]
    fee_2 = f"FEE-{second[0]['notice_id']}"
    final = story.run("2026-09-24")
    assert digest(final) == [
        "C1 CNY L3 final-notice fee 100.00 interest 27.00: "
        f"INV-7 L3 +54d 5000.00 (interest 27.00), {fee_2} L0 +7d 50.00"
    ]
    fee_3, interest_3 = f"FEE-{final[0]['notice_id']}", f"INT-{final[0]['notice_id']}"
    assert digest(story.run("2026-10-01")) == [
        "C1 CNY L4 legal-review (pending approval): INV-7 L4 +61d 5000.00 (interest 3.50), "
        f"{fee_2} L0 +14d 50.00, {fee_3} L0 +7d 100.00, {interest_3} L0 +7d 27.00"
    ]
    # Reminders are for invoices not yet past due: none was sent late, none recorded.
    assert story.reminders() == {}


def test_an_invoice_imported_on_its_due_date_skips_the_pre_due_reminder(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="1000.00")
    assert digest(story.run("2026-08-29")) == ["C1 CNY reminder pre-due: INV-1 L0 -3d 1000.00"]
    # INV-2 reaches Dunmore on 08-31, after its pre-due day.
    story.invoice("INV-2", "C1", issued="2026-08-15", due="2026-09-01", amount="2000.00")

    assert digest(story.run("2026-09-01")) == [
        "C1 CNY reminder due-today: INV-1 L0 +0d 1000.00, INV-2 L0 +0d 2000.00"
    ]
    assert story.run("2026-09-02") == []
    assert story.reminders() == {
        ("INV-1", "pre-due"): "sent",
        ("INV-1", "due-today"): "sent",
        ("INV-2", "pre-due"): "skipped",
        ("INV-2", "due-today"): "sent",
    }
