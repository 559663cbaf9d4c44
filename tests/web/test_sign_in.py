"""Signing in and out: sessions in signed cookies, CSRF on every form, throttling, audit rows,
security headers, and the secret key the app will not start without."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from dunmore.access import audit
from dunmore.access.sign_in import Throttle
from dunmore.errors import ConfigError
from dunmore.settings import Settings, WebSettings
from dunmore.store.meta import mark_demo
from dunmore.web.app import create_app
from dunmore.web.auth import DEMO_SECRET_FACT, secret_key
from tests.web.conftest import NOW, PASSWORD, SECRET, csrf_of, make_app, settings, sign_in


def _actions(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = audit.list_rows(conn, limit=50)
    return [(r.actor, r.action, r.object) for r in reversed(rows) if r.action.startswith("auth.")]


def test_a_page_asked_for_without_signing_in_leads_to_the_sign_in_page(client: TestClient) -> None:
    answer = client.get("/customers", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/customers"


def test_signing_in_opens_the_dashboard_and_is_audited(client: TestClient, ledger: Engine) -> None:
    answer = sign_in(client, "Boss")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert "概览" in client.get("/").text
    assert _actions(ledger) == [("boss", "auth.sign_in", "user:boss")]


def test_a_wrong_password_is_refused_and_audited_as_anonymous(client: TestClient, ledger: Engine) -> None:
    answer = sign_in(client, "boss", "not the password")
    assert answer.status_code == 401
    assert "账号或密码错误" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _actions(ledger) == [("anonymous", "auth.sign_in_failed", "user:boss")]


def test_signing_out_ends_the_session(client: TestClient, ledger: Engine) -> None:
    sign_in(client, "boss")
    token = csrf_of(client.get("/").text)
    answer = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _actions(ledger)[-1] == ("boss", "auth.sign_out", "user:boss")


def test_an_old_session_cookie_replayed_after_sign_in_is_a_new_session(client: TestClient) -> None:
    before = client.get("/sign-in")
    anonymous_token = csrf_of(before.text)
    sign_in(client, "boss")
    assert csrf_of(client.get("/").text) != anonymous_token  # no fixation of the anonymous session


def test_a_form_without_the_sessions_csrf_token_is_refused(client: TestClient, ledger: Engine) -> None:
    client.get("/sign-in")
    answer = client.post("/sign-in", data={"login": "boss", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    sign_in(client, "boss")
    forged = client.post("/sign-out", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in
    assert _actions(ledger) == [("boss", "auth.sign_in", "user:boss")]


def test_the_csrf_token_may_come_as_a_header(client: TestClient) -> None:
    sign_in(client, "boss")
    token = csrf_of(client.get("/").text)
    answer = client.post("/sign-out", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert answer.status_code == 303


def test_sign_in_is_refused_unchecked_after_five_failures_for_one_login(
    client: TestClient, ledger: Engine
) -> None:
    for _ in range(5):
        assert sign_in(client, "boss", "wrong password").status_code == 401
    answer = sign_in(client, "boss")  # the right password, too late
    assert answer.status_code == 429
    assert "15 分钟" in answer.text
    assert sign_in(client, "ann").status_code == 303  # another login from the same address may
    failed = [a for a in _actions(ledger) if a[1] == "auth.sign_in_failed"]
    assert len(failed) == 6


def test_the_throttle_counts_per_login_and_per_address_within_its_window() -> None:
    throttle = Throttle(window=timedelta(minutes=15), per_login=2, per_address=3)
    throttle.failed(login="a", address="1.1.1.1", now=NOW)
    throttle.failed(login="a", address="1.1.1.1", now=NOW + timedelta(minutes=1))
    assert throttle.wait(login="a", address="2.2.2.2", now=NOW + timedelta(minutes=2)) == timedelta(
        minutes=13
    )
    assert throttle.wait(login="a", address="2.2.2.2", now=NOW + timedelta(minutes=15)) is None
    throttle.failed(login="b", address="1.1.1.1", now=NOW + timedelta(minutes=2))
    assert throttle.wait(login="c", address="1.1.1.1", now=NOW + timedelta(minutes=3)) == timedelta(
        minutes=12
    )
    assert throttle.wait(login="c", address="9.9.9.9", now=NOW + timedelta(minutes=3)) is None


def test_a_success_clears_the_logins_failures() -> None:
    throttle = Throttle(per_login=2)
    throttle.failed(login="a", address="x", now=NOW)
    throttle.succeeded(login="a")
    throttle.failed(login="a", address="x", now=NOW)
    assert throttle.wait(login="a", address="y", now=NOW) is None


def test_the_session_cookie_is_signed_http_only_and_same_site(client: TestClient) -> None:
    cookie = sign_in(client, "boss").headers["set-cookie"]
    assert cookie.startswith("dunmore_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_the_session_cookie_is_secure_when_served_over_https(ledger: Engine) -> None:
    app = create_app(ledger, settings(https_only=True), clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as https:
        assert "secure" in https.get("/sign-in").headers["set-cookie"].lower()


def test_a_session_cookie_not_signed_with_the_key_signs_no_one_in(ledger: Engine) -> None:
    import base64
    import json

    from itsdangerous import TimestampSigner

    payload = base64.b64encode(json.dumps({"login": "boss"}).encode())
    forged = TimestampSigner("another key of at least thirty-two characters").sign(payload).decode()
    with TestClient(make_app(ledger), cookies={"dunmore_session": forged}) as stranger:
        assert stranger.get("/", follow_redirects=False).status_code == 303
    genuine = TimestampSigner(SECRET).sign(payload).decode()
    with TestClient(make_app(ledger), cookies={"dunmore_session": genuine}) as insider:
        assert insider.get("/", follow_redirects=False).status_code == 200  # the same cookie, signed


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/sign-in", "/static/app.css", "/no-such-page", "/api/v1/me"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path


def test_the_pages_hold_no_inline_script(client: TestClient) -> None:
    sign_in(client, "boss")
    for path in ("/", "/customers", "/customers/E001", "/api/docs"):
        html = client.get(path).text
        for inline in ("<script>", "onclick", " style="):
            assert inline not in html, (path, inline)


def test_sign_in_goes_back_only_to_a_page_of_this_site(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    for target, where in (
        ("/customers", "/customers"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ):
        client.cookies.clear()
        token = csrf_of(client.get("/sign-in").text)
        data = {"login": "boss", "password": PASSWORD, "csrf_token": token, "next": target}
        assert client.post("/sign-in", data=data, follow_redirects=False).headers["location"] == where


def test_the_app_will_not_start_without_a_secret_key_outside_the_demo(ledger: Engine) -> None:
    with pytest.raises(ConfigError, match="DUNMORE_WEB__SECRET_KEY"):
        create_app(ledger, Settings(), clock=lambda: NOW)


def test_a_short_secret_key_is_refused(ledger: Engine) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        secret_key(ledger, Settings(web=WebSettings(secret_key=SecretStr("short"))))


def test_the_demo_database_makes_its_secret_key_once_and_keeps_it(ledger: Engine) -> None:
    with ledger.begin() as conn:
        mark_demo(conn)
    first = secret_key(ledger, Settings())
    assert len(first) >= 32
    assert secret_key(ledger, Settings()) == first
    with ledger.connect() as conn:
        from dunmore.store.meta import read_fact

        assert read_fact(conn, DEMO_SECRET_FACT) == first


def test_a_disabled_user_is_signed_out_at_the_next_request(client: TestClient, ledger: Engine) -> None:
    from dunmore.access.service import disable_user

    sign_in(client, "boss")
    with ledger.begin() as conn:
        disable_user(conn, login="boss", actor="test", at=NOW)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_make_app_is_what_the_tests_use(ledger: Engine) -> None:
    assert make_app(ledger).title == "Dunmore"


def test_a_missing_page_is_said_in_the_readers_language(client: TestClient) -> None:
    answer = client.get("/no-such-page", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert answer.status_code == 404
    assert "找不到" in answer.text
    assert client.get("/api/v1/no-such-route").json() == {"detail": "Not Found"}


def test_a_malformed_page_request_is_a_page_not_a_traceback(client: TestClient) -> None:
    sign_in(client, "tom")  # reads English
    answer = client.get("/customers", params={"q": "x" * 500})
    assert answer.status_code == 400
    assert "could not be understood" in answer.text


def test_sign_in_returns_to_the_page_asked_for_with_its_query(client: TestClient) -> None:
    answer = client.get("/customers?q=%E7%89%A9%E6%B5%81&after=x", follow_redirects=False)
    assert (
        answer.headers["location"]
        == "/sign-in?next=/customers%3Fq%3D%25E7%2589%25A9%25E6%25B5%2581%26after%3Dx"
    )
    page = client.get(answer.headers["location"]).text
    assert 'name="next" value="/customers?q=%E7%89%A9%E6%B5%81&amp;after=x"' in page
