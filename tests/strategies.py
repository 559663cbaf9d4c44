"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from dunmore.domain.allocation import OpenItem, Source, SourceKind

EPOCH = date(2026, 1, 1)


def days(max_days: int = 120) -> st.SearchStrategy[date]:
    return st.integers(0, max_days).map(lambda n: EPOCH + timedelta(days=n))


@st.composite
def open_items(draw: st.DrawFn, max_items: int = 6) -> list[OpenItem]:
    count = draw(st.integers(0, max_items))
    items = []
    for item_id in range(1, count + 1):
        issued = draw(days())
        due = issued + timedelta(days=draw(st.integers(0, 60)))
        amount = draw(st.integers(1, 100_000))
        start = draw(st.integers(0, amount))
        items.append(OpenItem(item_id, issued, due, start))
    return items


@st.composite
def sources(draw: st.DrawFn, invoice_ids: list[int], max_sources: int = 6) -> list[Source]:
    count = draw(st.integers(0, max_sources))
    targets = st.none() | st.sampled_from(invoice_ids) if invoice_ids else st.none()
    return [
        Source(
            draw(st.sampled_from(list(SourceKind))),
            source_id,
            draw(days(150)),
            draw(st.integers(1, 150_000)),
            draw(targets),
        )
        for source_id in range(1, count + 1)
    ]


@st.composite
def groups(draw: st.DrawFn) -> tuple[list[OpenItem], list[Source]]:
    items = draw(open_items())
    return items, draw(sources([i.id for i in items]))


@st.composite
def promise_histories(draw: st.DrawFn) -> tuple[int, date, int, list[tuple[date, int]]]:
    """A promise (amount minor, due date, grace days) and the payments toward it (date, minor),
    some before, on and after its deadline."""
    amount = draw(st.integers(1, 100_000))
    due = draw(days(60))
    grace = draw(st.integers(0, 5))
    payments = draw(st.lists(st.tuples(days(90), st.integers(1, 60_000)), max_size=4))
    return amount, due, grace, payments
