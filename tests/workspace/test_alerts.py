"""An alert reaches the customer's owner and every live manager, once per key."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from dunmore.access.service import add_user, disable_user
from dunmore.access.values import Role
from dunmore.ledger.models import CUSTOMERS
from dunmore.workspace.alerts import raise_alert, recipients_of
from dunmore.workspace.models import ALERTS

AT = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


def test_a_broken_promise_alerts_the_owner_and_the_managers_once(engine: Engine) -> None:
    with engine.begin() as conn:
        for login, role in (
            ("wang", Role.SALES),
            ("boss", Role.MANAGER),
            ("old", Role.MANAGER),
            ("li", Role.VIEWER),
        ):
            add_user(conn, login=login, role=role, password="a long enough password", actor="test", at=AT)
        disable_user(conn, login="old", actor="test", at=AT)
        customer = conn.execute(
            CUSTOMERS.insert().values(external_id="C1", name="A", owner="Wang").returning(CUSTOMERS.c.id)
        ).scalar_one()
        assert recipients_of(conn, customer) == ["boss", "wang"]
        params: dict[str, str | int] = {"promise": 42, "amount": "1,000.00 CNY"}
        first = raise_alert(conn, kind="promise_broken", key="promise-broken:42", customer_id=customer,
                            params=params, at=AT)  # fmt: skip
        again = raise_alert(conn, kind="promise_broken", key="promise-broken:42", customer_id=customer,
                            params=params, at=AT)  # fmt: skip
        rows = conn.execute(select(ALERTS).order_by(ALERTS.c.recipient)).all()
    assert (first, again) == (2, 0)
    assert [row.recipient for row in rows] == ["boss", "wang"]
    assert json.loads(rows[0].params) == params


def test_without_an_owner_or_a_manager_nobody_is_alerted(engine: Engine) -> None:
    with engine.begin() as conn:
        customer = conn.execute(
            CUSTOMERS.insert().values(external_id="C1", name="A", owner="nobody").returning(CUSTOMERS.c.id)
        ).scalar_one()
        assert (
            raise_alert(conn, kind="dispute_opened", key="dispute:1", customer_id=customer, params={}, at=AT)
            == 0
        )
