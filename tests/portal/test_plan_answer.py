"""The customer is told the answer to the plan they asked for in the portal, on SQLite and PostgreSQL.

On 2026-03-16 E002 asks in the portal for 3 monthly instalments from 2026-03-26; the manager accepts
it: an e-mail in the customer's language (zh-CN) with the schedule is queued to the contact on file
(the outbox the codes use, which the worker sends). Another request the manager refuses:
the customer is told an account manager will call, never the manager's reason. A third the manager
counters with 4 instalments from 2026-04-01 (also from the command line): the customer is told the
other schedule. A plan the collector made himself is told to nobody.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from typer.testing import CliRunner

from dunmore.access import audit
from dunmore.access.service import get_user
from dunmore.cli.app import app
from dunmore.errors import PlanRefused
from dunmore.portal import answers, codes, links, service
from dunmore.portal.links import Access
from dunmore.store.db import transaction
from dunmore.web.app import create_app
from dunmore.workspace import plans
from dunmore.workspace.mail_models import ALERT_MAILS
from tests.web.conftest import csrf_of, fill_ledger, settings, sign_in

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
TODAY = NOW.date()
SETTINGS = settings()


def _ask(conn: Connection, access: Access) -> int:
    key = links.signing_key(conn, SETTINGS)
    assert key is not None
    codes.send_code(conn, access=access, key=key, now=NOW)
    body = conn.execute(select(ALERT_MAILS.c.body).order_by(ALERT_MAILS.c.id.desc()).limit(1)).scalar_one()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    verdict = codes.verify(conn, access=access, key=key, code=found.group(1), now=NOW)
    assert verdict.code_id is not None
    return service.ask_plan(
        conn,
        access=access,
        code_id=verdict.code_id,
        instalments=3,
        first=TODAY + timedelta(days=10),
        currency="CNY",
        country="CN",
        now=NOW,
        today=TODAY,
    )


def _answers(conn: Connection) -> list[tuple[str, str, str, str]]:
    m = ALERT_MAILS.c
    rows = conn.execute(
        select(m.key, m.address, m.subject, m.body).where(m.key.like("plan-answer:%")).order_by(m.id)
    )
    return [tuple(row) for row in rows]


def test_an_accepted_and_a_refused_request_are_told_to_the_customer(engine: Engine) -> None:
    fill_ledger(engine)
    with transaction(engine) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW, days=14)
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)
        asked = _ask(conn, access)
    with transaction(engine) as conn:
        boss = get_user(conn, login="boss")
        plans.activate(conn, user=boss, plan_id=asked, now=NOW + timedelta(hours=2))
    with transaction(engine) as conn:
        [(key, address, subject, body)] = _answers(conn)
    assert (key, address, subject) == (f"plan-answer:{asked}", "ar@e002.example", "您的分期付款计划已获同意")
    assert "3 期" in body
    assert "2026-03-26" in body  # the first instalment's day

    with transaction(engine) as conn:
        plans.cancel(conn, user=boss, plan_id=asked, reason="customer paid", now=NOW + timedelta(days=1))
        assert len(_answers(conn)) == 1  # an active plan cancelled is not an answer to a request
        again = _ask(conn, access)
    with transaction(engine) as conn:
        plans.cancel(
            conn, user=boss, plan_id=again, reason="too long for this grade", now=NOW + timedelta(days=1)
        )
    with transaction(engine) as conn:
        answers = _answers(conn)
        told = [row.after for row in audit.list_rows(conn) if row.action == "portal.answer"]
    assert [key for key, *_ in answers] == [f"plan-answer:{asked}", f"plan-answer:{again}"]
    assert "客户经理会致电" in answers[1][3]
    assert "grade" not in answers[1][3]
    assert len(told) == 2


def test_a_plan_the_collector_made_is_told_to_nobody(engine: Engine) -> None:
    fill_ledger(engine)
    with transaction(engine) as conn:
        boss = get_user(conn, login="boss")
        made = plans.add(
            conn,
            user=boss,
            customer="E002",
            today=TODAY,
            now=NOW,
            country="CN",
            instalments=2,
            first=TODAY + timedelta(days=5),
            currency="CNY",
            proposed=True,
        )
        plans.activate(conn, user=boss, plan_id=made.id, now=NOW)
        assert _answers(conn) == []


def test_a_countered_request_tells_the_customer_the_other_schedule(engine: Engine) -> None:
    """The manager counters E002's request of 3 instalments with 4 from 2026-04-01: the request is
    cancelled, the counter-proposal proposed, and one e-mail says the new schedule (not "refused")."""
    fill_ledger(engine)
    with transaction(engine) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW, days=14)
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)
        asked = _ask(conn, access)
    with transaction(engine) as conn:
        boss = get_user(conn, login="boss")
        offered = answers.counter_plan(
            conn,
            user=boss,
            plan_id=asked,
            instalments=4,
            first=date(2026, 4, 1),
            country="CN",
            now=NOW + timedelta(hours=1),
            today=TODAY,
        )
    with transaction(engine) as conn:
        assert plans.get(conn, user=boss, plan_id=asked).status == "cancelled"
        assert (offered.status, len(offered.instalments), offered.created_by) == ("proposed", 4, "boss")
        [(key, _address, _subject, body)] = _answers(conn)
    assert key == f"plan-answer:{asked}"
    assert "4 期" in body
    assert "2026-04-01" in body
    with transaction(engine) as conn, pytest.raises(PlanRefused):
        answers.counter_plan(
            conn,
            user=boss,
            plan_id=offered.id,
            instalments=2,
            first=TODAY,
            country="CN",
            now=NOW,
            today=TODAY,
        )  # the collector's own plan is no request to counter
    with transaction(engine) as conn:
        plans.activate(conn, user=boss, plan_id=offered.id, now=NOW + timedelta(days=1))
        assert len(_answers(conn)) == 1  # the customer agreed: nothing more to tell


def test_plan_counter_from_the_command_line(sqlite_engine: Engine) -> None:
    fill_ledger(sqlite_engine)
    with transaction(sqlite_engine) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW, days=14)
        asked = _ask(conn, links.open_link(conn, settings=SETTINGS, token=token, now=NOW))
    env = {"DUNMORE_TIMEZONE": "Asia/Shanghai", "DUNMORE_LANGUAGE": "en"}
    args = ["--db", str(sqlite_engine.url), "plan", "counter", str(asked), "--instalments", "4"]
    result = CliRunner().invoke(app, [*args, "--first", "2026-04-01", "--as-of", "2026-03-16"], env=env)
    assert result.exit_code == 0, result.output
    assert f"plan {asked} countered with plan" in result.output
    again = CliRunner().invoke(app, [*args, "--first", "2026-04-01", "--as-of", "2026-03-16"], env=env)
    assert again.exit_code != 0


def test_the_collector_accepts_counters_and_refuses_requests_on_the_web(sqlite_engine: Engine) -> None:
    """E002 asks three times in the portal; collector ann (zh-CN) answers each on the customer's plans
    section: refuses the first, counters the second with 4 instalments from 2026-04-01 (then drops
    her counter-proposal, which the customer did not take), accepts the third. Each answer is told to
    the customer and audited as ann's; a post without the CSRF token and a counter of her own plan
    are refused."""
    fill_ledger(sqlite_engine)
    with transaction(sqlite_engine) as conn:
        token = links.make_token(conn, settings=SETTINGS, customer="E002", now=NOW, days=14)
        access = links.open_link(conn, settings=SETTINGS, token=token, now=NOW)

    def ask() -> int:
        with transaction(sqlite_engine) as conn:
            return _ask(conn, access)

    with TestClient(create_app(sqlite_engine, SETTINGS, clock=lambda: NOW)) as client:
        sign_in(client, "ann")
        csrf = csrf_of(client.get("/").text)

        def post(path: str, **form: str) -> int:
            data = {"csrf_token": csrf} | form
            return client.post(path, data=data, follow_redirects=False).status_code

        refused = ask()
        section = client.get("/customers/E002/plans").text
        assert f'action="/plans/{refused}/counter"' in section
        for word in ("接受", "另提方案", "拒绝"):
            assert word in section
        assert client.post(f"/plans/{refused}/activate", data={}).status_code == 403  # cross-site
        assert post(f"/plans/{refused}/cancel", reason="no") == 303
        countered = ask()
        assert post(f"/plans/{countered}/counter", instalments="4", first="2026-04-01") == 303
        with transaction(sqlite_engine) as conn:
            ann = get_user(conn, login="ann")
            [offered] = [
                p for p in plans.customer_plans(conn, user=ann, customer="E002") if p.created_by == "ann"
            ]
        assert f'action="/plans/{offered.id}/counter"' not in client.get("/customers/E002/plans").text
        again = client.post(
            f"/plans/{offered.id}/counter",
            data={"csrf_token": csrf, "instalments": "2", "first": "2026-04-01"},
        )
        assert again.status_code == 400  # her own plan is no request to counter: the reason, in zh-CN
        assert "不能" in again.text
        assert post(f"/plans/{offered.id}/cancel", reason="the customer did not agree") == 303
        accepted = ask()
        assert post(f"/plans/{accepted}/activate") == 303
    with transaction(sqlite_engine) as conn:
        status = {p: plans.get(conn, user=ann, plan_id=p).status for p in (refused, countered, accepted)}
        told = [(key, body) for key, _address, _subject, body in _answers(conn)]
        rows = [(row.action, row.object) for row in audit.list_rows(conn) if row.actor == "ann"]
    assert status == {refused: "cancelled", countered: "cancelled", accepted: "active"}
    assert [(len(offered.instalments), offered.status, offered.instalments[0].due_on)] == [
        (4, "proposed", date(2026, 4, 1))
    ]
    assert [key for key, _ in told] == [f"plan-answer:{p}" for p in (refused, countered, accepted)]
    assert "2026-04-01" in told[1][1]
    assert ("plan.cancel", f"plan:{refused}") in rows
    assert ("plan.add", f"plan:{offered.id}") in rows
    assert ("plan.activate", f"plan:{accepted}") in rows
