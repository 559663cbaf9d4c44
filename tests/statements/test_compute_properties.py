"""The statement's two invariants over any ledger the allocation replay can produce: opening +
movements == closing, and closing == the sum of the items open on the period's last day."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dunmore.domain.allocation import OpenItem, Source, SourceKind, allocate_group
from dunmore.statements.compute import Applied, Document, band_of, compute

START = date(2026, 9, 1)
_KIND = {SourceKind.PAYMENT: "payment", SourceKind.CREDIT_NOTE: "credit_note"}

charges = st.lists(
    st.tuples(
        st.integers(0, 120),
        st.integers(0, 60),
        st.integers(1, 50_000),
        st.integers(0, 50_000),
        st.sampled_from(["invoice", "fee", "interest"]),
    ),
    max_size=8,
)
settlements = st.lists(
    st.tuples(
        st.integers(0, 120), st.integers(1, 60_000), st.sampled_from(list(SourceKind)), st.integers(-1, 7)
    ),
    max_size=8,
)


def _ledger(
    charge_rows: list[tuple[int, int, int, int, str]], settle_rows: list[tuple[int, int, SourceKind, int]]
) -> tuple[list[Document], list[Applied]]:
    items, docs = [], []
    for n, (issued, terms, amount, outside, kind) in enumerate(charge_rows, start=1):
        on = START + timedelta(days=issued)
        start = max(amount - outside, 0)
        items.append(OpenItem(n, on, on + timedelta(days=terms), start))
        docs.append(Document(kind, n, f"I{n}", on, amount, on + timedelta(days=terms), start))
    sources = []
    for n, (paid, amount, source_kind, names) in enumerate(settle_rows, start=1):
        named = names if 1 <= names <= len(items) else None
        sources.append(Source(source_kind, n, START + timedelta(days=paid), amount, named))
        docs.append(Document(_KIND[source_kind], n, f"S{n}", START + timedelta(days=paid), amount))
    result = allocate_group(items, sources)
    applied = [
        Applied(a.invoice_id, (_KIND[a.kind], a.source_id), a.date, a.amount_minor)
        for a in result.allocations
    ]
    return docs, applied


@given(charges, settlements, st.integers(0, 130), st.integers(0, 60))
def test_opening_plus_movements_is_closing_and_closing_is_what_is_open(
    charge_rows: list[tuple[int, int, int, int, str]],
    settle_rows: list[tuple[int, int, SourceKind, int]],
    first: int,
    length: int,
) -> None:
    docs, applied = _ledger(charge_rows, settle_rows)
    period_from = START + timedelta(days=first)
    statement = compute(
        "CNY", docs, applied, period_from=period_from, period_to=period_from + timedelta(days=length)
    )
    assert statement.opening_minor + statement.movements_minor == statement.closing_minor
    assert statement.closing_minor == sum(item.open_minor for item in statement.open_items)
    assert all(statement.period_from <= line.on <= statement.period_to for line in statement.lines)


def test_an_overpayment_is_a_negative_open_item_and_the_ages_are_counted_from_the_due_date() -> None:
    docs, applied = _ledger(
        [(0, 30, 10_000, 0, "invoice"), (40, 10, 5_000, 0, "invoice")], [(45, 12_000, SourceKind.PAYMENT, -1)]
    )
    statement = compute("CNY", docs, applied, period_from=date(2026, 10, 1), period_to=date(2026, 10, 31))
    assert statement.opening_minor == 10_000
    assert [(line.kind, line.amount_minor) for line in statement.lines] == [
        ("invoice", 5_000),
        ("payment", -12_000),
    ]
    assert [(item.reference, item.open_minor, item.days_past_due) for item in statement.open_items] == [
        ("I2", 3_000, 10)
    ]
    assert band_of(0) == "current"
    assert band_of(31) == "31-60"
    assert band_of(400) == "180+"
