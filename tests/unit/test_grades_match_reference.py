"""The vectorized grading pass equals the plain per-customer reference on random ledgers: same factor
values, same points, same grade, for every customer — in several currencies, with partial and late
payments, amounts settled outside Dunmore, promises and disputes around the 12-month window; and so
does the days the oldest open item is overdue, which the credit-hold rule reads."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.credit import grades_frames as gf
from dunmore.credit.grades_reference import CustomerHistory, InvoiceFact, PaymentFact, grade, overdue_days
from dunmore.credit.scorecard import FACTORS, default_text, load_scorecard_text
from tests.depth import examples

AS_OF = date(2026, 6, 30)
SCORECARD = load_scorecard_text(default_text(), source="default")
days = st.integers(min_value=-800, max_value=120).map(lambda n: AS_OF + timedelta(days=n))


@st.composite
def invoice(draw: st.DrawFn, invoice_id: int) -> tuple[InvoiceFact, list[PaymentFact]]:
    issued = draw(days)
    due = issued + timedelta(days=draw(st.integers(0, 90)))
    currency = draw(st.sampled_from(["CNY", "JPY", "BHD"]))
    amount = draw(st.integers(1, 10**11))
    outside = draw(st.sampled_from([0, 0, 0, amount, amount // 2]))
    kind = draw(st.sampled_from(["invoice", "invoice", "invoice", "fee"]))
    parts = draw(st.lists(st.tuples(st.integers(-30, 300), st.integers(1, 100)), max_size=3))
    left = amount - outside
    payments = []
    for offset, percent in parts:
        paid = min(left, max(1, amount * percent // 100))
        if paid > 0:
            payments.append(PaymentFact(invoice_id, due + timedelta(days=offset), paid))
            left -= paid
    return InvoiceFact(invoice_id, kind, issued, due, currency, amount, outside), payments


@st.composite
def history(draw: st.DrawFn, first_id: int) -> CustomerHistory:
    drawn = [draw(invoice(first_id + n)) for n in range(draw(st.integers(0, 6)))]
    statuses = st.sampled_from(["pending", "kept", "partial", "broken", "cancelled"])
    outcomes = st.sampled_from([None, "rejected", "credit_note", "withdrawn"])
    return CustomerHistory(
        invoices=[i for i, _ in drawn],
        allocations=[p for _, ps in drawn for p in ps],
        promises=draw(st.lists(st.tuples(statuses, st.none() | days), max_size=3)),
        disputes=draw(st.lists(st.tuples(outcomes, st.none() | days), max_size=3)),
    )


def _inputs(ledgers: list[CustomerHistory]) -> gf.GradeInputs:
    customers = pl.DataFrame(
        {"customer_id": list(range(1, len(ledgers) + 1))}, schema={"customer_id": pl.Int64}
    )
    invoices = [
        {"customer_id": c, **{k: getattr(i, k) for k in gf.INVOICE_SCHEMA if k != "customer_id"}}
        for c, h in enumerate(ledgers, 1)
        for i in h.invoices
    ]
    allocations = [vars(a) for h in ledgers for a in h.allocations]
    promises = [(c, s, on) for c, h in enumerate(ledgers, 1) for s, on in h.promises]
    disputes = [(c, o, on) for c, h in enumerate(ledgers, 1) for o, on in h.disputes]
    return gf.GradeInputs(
        customers,
        pl.DataFrame(invoices, schema=gf.INVOICE_SCHEMA),
        pl.DataFrame([tuple(a.values()) for a in allocations], schema=gf.ALLOCATION_SCHEMA, orient="row"),
        pl.DataFrame(promises, schema=gf.PROMISE_SCHEMA, orient="row"),
        pl.DataFrame(disputes, schema=gf.DISPUTE_SCHEMA, orient="row"),
    )


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(st.integers(0, 0), min_size=1, max_size=6).flatmap(
        lambda seats: st.tuples(*(history(100 * n) for n in range(len(seats))))
    )
)
def test_fast_grades_equal_the_reference(ledgers: tuple[CustomerHistory, ...]) -> None:
    frame = gf.grade_frame(_inputs(list(ledgers)), SCORECARD, AS_OF)
    for row, ledger in zip(frame.iter_rows(named=True), ledgers, strict=True):
        values, total, expected = grade(ledger, SCORECARD, AS_OF)
        assert {f: row[f] for f in FACTORS} == values
        assert (row["points"], row["grade"]) == (total, expected)
        assert row["overdue_days"] == overdue_days(ledger, AS_OF)  # the hold rule's "overdue N days"


def test_a_prompt_payer_of_two_years_earns_every_point() -> None:
    invoices, payments = [], []
    for n in range(26):
        issued = date(2024, 4, 1) + timedelta(days=30 * n)
        invoices.append(InvoiceFact(n, "invoice", issued, issued + timedelta(days=30), "CNY", 100_000, 0))
        payments.append(PaymentFact(n, issued + timedelta(days=29), 100_000))
    values, total, expected = grade(CustomerHistory(invoices, payments, [], []), SCORECARD, AS_OF)
    assert values["avg_days_beyond_terms"] == values["late_share"] == values["overdue_share"] == 0
    assert (total, expected) == (100, "A")
