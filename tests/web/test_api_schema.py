"""Schemathesis over /openapi.json against a running server on a demo ledger: every operation of the
API, fed data its schema allows and data it forbids, as each role, answers no 5xx, only status codes
the document declares, and bodies that conform to the declared schema (all of schemathesis' checks).

Examples are bounded (per operation and mode) and derandomized, so the run is the same every time;
operations added later are walked without touching this file. The manager's run on SQLite is the
thorough one (`EXAMPLES`); the other roles' runs are there for their refusals and their scope, and
the PostgreSQL run for the backend's answers, so they take fewer (`FEWER`): the four took a fifth of
the whole suite's time with 25 each, and still 470 of its 2,450 worker-seconds with 25 and 8 (2026-12-07,
a slow 2-core machine). Each example costs about the same on every operation (generating it, about
30 ms, and answering it): the time is examples × operations, and an operation added later costs as much.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core import NOT_SET
from sqlalchemy import Engine

from dunmore.access.permissions import ROLES
from dunmore.access.values import Role
from dunmore.web.app import create_app
from tests.web.conftest import settings as web_settings
from tests.web.disputes_matrix import OPEN_DISPUTE
from tests.web.live import AS_OF, LOGINS, NOW, Demo, demo_ledger, serving
from tests.web.routes import endpoints
from tests.web.test_role_matrix import (
    ASSIGN_DRY,
    CREDIT_CHECK,
    HAND_OVER,
    MATRIX,
    MOVE_NOBODY,
    PLAN,
    PLAYBOOK_ANSWER,
    PROMISE,
    REASON,
    SIGNAL,
    past_the_gate,
    succeeded,
)

EXAMPLES = 8
FEWER = 3
Operation = APIOperation[Any, Any, Any, Any]
# Given here, so that no schemathesis.toml of the working folder changes the test. A request that
# fits the schema may still be refused by a rule with a documented 400 (a page marker of the right
# shape that no list gave): that is an answer, not a failure; 5xx never is.
# The token goes through schemathesis' own auth, so that it knows when a case leaves it out.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2XX", "3XX", "400", "401", "403", "404", "409", "429"]

[auth.openapi.HTTPBearer]
bearer = "%(token)s"
"""


# Headers that frame the HTTP message itself (RFC 9112), which the server reads before the API does.
FRAMING = frozenset({"transfer-encoding", "content-length", "connection", "host", "upgrade", "te", "trailer"})


def _operations(base_url: str, token: str) -> list[Operation]:
    config = schemathesis.Config.from_str(CONFIG % {"token": token})
    # The document is built on its first request: wait as long as for any call (a loaded CI machine
    # took longer than the library's default to answer it)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config, timeout=120)
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def _fuzz(
    operation: Operation,
    call: Callable[[Case[Any]], None],
    examples: int,
    path: dict[str, str] | None = None,
    body: Any = NOT_SET,
) -> None:
    """Run `call` over `examples` cases of each generation mode: valid data, and invalid data where
    the operation takes any that `path` (fixed path parameters) and `body` (a fixed body) leave free."""
    free = [p for p in operation.iter_parameters() if p.name not in (path or {})]
    takes_body = operation.body and body is NOT_SET
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if free or takes_body else [])
    for mode in modes:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path, body=body)

        @given(case=strategy)
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case: Case[Any]) -> None:
            call(case)

        try:
            check()
        except (Unsatisfiable, FailedHealthCheck) as exc:
            raise AssertionError(
                f"{operation.label}: schemathesis can make no {mode.value} request for it: bound its "
                "parameters (max_length, ge/le, pattern) so that an invalid one exists and is refused"
            ) from exc


def _path_values(operation: Operation, demo: Demo, role: Role) -> dict[str, str]:
    """A real value for each path parameter, so that the success answer is exercised too: a notice
    waiting for approval to reject, a standing rejection to reopen, a dead letter to retry."""
    reopen = operation.path.endswith("/reopen")
    disputes = demo.disputes
    assert disputes is not None
    known = {
        "number": disputes.invoice,
        "dispute_id": str(disputes.open[0]),
        "code": (demo.owned if role is Role.SALES else demo.east)[0],
        "run_id": str(demo.run),
        "notice_id": str(demo.rejected[0] if reopen else demo.pending[0]),
        "delivery_id": str(demo.dead_letters[0]),
        "version": "1",
        # plans 1 and 2 wait for their waivers (`_waiting_plans`): one to approve, one to reject;
        # the other operations act on plan 3, the first plan the API agrees
        "plan_id": {"/approve": "1", "/reject": "2"}.get(operation.path[operation.path.rfind("/") :], "3"),
        "contract": demo.contract,
        "application": str(demo.application),  # a draft: decided once, then refused (400)
        "promise_id": "1",  # none yet at first: not found; once one is recorded, its cancellation
        "reason": "forgot",
        "language": "en",
        "statement_id": "1",  # the demo issues none: not found, as documented
    }
    names = [p.name for p in operation.path_parameters]
    missing = [n for n in names if n not in known]
    assert not missing, f"{operation.label}: add a demo value for path parameter(s) {missing} in _path_values"
    return {n: known[n] for n in names}


def _body(operation: Operation, demo: Demo) -> Any:
    """A real body where the fuzzer would hardly find one the rules accept: a run for today (the
    demo's run is today's; a second one is allowed; one run is committed per case that sends it), a
    promise within the policy's limits (the first one recorded is the promise the cancellation's path
    names), and the role matrix's portfolio changes that change nothing."""
    return {
        "POST /api/v1/runs": {"as_of": AS_OF.isoformat()},
        "POST /api/v1/invoices/{number}/disputes": OPEN_DISPUTE,
        "POST /api/v1/customers/{code}/promises": PROMISE,
        "POST /api/v1/promises/{promise_id}/cancel": REASON,
        "POST /api/v1/customers/{code}/plans": PLAN,
        "POST /api/v1/plans/{plan_id}/cancel": REASON,
        "POST /api/v1/credit-checks": CREDIT_CHECK,
        "POST /api/v1/portfolios/assign": ASSIGN_DRY,
        "POST /api/v1/portfolios/move": MOVE_NOBODY,
        "POST /api/v1/portfolios/reassign": HAND_OVER,
        "PUT /api/v1/playbook/{reason}/{language}": PLAYBOOK_ANSWER,
        "POST /api/v1/contracts/{contract}/events": {"event": "delivery", "on": AS_OF.isoformat()},
        "POST /api/v1/credit-signals": SIGNAL,
        "POST /api/v1/credit-applications/{application}/decision": {"decision": "approve", "reason": "ok"},
        "POST /api/v1/credit-applications": APPLICATION,
        "POST /api/v1/contracts": CONTRACT_SAYS | {"customer": _contract_customer(demo), "number": "API-1"},
        "POST /api/v1/contracts/{contract}/versions": CONTRACT_SAYS,
    }.get(operation.label, NOT_SET)


# the first case drafts it; the next ones are refused (one draft per customer at a time: 400)
APPLICATION = {"customer": "C000003", "limit": "300000.00", "currency": "CNY", "terms": "net 30"}
CONTRACT_SAYS = {
    "title": "Press",
    "signed_on": "2026-03-02",
    "amount": "100.00",
    "currency": "CNY",
    "terms": "net 30",
}


def _contract_customer(demo: Demo) -> str:
    """The customer of the demo's contract (east, owned by the sales user): every role that may
    manage contracts reaches it."""
    return next(code for code in demo.owned if code in demo.east)


def _allowed(role: Role, method: str, path: str) -> bool:
    """Whether the role may make this request, by the role matrix's line for it."""
    lines = [
        line
        for line in MATRIX
        if (line.method, line.path) == (method, path) and line.allowed in (succeeded, past_the_gate)
    ]
    assert lines, f"{method} {path}: no line in the role matrix"
    return all(line.permission is None or line.permission in ROLES[role].permissions for line in lines)


def _statement(engine: Engine, code: str) -> None:
    """Statement 1, of the customer the role's `{code}` names, for `GET /api/v1/statements/{id}`."""
    from datetime import date

    from dunmore.access.values import Language, User
    from dunmore.settings import CreditorSettings
    from dunmore.statements.issue import issue
    from dunmore.store.db import transaction

    operator = User(0, "cli:ops", Role.ADMIN, Language.EN, frozenset(), False, NOW)
    with transaction(engine) as conn:
        issued = issue(
            conn,
            user=operator,
            period=(date(2026, 1, 1), AS_OF),
            as_of=AS_OF,
            now=NOW,
            creditor=CreditorSettings(),
            customers=[code],
        )
    assert [one.statement_id for one in issued][:1] == [1]


def _waiting_plans(engine: Engine) -> None:
    """Plans 1 and 2, agreed by the collector with the fees of C000023 (CNY) and C000013 (EUR)
    waived above a threshold of zero: both wait for a manager."""
    from dunmore.access.service import get_user
    from dunmore.store.db import transaction
    from dunmore.workspace import plans

    with transaction(engine) as conn:
        collector = get_user(conn, login=LOGINS[Role.COLLECTOR])
        for code, currency in (("C000023", "CNY"), ("C000013", "EUR")):
            made = plans.add(
                conn, user=collector, customer=code, today=AS_OF, now=NOW, country="CN", instalments=2,
                first=date(2026, 4, 15), currency=currency, waive="goodwill", thresholds={currency: 0},
            )  # fmt: skip
            assert made.status == "waiting"


def _schemathesis(engine: Engine, role: Role, examples: int) -> None:
    demo = demo_ledger(engine)
    _waiting_plans(engine)
    _statement(engine, (demo.owned if role is Role.SALES else demo.east)[0])
    app = create_app(engine, web_settings(), clock=lambda: NOW)
    with serving(app) as base_url:
        # Reads first, then the changes in path order: a notice is rejected before its run's approval
        # would leave none waiting (the demo's objects are each of one operation, see tests/web/live.py).
        operations = sorted(
            _operations(base_url, demo.tokens[role]), key=lambda o: (o.method.upper() != "GET", o.path)
        )
        api = {(e.method, e.path) for e in endpoints(app) if e.is_api}
        assert {(o.method.upper(), o.path) for o in operations} == api, (
            "the OpenAPI document and the routes differ"
        )
        answered: dict[str, set[int]] = {o.label: set() for o in operations}

        def call(case: Case[Any]) -> None:
            # the HTTP layer's own headers: a made-up value is refused by uvicorn before the
            # application sees the request (400, text/plain: "Invalid HTTP request received." for
            # `transfer-encoding: p` in one CI run), which is no answer of the API
            for name in FRAMING if case.headers else ():
                case.headers.pop(name, None)  # a case-insensitive mapping
            answered[case.operation.label].add(
                case.call_and_validate(base_url=base_url, timeout=120).status_code
            )

        for operation in operations:
            _fuzz(operation, call, examples)
            if operation.path_parameters:
                _fuzz(operation, call, examples, _path_values(operation, demo, role))
            if (body := _body(operation, demo)) is not NOT_SET:
                path = _path_values(operation, demo, role) if operation.path_parameters else None
                _fuzz(operation, call, examples, path, body=body)
    # The token is sent: an operation the role may use answered 2xx at least once, one it may not
    # was refused (403) and never answered 2xx.
    wrong = [
        f"{o.label}: {sorted(answered[o.label])}"
        for o in operations
        if _allowed(role, o.method.upper(), o.path) != any(200 <= s < 300 for s in answered[o.label])
        or (not _allowed(role, o.method.upper(), o.path) and 403 not in answered[o.label])
    ]
    assert not wrong, f"{role}: operations not answered as the role matrix says (2xx or 403): {wrong}"


# One role per scope (all customers, a portfolio, owned customers); the collector and the sales user
# also meet every refusal of their role, which must be documented like any answer.
@pytest.mark.parametrize("role", [Role.MANAGER, Role.COLLECTOR, Role.SALES])
def test_every_operation_conforms_to_its_schema_as_each_kind_of_user(
    sqlite_engine: Engine, role: Role
) -> None:
    _schemathesis(sqlite_engine, role, EXAMPLES if role is Role.MANAGER else FEWER)


def test_every_operation_conforms_to_its_schema_on_postgresql(postgres_engine: Engine) -> None:
    _schemathesis(postgres_engine, Role.MANAGER, FEWER)
