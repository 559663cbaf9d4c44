"""Who is asking: signed session cookies for the pages, bearer tokens for the API, and CSRF tokens.

- A page's user is the login the signed session cookie names (Starlette's `SessionMiddleware`,
  itsdangerous, HTTP-only, SameSite=Lax, Secure with `web.https_only`), read afresh from the database
  on every request: a disabled user is signed out at their next click.
- An API request's user is the one its `Authorization: Bearer dm_…` token belongs to; the API reads
  no cookie, so a page can never be made to call it on a user's behalf.
- Every page request with an unsafe method carries the session's CSRF token, as the form field
  `csrf_token` or the header `X-CSRF-Token` (htmx); one without it is refused (403) before the route
  runs.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from dunmore import i18n
from dunmore.access.service import authenticate_token, get_user
from dunmore.access.values import User
from dunmore.errors import ConfigError, DunmoreError, NotFound, refuse_nul
from dunmore.i18n import _m
from dunmore.settings import Settings
from dunmore.store.db import transaction
from dunmore.store.meta import is_demo_database, read_fact, write_fact
from dunmore.web.context import Web, unit_of_work, web

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
DEMO_SECRET_FACT = "web_secret_key"
MIN_SECRET = 32

# The request's one transaction, committed before the response is sent (see `unit_of_work`).
Conn = Annotated[Connection, Depends(unit_of_work, scope="function")]


class SignInRequired(DunmoreError):
    """No signed-in user (pages: go to the sign-in page; API: 401)."""

    code = "sign_in_required"
    exit_code = 5


class CsrfRefused(DunmoreError):
    """An unsafe request without the session's CSRF token."""

    code = "csrf_refused"
    exit_code = 5


def secret_key(engine: Engine, settings: Settings) -> str:
    """The key that signs session cookies: `DUNMORE_WEB__SECRET_KEY`; on the demo database, when it
    is not set, one made once and kept in the database's meta table. Refused elsewhere."""
    configured = settings.web.secret_key
    if configured is not None:
        key = configured.get_secret_value()
        if len(key) < MIN_SECRET:
            raise ConfigError(
                _m(
                    "DUNMORE_WEB__SECRET_KEY has %(count)s characters: use at least %(least)s random ones, "
                    'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"',
                    count=len(key),
                    least=MIN_SECRET,
                )
            )
        return key
    with transaction(engine) as conn:
        if not is_demo_database(conn):
            raise ConfigError(
                _m(
                    "the web application signs its session cookies with DUNMORE_WEB__SECRET_KEY, which is "
                    "not set: set it to at least 32 random characters, e.g. "
                    'python -c "import secrets; print(secrets.token_urlsafe(48))"'
                )
            )
        kept = read_fact(conn, DEMO_SECRET_FACT)
        if kept is None:
            kept = secrets.token_urlsafe(48)
            write_fact(conn, DEMO_SECRET_FACT, kept)
        return kept


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def refuse_nul_in_request(request: Request) -> None:
    """A NUL character anywhere in the path, the query, a JSON body or a form's fields is refused
    (400) before any route reads it: PostgreSQL neither stores nor compares one, and texts holding
    one answered 500 there (found by schemathesis). FastAPI has read (and, for a route that takes a
    JSON body, parsed) the body by then; reading it here again costs no second read."""
    refuse_nul(request.url.path, *(text for pair in request.query_params.multi_items() for text in pair))
    kind = request.headers.get("content-type", "")
    if request.method in SAFE_METHODS or not kind:
        return
    if kind.startswith("application/json"):
        body = await request.body()
        if b"\\u0000" in body:  # a NUL can only come escaped: parse to be sure it is one
            try:
                parsed = json.loads(body)
            except ValueError:
                return  # not JSON: the route refuses it as it would any other broken body
            refuse_nul(*_texts(parsed))
    elif kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        refuse_nul(*(text for pair in form.multi_items() for text in pair if isinstance(text, str)))


def _texts(value: object) -> Iterator[str]:
    """Every text of a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose CSRF token is missing or not the session's."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    expected = request.session.get("csrf")
    if not sent or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused(
            _m("this form has expired or did not come from Dunmore: reload the page and send it again")
        )


def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (a new CSRF token too: nothing of the anonymous session is kept)."""
    request.session.clear()
    request.session["login"] = user.login
    request.session["lang"] = user.language.value
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    language = request.session.get("lang")
    request.session.clear()
    if isinstance(language, str):
        request.session["lang"] = language


def signed_in(request: Request) -> None:
    """Send a reader without a session to the sign-in page before a route reads its form: for a
    route that reads its user itself (in a transaction of its own), so that a signed-out reader is
    not told what the form lacks. The route still reads the user (`page_user`)."""
    if not isinstance(request.session.get("login"), str):
        raise SignInRequired(_m("sign in to see this page"))


def page_user(request: Request, conn: Conn) -> User:
    """The signed-in user of a page, or `SignInRequired`."""
    login = request.session.get("login")
    if not isinstance(login, str):
        raise SignInRequired(_m("sign in to see this page"))
    try:
        user = get_user(conn, login=login)
    except NotFound:
        user = None
    if user is None or user.disabled:
        request.session.clear()
        raise SignInRequired(_m("sign in to see this page"))
    return user


# Declares the bearer scheme in /openapi.json (the docs' "Authorize" button, schemathesis' auth
# checks); it refuses nothing itself, so that every refusal is the one 401 below.
BEARER = HTTPBearer(auto_error=False, description="An API token: `dunmore users token LOGIN`.")


def api_user(
    request: Request,
    sent: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    conn: Conn,
    site: Annotated[Web, Depends(web)],
) -> User:
    """The user of an API request's bearer token, or `SignInRequired` (401)."""
    user = None
    if sent is not None and sent.credentials.strip():
        user = authenticate_token(conn, token=sent.credentials.strip(), now=site.now())
    if user is None:
        raise SignInRequired(
            _m("send an API token as `Authorization: Bearer dm_…` (see `dunmore users token`)")
        )
    request.state.language = user.language.value  # errors raised after this are said in it
    return user


def language_of(request: Request, user: User | None = None) -> str:
    """The reader's language: the user's setting, then the session's choice (before signing in),
    then the browser's Accept-Language, then zh-CN."""
    chosen = request.session.get("lang")
    return i18n.choose(
        [
            None if user is None else user.language.value,
            chosen if isinstance(chosen, str) else None,
            i18n.from_accept_language(request.headers.get("accept-language")),
        ]
    )


Site = Annotated[Web, Depends(web)]
PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
