"""The application factory: one FastAPI app with the staff pages, the JSON API under /api/v1 (OpenAPI
at /openapi.json, Swagger UI at /api/docs, served from vendored files) and, when a gateway is
configured, the SMS status callbacks at /sms/status.

The factory refuses to build an app whose session cookies it could not sign safely (see
`auth.secret_key`). Every response carries the security headers below: a CSP that allows scripts and
styles only from this server (no inline script), no framing, no MIME sniffing, no referrer to other
sites.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from dunmore import __version__
from dunmore.access import credentials
from dunmore.access.sign_in import Throttle
from dunmore.delivery.callbacks import StatusCallbacks
from dunmore.delivery.callbacks import router as callbacks_router
from dunmore.errors import BadArgument, DunmoreError, NotFound, PermissionDenied
from dunmore.i18n import _m
from dunmore.settings import Settings
from dunmore.web import api, pages
from dunmore.web import portal as portal_pages
from dunmore.web.auth import CsrfRefused, SignInRequired, language_of, secret_key
from dunmore.web.context import Web
from dunmore.web.templating import Templates

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "dunmore_session"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_STATUS = ((NotFound, 404), (PermissionDenied, 403), (CsrfRefused, 403), (BadArgument, 400))


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    engine: Engine,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = _wall_clock,
    callbacks: StatusCallbacks | None = None,
    throttle: Throttle | None = None,
) -> FastAPI:
    """The web application over `engine`; `clock` gives "now" (tests pass a fixed instant)."""
    key = secret_key(engine, settings)
    credentials.prepare()
    app = FastAPI(
        title="Dunmore",
        version=__version__,
        description="Accounts-receivable collections: the JSON API. Authenticate with "
        "`Authorization: Bearer <token>` (`dunmore users token LOGIN`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.web = Web(engine, settings, clock, throttle or Throttle(), Templates())
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.web.session_hours * 3600,
        same_site="lax",
        https_only=settings.web.https_only,
    )
    app.middleware("http")(_security_headers)
    app.add_exception_handler(DunmoreError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(portal_pages.router)
    app.include_router(api.router, prefix="/api/v1")
    if callbacks is not None:
        app.include_router(callbacks_router(callbacks))
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path != "/static" and not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(request: Request, status: int) -> HTMLResponse:
    """A refusal or a missing page, said in the reader's language."""
    site: Web = request.app.state.web
    language = language_of(request)
    translate = site.templates.translate
    messages = {
        404: translate(language, "Not found, or not among the customers you can see."),
        403: translate(language, "You may not do this, or the form has expired: reload the page."),
    }
    message = messages.get(
        status, translate(language, "This request could not be understood: go back and try again.")
    )
    return site.templates.render(
        request, "error.html", language=language, status=status, message=message, user=None
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if request.url.path.startswith("/api/") and exc.status_code == 400:
        # FastAPI's one 400: a body it could not parse. A refusal like any other: a code, and the
        # sentence in the reader's language (no token has been read yet: the browser's language).
        text = _m("the request's body is not valid JSON: send a JSON object as /openapi.json describes it")
        return JSONResponse(
            {"detail": text.render(language_of(request)), "code": "bad_body"}, status_code=400
        )
    if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
        return await http_exception_handler(request, exc)
    return _error_page(request, exc.status_code)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    if request.url.path.startswith("/api/"):
        return await request_validation_exception_handler(request, exc)
    return _error_page(request, 400)


def _refused(request: Request, exc: DunmoreError) -> Response:
    """A refusal in the reader's language: JSON for the API, a page (or the sign-in page) otherwise."""
    api_call = request.url.path.startswith("/api/")
    if isinstance(exc, SignInRequired):
        if api_call:
            return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(here, safe='/')}", status_code=303)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    if api_call:
        language = getattr(request.state, "language", None) or language_of(request)
        return JSONResponse({"detail": exc.render(language), "code": exc.code}, status_code=status)
    return _error_page(request, status)
