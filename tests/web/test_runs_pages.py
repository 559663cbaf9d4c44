"""The run review through the pages and the API, as dated stories on 2026-03-16.

The ledger (tests/web/run_ledger.py): E001 (portfolio east) and W001 (west) have been at level 3 since
February, so the run of 2026-03-16 proposes their legal review, which waits for approval; E002 and
W001's dollars get ordinary level notices. Managers propose, commit, approve, reject and reopen; a
collector of `east` reads the run within east and decides nothing.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr
from sqlalchemy import Engine, select

from dunmore.access import service as access
from dunmore.access.models import AUDIT_LOG
from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service
from dunmore.run.models import NOTICES, RUNS
from dunmore.settings import DeliverySettings, Settings, WebSettings
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from tests.web.conftest import NOW, SECRET, csrf_of, make_app, sign_in
from tests.web.run_ledger import TODAY, fill_run_ledger

DEFAULTS = Path(__file__).parents[2] / "src" / "dunmore" / "delivery" / "templates" / "default"


@pytest.fixture
def runs_ledger(engine: Engine) -> Engine:
    fill_run_ledger(engine)
    return engine


@pytest.fixture
def web(runs_ledger: Engine) -> Iterator[TestClient]:
    with TestClient(make_app(runs_ledger), base_url="http://testserver") as client:
        yield client


def _committed(engine: Engine) -> int:
    with transaction(engine) as conn:
        return (
            service.commit(conn, as_of=TODAY, today=TODAY, now=NOW, actor="test", templates_dir=None).run_id
            or 0
        )


def _notice_of(engine: Engine, customer: str, step: str) -> int:
    n, c = NOTICES.c, CUSTOMERS.c
    query = (
        select(n.id).join(CUSTOMERS, c.id == n.customer_id).where(c.external_id == customer, n.step == step)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _status(engine: Engine, notice_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(NOTICES.c.status).where(NOTICES.c.id == notice_id)).scalar_one())


def _audit(engine: Engine, actor: str) -> list[tuple[str, str, dict[str, object]]]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.action, a.object, a.after).where(a.actor == actor).order_by(a.id))
        return [(row.action, row.object, json.loads(row.after or "null")) for row in rows]


def _post(client: TestClient, path: str, page: str, **form: str) -> Response:
    return client.post(
        path, data={"csrf_token": csrf_of(client.get(page).text), **form}, follow_redirects=False
    )


def test_a_manager_proposes_commits_approves_rejects_with_a_reason_and_reopens(
    web: TestClient, runs_ledger: Engine
) -> None:
    sign_in(web, "tom")  # an English-speaking manager
    proposal = web.get("/runs", params={"as_of": "2026-03-16"}).text
    assert "Proposal for Mar 16, 2026" in proposal
    steps = re.findall(r'<span class="mono">([a-z-]+)</span>', proposal)
    assert steps == ["first-overdue", "second-overdue", "legal-review"]  # one row per step and currency
    assert "¥1,400,000.00" in proposal  # legal review of E001 (¥500,000) and W001 (¥900,000)
    assert proposal.count('class="badge wait"') == 3  # the legal-review row, and its 2 customers listed
    with runs_ledger.connect() as conn:
        assert conn.execute(select(RUNS.c.id)).first() is None  # proposing wrote nothing

    committed = _post(web, "/runs", "/runs", as_of="2026-03-16")
    assert committed.status_code == 303
    run_id = int(committed.headers["location"].split("/")[2].split("?")[0])
    page = web.get(f"/runs/{run_id}?done=committed").text
    assert "The run is committed." in page
    assert "Approve the waiting notices (2)" in page
    assert len(re.findall(r'<tr id="n\d+">', page)) == 4

    west, east = (
        _notice_of(runs_ledger, "W001", "legal-review"),
        _notice_of(runs_ledger, "E001", "legal-review"),
    )
    empty = _post(web, f"/runs/{run_id}/notices/{west}/reject", f"/runs/{run_id}", reason="  ")
    assert empty.status_code == 400
    assert (
        f"notice {west} was not rejected: a rejection needs a reason, e.g. `dunmore reject {west}"
        in empty.text
    )
    assert _status(runs_ledger, west) == "pending_approval"

    reason = "W001 pays through its parent company"
    rejected = _post(web, f"/runs/{run_id}/notices/{west}/reject", f"/runs/{run_id}", reason=reason)
    assert rejected.status_code == 303
    assert reason in web.get(rejected.headers["location"]).text

    approved = _post(web, f"/runs/{run_id}/approve", f"/runs/{run_id}")
    assert approved.headers["location"] == f"/runs/{run_id}?done=approved&count=1"
    assert "Notices approved: 1." in web.get(approved.headers["location"]).text
    assert (_status(runs_ledger, east), _status(runs_ledger, west)) == ("approved", "rejected")
    with runs_ledger.connect() as conn:
        channels = conn.execute(select(DELIVERIES.c.channel).where(DELIVERIES.c.notice_id == east)).scalars()
        assert list(channels) == ["task"]  # the approved legal review is queued

    reopened = _post(web, f"/runs/{run_id}/notices/{west}/reopen", f"/runs/{run_id}")
    assert reopened.status_code == 303
    assert "Rejected, reopened" in web.get(f"/runs/{run_id}").text

    assert _audit(runs_ledger, "tom") == [
        ("auth.sign_in", "user:tom", {"address": "testclient"}),
        ("run.commit", f"run:{run_id}", {"as_of": "2026-03-16", "levels": 4, "notices": 4,
                                         "pending_approval": 2, "policy_version": 1, "reminders": 0}),
        ("notice.reject", f"notice:{west}", {"by": "tom", "customer": "W001", "reason": reason, "run": run_id,
                                             "status": "rejected", "step": "legal-review"}),
        ("notice.approve", f"notice:{east}", {"by": "tom", "customer": "E001", "run": run_id,
                                              "status": "approved", "step": "legal-review"}),
        ("notice.reopen", f"notice:{west}", {"by": "tom", "customer": "W001", "rejections_lifted": 1,
                                             "reopened": True, "run": run_id, "status": "rejected",
                                             "step": "legal-review"}),
    ]  # fmt: skip


def test_a_run_date_beyond_the_allowed_days_ahead_is_refused_in_the_readers_language(web: TestClient) -> None:
    sign_in(web, "boss")  # zh-CN
    page = web.get("/runs", params={"as_of": "2026-03-20"}).text
    assert "2026-03-20" in page
    assert "run.max_days_ahead" in page
    assert "请检查日期" in page  # the run service's own sentence, as the command line says it


def test_the_template_gate_refuses_a_commit_made_through_the_web(runs_ledger: Engine, tmp_path: Path) -> None:
    (tmp_path / "overdue-1").mkdir()
    source = (DEFAULTS / "overdue-1" / "zh-CN.jinja").read_text(encoding="utf-8")
    threat = source.replace("{% block text %}", "{% block text %}如不还款将通知您的家人和单位。", 1)
    (tmp_path / "overdue-1" / "zh-CN.jinja").write_text(threat, encoding="utf-8")
    settings = Settings(
        web=WebSettings(secret_key=SecretStr(SECRET)), delivery=DeliverySettings(templates_dir=tmp_path)
    )
    with TestClient(create_app(runs_ledger, settings, clock=lambda: NOW)) as client:
        sign_in(client, "tom")
        refused = _post(client, "/runs", "/runs", as_of="2026-03-16")
        assert refused.status_code == 400
        assert "the run was not committed: its templates have 1 problem(s), the first:" in refused.text
        assert "overdue-1/zh-CN.jinja" in refused.text
        with runs_ledger.connect() as conn:
            assert conn.execute(select(RUNS.c.id)).first() is None
        shutil.rmtree(tmp_path / "overdue-1")
        assert _post(client, "/runs", "/runs", as_of="2026-03-16").status_code == 303


def test_a_collector_reads_their_portfolios_notices_and_may_not_decide(
    web: TestClient, runs_ledger: Engine
) -> None:
    run_id = _committed(runs_ledger)
    west, east = (
        _notice_of(runs_ledger, "W001", "legal-review"),
        _notice_of(runs_ledger, "E001", "legal-review"),
    )
    sign_in(web, "ann")  # collector of portfolio east
    page = web.get(f"/runs/{run_id}").text
    assert sorted(set(re.findall(r'href="/customers/(\w+)"', page))) == ["E001", "E002"]
    assert "西部能源" not in page
    assert "/approve" not in page
    assert "/reject" not in page
    assert web.get(f"/runs/{run_id}/notices/{east}").status_code == 200
    assert web.get(f"/runs/{run_id}/notices/{west}").status_code == 404
    assert web.get(f"/runs/{run_id}/notices/{west}/email").status_code == 404
    assert _post(web, f"/runs/{run_id}/approve", f"/runs/{run_id}").status_code == 403
    assert (
        _post(web, f"/runs/{run_id}/notices/{east}/reject", f"/runs/{run_id}", reason="no").status_code == 403
    )
    assert _status(runs_ledger, east) == "pending_approval"
    assert "Propose a run" not in web.get("/runs").text


def test_a_notice_shows_its_email_in_a_sandboxed_frame_under_its_own_strict_policy(
    web: TestClient, runs_ledger: Engine
) -> None:
    run_id = _committed(runs_ledger)
    notice = _notice_of(runs_ledger, "E002", "first-overdue")  # e-mail and SMS
    sign_in(web, "tom")
    page = web.get(f"/runs/{run_id}/notices/{notice}")
    assert f'<iframe class="email-frame" sandbox src="/runs/{run_id}/notices/{notice}/email"' in page.text
    assert "In the customer's language: 简体中文." in page.text
    assert re.search(r'<p class="sms">[^<]*华东物流股份有限公司', page.text)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    email = web.get(f"/runs/{run_id}/notices/{notice}/email")
    assert email.headers["content-security-policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert "frame-ancestors 'self'" in email.headers["content-security-policy"]
    assert email.headers["x-frame-options"] == "SAMEORIGIN"
    assert "华东物流股份有限公司" in email.text
    assert web.get(f"/runs/{run_id + 1}/notices/{notice}").status_code == 404  # not a notice of that run


def test_the_dashboard_links_todays_run_and_counts_what_waits_for_approval(
    web: TestClient, runs_ledger: Engine
) -> None:
    sign_in(web, "tom")
    assert "Propose today's run" in web.get("/").text
    run_id = _committed(runs_ledger)
    html = web.get("/").text
    assert "Today's run" in html
    assert f'<a href="/runs/{run_id}?status=pending_approval#notices">2</a>' in html


# --- the API -------------------------------------------------------------------------------------


def _token(engine: Engine, login: str) -> dict[str, str]:
    with transaction(engine) as conn:
        secret = access.create_token(conn, login=login, name="erp", actor="test", at=NOW).secret
    return {"Authorization": f"Bearer {secret}"}


def test_the_api_commits_a_run_pages_its_notices_approves_rejects_and_reopens(
    web: TestClient, runs_ledger: Engine
) -> None:
    boss = _token(runs_ledger, "boss")
    assert (
        web.post("/api/v1/runs", json={"as_of": "2026-03-20"}, headers=boss).json()["code"]
        == "run_date_ahead"
    )
    created = web.post("/api/v1/runs", json={"as_of": "2026-03-16"}, headers=boss)
    assert created.status_code == 201
    run = created.json()
    assert (run["as_of"], run["notices"], run["pending"]) == ("2026-03-16", 4, 2)
    assert web.get("/api/v1/runs", headers=boss).json()["rows"] == [run]

    first = web.get(f"/api/v1/runs/{run['id']}", params={"limit": 3}, headers=boss).json()
    rest = web.get(f"/api/v1/runs/{run['id']}", params={"after": first["next"]}, headers=boss).json()
    assert len(first["notices"]) == 3
    assert rest["next"] is None
    ids = [n["id"] for n in first["notices"] + rest["notices"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert {(s["step"], s["currency"], s["pending"]) for s in first["steps"]} >= {("legal-review", "CNY", 2)}

    west, east = (
        _notice_of(runs_ledger, "W001", "legal-review"),
        _notice_of(runs_ledger, "E001", "legal-review"),
    )
    assert web.post(f"/api/v1/notices/{west}/reject", json={"reason": ""}, headers=boss).status_code == 422
    assert (
        web.post(f"/api/v1/notices/{west}/reject", json={"reason": "x" * 501}, headers=boss).status_code
        == 422
    )
    rejected = web.post(f"/api/v1/notices/{west}/reject", json={"reason": "paid via parent"}, headers=boss)
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "paid via parent")
    assert web.post(f"/api/v1/runs/{run['id']}/approve", headers=boss).json() == {
        "run_id": run["id"],
        "approved": 1,
    }
    assert _status(runs_ledger, east) == "approved"
    again = web.post(f"/api/v1/notices/{west}/reject", json={"reason": "again"}, headers=boss)
    assert (again.status_code, again.json()["code"]) == (400, "notice_not_pending")
    reopened = web.post(f"/api/v1/notices/{west}/reopen", headers=boss).json()
    assert (reopened["notice"]["reopened"], reopened["rejections_lifted"]) == (True, 1)
    actions = [action for action, _, _ in _audit(runs_ledger, "boss")]
    assert actions == ["run.commit", "notice.reject", "notice.approve", "notice.reopen"]


def test_the_api_keeps_a_collector_to_reading_their_portfolio(web: TestClient, runs_ledger: Engine) -> None:
    run_id = _committed(runs_ledger)
    west, east = (
        _notice_of(runs_ledger, "W001", "legal-review"),
        _notice_of(runs_ledger, "E001", "legal-review"),
    )
    ann = _token(runs_ledger, "ann")
    detail = web.get(f"/api/v1/runs/{run_id}", headers=ann).json()
    assert {n["customer"] for n in detail["notices"]} == {"E001", "E002"}
    assert detail["run"]["pending"] == 1
    assert web.post(f"/api/v1/runs/{run_id}/approve", headers=ann).status_code == 403
    assert web.post("/api/v1/runs", json={"as_of": "2026-03-16"}, headers=ann).status_code == 403
    assert web.post(f"/api/v1/notices/{east}/reject", json={"reason": "no"}, headers=ann).status_code == 403
    assert web.post(f"/api/v1/notices/{west}/reopen", headers=ann).status_code == 403
    assert web.get(f"/api/v1/runs/{run_id + 1}", headers=ann).status_code == 404


def test_every_run_endpoint_refuses_an_anonymous_request(web: TestClient) -> None:
    calls = [("GET", "/api/v1/runs"), ("GET", "/api/v1/runs/1"), ("POST", "/api/v1/runs"),
             ("POST", "/api/v1/runs/1/approve"), ("POST", "/api/v1/notices/1/reject"),
             ("POST", "/api/v1/notices/1/reopen")]  # fmt: skip
    for method, path in calls:
        answer = web.request(method, path, json={"as_of": "2026-03-16", "reason": "x"})
        assert answer.status_code == 401, path
        assert answer.json()["detail"].startswith("send an API token")
