"""The guards in front of every route, walked from `app.routes` so that routes added later are held to
them without being listed: every API endpoint refuses a request without a valid bearer token (none,
unknown, revoked, a disabled user's, another scheme) with 401; every page sends a signed-out reader
to the sign-in page; every unsafe page request without the session's CSRF token is refused (403).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access import service
from tests.web.conftest import NOW, csrf_of, sign_in
from tests.web.routes import PATH_VALUES, PUBLIC, Endpoint, endpoints


def _path(endpoint: Endpoint) -> str:
    return endpoint.filled({name: PATH_VALUES.get(name, "1") for name in endpoint.parameters})


def _api(client: TestClient) -> list[Endpoint]:
    found = [e for e in endpoints(client.app) if e.is_api]  # type: ignore[arg-type]
    assert len(found) >= 4, "the API's routes were not found in app.routes"
    return found


def _pages(client: TestClient) -> list[Endpoint]:
    found = [e for e in endpoints(client.app) if not e.is_api]  # type: ignore[arg-type]
    assert ("GET", "/customers/{code}") in {(e.method, e.path) for e in found}
    return found


def _assert_refused(client: TestClient, endpoint: Endpoint, headers: dict[str, str], why: str) -> None:
    answer = client.request(endpoint.method, _path(endpoint), headers=headers)
    assert answer.status_code == 401, f"{endpoint.method} {endpoint.path} {why}: {answer.status_code}"
    assert answer.headers["www-authenticate"] == "Bearer", (endpoint, why)
    assert "dunmore users token" in answer.json()["detail"], (endpoint, why)


def test_every_api_endpoint_refuses_a_request_without_a_valid_token(
    client: TestClient, ledger: Engine
) -> None:
    with ledger.begin() as conn:
        revoked = service.create_token(conn, login="boss", name="old", actor="t", at=NOW).secret
        service.revoke_token(conn, login="boss", name="old", actor="t", at=NOW)
        disabled = service.create_token(conn, login="tom", name="erp", actor="t", at=NOW).secret
        service.disable_user(conn, login="tom", actor="t", at=NOW)
        valid = service.create_token(conn, login="boss", name="erp", actor="t", at=NOW).secret
    refused = {
        "with no Authorization header": {},
        "with an unknown token": {"Authorization": "Bearer dm_this-token-was-never-made"},
        "with a revoked token": {"Authorization": f"Bearer {revoked}"},
        "with a disabled user's token": {"Authorization": f"Bearer {disabled}"},
        "with a valid token in another scheme": {"Authorization": f"Basic {valid}"},
        "with an empty bearer token": {"Authorization": "Bearer "},
    }
    for endpoint in _api(client):
        for why, headers in refused.items():
            _assert_refused(client, endpoint, headers, why)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200


def test_every_page_sends_a_signed_out_reader_to_sign_in(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)  # a session with a CSRF token: the sign-in check is next
    guarded = [e for e in _pages(client) if (e.method, e.path) not in PUBLIC]
    assert any(e.method == "POST" for e in guarded)
    for endpoint in guarded:
        path = _path(endpoint)
        answer = client.request(
            endpoint.method, path, headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert answer.status_code == 303, f"{endpoint.method} {endpoint.path}: {answer.status_code}"
        location = answer.headers["location"]
        assert location.startswith("/sign-in"), f"{endpoint.method} {endpoint.path} → {location}"
        if endpoint.method == "GET":
            assert client.get(location).status_code == 200  # and back where it was after signing in
            assert location == "/sign-in?next=" + path, location


def test_every_unsafe_page_request_without_the_csrf_token_is_refused(client: TestClient) -> None:
    unsafe = [e for e in _pages(client) if e.method not in {"GET", "HEAD", "OPTIONS"}]
    assert ("POST", "/sign-in") in {(e.method, e.path) for e in unsafe}
    sign_in(client, "boss")
    for endpoint in unsafe:
        for why, headers in (("no token", {}), ("a wrong token", {"X-CSRF-Token": "not-the-sessions"})):
            answer = client.request(endpoint.method, _path(endpoint), headers=headers, follow_redirects=False)
            assert answer.status_code == 403, (
                f"{endpoint.method} {endpoint.path} with {why}: {answer.status_code}"
            )
    assert client.get("/customers").status_code == 200  # still signed in: the refusals changed nothing


def test_every_page_answers_a_number_beyond_any_id_without_a_server_error(client: TestClient) -> None:
    """An id larger than the database's integers is refused as input (400) or not found (404): it
    never reaches SQL, where it would fail (PostgreSQL: integer out of range; SQLite: past 64 bits)."""
    sign_in(client, "boss")
    token = csrf_of(client.get("/").text)
    beyond = str(2**64)
    walked = 0
    for endpoint in _pages(client):
        for name in endpoint.parameters:
            values = {other: PATH_VALUES.get(other, "1") for other in endpoint.parameters} | {name: beyond}
            answer = client.request(endpoint.method, endpoint.filled(values), headers={"X-CSRF-Token": token},
                                    follow_redirects=False)  # fmt: skip
            assert answer.status_code in {400, 404}, (
                f"{endpoint.method} {endpoint.path} ({name}): {answer.status_code}"
            )
            walked += 1
    assert walked >= 5
