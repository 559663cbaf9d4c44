"""Every route of the application, read from `app.routes` (never a hand-kept list), so that the checks
that walk them cover routes added later without being told."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

API_PREFIX = "/api/v1/"

# The pages a signed-out reader may open or post to, and why. A route missing from here must send a
# signed-out reader to /sign-in: add it here only if it is public by design.
PUBLIC = {
    ("GET", "/sign-in"): "the sign-in form",
    ("POST", "/sign-in"): "signing in",
    ("POST", "/language"): "choosing the language before signing in",
    ("GET", "/api/docs"): "the API's documentation (the API itself needs a token)",
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/health"): "the health check, for load balancers",
    ("GET", "/healthz"): "the health check, for load balancers",
    ("GET", "/calendar/{token}.ics"): "a user's private calendar feed: its secret token is the key",
    ("GET", "/portal/l/{token}"): "the debtor's portal: its signed link is the key",
    ("GET", "/portal"): "the debtor's portal: the signed link's session",
    ("GET", "/portal/notices/{notice_id}"): "the debtor's portal: the signed link's session",
    ("POST", "/portal/code"): "the debtor's portal: the link's session and its own CSRF token",
    ("POST", "/portal/dispute"): "the debtor's portal: the link's session, its CSRF token, a one-time code",
    ("POST", "/portal/promise"): "the debtor's portal: the link's session, its CSRF token, a one-time code",
    ("POST", "/portal/plan"): "the debtor's portal: the link's session, its CSRF token, a one-time code",
    ("POST", "/portal/language"): "the debtor's portal: the link's session and its own CSRF token",
    ("GET", "/portal/statements"): "the debtor's portal: the signed link's session",
    ("GET", "/portal/statements/{statement_id}"): "the debtor's portal: the signed link's session",
    ("GET", "/portal/statements/{statement_id}/dispute"): "the debtor's portal: the signed link's session",
    ("GET", "/portal/statements/{statement_id}/receipt"): "the debtor's portal: the signed link's session",
    ("GET", "/portal/statements/{statement_id}/pdf"): "the debtor's portal: the signed link's session",
    ("POST", "/portal/statements/{statement_id}/confirm"): (
        "the debtor's portal: the link's session, its CSRF token, a one-time code"
    ),
    ("POST", "/portal/statements/{statement_id}/dispute"): (
        "the debtor's portal: the link's session, its CSRF token, a one-time code"
    ),
}
# A value for each path parameter a route may have; any other parameter gets "1". The values exist in
# tests/web/conftest.py's ledger (the guards answer before any lookup, so any value would do there).
PATH_VALUES = {"code": "E001", "login": "ann", "attachment_id": "1"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with its `{parameters}`

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX)

    @property
    def parameters(self) -> list[str]:
        return [part[1:-1].split(":")[0] for part in self.path.split("/") if part.startswith("{")]

    def filled(self, values: dict[str, str]) -> str:
        """The path with each `{parameter}` replaced by its value in `values`."""
        path = self.path
        for part in self.path.split("/"):
            if part.startswith("{"):
                path = path.replace(part, values[part[1:-1].split(":")[0]])
        return path


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[Endpoint]:
    """Through included routers (FastAPI ≥ 0.16x keeps them nested) down to each method of each route."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, Mount):
            continue  # static files: not a route of ours
        elif isinstance(route, APIRoute | Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield Endpoint(method, prefix + route.path)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the application answers, except the static files."""
    return list(_walk(app.routes))
