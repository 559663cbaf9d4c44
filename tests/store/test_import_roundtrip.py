"""Export → import into an empty database gives the same ledger, in every format and encoding."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from dunmore.imports import Kind, export_ledger, import_file
from dunmore.store.db import make_engine, transaction, upgrade
from tests.store.ledger_rows import IMPORTED_AT, OPERATOR
from tests.store.test_import_service import ledger_state, run, write

CUSTOMERS = """
    customer_id,name,email,phone,language,timezone,country,grade,tags,credit_limit,currency,owner,address,contact_name,preferred_channel
    C1,"上海甲公司, 浦东",ar@jia.cn,021-5555,zh-CN,Asia/Shanghai,CN,A,key;east,"50,000",CNY,王,"浦东新区
    世纪大道 1 号",张,email
    C2,臺北乙股份有限公司,,,zh-TW,Asia/Taipei,TW,B,,300000,JPY,,,,
    C3,Kuwait Trading,,+965 1234,en,Asia/Kuwait,KW,,,12.345,KWD,,,,letter
"""
INVOICES = """
    invoice_id,customer_id,issue_date,due_date,amount,currency,disputed_amount,open_amount
    INV-1,C1,2026-01-01,2026-01-31,100.00,CNY,,
    INV-2,C1,2026-01-05,2026-01-31,50.00,CNY,5.00,
    INV-3,C2,2026-01-10,2026-02-09,8000,JPY,,6000
    INV-4,C3,2026-01-15,2026-03-15,1.500,KWD,,
    INV-5,C1,2026-02-01,2026-03-01,70.00,CNY,,
"""
CREDIT_NOTES = """
    credit_note_id,customer_id,date,amount,currency,invoice_id
    CN-1,C1,2026-01-20,10.00,CNY,INV-2
    CN-2,C3,2026-02-01,0.250,KWD,
"""
PAYMENTS = """
    payment_id,customer_id,date,amount,currency,invoice_id
    P1,C1,2026-02-10,120.00,CNY,
    P2,C2,2026-02-12,7000,JPY,INV-3
    P3,C3,2026-02-15,2.000,KWD,INV-4
"""
ORDER = [
    (Kind.CUSTOMERS, "customers", CUSTOMERS),
    (Kind.INVOICES, "invoices", INVOICES),
    (Kind.CREDIT_NOTES, "credit_notes", CREDIT_NOTES),
    (Kind.PAYMENTS, "payments", PAYMENTS),
]


@contextmanager
def empty_database(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second migrated, empty database on the same backend as `engine`."""
    if engine.dialect.name == "sqlite":
        other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
        upgrade(other)
        yield other
        other.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    other = create_engine(engine.url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(other)
    try:
        yield other
    finally:
        other.dispose()
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def import_folder(engine: Engine, folder: Path, suffix: str) -> None:
    for kind, name, _ in ORDER:
        with transaction(engine) as conn:
            import_file(conn, kind, folder / f"{name}.{suffix}", actor=OPERATOR, at=IMPORTED_AT)


@pytest.mark.parametrize(
    ("file_format", "encoding"), [("csv", "utf-8"), ("csv", "gb18030"), ("xlsx", "utf-8")]
)
def test_export_then_import_into_an_empty_database_gives_the_same_ledger(
    engine: Engine, tmp_path: Path, file_format: str, encoding: str
) -> None:
    for kind, name, body in ORDER:
        run(engine, kind, write(tmp_path, f"{name}.csv", body))
    with transaction(engine) as conn:
        written = export_ledger(conn, tmp_path / "out", file_format=file_format, encoding=encoding)
        original = ledger_state(conn)
    assert [(f.path.name, f.rows) for f in written] == [
        (f"customers.{file_format}", 3),
        (f"invoices.{file_format}", 5),
        (f"credit_notes.{file_format}", 2),
        (f"payments.{file_format}", 3),
    ]
    assert original["allocations"]
    assert any(row[6] for row in original["payments"] + original["credit_notes"])
    with empty_database(engine, tmp_path) as other:
        import_folder(other, tmp_path / "out", file_format)
        with other.connect() as conn:
            assert ledger_state(conn) == original


def test_the_exported_files_read_back_as_unchanged(engine: Engine, tmp_path: Path) -> None:
    for kind, name, body in ORDER:
        run(engine, kind, write(tmp_path, f"{name}.csv", body))
    with transaction(engine) as conn:
        export_ledger(conn, tmp_path / "out", encoding="utf-8-sig")
    for (kind, name, _), rows in zip(ORDER, [3, 5, 2, 3], strict=True):
        report = run(engine, kind, tmp_path / "out" / f"{name}.csv")
        assert (report.encoding, report.new, report.changed, report.unchanged) == ("utf-8-sig", 0, 0, rows)


def test_export_writes_amounts_with_the_currency_places_and_the_snapshot_not_the_open_amount(
    engine: Engine, tmp_path: Path
) -> None:
    for kind, name, body in ORDER:
        run(engine, kind, write(tmp_path, f"{name}.csv", body))
    with transaction(engine) as conn:
        export_ledger(conn, tmp_path / "out")
    lines = (tmp_path / "out" / "invoices.csv").read_text(encoding="utf-8").splitlines()
    assert (
        lines[0] == "invoice_id,customer_id,issue_date,due_date,amount,currency,disputed_amount,open_amount"
    )
    assert lines[2] == "INV-2,C1,2026-01-05,2026-01-31,50.00,CNY,5.00,"
    assert lines[3] == "INV-3,C2,2026-01-10,2026-02-09,8000,JPY,0,6000"
    assert lines[4] == "INV-4,C3,2026-01-15,2026-03-15,1.500,KWD,0.000,"
