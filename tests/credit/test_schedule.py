"""The schedule of a contract's terms: exact amounts, business-day due dates, milestones in order."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.credit.schedule import add_months, schedule
from dunmore.credit.terms import Event, Part, Terms, parse_terms
from dunmore.domain.calendar import is_business_day
from dunmore.errors import BadArgument

COUNTRIES = st.sampled_from(["CN", "TW", "DE", "US", "AE"])
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def milestone_terms(draw: st.DrawFn) -> Terms:
    """1–6 milestones with whole-percent shares summing to 100, events and offsets drawn freely."""
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True)))
    percents = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    pieces = []
    for percent in percents:
        event = draw(st.sampled_from(list(Event)))
        unit = draw(st.sampled_from(["", "d", "m"]))
        offset = f"+{draw(st.integers(0, 120 if unit == 'm' else 400))}{unit}" if unit else ""
        pieces.append(f"{percent}% {event.value}{offset}")
    return parse_terms("; ".join(pieces))


ANY_TERMS = st.one_of(
    milestone_terms(),
    st.integers(0, 120).map(lambda n: parse_terms(f"net {n}")),
    st.integers(0, 60).map(lambda n: parse_terms(f"eom {n}")),
    st.tuples(st.integers(1, 36), st.integers(1, 6)).map(
        lambda t: parse_terms(f"instalments {t[0]} every {t[1]}m")
    ),
)


def _events(signed: date, gaps: tuple[int, int]) -> dict[Event, date]:
    delivered = add_months(signed, 0).fromordinal(signed.toordinal() + gaps[0])
    return {
        Event.SIGNING: signed,
        Event.DELIVERY: delivered,
        Event.ACCEPTANCE: delivered.fromordinal(delivered.toordinal() + gaps[1]),
    }


@settings(max_examples=150, deadline=None)
@given(
    ANY_TERMS, st.integers(1, 10**11), DAYS, st.tuples(st.integers(0, 200), st.integers(0, 200)), COUNTRIES
)
def test_a_schedule_sums_to_the_amount_on_business_days(
    terms: Terms, amount: int, signed: date, gaps: tuple[int, int], country: str
) -> None:
    lines = schedule(terms, amount, _events(signed, gaps), country)
    assert sum(line.amount_minor for line in lines) == amount
    assert all(line.amount_minor >= 0 for line in lines)
    assert all(line.remainder_minor == 0 for line in lines[:-1])
    assert 0 <= lines[-1].remainder_minor < len(lines)
    for line in lines:
        assert line.due_on is not None
        assert is_business_day(line.due_on, country)
        assert line.event_on is not None
        assert line.due_on >= line.event_on


@st.composite
def ordered_milestones(draw: st.DrawFn) -> Terms:
    """Milestones written in the order of their dates: events in their order, days after each rising."""
    count = draw(st.integers(1, 6))
    events = sorted(
        draw(st.lists(st.sampled_from(list(Event)), min_size=count, max_size=count)), key=list(Event).index
    )
    offsets = sorted(draw(st.lists(st.integers(0, 400), min_size=count, max_size=count)))
    share = 100 // count
    pieces = [
        f"{share + (100 - share * count if n == count - 1 else 0)}% {e.value}+{d}d"
        for n, (e, d) in enumerate(zip(events, offsets, strict=True))
    ]
    return parse_terms("; ".join(pieces))


@settings(max_examples=100, deadline=None)
@given(
    ordered_milestones(),
    st.integers(1, 10**9),
    DAYS,
    st.tuples(st.integers(0, 200), st.integers(0, 200)),
    COUNTRIES,
)
def test_milestones_keep_their_order(
    terms: Terms, amount: int, signed: date, gaps: tuple[int, int], country: str
) -> None:
    lines = schedule(terms, amount, _events(signed, gaps), country)
    assert [line.label for line in lines] == [part.label for part in terms.parts]
    assert [line.seq for line in lines] == list(range(1, len(terms.parts) + 1))
    dues = [line.due_on for line in lines]
    assert dues == sorted(dues)  # type: ignore[type-var]  # every event is recorded: no None


def test_the_example_of_the_issue() -> None:
    terms = parse_terms("30% on signing".replace(" on", "") + "; 60% delivery; 10% acceptance+12m")
    lines = schedule(
        terms, 100_001, {Event.SIGNING: date(2026, 3, 2), Event.DELIVERY: date(2026, 5, 4)}, "CN"
    )
    assert [(line.amount_minor, line.remainder_minor) for line in lines] == [
        (30000, 0),
        (60000, 0),
        (10001, 1),
    ]
    assert [line.due_on for line in lines] == [date(2026, 3, 2), date(2026, 5, 6), None]  # 1–5 May: 劳动节


def test_a_due_date_on_a_holiday_moves_to_the_next_business_day() -> None:
    lines = schedule(parse_terms("net 0"), 100, {Event.SIGNING: date(2026, 10, 1)}, "CN")
    assert lines[0].due_on == date(2026, 10, 8)  # 国庆节: 1–7 October 2026 are days off
    eom = schedule(parse_terms("eom 30"), 100, {Event.SIGNING: date(2026, 1, 15)}, "DE")
    assert eom[0].due_on == date(2026, 3, 2)  # 31 Jan + 30 days = Sun 1 March → Monday


def test_instalments_are_equal_with_the_remainder_last() -> None:
    lines = schedule(parse_terms("instalments 3 every 1m"), 100, {Event.SIGNING: date(2026, 1, 31)}, "US")
    assert [line.amount_minor for line in lines] == [33, 33, 34]
    assert [line.due_on for line in lines] == [date(2026, 3, 2), date(2026, 3, 31), date(2026, 4, 30)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "net",
        "net -3",
        "30% signing; 60% delivery",
        "50% shipping; 50% delivery",
        "instalments 0 every 1m",
        "110% signing",
        "30% signing+5y; 70% delivery",
    ],
)
def test_terms_that_are_not_terms_are_refused(text: str) -> None:
    with pytest.raises(BadArgument, match=r"payment terms|sum to"):
        parse_terms(text)


def test_terms_are_written_back_canonically() -> None:
    assert parse_terms(" 30 %  Signing , 70% DELIVERY + 30 d").text == "30% signing; 70% delivery+30d"
    assert parse_terms("EOM+15").parts == (Part(Fraction(1), Event.SIGNING, days=15, end_of_month=True),)
