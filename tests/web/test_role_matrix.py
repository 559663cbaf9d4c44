"""The role matrix at the web's edge: for each role of `ROLES` (dunmore.access.permissions), one
request per permission that has a route today, through the API (bearer token) and the pages (signed
in): allowed where the role has the permission, refused (403) where it has not; and the scoping —
each role reaches exactly its customers, and a customer outside its reach is 404, never 403.

`tests/access/test_permissions.py` holds `ROLES` to the table of issue 11 cell by cell; this file holds
the routes to `ROLES`. A permission without a route yet is in `SERVICE_ONLY`.

ADDING A ROUTE: add one `Line` to `MATRIX` (the test below fails for any route of `app.routes` that has
none), and take its permission out of `SERVICE_ONLY` if it was there. A line that changes something
acts on an object of its own in the demo ledger (tests/web/live.py), or does what may be done again
(approving a run with nothing left to approve), so that no line depends on the order of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from dunmore.access.permissions import ROLES, Permission, Scope
from dunmore.access.values import Role
from dunmore.web.app import create_app
from tests.web import disputes_matrix
from tests.web.conftest import csrf_of, sign_in
from tests.web.conftest import settings as web_settings
from tests.web.live import LOGINS, NOW, Demo, demo_ledger
from tests.web.routes import PUBLIC, endpoints


def succeeded(answer: Response) -> bool:
    return 200 <= answer.status_code < 400


def forbidden(answer: Response) -> bool:
    if answer.headers.get("content-type", "").startswith("application/json"):
        return answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    return answer.status_code == 403


def _field_shown(name: str) -> Callable[[Response], bool]:
    return lambda answer: answer.status_code == 200 and answer.json()[name] is not None


def _field_withheld(name: str) -> Callable[[Response], bool]:
    return lambda answer: answer.status_code == 200 and answer.json()[name] is None


def _none(demo: Demo) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Line:
    """One request that a permission governs (None: any signed-in user may make it)."""

    permission: Permission | None
    method: str
    path: str  # as in app.routes; `{code}` is a customer within the role's reach, the others come from `at`
    allowed: Callable[[Response], bool] = succeeded
    refused: Callable[[Response], bool] = forbidden
    body: dict[str, Any] = field(default_factory=dict)  # JSON for the API, form fields for a page
    at: Callable[[Demo], dict[str, Any]] = _none  # the demo's objects: path parameters and more fields

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def _run(demo: Demo) -> dict[str, Any]:
    return {"run_id": demo.run}


def _notice(demo: Demo) -> dict[str, Any]:
    return {"run_id": demo.notice_run, "notice_id": demo.notice}


REASON = {"reason": "the customer pays through its parent"}
TODAY = {"as_of": "2026-03-16"}  # a second run of the day: allowed, and allowed again
ASSIGN_DRY = {"rules": "rules:\n  - portfolio: east\n    grade: [A]\n", "dry_run": True}
# moves nobody (no customer is in `nowhere`), so that the other lines keep their customers
MOVE_NOBODY = {"to": "west", "from_portfolio": "nowhere"}
# the viewer works no portfolio and owns no customer: handing over changes nothing, again and again
HAND_OVER = {"from_user": LOGINS[Role.VIEWER], "to_user": LOGINS[Role.COLLECTOR]}

DISPUTE_LINES = disputes_matrix.lines(Line)

PROMISE = {"amount": "1.00", "by": "2026-03-20", "currency": "CNY"}
NO_PROMISE = {"promise_id": 999_999}  # past the permission, the promise is not found


def past_the_gate(answer: Response) -> bool:
    return answer.status_code == 404


PLAYBOOK_ANSWER = {"text": "Ask on which date the payment will be made."}

PROMISE_LINES = [
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}/promises"),
    Line(Permission.CUSTOMER_ACT, "POST", "/api/v1/customers/{code}/promises", body=PROMISE),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/api/v1/promises/{promise_id}/cancel",
        past_the_gate,
        body=REASON,
        at=lambda demo: dict(NO_PROMISE),
    ),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/promises"),
    Line(Permission.LEDGER_READ, "GET", "/promises"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/promises"),
    Line(Permission.CUSTOMER_ACT, "POST", "/customers/{code}/promises", body=PROMISE),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/promises/{promise_id}/cancel",
        past_the_gate,
        body=REASON,
        at=lambda demo: dict(NO_PROMISE),
    ),
]

PLAN = {"instalments": 2, "first": "2026-04-15", "currency": "CNY"}

NO_PLAN = {"plan_id": 999_999}  # past the permission, the plan is not found

PAGE_PLAN = {"instalments": "2", "first": "2026-04-15", "currency": "CNY"}


def found_or_gone(answer: Response) -> bool:
    """Allowed, and the plan the line names exists only when the role could agree one."""
    return succeeded(answer) or answer.status_code == 404


# In order: the API agrees plan 1 and cancels it, so that the page may agree plan 2 over the same
# invoices and cancel it.
PLAN_LINES = [
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}/plans"),
    Line(Permission.CUSTOMER_ACT, "POST", "/api/v1/customers/{code}/plans", body=PLAN),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/api/v1/plans/{plan_id}/cancel",
        body=REASON,
        at=lambda demo: {"plan_id": 1},
    ),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/plans"),
    Line(Permission.LEDGER_READ, "GET", "/plans"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/plans"),
    Line(Permission.CUSTOMER_ACT, "POST", "/customers/{code}/plans", body=PAGE_PLAN),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/plans/{plan_id}/cancel",
        found_or_gone,
        body=REASON,
        at=lambda demo: {"plan_id": 2},
    ),
    # no such plan: past the permission, there is no request to accept or counter
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/plans/{plan_id}/activate",
        past_the_gate,
        at=lambda demo: dict(NO_PLAN),
    ),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/plans/{plan_id}/counter",
        past_the_gate,
        body={"instalments": "2", "first": "2026-04-15"},
        at=lambda demo: dict(NO_PLAN),
    ),
    # no plan of the demo waits for its waivers: past the permission, there is nothing to decide
    *(
        Line(
            Permission.RUN_APPROVE,
            "POST",
            f"{prefix}/plans/{{plan_id}}/{verb}",
            past_the_gate,
            at=lambda demo: dict(NO_PLAN),
        )
        for prefix in ("/api/v1", "")
        for verb in ("approve", "reject")
    ),
]

# C000003 is in portfolio east (the collector's) and owned by the sales user: every role reaches it.
CREDIT_CHECK = {"customer": "C000003", "amount": "1.00", "currency": "CNY"}
CREDIT_LINES = [
    Line(Permission.LEDGER_READ, "POST", "/api/v1/credit-checks", body=CREDIT_CHECK),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}/grade"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/grade"),
    Line(Permission.LEDGER_READ, "GET", "/credit-check"),
    Line(Permission.LEDGER_READ, "POST", "/credit-check", body=CREDIT_CHECK),
    # no customer of the demo is on credit hold: past the permission, there is nothing to release
    Line(Permission.CREDIT_MANAGE, "POST", "/customers/{code}/credit-release", past_the_gate, body=REASON),
    # an expiry in the past: past the permission, the override is refused and nothing changes
    Line(
        Permission.CREDIT_MANAGE,
        "POST",
        "/customers/{code}/grade-override",
        lambda answer: answer.status_code == 400,
        body={"grade": "B", "until": "2020-01-01", "reason": "guarantee"},
    ),
]

NO_CONTRACT = {"number": "NO-SUCH-CONTRACT"}  # past the permission, the contract is not found
NO_API_CONTRACT = {"contract": "NO-SUCH-CONTRACT"}
SAYS = {"title": "Press", "signed_on": "2026-03-02", "amount": "100.00", "currency": "CNY", "terms": "net 30"}
NEW_CONTRACT = SAYS | {"customer": "NO-SUCH-CUSTOMER", "number": "NK-1"}  # past the permission: not found
CONTRACT_LINES = [
    Line(Permission.LEDGER_READ, "GET", "/contracts"),
    Line(
        Permission.LEDGER_READ, "GET", "/contracts/{number}", past_the_gate, at=lambda demo: dict(NO_CONTRACT)
    ),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/contracts/{number}/approve",
        past_the_gate,
        at=lambda demo: dict(NO_CONTRACT),
    ),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/contracts/{number}/events",
        past_the_gate,
        body={"event": "delivery", "on": "2026-03-16"},
        at=lambda demo: dict(NO_CONTRACT),
    ),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/contracts/{number}/files",
        past_the_gate,
        at=lambda demo: dict(NO_CONTRACT),
    ),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/contracts/{number}/files/{file_id}",
        past_the_gate,
        at=lambda demo: dict(NO_CONTRACT) | {"file_id": 1},
    ),
    Line(Permission.CONTRACT_MANAGE, "POST", "/contracts", past_the_gate, body=NEW_CONTRACT),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/contracts/{number}/versions",
        past_the_gate,
        body=SAYS,
        at=lambda demo: dict(NO_CONTRACT),
    ),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/contracts"),
    Line(Permission.CONTRACT_MANAGE, "POST", "/api/v1/contracts", past_the_gate, body=NEW_CONTRACT),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/api/v1/contracts/{contract}/versions",
        past_the_gate,
        body=SAYS,
        at=lambda demo: dict(NO_API_CONTRACT),
    ),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/api/v1/contracts/{contract}",
        past_the_gate,
        at=lambda demo: dict(NO_API_CONTRACT),
    ),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/api/v1/contracts/{contract}/approve",
        past_the_gate,
        at=lambda demo: dict(NO_API_CONTRACT),
    ),
    Line(
        Permission.CONTRACT_MANAGE,
        "POST",
        "/api/v1/contracts/{contract}/events",
        past_the_gate,
        body={"event": "delivery", "on": "2026-03-16"},
        at=lambda demo: dict(NO_API_CONTRACT),
    ),
]

NO_APPLICATION = {"number": 999_999}  # past the permission, the application is not found
# a negative-news signal on C000003 (every role reaches it): alerts, no hold; may be recorded again
SIGNAL = {"customer": "C000003", "kind": "negative-news", "on": "2026-03-16", "note": "press report"}
# past the permission, the customer is not found: drafts nothing, so every role may try again
NO_CUSTOMER_APPLICATION = {"customer": "C999999", "limit": "1.00", "terms": "net 30"}
ADMISSION_LINES = [
    Line(Permission.LEDGER_READ, "GET", "/api/v1/credit-applications"),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/api/v1/credit-applications",
        past_the_gate,
        body=NO_CUSTOMER_APPLICATION,
    ),
    Line(Permission.CUSTOMER_ACT, "POST", "/api/v1/credit-signals", body=SIGNAL),
    Line(Permission.LEDGER_READ, "GET", "/credit-applications"),
    Line(Permission.CUSTOMER_ACT, "GET", "/credit-applications/new"),
    Line(
        Permission.CUSTOMER_ACT, "POST", "/credit-applications", past_the_gate, body=NO_CUSTOMER_APPLICATION
    ),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/credit-applications/{number}",
        past_the_gate,
        at=lambda demo: dict(NO_APPLICATION),
    ),
    Line(
        Permission.CREDIT_MANAGE,
        "POST",
        "/credit-applications/{number}/approve",
        past_the_gate,
        at=lambda demo: dict(NO_APPLICATION),
    ),
    Line(
        Permission.CREDIT_MANAGE,
        "POST",
        "/api/v1/credit-applications/{application}/decision",
        past_the_gate,
        body={"decision": "reject"} | REASON,
        at=lambda demo: {"application": 999_999},
    ),
    Line(
        Permission.CREDIT_MANAGE,
        "POST",
        "/credit-applications/{number}/reject",
        past_the_gate,
        body=REASON,
        at=lambda demo: dict(NO_APPLICATION),
    ),
]

NO_STATEMENT = {"statement_id": 999_999}  # past the permission, the statement is not found
STATEMENT_LINES = [
    Line(Permission.LEDGER_READ, "GET", "/api/v1/statements"),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/api/v1/statements/{statement_id}",
        past_the_gate,
        at=lambda demo: dict(NO_STATEMENT),
    ),
    Line(Permission.LEDGER_READ, "GET", "/statements"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/statements"),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/statements/{statement_id}/pdf",
        past_the_gate,
        at=lambda demo: dict(NO_STATEMENT),
    ),
]

MATRIX = [
    Line(None, "GET", "/api/v1/me"),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers"),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}"),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/dashboard"),
    # The dashboard is every reader's; its run and delivery counts are shown only to who may read them.
    Line(
        Permission.RUN_READ,
        "GET",
        "/api/v1/dashboard",
        _field_shown("pending_approvals"),
        _field_withheld("pending_approvals"),
    ),
    Line(
        Permission.DELIVERY_READ,
        "GET",
        "/api/v1/dashboard",
        _field_shown("deliveries_failed"),
        _field_withheld("deliveries_failed"),
    ),
    Line(Permission.RUN_READ, "GET", "/api/v1/runs"),
    Line(Permission.RUN_READ, "GET", "/api/v1/runs/{run_id}", at=_run),
    Line(Permission.RUN_PROPOSE, "POST", "/api/v1/runs", body=TODAY),
    Line(Permission.RUN_APPROVE, "POST", "/api/v1/runs/{run_id}/approve", at=_run),
    Line(
        Permission.NOTICE_REJECT,
        "POST",
        "/api/v1/notices/{notice_id}/reject",
        body=REASON,
        at=lambda demo: {"notice_id": demo.pending[0]},
    ),
    Line(
        Permission.NOTICE_REJECT,
        "POST",
        "/api/v1/notices/{notice_id}/reopen",
        at=lambda demo: {"notice_id": demo.rejected[0]},
    ),
    Line(Permission.DELIVERY_READ, "GET", "/api/v1/deliveries"),
    Line(
        Permission.DELIVERY_READ,
        "GET",
        "/api/v1/deliveries/{delivery_id}",
        at=lambda demo: {"delivery_id": demo.dead_letters[0]},
    ),
    Line(
        Permission.DELIVERY_RETRY,
        "POST",
        "/api/v1/deliveries/{delivery_id}/retry",
        at=lambda demo: {"delivery_id": demo.dead_letters[0]},
    ),
    Line(Permission.POLICY_READ, "GET", "/api/v1/policies"),
    Line(Permission.POLICY_READ, "GET", "/api/v1/policies/{version}", at=lambda demo: {"version": 1}),
    Line(Permission.AUDIT_READ, "GET", "/api/v1/audit"),
    Line(Permission.LEDGER_READ, "GET", "/"),
    Line(Permission.LEDGER_READ, "GET", "/customers"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}"),
    Line(Permission.RUN_READ, "GET", "/runs"),
    Line(Permission.RUN_READ, "GET", "/runs/{run_id}", at=_run),
    Line(Permission.RUN_READ, "GET", "/runs/{run_id}/notices/{notice_id}", at=_notice),
    Line(Permission.RUN_READ, "GET", "/runs/{run_id}/notices/{notice_id}/email", at=_notice),
    Line(Permission.RUN_READ, "GET", "/runs/{run_id}/notices/{notice_id}/letter.pdf", at=_notice),
    Line(Permission.RUN_PROPOSE, "POST", "/runs", body=TODAY),
    Line(Permission.RUN_APPROVE, "POST", "/runs/{run_id}/approve", at=_run),
    Line(
        Permission.NOTICE_REJECT,
        "POST",
        "/runs/{run_id}/notices/{notice_id}/reject",
        body=REASON,
        at=lambda demo: {"run_id": demo.earlier_run, "notice_id": demo.pending[1]},
    ),
    Line(
        Permission.NOTICE_REJECT,
        "POST",
        "/runs/{run_id}/notices/{notice_id}/reopen",
        at=lambda demo: {"run_id": demo.earlier_run, "notice_id": demo.rejected[1]},
    ),
    Line(Permission.DELIVERY_READ, "GET", "/deliveries"),
    Line(
        Permission.DELIVERY_READ,
        "GET",
        "/deliveries/{delivery_id}",
        at=lambda demo: {"delivery_id": demo.dead_letters[1]},
    ),
    Line(
        Permission.DELIVERY_RETRY, "POST", "/deliveries/retry", at=lambda demo: {"id": [demo.dead_letters[1]]}
    ),
    Line(Permission.POLICY_READ, "GET", "/policies"),
    Line(Permission.POLICY_READ, "GET", "/policies/{version}", at=lambda demo: {"version": 1}),
    Line(Permission.AUDIT_READ, "GET", "/audit"),
    Line(Permission.AUDIT_READ, "GET", "/audit/verify"),
    *DISPUTE_LINES,
    # The customer's story (dunmore.workspace): contacts, the timeline, the codes. The demo ledger holds
    # no evidence file: a role that may read reaches the lookup (404), one that may not is refused.
    Line(Permission.CUSTOMER_ACT, "POST", "/api/v1/customers/{code}/activities", body={"kind": "note"}),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}/activities"),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/customers/{code}/timeline"),
    Line(None, "GET", "/api/v1/codes"),
    Line(
        Permission.SETTINGS_MANAGE,
        "POST",
        "/api/v1/codes",
        body={"kind": "reason", "code": "matrix", "zh_cn": "甲", "zh_tw": "甲", "en": "A"},
    ),
    Line(Permission.CUSTOMER_ACT, "POST", "/customers/{code}/activities", body={"kind": "note"}),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/timeline.csv"),
    Line(Permission.LEDGER_READ, "GET", "/customers/{code}/timeline.pdf"),
    Line(
        Permission.LEDGER_READ,
        "GET",
        "/customers/{code}/attachments/{attachment_id}",
        lambda answer: answer.status_code == 404,
        at=lambda demo: {"attachment_id": 1},
    ),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/worklist"),
    Line(Permission.LEDGER_READ, "GET", "/worklist"),
    Line(
        Permission.CUSTOMER_ACT,
        "POST",
        "/worklist/tasks/{task_id}/done",
        body={"outcome": "reached"},
        at=lambda demo: {"task_id": demo.task},
    ),
    Line(None, "POST", "/language", body={"language": "en", "next": "/"}),
    Line(None, "POST", "/sign-out"),
    Line(Permission.PORTFOLIO_MANAGE, "GET", "/api/v1/portfolios"),
    Line(Permission.PORTFOLIO_MANAGE, "POST", "/api/v1/portfolios/assign", body=ASSIGN_DRY),
    Line(Permission.PORTFOLIO_MANAGE, "POST", "/api/v1/portfolios/move", body=MOVE_NOBODY),
    Line(Permission.PORTFOLIO_MANAGE, "POST", "/api/v1/portfolios/reassign", body=HAND_OVER),
    *PROMISE_LINES,
    *PLAN_LINES,
    *CREDIT_LINES,
    *CONTRACT_LINES,
    *ADMISSION_LINES,
    *STATEMENT_LINES,
    Line(Permission.ALERT_READ, "GET", "/api/v1/alerts"),
    Line(Permission.ALERT_READ, "POST", "/api/v1/alerts/read", body={"ids": [1]}),
    Line(Permission.ALERT_READ, "GET", "/alerts"),
    Line(Permission.ALERT_READ, "POST", "/alerts/read", body={"every": "true"}),
    Line(None, "GET", "/alerts/badge"),  # in every signed-in page's nav: empty without ALERT_READ
    Line(None, "GET", "/calendar"),  # each user's own agenda
    Line(None, "POST", "/calendar/token"),
    Line(Permission.LEDGER_READ, "GET", "/playbook"),
    Line(Permission.LEDGER_READ, "GET", "/api/v1/playbook"),
    Line(
        Permission.PLAYBOOK_EDIT,
        "PUT",
        "/api/v1/playbook/{reason}/{language}",
        body=PLAYBOOK_ANSWER,
        at=lambda demo: {"reason": "forgot", "language": "en"},
    ),
    Line(
        Permission.PLAYBOOK_EDIT,
        "DELETE",
        "/api/v1/playbook/{reason}/{language}",
        at=lambda demo: {"reason": "forgot", "language": "zh-TW"},
    ),
    Line(
        Permission.PLAYBOOK_EDIT,
        "POST",
        "/playbook/{reason}/{language}",
        body=PLAYBOOK_ANSWER,  # the same answer, again and again
        at=lambda demo: {"reason": "forgot", "language": "en"},
    ),
]
# Permissions no route exercises yet: tests/access/test_permissions.py walks them through `require`.
SERVICE_ONLY = {
    Permission.LEDGER_IMPORT,
    Permission.HOLD_SET,
    Permission.RUN_REVERT,
    Permission.POLICY_LOAD,
    Permission.USERS_MANAGE,
}


@pytest.fixture
def demo(sqlite_engine: Engine) -> Demo:
    return demo_ledger(sqlite_engine)


@pytest.fixture
def client(sqlite_engine: Engine, demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_engine, web_settings(), clock=lambda: NOW)) as test_client:
        yield test_client


def _reach(demo: Demo, role: Role) -> list[str]:
    """The customers a role reaches, as the demo ledger was built (not as the code computes it)."""
    scope = ROLES[role].scope
    return {Scope.ALL: demo.east + demo.west, Scope.PORTFOLIOS: demo.east, Scope.OWNED: demo.owned}[scope]


def _ask(client: TestClient, demo: Demo, role: Role, line: Line) -> Response:
    objects = line.at(demo)
    path = line.path.replace("{code}", _reach(demo, role)[0])
    for name in [name for name in objects if f"{{{name}}}" in path]:
        path = path.replace(f"{{{name}}}", str(objects.pop(name)))
    if line.api:
        return client.request(line.method, path, headers=demo.auth(role), json=line.body or None)
    sign_in(client, LOGINS[role])  # afresh for each line: a line may sign out
    if line.method == "GET":
        return client.get(path, follow_redirects=False)
    fields = line.body | objects | {"csrf_token": csrf_of(client.get("/").text)}
    return client.request(line.method, path, data=fields, follow_redirects=False)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_what_its_permissions_allow_and_is_refused_the_rest(
    client: TestClient, demo: Demo, role: Role
) -> None:
    wrong = []
    for line in MATRIX:
        answer = _ask(client, demo, role, line)
        may = line.permission is None or line.permission in ROLES[role].permissions
        if not (line.allowed(answer) if may else line.refused(answer)):
            wrong.append(f"{line.method} {line.path} ({line.permission}): {answer.status_code}, expected "
                         f"{'allowed' if may else 'refused'}")  # fmt: skip
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_every_route_and_every_permission_has_its_line(client: TestClient) -> None:
    lined = {(line.method, line.path) for line in MATRIX}
    routes = {(e.method, e.path) for e in endpoints(client.app)}  # type: ignore[arg-type]
    missing = sorted(routes - lined - set(PUBLIC))
    assert not missing, f"routes without a line in MATRIX of {__file__}: {missing}"
    assert not lined - routes, f"lines of MATRIX for routes that do not exist: {sorted(lined - routes)}"
    on_the_web = {line.permission for line in MATRIX} - {None}
    assert not on_the_web & SERVICE_ONLY, (
        f"on the web now, take out of SERVICE_ONLY: {on_the_web & SERVICE_ONLY}"
    )
    assert on_the_web | SERVICE_ONLY == set(Permission), set(Permission) - on_the_web - SERVICE_ONLY


def _listed(client: TestClient, demo: Demo, role: Role) -> set[str]:
    codes: set[str] = set()
    after = None
    while True:
        params = {"limit": 200} | ({"after": after} if after else {})
        page = client.get("/api/v1/customers", params=params, headers=demo.auth(role)).json()
        codes |= {row["code"] for row in page["rows"]}
        if (after := page["next"]) is None:
            return codes


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_customers_and_no_other_is_found(
    client: TestClient, demo: Demo, role: Role
) -> None:
    reach = _reach(demo, role)
    outside = [code for code in demo.east + demo.west if code not in reach]
    assert _listed(client, demo, role) == set(reach)
    for code in reach[:3]:
        assert client.get(f"/api/v1/customers/{code}", headers=demo.auth(role)).status_code == 200
    sign_in(client, LOGINS[role])
    for code in outside[:3]:
        assert client.get(f"/api/v1/customers/{code}", headers=demo.auth(role)).status_code == 404, code
        assert client.get(f"/customers/{code}").status_code == 404, code
    assert bool(outside) is (ROLES[role].scope is not Scope.ALL)


def _expected(role: Role, permission: Permission, *, east: bool) -> int:
    """What a role reading one of the demo's runs' notices or deliveries gets: refused without the
    permission; found within its reach (east is the collector's portfolio); else not found."""
    if permission not in ROLES[role].permissions:
        return 403
    return 200 if east or ROLES[role].scope is Scope.ALL else 404


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_notices_and_deliveries_and_no_other_is_found(
    client: TestClient, demo: Demo, role: Role
) -> None:
    run, deliveries = Permission.RUN_READ, Permission.DELIVERY_READ
    api = {
        (f"/api/v1/deliveries/{demo.dead_letters[0]}", deliveries, True),
        (f"/api/v1/deliveries/{demo.west_dead_letter}", deliveries, False),
    }
    pages = {
        (f"/deliveries/{demo.dead_letters[0]}", deliveries, True),
        (f"/deliveries/{demo.west_dead_letter}", deliveries, False),
        (f"/runs/{demo.earlier_run}/notices/{demo.pending[0]}", run, True),
        (f"/runs/{demo.earlier_run}/notices/{demo.west_notice}", run, False),
        (f"/runs/{demo.earlier_run}/notices/{demo.west_notice}/email", run, False),
        (f"/runs/{demo.earlier_run}/notices/{demo.west_notice}/letter.pdf", run, False),
    }
    wrong = [
        f"{path}: {status}"
        for path, permission, east in api
        if (status := client.get(path, headers=demo.auth(role)).status_code)
        != _expected(role, permission, east=east)
    ]
    sign_in(client, LOGINS[role])
    wrong += [
        f"{path}: {status}"
        for path, permission, east in pages
        if (status := client.get(path).status_code) != _expected(role, permission, east=east)
    ]
    assert not wrong, f"{role}:\n" + "\n".join(sorted(wrong))
    everyone = ROLES[role].scope is Scope.ALL
    if run in ROLES[role].permissions:  # a run's notices: only those in reach
        waiting = client.get(f"/api/v1/runs/{demo.earlier_run}", params={"status": "pending_approval"},
                             headers=demo.auth(role)).json()  # fmt: skip
        listed = {row["id"] for row in waiting["notices"]}
        assert listed == set(demo.pending) | ({demo.west_notice} if everyone else set())
    if deliveries in ROLES[role].permissions:  # the dead letters: only those in reach
        dead = client.get("/api/v1/deliveries", params={"status": "dead_letters"}, headers=demo.auth(role))
        shown = {row["id"] for row in dead.json()["rows"]}
        assert shown == set(demo.dead_letters) | ({demo.west_dead_letter} if everyone else set())
