"""Importing files into the ledger on every backend: what is written, what is left alone, what is refused."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from dunmore.errors import ImportProblem, ImportRejected
from dunmore.imports import ImportReport, Kind, import_file
from dunmore.store.db import transaction
from tests.store.ledger_rows import IMPORTED_AT, OPERATOR

CUSTOMERS = """
    customer_id,name,email,phone,language,tags,credit_limit,currency,owner
    C1,上海甲公司,ar@jia.cn,021-5555,zh-CN,key;east,"50,000",CNY,王
    C2,Beta GmbH,,,en,,,,
"""
INVOICES = """
    invoice_id,customer_id,issue_date,due_date,amount,currency,disputed_amount,open_amount
    INV-1,C1,2026-01-01,2026-01-31,100.00,CNY,,
    INV-2,C1,2026-01-05,2026-02-28,50.00,CNY,5,
    INV-3,C2,2026-01-10,2026-02-09,80.00,CNY,,
    INV-4,C1,2026-01-15,2026-03-15,100.00,CNY,,40.00
"""
PAYMENTS = """
    payment_id,customer_id,date,amount,currency,invoice_id
    P1,C1,2026-02-10,120.00,CNY,
    P2,C2,2026-02-12,30.00,CNY,INV-3
    P3,C1,2026-02-15,10.00,USD,
"""
LEDGER_QUERIES = {
    "customers": "SELECT external_id, name, language, timezone, country, grade, tags, credit_limit_minor,"
    " credit_currency, owner, on_hold FROM customers ORDER BY external_id",
    "contacts": "SELECT c.external_id, k.name, k.email, k.phone, k.address, k.preferred_channel, k.is_primary"
    " FROM contacts k JOIN customers c ON c.id = k.customer_id ORDER BY c.external_id, k.id",
    "invoices": "SELECT i.external_id, c.external_id, i.issue_date, i.due_date, i.currency, i.amount_minor,"
    " i.disputed_minor, i.snapshot_open_minor, i.open_minor, i.on_hold"
    " FROM invoices i JOIN customers c ON c.id = i.customer_id ORDER BY i.external_id",
    "payments": "SELECT p.external_id, c.external_id, p.date, p.currency, p.amount_minor, i.external_id,"
    " p.unapplied_minor FROM payments p JOIN customers c ON c.id = p.customer_id"
    " LEFT JOIN invoices i ON i.id = p.invoice_id ORDER BY p.external_id",
    "credit_notes": "SELECT n.external_id, c.external_id, n.date, n.currency, n.amount_minor, i.external_id,"
    " n.unapplied_minor FROM credit_notes n JOIN customers c ON c.id = n.customer_id"
    " LEFT JOIN invoices i ON i.id = n.invoice_id ORDER BY n.external_id",
    "allocations": "SELECT i.external_id, p.external_id, n.external_id, a.date, a.amount_minor"
    " FROM allocations a JOIN invoices i ON i.id = a.invoice_id LEFT JOIN payments p ON p.id = a.payment_id"
    " LEFT JOIN credit_notes n ON n.id = a.credit_note_id"
    " ORDER BY i.external_id, p.external_id, n.external_id, a.date",
}


def ledger_state(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, with database ids replaced by the ids the files use, so two databases compare."""
    return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in LEDGER_QUERIES.items()}


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(dedent(body).strip() + "\n", encoding="utf-8")
    return path


def run(engine: Engine, kind: Kind, path: Path, *, dry_run: bool = False) -> ImportReport:
    with transaction(engine) as conn:
        return import_file(conn, kind, path, dry_run=dry_run, actor=OPERATOR, at=IMPORTED_AT)


def load(engine: Engine, tmp_path: Path) -> None:
    run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
    run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", INVOICES))
    run(engine, Kind.PAYMENTS, write(tmp_path, "payments.csv", PAYMENTS))


def open_amounts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row[0]: row[8] for row in ledger_state(conn)["invoices"]}


def test_customers_invoices_and_payments_import_into_open_amounts(engine: Engine, tmp_path: Path) -> None:
    run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
    run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", INVOICES))
    report = run(engine, Kind.PAYMENTS, write(tmp_path, "payments.csv", PAYMENTS))
    assert (report.rows_read, report.new, report.changed, report.unchanged) == (3, 3, 0, 0)
    # P1 settles INV-1 (due first) and 20.00 of INV-2; P2 goes to the invoice it names; P3 (USD) waits.
    assert open_amounts(engine) == {"INV-1": 0, "INV-2": 30_00, "INV-3": 50_00, "INV-4": 40_00}
    totals = {(s.currency, s.amount_minor, s.allocated_minor, s.unapplied_minor) for s in report.settlements}
    assert totals == {("CNY", 150_00, 150_00, 0), ("USD", 10_00, 0, 10_00)}
    with engine.connect() as conn:
        state = ledger_state(conn)
    assert state["customers"][0][:10] == (
        "C1", "上海甲公司", "zh-CN", "Asia/Shanghai", "CN", None, "east;key", 5_000_000, "CNY", "王",
    )  # fmt: skip
    assert [row[:4] for row in state["contacts"]] == [("C1", None, "ar@jia.cn", "021-5555")]


def test_reimporting_the_same_files_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    with engine.connect() as conn:
        before = ledger_state(conn)
    for kind, name in [
        (Kind.CUSTOMERS, "customers"),
        (Kind.INVOICES, "invoices"),
        (Kind.PAYMENTS, "payments"),
    ]:
        report = run(engine, kind, tmp_path / f"{name}.csv")
        assert (report.new, report.changed, report.unchanged) == (0, 0, report.rows_read)
    with engine.connect() as conn:
        assert ledger_state(conn) == before


def test_changed_rows_are_updated_and_the_customers_reallocated(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    changed = INVOICES.replace(
        "INV-1,C1,2026-01-01,2026-01-31,100.00", "INV-1,C1,2026-01-01,2026-01-31,150.00"
    )
    changed = changed.replace("INV-3,C2,", "INV-3,C1,")
    report = run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", changed))
    assert (report.new, report.changed, report.unchanged) == (0, 2, 2)
    # P1 (120.00) now covers 120.00 of INV-1; INV-3 moved to C1 and leaves P2 of C2 unapplied.
    assert open_amounts(engine) == {"INV-1": 30_00, "INV-2": 50_00, "INV-3": 80_00, "INV-4": 40_00}
    with engine.connect() as conn:
        payments = {row[0]: row[6] for row in ledger_state(conn)["payments"]}
    assert payments["P2"] == 30_00


def test_a_column_left_out_keeps_what_is_stored(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    short = """
        invoice_id,customer_id,issue_date,due_date,amount,currency
        INV-2,C1,2026-01-05,2026-02-28,50.00,CNY
    """
    report = run(engine, Kind.INVOICES, write(tmp_path, "short.csv", short))
    assert (report.new, report.changed, report.unchanged) == (0, 0, 1)
    names = "customer_id,name\nC1,上海甲公司（新）"
    assert run(engine, Kind.CUSTOMERS, write(tmp_path, "names.csv", names)).changed == 1
    with engine.connect() as conn:
        state = ledger_state(conn)
    assert {row[0]: row[6] for row in state["invoices"]}["INV-2"] == 5_00
    assert state["customers"][0][1:3] == ("上海甲公司（新）", "zh-CN")
    assert [row[2] for row in state["contacts"]] == ["ar@jia.cn"]


def test_contact_columns_update_the_primary_contact(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    contacts = """
        customer_id,name,phone,contact_name,preferred_channel
        C1,上海甲公司,021-6666,李,电话
        C2,Beta GmbH,,Anna,
    """
    report = run(engine, Kind.CUSTOMERS, write(tmp_path, "contacts.csv", contacts))
    assert (report.changed, report.unchanged) == (2, 0)
    with engine.connect() as conn:
        state = ledger_state(conn)
    assert state["contacts"] == [
        ("C1", "李", "ar@jia.cn", "021-6666", None, "call", True),
        ("C2", "Anna", None, None, None, None, True),
    ]


def test_a_dry_run_reports_the_same_counts_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    dry = run(engine, Kind.CUSTOMERS, path, dry_run=True)
    assert (dry.dry_run, dry.new, dry.changed) == (True, 2, 0)
    with engine.connect() as conn:
        assert all(rows == [] for rows in ledger_state(conn).values())
    real = run(engine, Kind.CUSTOMERS, path)
    assert (real.new, real.changed, real.unchanged) == (dry.new, dry.changed, dry.unchanged)


def test_a_large_file_with_one_bad_row_writes_nothing_and_names_the_row(
    engine: Engine, tmp_path: Path
) -> None:
    run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
    lines = ["invoice_id,customer_id,issue_date,due_date,amount,currency"]
    lines += [f"INV-{n},C{1 + n % 2},2026-01-01,2026-01-31,{n}.50,CNY" for n in range(1, 10_001)]
    lines[5431] = "INV-5431,C2,2026-01-01,2026-01-31,5431.505,CNY"  # line 5,432 of the file
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        run(engine, Kind.INVOICES, path)
    assert caught.value.problems == [
        ImportProblem(
            5432,
            "amount",
            "more decimals than CNY allows (2): round it to the currency's minor unit",
            "5431.505",
        )
    ]
    assert "nothing written: 1 problem on 1 line" in str(caught.value)
    assert open_amounts(engine) == {}


def test_an_open_amount_snapshot_ends_as_the_open_amount(engine: Engine, tmp_path: Path) -> None:
    run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
    run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", INVOICES))
    assert open_amounts(engine)["INV-4"] == 40_00
    credit = (
        "credit_note_id,customer_id,date,amount,currency,invoice_id\nCN-1,C1,2026-03-01,15.00,CNY,INV-4\n"
    )
    run(engine, Kind.CREDIT_NOTES, write(tmp_path, "credit.csv", credit))
    assert open_amounts(engine)["INV-4"] == 25_00
    snapshot = INVOICES.replace("2026-03-15,100.00,CNY,,40.00", "2026-03-15,100.00,CNY,,15.00")
    assert run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", snapshot)).changed == 1
    assert open_amounts(engine)["INV-4"] == 0


def test_a_payment_file_without_invoice_ids_keeps_the_stored_invoice_and_its_checks(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path)
    same = "payment_id,customer_id,date,amount,currency\nP2,C2,2026-02-12,30.00,CNY"
    assert run(engine, Kind.PAYMENTS, write(tmp_path, "same.csv", same)).unchanged == 1
    other_currency = "payment_id,customer_id,date,amount,currency\nP2,C2,2026-02-12,30.00,USD"
    with pytest.raises(ImportRejected) as caught:
        run(engine, Kind.PAYMENTS, write(tmp_path, "usd.csv", other_currency))
    assert [(p.line, p.column, p.reason) for p in caught.value.problems] == [
        (2, "currency", "currency mismatch: the invoice is in CNY")
    ]


def test_a_currency_without_the_credit_limit_may_not_change_the_stored_limit_currency(
    engine: Engine, tmp_path: Path
) -> None:
    run(engine, Kind.CUSTOMERS, write(tmp_path, "customers.csv", CUSTOMERS))
    with pytest.raises(ImportRejected) as caught:
        run(
            engine, Kind.CUSTOMERS, write(tmp_path, "usd.csv", "customer_id,name,currency\nC1,上海甲公司,USD")
        )
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "currency")]
    assert "add the credit_limit column" in caught.value.problems[0].reason


def test_a_new_invoice_takes_the_credit_waiting_for_its_customer(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path)  # P3 left 10.00 USD of C1 unapplied
    new = INVOICES + "    INV-9,C1,2026-03-01,2026-03-31,25.00,USD,,\n"
    report = run(engine, Kind.INVOICES, write(tmp_path, "invoices.csv", new))
    assert (report.new, report.changed, report.unchanged) == (1, 0, 4)
    assert open_amounts(engine)["INV-9"] == 15_00
    with engine.connect() as conn:
        assert {row[0]: row[6] for row in ledger_state(conn)["payments"]}["P3"] == 0
