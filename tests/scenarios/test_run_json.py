"""The shape of `dunmore run --json`: what scripts and the outbox worker rely on.

Standard policy of examples/dunning.yaml; INV-1, 10,000.00 CNY due 2026-09-01, is never paid.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from dunmore.reports.render import to_json
from tests.scenarios.story import Notices, Story

NOTICE_KEYS = {
    "notice_id", "status", "customer_id", "currency", "kind", "step", "level",
    "fee", "interest_charged", "items",
}  # fmt: skip
ITEM_KEYS = {"invoice_id", "kind", "level", "days_past_due", "open_amount", "interest"}


def assert_shape(notices: Notices) -> None:
    """Exactly the documented keys; ids and days as integers, money as exact decimal strings."""
    for notice in notices:
        assert set(notice) == NOTICE_KEYS
        assert isinstance(notice["notice_id"], int)
        for money in ("fee", "interest_charged"):
            assert notice[money] is None or Decimal(notice[money]) > 0
        for item in notice["items"]:
            assert set(item) == ITEM_KEYS
            assert isinstance(item["days_past_due"], int)
            assert isinstance(item["level"], int)
            assert all(isinstance(item[money], str) for money in ("open_amount", "interest"))
    assert json.loads(to_json(notices)) == notices


def item(notice: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    return next(each for each in notice["items"] if each["invoice_id"] == invoice_id)


def test_notices_as_json_with_fee_and_interest_items_under_their_own_ids(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")

    pre_due = story.run("2026-08-29")
    assert pre_due == [
        {
            "notice_id": pre_due[0]["notice_id"], "status": "committed", "customer_id": "C1",
            "currency": "CNY", "kind": "reminder", "step": "pre-due", "level": None, "fee": None,
            "interest_charged": None,
            "items": [
                {"invoice_id": "INV-1", "kind": "invoice", "level": 0, "days_past_due": -3,
                 "open_amount": "10000.00", "interest": "0.00"},
            ],
        }
    ]  # fmt: skip
    first, second, final = story.run("2026-09-04"), story.run("2026-09-16"), story.run("2026-10-01")
    legal = story.run("2026-10-31")
    for notices in (pre_due, first, second, final, legal):
        assert_shape(notices)

    fee_2 = f"FEE-{second[0]['notice_id']}"
    assert final == [
        {
            "notice_id": final[0]["notice_id"], "status": "committed", "customer_id": "C1",
            "currency": "CNY", "kind": "level", "step": "final-notice", "level": 3, "fee": "100.00",
            "interest_charged": "30.00",
            "items": [
                {"invoice_id": "INV-1", "kind": "invoice", "level": 3, "days_past_due": 30,
                 "open_amount": "10000.00", "interest": "30.00"},
                {"invoice_id": fee_2, "kind": "fee", "level": 0, "days_past_due": 15,
                 "open_amount": "50.00", "interest": "0.00"},
            ],
        }
    ]  # fmt: skip
    assert legal[0]["status"] == "pending_approval"
    assert (legal[0]["fee"], legal[0]["interest_charged"]) == (None, None)
    interest_3 = f"INT-{final[0]['notice_id']}"
    assert item(legal[0], interest_3) == {
        "invoice_id": interest_3, "kind": "interest", "level": 0, "days_past_due": 30,
        "open_amount": "30.00", "interest": "0.00",
    }  # fmt: skip
    assert [each["invoice_id"] for each in legal[0]["items"]] == [
        "INV-1",
        fee_2,
        f"FEE-{final[0]['notice_id']}",
        interest_3,
    ]
