"""Currencies: a group is (customer, currency), and money keeps its currency's minor unit.

Standard policy of examples/dunning.yaml: second-overdue fee 50.00 CNY / 5.00 USD / ¥700,
final-notice fee 100.00 CNY / ¥5000 with interest (0.01 % a day); 7 days between notices.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.scenarios.story import Story, digest


def test_a_customer_owing_yuan_and_dollars_gets_one_notice_per_currency(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00", currency="CNY")
    story.invoice("INV-2", "C1", issued="2026-08-01", due="2026-09-05", amount="800.00", currency="USD")

    assert digest(story.run("2026-09-02")) == ["C1 USD reminder pre-due: INV-2 L0 -3d 800.00"]
    assert digest(story.run("2026-09-04")) == [
        "C1 CNY L1 first-overdue: INV-1 L1 +3d 10000.00 (interest 3.00)"
    ]
    assert digest(story.run("2026-09-05")) == ["C1 USD reminder due-today: INV-2 L0 +0d 800.00"]
    # The yuan notice of 09-04 does not hold the dollars back: each group has its own spacing.
    assert digest(story.run("2026-09-08")) == ["C1 USD L1 first-overdue: INV-2 L1 +3d 800.00 (interest 0.24)"]
    assert digest(story.run("2026-09-20")) == [
        "C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +19d 10000.00 (interest 19.00)",
        "C1 USD L2 second-overdue fee 5.00: INV-2 L2 +15d 800.00 (interest 1.20)",
    ]
    assert sorted(story.charges().values()) == [
        "due 2026-09-20: 5.00 USD, open 5.00",
        "due 2026-09-20: 50.00 CNY, open 50.00",
    ]


def test_yen_have_no_minor_unit_on_notices_fees_and_interest(engine: Engine) -> None:
    story = Story(engine)
    story.customer("C1", grade="B")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="123456", currency="JPY")

    assert digest(story.run("2026-09-04")) == ["C1 JPY L1 first-overdue: INV-1 L1 +3d 123456 (interest 37)"]
    second = story.run("2026-09-16")
    assert digest(second) == ["C1 JPY L2 second-overdue fee 700: INV-1 L2 +15d 123456 (interest 185)"]
    # ¥123,456 × 30 days × 0.0001 = ¥370.368 → ¥370, as the JSON prints it: whole yen, no decimals.
    final = story.run("2026-10-01")
    assert final == [
        {
            "notice_id": final[0]["notice_id"],
            "status": "committed",
            "customer_id": "C1",
            "currency": "JPY",
            "kind": "level",
            "step": "final-notice",
            "level": 3,
            "fee": "5000",
            "interest_charged": "370",
            "items": [
                {
                    "invoice_id": "INV-1",
                    "kind": "invoice",
                    "level": 3,
                    "days_past_due": 30,
                    "open_amount": "123456",
                    "interest": "370",
                },
                {
                    "invoice_id": f"FEE-{second[0]['notice_id']}",
                    "kind": "fee",
                    "level": 0,
                    "days_past_due": 15,
                    "open_amount": "700",
                    "interest": "0",
                },
            ],
        }
    ]
