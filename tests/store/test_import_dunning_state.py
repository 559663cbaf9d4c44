"""Imports cannot corrupt what the dunning run made: its fee and interest items, the ids it gives
them, the customer and currency a level was earned in, and the disputes recorded since.

Standard policy of examples/dunning.yaml (levels at +3, +15, +30, +60; 7 days between notices;
a 50.00 CNY fee from level 2).
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from sqlalchemy import Engine, func, select

from dunmore.errors import ImportProblem, ImportRejected
from dunmore.imports import Kind, export_ledger, import_file
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run.models import NOTICES
from dunmore.store.db import transaction
from tests.scenarios.story import Story, digest
from tests.store.ledger_rows import IMPORTED_AT, OPERATOR, add_invoice

HEADER = "invoice_id,customer_id,issue_date,due_date,amount,currency"


def import_invoices(engine: Engine, tmp_path: Path, *rows: str) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(dedent("\n".join((HEADER, *rows))) + "\n", encoding="utf-8")
    with transaction(engine) as conn:
        import_file(conn, Kind.INVOICES, path, actor=OPERATOR, at=IMPORTED_AT)


def problems(engine: Engine, tmp_path: Path, *rows: str) -> list[ImportProblem]:
    with pytest.raises(ImportRejected) as rejected:
        import_invoices(engine, tmp_path, *rows)
    return rejected.value.problems


def next_notice_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(NOTICES.c.id))).scalar_one()) + 1


def dunned_to_level_two(engine: Engine) -> tuple[Story, str]:
    """INV-7, 40 days late when imported on 2026-09-10, reaches level 2 and a fee on 2026-09-17."""
    story = Story(engine)
    story.customer("C1", grade="B")
    story.customer("C2", grade="B")
    story.invoice("INV-7", "C1", issued="2026-07-01", due="2026-08-01", amount="5000.00")
    story.run("2026-09-10")
    second = story.run("2026-09-17")
    return story, f"FEE-{second[0]['notice_id']}"


def test_an_import_cannot_overwrite_a_fee_item_the_run_charged(engine: Engine, tmp_path: Path) -> None:
    story, fee = dunned_to_level_two(engine)
    before = story.charges()

    found = problems(
        engine,
        tmp_path,
        "INV-7,C1,2026-07-01,2026-08-01,5000.00,CNY",
        f"{fee},C2,2026-09-17,2026-09-17,1.00,USD",
    )

    assert found == [
        ImportProblem(
            3,
            "invoice_id",
            f"{fee} is a fee item the dunning run charged; it cannot be imported or changed: leave the row "
            "out of the file (a payment or credit note naming it settles it)",
            fee,
        )
    ]
    assert story.charges() == before


def test_an_import_cannot_take_the_next_fee_id_and_the_next_run_still_commits(
    engine: Engine, tmp_path: Path
) -> None:
    story, fee_2 = dunned_to_level_two(engine)
    upcoming = next_notice_id(engine)

    found = problems(engine, tmp_path, f"FEE-{upcoming},C1,2026-09-20,2026-10-20,10.00,CNY")

    assert [(p.line, p.column, p.value) for p in found] == [(2, "invoice_id", f"FEE-{upcoming}")]
    assert found[0].reason.startswith(
        f"FEE-{upcoming} has the form FEE-n or INT-n that the dunning run keeps"
    )
    final = story.run("2026-09-24")
    assert digest(final)[0].startswith("C1 CNY L3 final-notice fee 100.00 interest 27.00")
    assert sorted(story.charges()) == sorted([fee_2, f"FEE-{upcoming}", f"INT-{upcoming}"])


def test_a_run_gives_a_fresh_id_when_an_invoice_imported_earlier_holds_the_next_fee_id(
    engine: Engine, tmp_path: Path
) -> None:
    """A database whose imports took `FEE-n` ids before they were refused still runs."""
    story, _ = dunned_to_level_two(engine)
    upcoming = next_notice_id(engine)
    with transaction(engine) as conn:
        customer = int(conn.execute(select(func.min(NOTICES.c.customer_id))).scalar_one())
        add_invoice(conn, f"FEE-{upcoming}", customer, "2026-09-20", "2026-12-20", 1000, "CNY")

    story.run("2026-09-24")

    charged = story.charges()
    assert f"FEE-{upcoming}-1" in charged
    assert f"INT-{upcoming}" in charged
    assert f"FEE-{upcoming}" not in charged  # the imported invoice keeps its id and its kind


def test_an_invoice_once_dunned_keeps_its_customer_and_currency(engine: Engine, tmp_path: Path) -> None:
    dunned_to_level_two(engine)

    found = problems(
        engine,
        tmp_path,
        "INV-7,C1,2026-07-01,2026-08-01,5000.00,USD",
        "INV-7,C2,2026-07-01,2026-08-01,5000.00,CNY",
    )

    fix = "issue a credit note for it and import the new invoice under a new invoice_id"
    assert found == [
        ImportProblem(
            2,
            "currency",
            f"INV-7 has been dunned at level 2 in CNY: its currency cannot change to USD; {fix}",
            "USD",
        ),
        ImportProblem(
            3,
            "customer_id",
            f"INV-7 has been dunned at level 2 for another customer: it cannot move to C2; {fix}",
            "C2",
        ),
    ]


def test_an_invoice_that_only_had_a_reminder_keeps_its_currency(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="1000.00")
    assert digest(story.run("2026-08-29")) == ["C1 CNY reminder pre-due: INV-1 L0 -3d 1000.00"]

    found = problems(engine, tmp_path, "INV-1,C1,2026-08-01,2026-09-01,1000.00,USD")

    assert [(p.line, p.column) for p in found] == [(2, "currency")]
    assert found[0].reason.startswith(
        "INV-1 has been dunned by a reminder in CNY: its currency cannot change"
    )


def test_an_invoice_never_dunned_may_change_customer_and_currency(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine)
    story.customer("C1")
    story.customer("C2")
    story.invoice("INV-1", "C1", issued="2026-09-01", due="2026-12-01", amount="100.00")

    import_invoices(engine, tmp_path, "INV-1,C2,2026-09-01,2026-12-01,100.00,USD")

    query = select(CUSTOMERS.c.external_id, INVOICES.c.currency).join_from(
        INVOICES, CUSTOMERS, INVOICES.c.customer_id == CUSTOMERS.c.id
    )
    with engine.connect() as conn:
        assert conn.execute(query).all() == [("C2", "USD")]


def test_a_lower_amount_below_a_recorded_dispute_says_what_conflicts(engine: Engine, tmp_path: Path) -> None:
    story = Story(engine)
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-09-01", due="2026-12-01", amount="500.00")
    story.dispute("INV-1", "500.00")

    found = problems(engine, tmp_path, "INV-1,C1,2026-09-01,2026-12-01,300.00,CNY")

    assert found == [
        ImportProblem(
            2,
            "amount",
            "the new amount 300.00 is below the 500.00 in dispute on this invoice: end or lower the dispute "
            "first with `dunmore dispute INV-1 AMOUNT`, or add a disputed_amount column",
            "300.00",
        )
    ]


def test_an_exported_ledger_with_fee_items_imports_again_unchanged(engine: Engine, tmp_path: Path) -> None:
    dunned_to_level_two(engine)
    with transaction(engine) as conn:
        export_ledger(conn, tmp_path / "out", file_format="csv")

    with transaction(engine) as conn:
        report = import_file(
            conn, Kind.INVOICES, tmp_path / "out" / "invoices.csv", actor=OPERATOR, at=IMPORTED_AT
        )

    assert (report.rows_read, report.new, report.changed) == (1, 0, 0)


def test_a_lower_amount_below_the_open_amount_an_earlier_file_gave_says_what_conflicts(
    engine: Engine, tmp_path: Path
) -> None:
    story = Story(engine)
    story.customer("C1")
    first = tmp_path / "first.csv"
    first.write_text(
        f"{HEADER},open_amount\nINV-1,C1,2026-09-01,2026-12-01,500.00,CNY,400.00\n", encoding="utf-8"
    )
    with transaction(engine) as conn:
        import_file(conn, Kind.INVOICES, first, actor=OPERATOR, at=IMPORTED_AT)

    found = problems(engine, tmp_path, "INV-1,C1,2026-09-01,2026-12-01,300.00,CNY")

    assert found == [
        ImportProblem(
            2,
            "amount",
            "the new amount 300.00 is below the open amount 400.00 an earlier import gave this invoice: add "
            "an open_amount column with what is open on INV-1 now (empty for none)",
            "300.00",
        )
    ]
