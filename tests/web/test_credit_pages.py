"""Credit on the web: after grading the demo ledger, the customer page loads the grade and its
factors; the credit-check form and the API refuse a customer on credit hold; a manager releases the
hold with a reason (a collector may not), and the check then answers from the limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.credit import grades
from dunmore.credit.grades_models import CREDIT_HOLDS
from dunmore.ledger.models import CUSTOMERS
from dunmore.web.app import create_app
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, demo_ledger


def _held_east_customer(engine: Engine, east: list[str]) -> str:
    with engine.begin() as conn:
        grades.compute(conn, user=get_user(conn, login=LOGINS[Role.MANAGER]), as_of=NOW.date(), now=NOW)
        held = select(CUSTOMERS.c.external_id).join(
            CREDIT_HOLDS, CREDIT_HOLDS.c.customer_id == CUSTOMERS.c.id
        )
        codes = sorted(set(conn.execute(held).scalars()) & set(east))
    assert codes, "the demo's customers overdue since December are held"
    return str(codes[0])


def test_grade_on_the_customer_page_and_the_credit_check_form(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    held = _held_east_customer(sqlite_engine, demo.east)
    check = {"customer": held, "amount": "100.00", "currency": "CNY"}
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        assert f'hx-get="/customers/{held}/grade"' in client.get(f"/customers/{held}").text
        section = client.get(f"/customers/{held}/grade", headers={"HX-Request": "true"})
        assert section.status_code == 200
        assert 'id="grade-factors"' in section.text
        assert "<html" not in section.text
        assert 'id="credit-hold"' in section.text
        assert 'id="release-form"' not in section.text
        token = csrf_of(client.get("/credit-check").text)
        refused = client.post("/credit-check", data=check | {"csrf_token": token})
        assert refused.status_code == 200
        assert "拒绝：该客户处于信用冻结中" in refused.text
        assert (
            client.post(
                f"/customers/{held}/credit-release", data={"reason": "x", "csrf_token": token}
            ).status_code
            == 403
        )
        bad = client.post("/credit-check", data=check | {"amount": "lots", "csrf_token": token})
        assert bad.status_code == 400
        assert "不是金额" in bad.text
        api = client.post("/api/v1/credit-checks", json=check, headers=demo.auth(Role.COLLECTOR))
        assert api.json()["status"] == "on_hold"
        (hold,) = api.json()["holds"]
        assert hold["set_by"] == LOGINS[Role.MANAGER]  # the grading's one audit row, which the hold names
        assert isinstance(hold["audit_row"], int)
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.MANAGER])
        section = client.get(f"/customers/{held}/grade")
        assert 'id="release-form"' in section.text
        released = client.post(
            f"/customers/{held}/credit-release",
            data={"reason": "prepaid by bank transfer", "csrf_token": csrf_of(section.text)},
            follow_redirects=False,
        )
        assert released.status_code == 303
        answer = client.post("/api/v1/credit-checks", json=check, headers=demo.auth(Role.MANAGER)).json()
        assert answer["status"] in ("ok", "over_limit")
        assert answer["holds"] == []
        form = {
            "grade": "B",
            "until": "2026-06-30",
            "reason": "bank guarantee",
            "csrf_token": csrf_of(section.text),
        }
        overridden = client.post(f"/customers/{held}/grade-override", data=form, follow_redirects=False)
        assert overridden.status_code == 303
        assert (
            client.post(f"/customers/{held}/grade-override", data=form | {"until": "2026-03-01"}).status_code
            == 400
        )
        panel = client.get(f"/customers/{held}/grade").text
        assert "bank guarantee" in panel
        assert 'id="grade-terms"' in panel
        grade = client.get(f"/api/v1/customers/{held}/grade", headers=demo.auth(Role.MANAGER)).json()
        assert grade["grade"] == "B"
        assert grade["override_until"] == "2026-06-30"
        assert grade["graded_on"] == "2026-03-16"
        assert set(grade["factors"]) >= {
            "late_share",
            "months_history",
        }
