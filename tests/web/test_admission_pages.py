"""Credit admission on the web: a collector's application for C000003 is listed; its page shows a
manager the approve and reject forms (not the collector, not the manager who drafted one); approving
sets the limit the credit-check API answers from; an insolvency signal sent through the API holds
the customer's credit."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access.service import get_user
from dunmore.access.values import Role
from dunmore.credit import admission
from dunmore.web.app import create_app
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, demo_ledger

CUSTOMER = "C000003"  # in portfolio east (the collector's) and owned by the sales user


def _apply(engine: Engine, role: Role, limit: str) -> int:
    with engine.begin() as conn:
        user = get_user(conn, login=LOGINS[role])
        return admission.apply(
            conn, customer=CUSTOMER, limit=Decimal(limit), currency="CNY", terms="net 45",
            facts=admission.Facts(years_in_business=12, report_score=77), by=user.login, user=user,
            actor=user.login, now=NOW, kind="increase",
        )  # fmt: skip


def test_a_manager_approves_a_collectors_application_on_its_page(sqlite_engine: Engine) -> None:
    demo = demo_ledger(sqlite_engine)
    number = _apply(sqlite_engine, Role.COLLECTOR, "888888.00")
    check = {"customer": CUSTOMER, "amount": "1.00", "currency": "CNY"}
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.COLLECTOR])
        assert f'href="/credit-applications/{number}"' in client.get("/credit-applications").text
        page = client.get(f"/credit-applications/{number}")
        assert page.status_code == 200
        assert 'id="approve-form"' not in page.text
        refused = client.post(
            f"/credit-applications/{number}/approve", data={"csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 403
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.MANAGER])
        page = client.get(f"/credit-applications/{number}")
        assert 'id="approve-form"' in page.text
        assert 'id="reject-form"' in page.text
        assert client.get("/credit-applications/999999").status_code == 404
        done = client.post(
            f"/credit-applications/{number}/approve",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert 'id="approve-form"' not in client.get(f"/credit-applications/{number}").text
        listed = client.get("/api/v1/credit-applications?status=approved", headers=demo.auth(Role.MANAGER))
        assert [(a["number"], a["decided_by"], a["report_score"]) for a in listed.json()] == [
            (number, LOGINS[Role.MANAGER], 77)
        ]
        answer = client.post("/api/v1/credit-checks", json=check, headers=demo.auth(Role.MANAGER)).json()
        assert (answer["limit_source"], answer["limit_minor"]) == ("customer", 88_888_800)

        own = _apply(sqlite_engine, Role.MANAGER, "999999.00")
        page = client.get(f"/credit-applications/{own}")
        assert 'id="approve-form"' not in page.text
        refused = client.post(f"/credit-applications/{own}/approve", data={"csrf_token": csrf_of(page.text)})
        assert refused.status_code == 400
        assert 'id="application-problem"' in refused.text

        signal = {"customer": CUSTOMER, "kind": "insolvency", "on": "2026-03-15", "note": "court filing"}
        sent = client.post("/api/v1/credit-signals", json=signal, headers=demo.auth(Role.COLLECTOR))
        assert sent.status_code == 201
        assert sent.json()["credit_hold"] is True
        answer = client.post("/api/v1/credit-checks", json=check, headers=demo.auth(Role.MANAGER)).json()
        assert answer["status"] == "on_hold"
        assert [(h["rule"], h["kind"]) for h in answer["holds"]] == [("signal", "insolvency")]
        future = client.post(
            "/api/v1/credit-signals", json=signal | {"on": "2026-03-17"}, headers=demo.auth(Role.COLLECTOR)
        )
        assert future.status_code == 400


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
FORM = {
    "customer": CUSTOMER, "kind": "increase", "limit": "600,000.00", "currency": "CNY", "terms": "eom 15",
    "years_in_business": "12", "registered_capital": "5000000", "report_score": "78",
    "report_agency": "中诚信", "registry_data": "91310000MA1K000000", "references": "", "note": "",
}  # fmt: skip


def test_a_collector_drafts_an_application_with_its_papers_on_the_page(sqlite_engine: Engine) -> None:
    """The form drafts the application and keeps its papers, all or nothing: a refused draft (terms
    Dunmore cannot read, a paper of the wrong type, too many papers) writes nothing and shows the form
    again with the problem and the fields as typed; a viewer may not draft."""
    demo_ledger(sqlite_engine)
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as client:
        sign_in(client, LOGINS[Role.VIEWER])
        assert client.get("/credit-applications/new").status_code == 403
        assert 'id="new-application"' not in client.get("/credit-applications").text
        sign_in(client, LOGINS[Role.COLLECTOR])
        listed = client.get("/credit-applications").text
        assert 'id="new-application"' in listed
        page = client.get(f"/credit-applications/new?customer={CUSTOMER}")
        assert page.status_code == 200
        assert f'value="{CUSTOMER}"' in page.text
        token = {"csrf_token": csrf_of(page.text)}

        unreadable = client.post("/credit-applications", data=FORM | {"terms": "soon"} | token)
        assert unreadable.status_code == 400
        assert 'id="application-problem"' in unreadable.text
        assert 'value="600,000.00"' in unreadable.text  # the fields as typed
        assert 'value="中诚信"' in unreadable.text
        wrong_type = [("papers", ("statement.exe", b"MZ\x90\x00", "application/octet-stream"))]
        refused = client.post("/credit-applications", data=FORM | token, files=wrong_type)
        assert refused.status_code == 400
        too_many = [("papers", (f"p{n}.pdf", PDF, "application/pdf")) for n in range(6)]
        assert client.post("/credit-applications", data=FORM | token, files=too_many).status_code == 400
        with sqlite_engine.connect() as conn:
            assert admission.applications(conn, customer=CUSTOMER) == []

        papers = [("papers", ("2025年财务报表.pdf", PDF, "application/pdf"))]
        drafted = client.post("/credit-applications", data=FORM | token, files=papers, follow_redirects=False)
        assert drafted.status_code == 303
        shown = client.get(drafted.headers["location"]).text
        assert "2025年财务报表.pdf" in shown
        assert "600,000.00" in shown
        assert "中诚信" in shown
        assert 'id="approve-form"' not in shown  # whoever drafted it cannot decide it
    with sqlite_engine.connect() as conn:
        (found,) = admission.applications(conn, customer=CUSTOMER)
    assert (found.status, found.limit_minor, found.terms, found.drafted_by) == (
        "draft", 60_000_000, "eom 15", LOGINS[Role.COLLECTOR]
    )  # fmt: skip
    assert found.facts["registered_capital_minor"] == 500_000_000
    assert [f.filename for f in found.files] == ["2025年财务报表.pdf"]
