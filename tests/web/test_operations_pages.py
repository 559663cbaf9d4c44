"""Deliveries, policy versions and the audit log, through the pages and the API.

The story: on 2026-03-16 the manager `boss` loads a policy whose fee and minimum forget USD and
commits the run at 10:00 Shanghai time; the worker (through the outbox's own claim and mark services)
sends E001's e-mail, the SMS gateway reports E001's text delivered, E002's mailbox refuses for good and
W001's CNY e-mail runs out of attempts. A collector of portfolio `east` sees only E001 and E002; the
manager retries the dead letters, audited; the audit log is read, filtered and verified.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from dunmore.access import audit
from dunmore.access import service as access
from dunmore.access.models import AUDIT_LOG
from dunmore.access.values import Role, User
from dunmore.delivery import browse, outbox
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service as runs
from dunmore.run.models import NOTICES
from dunmore.store.db import transaction
from tests.web.conftest import NOW, PASSWORD, fill_ledger, make_app, sign_in

AS_OF = date(2026, 3, 16)
Ids = dict[tuple[str, str, str], int]  # (customer code, currency, channel) → delivery id
Day = tuple[TestClient, Ids, Engine]
POLICY = """\
policies:
  p:
    minimum_overdue: {CNY: "100.00"}
    levels:
      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}
      - {name: second-overdue, at: 30, channels: [email, sms], template: overdue-2, fee: {CNY: "50.00"}}
routes: [{policy: p}]
"""


def deliveries_of(engine: Engine) -> Ids:
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    query = (
        select(c.external_id, n.currency, d.channel, d.id)
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
    )
    with engine.connect() as conn:
        return {(code, currency, channel): id for code, currency, channel, id in conn.execute(query)}


def outbox_day(engine: Engine, folder: Path) -> Ids:
    """The run of 2026-03-16 and what the worker made of its first deliveries by 10:05."""
    fill_ledger(engine)
    policy = folder / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    with transaction(engine) as conn:
        runs.load_policy(conn, policy, now=NOW, actor="boss")
        access.add_user(conn, login="vic", role=Role.VIEWER, password=PASSWORD, actor="test", at=NOW)
    with transaction(engine, snapshot=True) as conn:
        runs.commit(
            conn, as_of=AS_OF, today=AS_OF, now=NOW, actor="boss", templates_dir=None, gate_templates=False
        )
    ids = deliveries_of(engine)
    later = NOW + timedelta(minutes=5)
    with transaction(engine) as conn:
        claimed = {
            c.id: c for c in outbox.claim(conn, now=later, worker="w", lease=timedelta(minutes=5), limit=100)
        }
        sent = outbox.Sent(
            "ar@e001.example", "zh-CN", "<dunmore.delivery.1@example.com>", b"mail", "250 2.0.0 OK"
        )
        outbox.mark_sent(conn, claimed[ids["E001", "CNY", "email"]], sent, now=later)
        text = outbox.Sent("+8613800138000", "zh-CN", "dunmore-2", b"sms", "accepted", provider_id="SM-77")
        outbox.mark_sent(conn, claimed[ids["E001", "CNY", "sms"]], text, now=later)
        outbox.record_status(conn, "SM-77", "delivered", "handset reached", now=later)
        refused = "550 5.1.1 mailbox unavailable: correct the debtor's email address"
        outbox.mark_error(conn, claimed[ids["E002", "CNY", "email"]], refused, transient=False, now=later,
                          max_attempts=1, retry=timedelta(minutes=1))  # fmt: skip
        outbox.mark_error(conn, claimed[ids["W001", "CNY", "email"]], "451 4.3.2 try later", transient=True,
                          now=later, max_attempts=1, retry=timedelta(minutes=1))  # fmt: skip
        for delivery_id, claim in claimed.items():
            if delivery_id not in (ids["E001", "CNY", "email"], ids["E001", "CNY", "sms"],
                                   ids["E002", "CNY", "email"], ids["W001", "CNY", "email"]):  # fmt: skip
                outbox.defer(conn, claim, until=later + timedelta(hours=1), reason="contact_window",
                             detail="outside the contact window", now=later)  # fmt: skip
    return ids


@pytest.fixture
def day(
    engine: Engine, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[tuple[str, str, str], int], Engine]]:
    ids = outbox_day(engine, tmp_path)
    with TestClient(make_app(engine)) as client:
        yield client, ids, engine


def _listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num mono"><a href="/deliveries/(\d+)"', html)]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_manager_sees_every_delivery_newest_first_with_status_and_masked_recipient(day: Day) -> None:
    client, ids, _ = day
    sign_in(client, "boss")
    html = client.get("/deliveries").text
    assert _listed(html) == sorted(ids.values(), reverse=True)
    assert "a•••@e001.example" in html  # masked in the list
    assert "ar@e001.example" not in html
    assert "+861••••••8000" in html
    assert "已送达" in html  # the gateway's "delivered", in the reader's language
    assert "550 5.1.1 mailbox unavailable" in html


def test_filters_by_status_channel_and_customer(day: Day) -> None:
    client, ids, _ = day
    sign_in(client, "boss")
    dead_letters = [ids["W001", "CNY", "email"], ids["E002", "CNY", "email"]]
    assert _listed(client.get("/deliveries", params={"status": "dead_letters"}).text) == dead_letters
    assert _listed(client.get("/deliveries", params={"status": "failed"}).text) == [
        ids["E002", "CNY", "email"]
    ]
    assert _listed(client.get("/deliveries", params={"status": "delivered"}).text) == [
        ids["E001", "CNY", "sms"]
    ]
    sms = client.get("/deliveries", params={"channel": "sms"}).text
    assert set(_listed(sms)) == {delivery for key, delivery in ids.items() if key[2] == "sms"}
    assert set(_listed(client.get("/deliveries", params={"customer": "E001"}).text)) == {
        ids["E001", "CNY", "email"],
        ids["E001", "CNY", "sms"],
    }
    assert client.get("/deliveries", params={"channel": "pigeon"}).status_code == 400
    assert client.get("/deliveries", params={"status": "lost"}).status_code == 400


def test_the_list_pages_by_keyset_in_the_database(day: Day) -> None:
    client, ids, engine = day
    sign_in(client, "boss")
    boss = _user(engine, "boss")
    with engine.connect() as conn:
        first = browse.list_deliveries(conn, user=boss, limit=2)
        second = browse.list_deliveries(conn, user=boss, after=first.next_cursor, limit=2)
        rest = browse.list_deliveries(conn, user=boss, after=second.next_cursor, limit=200)
    walked = [r.id for page in (first, second, rest) for r in page.rows]
    assert walked == sorted(ids.values(), reverse=True)
    assert rest.next_cursor is None
    html = client.get("/deliveries", params={"after": first.next_cursor}).text
    assert _listed(html) == walked[2:]


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return access.get_user(conn, login=login)


def test_a_collector_sees_only_their_portfolios_deliveries_and_404_for_the_others(day: Day) -> None:
    client, ids, _ = day
    sign_in(client, "ann")
    east = {delivery for (code, _c, _ch), delivery in ids.items() if code.startswith("E")}
    html = client.get("/deliveries").text
    assert set(_listed(html)) == east
    assert "W001" not in html
    assert client.get(f"/deliveries/{ids['W001', 'CNY', 'email']}").status_code == 404
    assert client.get(f"/deliveries/{ids['E002', 'CNY', 'email']}").status_code == 200
    assert _listed(client.get("/deliveries", params={"customer": "W001"}).text) == []


def test_the_delivery_page_shows_its_proof_and_status_history(day: Day) -> None:
    client, ids, _ = day
    sign_in(client, "tom")  # a manager who reads English
    html = client.get(f"/deliveries/{ids['E001', 'CNY', 'sms']}").text
    assert "+8613800138000" in html  # in full on the proof
    assert "SM-77" in html
    assert "handset reached" in html
    assert "Taken by a worker" in html
    assert "Gateway status" in html


def test_a_collector_may_read_but_not_retry(day: Day) -> None:
    client, ids, engine = day
    sign_in(client, "ann")
    html = client.get("/deliveries").text
    assert 'name="id"' not in html  # no tick boxes
    dead = ids["E002", "CNY", "email"]
    answer = client.post("/deliveries/retry", data={"id": str(dead), "csrf_token": _csrf(html)})
    assert answer.status_code == 403
    with engine.connect() as conn:
        assert (
            conn.execute(select(DELIVERIES.c.status).where(DELIVERIES.c.id == dead)).scalar_one() == "failed"
        )


def test_the_manager_retries_one_dead_letter_audited_in_their_name(day: Day) -> None:
    client, ids, engine = day
    sign_in(client, "boss")
    dead = ids["E002", "CNY", "email"]
    html = client.get("/deliveries", params={"status": "dead_letters"}).text
    answer = client.post(
        "/deliveries/retry", data={"id": str(dead), "csrf_token": _csrf(html)}, follow_redirects=True
    )
    assert answer.status_code == 200
    assert "1 份已重新排队" in answer.text
    with engine.connect() as conn:
        status = conn.execute(select(DELIVERIES.c.status).where(DELIVERIES.c.id == dead)).scalar_one()
        [row] = audit.list_rows(conn, action="delivery.retry")
        outcomes = conn.execute(
            select(DELIVERY_EVENTS.c.outcome)
            .where(DELIVERY_EVENTS.c.delivery_id == dead)
            .order_by(DELIVERY_EVENTS.c.id)
        ).scalars()
        assert list(outcomes) == ["claimed", "permanent", "retried"]
    assert status == "pending"
    assert (row.actor, row.object) == ("boss", "outbox")
    assert f'"deliveries":"{dead}"' in (row.after or "")
    # A delivery that is not a dead letter is refused whole; one outside the list is not found.
    sent = ids["E001", "CNY", "email"]
    assert (
        client.post("/deliveries/retry", data={"id": str(sent), "csrf_token": _csrf(html)}).status_code == 400
    )
    assert (
        client.post("/deliveries/retry", data={"id": "999999", "csrf_token": _csrf(html)}).status_code == 404
    )
    assert client.post("/deliveries/retry", data={"id": str(dead)}).status_code == 403  # no CSRF token


def test_retry_every_dead_letter_of_a_filter_leaves_the_others(day: Day) -> None:
    client, ids, engine = day
    sign_in(client, "boss")
    html = client.get("/deliveries", params={"status": "dead_letters", "customer": "W001"}).text
    answer = client.post(
        "/deliveries/retry",
        data={"every": "true", "status": "dead_letters", "customer": "W001", "csrf_token": _csrf(html)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/deliveries?status=dead_letters&customer=W001&retried=1"
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(DELIVERIES.c.id, DELIVERIES.c.status)).all())
        [row] = audit.list_rows(conn, action="delivery.retry")
    assert statuses[ids["W001", "CNY", "email"]] == "pending"
    assert statuses[ids["E002", "CNY", "email"]] == "failed"  # another customer: outside the filter
    assert row.before == '{"statuses":{"dead":1}}'


def test_a_collector_may_not_retry_a_whole_filter_either(day: Day) -> None:
    client, _, engine = day
    sign_in(client, "ann")
    html = client.get("/deliveries", params={"status": "dead_letters"}).text
    assert 'name="every"' not in html
    answer = client.post(
        "/deliveries/retry", data={"every": "true", "status": "dead_letters", "csrf_token": _csrf(html)}
    )
    assert answer.status_code == 403
    with engine.connect() as conn:
        assert audit.list_rows(conn, action="delivery.retry") == []
        assert set(conn.execute(select(DELIVERIES.c.status)).scalars()) >= {"failed", "dead"}


def test_the_policy_pages_show_the_yaml_escaped_and_the_checks_in_the_readers_language(day: Day) -> None:
    client, _, _ = day
    sign_in(client, "ann")  # collectors read policies
    listing = client.get("/policies").text
    assert 'href="/policies/1"' in listing
    html = client.get("/policies/1").text
    assert "{CNY: &#34;100.00&#34;}" in html or "{CNY: &quot;100.00&quot;}" in html
    assert '<pre class="source" id="yaml">policies:' in html
    assert "策略 p：最低逾期金额未列出 USD" in html  # the currency gap against the ledger, in zh-CN
    assert "second-overdue" in html
    sign_in(client, "tom")
    html = client.get("/policies/1").text
    assert "its fee lists no USD, which the ledger has" in html
    assert client.get("/policies/7").status_code == 404


def test_the_audit_page_filters_pages_and_verifies_and_refuses_a_collector(day: Day) -> None:
    client, _, engine = day
    sign_in(client, "ann")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/verify").status_code == 403
    assert 'href="/audit"' not in client.get("/").text  # no link where the role may not go
    sign_in(client, "boss")
    assert 'href="/audit"' in client.get("/").text
    html = client.get("/audit", params={"object": "policy:1"}).text
    assert html.count('<tr class="top">') == 1
    assert "policy.load" in html
    assert "&#34;version&#34;:1" in html
    assert (
        client.get("/audit", params={"actor": "boss", "action": "run.commit"}).text.count('<tr class="top">')
        == 1
    )
    verdict = client.get("/audit/verify", headers={"HX-Request": "true"}).text
    assert verdict.lstrip().startswith('<p class="notice ok" id="verdict"')
    with engine.begin() as conn:
        conn.execute(update(AUDIT_LOG).where(AUDIT_LOG.c.id == 2).values(actor="mallory"))
    broken = client.get("/audit/verify").text
    assert "审计链在第 2 行断开" in broken


def test_the_audit_log_pages_back_by_keyset(day: Day) -> None:
    _client, _, engine = day
    boss = _user(engine, "boss")
    with engine.connect() as conn:
        total = audit.verify(conn).rows
        first = audit.browse(conn, user=boss, limit=2)
        rest = audit.browse(conn, user=boss, before_id=first.next_cursor, limit=200)
    assert [r.id for r in first.rows + rest.rows] == list(range(total, 0, -1))
    assert rest.next_cursor is None


def test_an_audit_filter_with_a_nul_character_is_refused_before_any_query(day: Day) -> None:
    """PostgreSQL compares no text holding NUL: the filter is refused as the API documents (400),
    on both databases alike, where PostgreSQL answered 500 (found by schemathesis)."""
    client, _, engine = day
    with engine.begin() as conn:
        boss = access.create_token(conn, login="boss", name="t", actor="test", at=NOW).secret
    answer = client.get(
        "/api/v1/audit", params={"action": "run\x00"}, headers={"Authorization": f"Bearer {boss}"}
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_argument"
    assert "400" in client.get("/openapi.json").json()["paths"]["/api/v1/audit"]["get"]["responses"]


def test_a_nul_character_in_any_url_or_body_is_refused_before_a_route_reads_it(day: Day) -> None:
    """Found by schemathesis on PostgreSQL (`/api/v1/customers?portfolio=%00` and a contact's note
    holding one answered 500): every API operation and page refuses a NUL in its path, query or
    body, and the API documents the 400."""
    client, _, engine = day
    with engine.begin() as conn:
        token = access.create_token(conn, login="boss", name="t", actor="test", at=NOW).secret
    bearer = {"Authorization": f"Bearer {token}"}
    for path, params in (
        ("/api/v1/customers", {"portfolio": "\x00"}),
        ("/api/v1/customers", {"q\x00": "x"}),
        ("/api/v1/customers/C%001", {}),
    ):
        answer = client.get(path, params=params, headers=bearer)
        assert (answer.status_code, answer.json()["code"]) == (400, "bad_argument"), path
    assert client.get("/api/v1/customers", params={"portfolio": "\x00"}).status_code == 401  # no token first
    documented = client.get("/openapi.json").json()["paths"]
    assert all("400" in operation["responses"] for path in documented.values() for operation in path.values())
    note = {"kind": "note", "note": "paid\x00"}
    answer = client.post("/api/v1/customers/E002/activities", json=note, headers=bearer)
    assert (answer.status_code, answer.json()["code"]) == (400, "bad_argument")
    assert "NUL" in answer.json()["detail"]
    broken = {"content-type": "application/json"} | bearer
    answer = client.post("/api/v1/customers/E002/activities", content=b'{"note": "\\u0000', headers=broken)
    assert answer.status_code == 422, answer.text  # not JSON: refused as the route refuses any broken body
    clean = client.post("/api/v1/customers/E002/activities", json=note | {"note": "paid"}, headers=bearer)
    assert clean.status_code == 201, clean.text
    sign_in(client, "boss")
    assert client.get("/customers", params={"portfolio": "\x00"}).status_code == 400


def test_the_api_lists_retries_and_refuses(day: Day) -> None:
    client, ids, engine = day
    with engine.begin() as conn:
        boss = access.create_token(conn, login="boss", name="t", actor="test", at=NOW).secret
        ann = access.create_token(conn, login="ann", name="t", actor="test", at=NOW).secret
    as_boss = {"Authorization": f"Bearer {boss}"}
    as_ann = {"Authorization": f"Bearer {ann}"}
    for path in ("/api/v1/deliveries", "/api/v1/policies", "/api/v1/policies/1", "/api/v1/audit"):
        assert client.get(path).status_code == 401
    assert client.post(f"/api/v1/deliveries/{ids['E002', 'CNY', 'email']}/retry").status_code == 401

    page = client.get(
        "/api/v1/deliveries", params={"status": "dead_letters", "limit": 1}, headers=as_boss
    ).json()
    assert [r["id"] for r in page["rows"]] == [ids["W001", "CNY", "email"]]
    rest = client.get(
        "/api/v1/deliveries", params={"status": "dead_letters", "after": page["next"]}, headers=as_boss
    )
    assert [r["id"] for r in rest.json()["rows"]] == [ids["E002", "CNY", "email"]]
    assert client.get("/api/v1/deliveries", params={"limit": 201}, headers=as_boss).status_code == 422

    west = ids["W001", "CNY", "email"]
    assert client.post(f"/api/v1/deliveries/{west}/retry", headers=as_ann).status_code == 403
    shown = client.get("/api/v1/deliveries", headers=as_ann).json()["rows"]
    assert {r["customer"] for r in shown} == {"E001", "E002"}
    assert client.get(f"/api/v1/deliveries/{west}", headers=as_ann).status_code == 404
    assert client.post(f"/api/v1/deliveries/{west}/retry", headers=as_boss).json() == {"retried": 1}
    assert client.post(f"/api/v1/deliveries/{west}/retry", headers=as_boss).status_code == 400  # now pending

    detail = client.get("/api/v1/policies/1", headers=as_ann).json()
    assert detail["valid"] is True
    assert {(g["step"], g["currency"]) for g in detail["currency_gaps"]} == {
        (None, "USD"),
        ("second-overdue", "USD"),
    }
    assert client.get("/api/v1/audit", headers=as_ann).status_code == 403
    rows = client.get("/api/v1/audit", params={"action": "delivery.retry"}, headers=as_boss).json()["rows"]
    assert [(r["actor"], r["object"]) for r in rows] == [("boss", "outbox")]
