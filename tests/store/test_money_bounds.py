"""Money cannot overflow: every amount that enters is at most `MAX_AMOUNT_MINOR`, and sums of them
fit in the 64 bits of storage (see docs/design/ledger.md, "Bounds")."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.domain.aging import buckets
from dunmore.domain.money import MAX_AMOUNT_MINOR
from dunmore.errors import ImportProblem, ImportRejected
from dunmore.imports import Kind, import_file
from dunmore.ledger.models import INVOICES
from dunmore.reports.aging import aging_report
from dunmore.store.bulk import insert_frame
from dunmore.store.db import open_database, transaction
from tests.store.ledger_rows import IMPORTED_AT, OPERATOR, add_customer, add_invoice

AS_OF = date(2026, 10, 1)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=400)
    return result.exit_code, result.output


def test_an_import_cell_above_the_largest_amount_is_a_problem_with_its_line_and_the_limit(
    engine: Engine, tmp_path: Path
) -> None:
    with transaction(engine) as conn:
        add_customer(conn, "C1")
    path = tmp_path / "invoices.csv"
    path.write_text(
        "invoice_id,customer_id,issue_date,due_date,amount,currency\n"
        "INV-1,C1,2026-09-01,2026-10-01,1000000000.00,CNY\n"
        "INV-2,C1,2026-09-01,2026-10-01,1000000000.01,CNY\n"
        "INV-3,C1,2026-09-01,2026-10-01,123456789012345678,JPY\n",
        encoding="utf-8",
    )

    with pytest.raises(ImportRejected) as rejected, transaction(engine) as conn:
        import_file(conn, Kind.INVOICES, path, actor=OPERATOR, at=IMPORTED_AT)

    advice = "(the largest amount Dunmore stores); check it for a typo, or split it into several documents"
    assert rejected.value.problems == [
        ImportProblem(3, "amount", f"amount too large: at most 1000000000.00 CNY {advice}", "1000000000.01"),
        ImportProblem(
            4, "amount", f"amount too large: at most 100000000000 JPY {advice}", "123456789012345678"
        ),
    ]


def test_policy_check_reports_an_eighteen_digit_fee_with_the_limit(tmp_path: Path) -> None:
    policy = tmp_path / "dunning.yaml"
    policy.write_text(
        "policies:\n"
        "  p:\n"
        "    levels:\n"
        "      - {name: a, at: 3, channels: [email], template: t, fee: {CNY: '123456789012345678'}}\n"
        "routes: [{policy: p}]\n",
        encoding="utf-8",
    )

    code, out = cli("policy", "check", str(policy))

    assert code == 2
    assert (
        f"{policy}:4: policies.p.levels[0].fee.CNY: 123456789012345678 CNY is above the largest amount "
        "Dunmore stores, 1000000000.00 CNY" in out
    )


def test_a_dispute_above_the_largest_amount_is_a_one_line_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = open_database(url)
    with transaction(engine) as conn:
        add_invoice(conn, "INV-1", add_customer(conn, "C1"), "2026-09-01", "2026-10-01", MAX_AMOUNT_MINOR)
    engine.dispose()

    code, out = cli("--db", url, "dispute", "INV-1", "99999999999999999999.00")

    assert code != 0
    assert out.strip().splitlines() == [
        "error: 99999999999999999999.00 CNY is above the largest amount Dunmore stores, 1000000000.00 CNY: "
        "check it for a typo, or split it into several documents"
    ]


def test_aging_of_many_amounts_of_the_largest_size_is_exact(engine: Engine) -> None:
    """20,000 invoices of 1,000,000,000.00 CNY on one due date: 2 × 10^15 minor units, exactly."""
    count = 20_000
    with transaction(engine) as conn:
        customer = add_customer(conn, "C1")
        due = AS_OF - timedelta(days=45)
        rows = pl.DataFrame(
            {
                "external_id": [f"INV-{n}" for n in range(count)],
                "customer_id": customer,
                "issue_date": due - timedelta(days=30),
                "due_date": due,
                "currency": "CNY",
                "amount_minor": MAX_AMOUNT_MINOR,
                "open_minor": MAX_AMOUNT_MINOR,
            }
        )
        insert_frame(conn, INVOICES, rows)
        by_currency = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="currency")
        by_customer = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="customer")

    expected = count * MAX_AMOUNT_MINOR
    assert by_currency.totals.select("31-60", "total").row(0) == (expected, expected)
    assert by_customer.totals.select("31-60", "total").row(0) == (expected, expected)
