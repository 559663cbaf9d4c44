"""Allocation of payments and credit notes: stories of one customer, then invariants."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from hypothesis import given

from dunmore.domain.allocation import GroupAllocation, OpenItem, Source, SourceKind, allocate_group
from tests.strategies import groups

PAY, CREDIT = SourceKind.PAYMENT, SourceKind.CREDIT_NOTE


def invoice(item_id: int, issued: str, due: str, amount: int) -> OpenItem:
    return OpenItem(item_id, date.fromisoformat(issued), date.fromisoformat(due), amount)


def pay(source_id: int, on: str, amount: int, invoice_id: int | None = None) -> Source:
    return Source(PAY, source_id, date.fromisoformat(on), amount, invoice_id)


def credit(source_id: int, on: str, amount: int, invoice_id: int | None = None) -> Source:
    return Source(CREDIT, source_id, date.fromisoformat(on), amount, invoice_id)


def shares(result: GroupAllocation) -> list[tuple[int, str, int, str, int]]:
    return [
        (a.invoice_id, a.kind.name, a.source_id, a.date.isoformat(), a.amount_minor)
        for a in result.allocations
    ]


def test_an_unnamed_payment_settles_the_oldest_due_invoice_first() -> None:
    items = [
        invoice(1, "2026-03-01", "2026-04-15", 50_00),  # due later, issued first
        invoice(2, "2026-03-05", "2026-04-05", 30_00),  # due first
    ]
    result = allocate_group(items, [pay(1, "2026-04-20", 40_00)])
    assert shares(result) == [(2, "PAYMENT", 1, "2026-04-20", 30_00), (1, "PAYMENT", 1, "2026-04-20", 10_00)]
    assert result.open_minor == {1: 40_00, 2: 0}
    assert result.unapplied_minor == {}


def test_a_partial_payment_leaves_the_rest_open() -> None:
    result = allocate_group([invoice(1, "2026-03-01", "2026-03-31", 100_00)], [pay(1, "2026-04-10", 35_50)])
    assert result.open_minor == {1: 64_50}


def test_a_named_invoice_is_paid_first_and_the_rest_goes_oldest_first() -> None:
    items = [invoice(1, "2026-01-01", "2026-01-31", 10_00), invoice(2, "2026-02-01", "2026-02-28", 10_00)]
    result = allocate_group(items, [pay(1, "2026-03-01", 15_00, invoice_id=2)])
    assert shares(result) == [(2, "PAYMENT", 1, "2026-03-01", 10_00), (1, "PAYMENT", 1, "2026-03-01", 5_00)]


def test_an_overpayment_stays_unapplied_until_the_next_invoice_arrives() -> None:
    items = [invoice(1, "2026-01-01", "2026-01-31", 10_00), invoice(2, "2026-03-01", "2026-03-31", 8_00)]
    result = allocate_group(items, [pay(1, "2026-02-01", 12_00, invoice_id=1)])
    # 10.00 pays invoice 1 on 2026-02-01; 2.00 waits and goes to invoice 2 when it is issued.
    assert shares(result) == [(1, "PAYMENT", 1, "2026-02-01", 10_00), (2, "PAYMENT", 1, "2026-03-01", 2_00)]
    assert result.open_minor == {1: 0, 2: 6_00}


def test_an_overpayment_with_nothing_left_to_pay_is_unapplied_credit() -> None:
    result = allocate_group([invoice(1, "2026-01-01", "2026-01-31", 10_00)], [pay(7, "2026-02-01", 25_00)])
    assert result.unapplied_minor == {(PAY, 7): 15_00}


def test_a_credit_note_cancels_its_invoice_and_comes_before_a_same_day_payment() -> None:
    items = [invoice(1, "2026-01-01", "2026-01-31", 100_00), invoice(2, "2026-01-02", "2026-02-01", 100_00)]
    result = allocate_group(
        items, [pay(1, "2026-02-10", 100_00), credit(1, "2026-02-10", 30_00, invoice_id=2)]
    )
    assert shares(result) == [
        (2, "CREDIT_NOTE", 1, "2026-02-10", 30_00),
        (1, "PAYMENT", 1, "2026-02-10", 100_00),
    ]
    assert result.open_minor == {1: 0, 2: 70_00}


def test_a_payment_does_not_reach_an_invoice_issued_after_it() -> None:
    items = [invoice(1, "2026-01-01", "2026-01-31", 10_00), invoice(2, "2026-05-01", "2026-01-15", 10_00)]
    result = allocate_group(items, [pay(1, "2026-02-01", 10_00)])
    # Invoice 2 is due earlier but did not exist on 2026-02-01.
    assert result.open_minor == {1: 0, 2: 10_00}


def test_a_prepayment_naming_a_later_invoice_applies_on_its_issue_date() -> None:
    items = [invoice(1, "2026-03-01", "2026-03-31", 10_00)]
    result = allocate_group(items, [pay(1, "2026-02-01", 10_00, invoice_id=1)])
    assert shares(result) == [(1, "PAYMENT", 1, "2026-03-01", 10_00)]


def test_an_erp_snapshot_starts_the_invoice_at_its_open_amount() -> None:
    # Amount 100.00 of which the ERP says 40.00 is still open: the start is 40.00.
    result = allocate_group([invoice(1, "2026-01-01", "2026-01-31", 40_00)], [pay(1, "2026-02-01", 50_00)])
    assert result.open_minor == {1: 0}
    assert result.unapplied_minor == {(PAY, 1): 10_00}


@given(groups())
def test_allocation_never_exceeds_a_source_or_an_invoice(group: tuple[list[OpenItem], list[Source]]) -> None:
    items, settles = group
    result = allocate_group(items, settles)
    by_invoice: dict[int, int] = defaultdict(int)
    by_source: dict[tuple[SourceKind, int], int] = defaultdict(int)
    for a in result.allocations:
        assert a.amount_minor > 0
        by_invoice[a.invoice_id] += a.amount_minor
        by_source[(a.kind, a.source_id)] += a.amount_minor
    for item in items:
        assert 0 <= result.open_minor[item.id] == item.start_minor - by_invoice[item.id]
    for s in settles:
        left = result.unapplied_minor.get((s.kind, s.id), 0)
        assert left >= 0
        assert by_source[(s.kind, s.id)] + left == s.amount_minor


@given(groups())
def test_credit_is_unapplied_only_when_every_invoice_is_settled(
    group: tuple[list[OpenItem], list[Source]],
) -> None:
    items, settles = group
    result = allocate_group(items, settles)
    if any(left > 0 for left in result.unapplied_minor.values()):
        assert all(left == 0 for left in result.open_minor.values())


@given(groups())
def test_no_allocation_is_dated_before_its_source_or_its_invoice(
    group: tuple[list[OpenItem], list[Source]],
) -> None:
    items, settles = group
    issued = {item.id: item.issue_date for item in items}
    dated = {(s.kind, s.id): s.date for s in settles}
    for a in allocate_group(items, settles).allocations:
        assert a.date >= issued[a.invoice_id]
        assert a.date >= dated[(a.kind, a.source_id)]
