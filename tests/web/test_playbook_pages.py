"""The call playbook in the web application, and the wiring around the call: the answer to the
customer's latest reason beside the "log a contact" form, the manager's editing page, the form a
"promised" or "disputed" contact leads to, and where each role lands after signing in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from dunmore.access import audit, service
from tests.web.conftest import NOW, csrf_of, sign_in


def _log(client: TestClient, code: str, *, htmx: bool = False, **fields: str) -> Response:
    token = csrf_of(client.get(f"/customers/{code}").text)
    data = {"csrf_token": token, "kind": "call", "channel": "phone"} | fields
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/customers/{code}/activities", data=data, headers=headers, follow_redirects=False)


def _playbook(html: str) -> str:
    return html[html.index('id="playbook"') : html.index("</aside>")]


def test_a_collector_lands_on_the_worklist_and_a_manager_on_the_dashboard(client: TestClient) -> None:
    assert sign_in(client, "ann").headers["location"] == "/worklist"
    client.cookies.clear()
    assert sign_in(client, "boss").headers["location"] == "/"


def test_a_promised_contact_leads_to_the_promise_form(client: TestClient) -> None:
    sign_in(client, "ann")
    answer = _log(client, "E001", outcome="promised")
    assert answer.headers["location"] == "/customers/E001/promises#new-promise"
    assert 'id="new-promise"' in client.get("/customers/E001/promises").text
    section = _log(client, "E001", htmx=True, outcome="promised").text
    assert 'href="/customers/E001/promises#new-promise"' in section
    assert "登记付款承诺" in section


def test_a_disputed_contact_leads_to_the_dispute_form(client: TestClient) -> None:
    sign_in(client, "ann")
    assert _log(client, "E001", outcome="disputed").headers["location"] == "/customers/E001#new-dispute"
    assert 'id="new-dispute"' in client.get("/customers/E001/disputes").text
    section = _log(client, "E001", htmx=True, outcome="disputed").text
    assert 'href="/customers/E001#new-dispute"' in section
    reached = _log(client, "E001", outcome="reached")
    assert reached.headers["location"] == "/customers/E001#activities"
    assert "record-next" not in _log(client, "E001", htmx=True, outcome="reached").text


def test_the_answer_to_the_latest_reason_stands_beside_the_call(client: TestClient) -> None:
    sign_in(client, "ann")
    before = _playbook(client.get("/customers/E001").text)
    assert "各逾期原因的答复" in before
    assert "分期付款计划" in before
    section = _log(client, "E001", htmx=True, outcome="reached", reason="cash_flow").text
    latest = _playbook(section)
    first = latest[latest.index('class="playbook-answer latest"') :]
    assert first.startswith('class="playbook-answer latest" data-reason="cash_flow"')
    assert "分期付款计划" in first[: first.index("</p>")]
    assert "编辑应对方案" not in latest  # a collector reads, a manager edits


def test_a_manager_edits_the_playbook_and_the_collector_reads_it(client: TestClient, ledger: Engine) -> None:
    sign_in(client, "boss")
    page = client.get("/playbook")
    assert page.status_code == 200
    assert 'id="cash_flow"' in page.text
    token = csrf_of(page.text)
    refused = client.post(
        "/playbook/cash_flow/zh-CN", data={"csrf_token": token, "text": "不还钱就列入黑名单。"}
    )
    assert refused.status_code == 400
    assert "blacklist" in refused.text
    saved = client.post("/playbook/cash_flow/zh-CN", data={"csrf_token": token, "text": "提出三期付款计划。"},
                        follow_redirects=False)  # fmt: skip
    assert saved.headers["location"] == "/playbook?saved=cash_flow#cash_flow"
    with ledger.connect() as conn:
        assert [r.action for r in audit.list_rows(conn, object="playbook:cash_flow:zh-CN")] == [
            "playbook.set"
        ]
    client.cookies.clear()
    sign_in(client, "ann")
    _log(client, "E001", outcome="reached", reason="cash_flow")
    assert "提出三期付款计划。" in _playbook(client.get("/customers/E001").text)
    token = csrf_of(client.get("/playbook").text)
    assert "<textarea" not in client.get("/playbook").text
    denied = client.post("/playbook/cash_flow/zh-CN", data={"csrf_token": token, "reset": "reset"})
    assert denied.status_code == 403


def test_the_api_reads_writes_and_resets_an_answer(client: TestClient, ledger: Engine) -> None:
    with ledger.begin() as conn:
        tokens = {login: service.create_token(conn, login=login, name="erp", actor="test", at=NOW).secret
                  for login in ("ann", "boss")}  # fmt: skip
    ann, boss = ({"Authorization": f"Bearer {tokens[login]}"} for login in ("ann", "boss"))
    shown = client.get("/api/v1/playbook", params={"reason": "cash_flow", "language": "zh-TW"}, headers=ann)
    assert [(a["reason"], a["language"], a["shipped"]) for a in shown.json()] == [
        ("cash_flow", "zh-TW", True)
    ]
    assert "分期付款計畫" in shown.json()[0]["text"]
    body = {"text": "Offer three monthly instalments."}
    assert client.put("/api/v1/playbook/cash_flow/en", json=body, headers=ann).status_code == 403
    written = client.put("/api/v1/playbook/cash_flow/en", json=body, headers=boss)
    assert written.status_code == 200
    assert (written.json()["text"], written.json()["edited_by"]) == (body["text"], "boss")
    refused = client.put("/api/v1/playbook/refuses/en", json={"text": "We will sue you."}, headers=boss)
    assert refused.status_code == 400
    assert client.get("/api/v1/playbook", params={"reason": "nope"}, headers=ann).status_code == 400
    reset = client.delete("/api/v1/playbook/cash_flow/en", headers=boss)
    assert reset.json()["shipped"] is True
