"""Aging as of a date: buckets by days past due, per currency and per customer, on every backend."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from dunmore.domain.aging import BucketError, buckets, parse_bounds
from dunmore.ledger.service import reallocate
from dunmore.reports.aging import aging_report
from tests.store.ledger_rows import add_customer, add_invoice, add_payment

AS_OF = date(2026, 10, 1)
LABELS = ["not due", "1-30", "31-60", "61-90", "91-180", ">180"]


def row_of(report_rows: list[dict[str, object]], **keys: object) -> dict[str, object]:
    return next(r for r in report_rows if all(r[k] == v for k, v in keys.items()))


def test_bucket_edges_follow_days_past_due(engine: Engine) -> None:
    # Due dates chosen so days past due on 2026-10-01 are 0, 1, 30, 31, 60, 61, 90, 91, 180, 181.
    dpd_and_amount = [
        (0, 1),
        (1, 2),
        (30, 4),
        (31, 8),
        (60, 16),
        (61, 32),
        (90, 64),
        (91, 128),
        (180, 256),
        (181, 512),
    ]
    with engine.begin() as conn:
        acme = add_customer(conn, "C1")
        for n, (dpd, amount) in enumerate(dpd_and_amount):
            due = date.fromordinal(AS_OF.toordinal() - dpd)
            add_invoice(conn, f"INV-{n}", acme, "2026-01-01", due.isoformat(), amount)
        report = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="currency")
    (totals,) = report.totals.to_dicts()
    assert [totals[label] for label in LABELS] == [1, 2 + 4, 8 + 16, 32 + 64, 128 + 256, 512]
    assert totals["total"] == 1023


def test_aging_as_of_a_past_date_ignores_later_invoices_and_payments(engine: Engine) -> None:
    with engine.begin() as conn:
        acme = add_customer(conn, "C1")
        add_invoice(conn, "INV-1", acme, "2026-08-01", "2026-08-31", 1000_00)
        add_invoice(conn, "INV-2", acme, "2026-10-15", "2026-11-14", 500_00)  # issued after AS_OF
        add_payment(conn, "PAY-1", acme, "2026-09-10", 300_00)  # before AS_OF
        add_payment(conn, "PAY-2", acme, "2026-10-20", 700_00)  # after AS_OF
        reallocate(conn, None)
        then = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="currency").totals.to_dicts()
        now = aging_report(conn, as_of=date(2026, 11, 1), buckets=buckets(), by="currency").totals.to_dicts()
    assert then == [{"currency": "CNY", **dict.fromkeys(LABELS, 0), "31-60": 700_00, "total": 700_00}]
    assert now == [{"currency": "CNY", **dict.fromkeys(LABELS, 0), "not due": 500_00, "total": 500_00}]


def test_currencies_are_never_summed_and_customers_have_their_own_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        acme = add_customer(conn, "C1", name="上海华澄机械有限公司")
        zenith = add_customer(conn, "C2", name="Zenith GmbH")
        add_invoice(conn, "INV-1", acme, "2026-09-01", "2026-09-15", 100_00)
        add_invoice(conn, "INV-2", acme, "2026-09-01", "2026-09-20", 50_00, currency="USD")
        add_invoice(conn, "INV-3", zenith, "2026-09-01", "2026-10-31", 7000, currency="JPY")
        add_invoice(conn, "INV-4", zenith, "2026-09-01", "2026-09-20", 20_00)
        report = aging_report(conn, as_of=AS_OF, buckets=buckets(), by="customer")
    rows = report.rows.to_dicts()
    assert len(rows) == 4
    assert row_of(rows, customer="C1", currency="CNY")["1-30"] == 100_00
    assert row_of(rows, customer="C1", currency="CNY")["name"] == "上海华澄机械有限公司"
    assert row_of(rows, customer="C2", currency="JPY")["not due"] == 7000
    totals = {r["currency"]: r["total"] for r in report.totals.to_dicts()}
    assert totals == {"CNY": 120_00, "JPY": 7000, "USD": 50_00}


def test_custom_buckets_and_their_validation() -> None:
    assert [b.label for b in buckets(parse_bounds("15,45"))] == ["not due", "1-15", "16-45", ">45"]
    for bad in ["30,20", "0,30", "a,b", ""]:
        with pytest.raises(BucketError):
            buckets(parse_bounds(bad))
