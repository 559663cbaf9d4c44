"""The portal's own session: the link's token and a CSRF token bound to it, kept in the signed
session cookie beside (never mixed with) a staff session. Every request opens the link again, so an
expired or withdrawn link stops at the next click."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from dunmore import i18n
from dunmore.portal import links
from dunmore.portal.links import Access, LinkRefused
from dunmore.store.db import transaction
from dunmore.web.context import Web, web

TOKEN = "portal"
CSRF = "portal_csrf"
LANGUAGE = "portal_lang"
REFUSALS = ("expired", "revoked", "locked", "tampered", "missing", "csrf", "not_found")
# Gone for a link that was good once, forbidden for a forged form, not found for anything else.
STATUS = {"expired": 410, "revoked": 410, "locked": 410, "csrf": 403}


def start(request: Request, token: str, access: Access) -> None:
    """A fresh portal session for the link (a new CSRF token; the language is the customer's)."""
    request.session[TOKEN] = token
    request.session[CSRF] = secrets.token_urlsafe(32)
    request.session[LANGUAGE] = access.language if access.language in i18n.LANGUAGES else "zh-CN"


def csrf(request: Request) -> str:
    token = request.session.get(CSRF)
    return token if isinstance(token, str) else ""


def csrf_ok(request: Request, sent: str) -> bool:
    expected = csrf(request)
    return bool(expected and sent) and hmac.compare_digest(sent, expected)


def language(request: Request) -> str:
    chosen = request.session.get(LANGUAGE)
    if isinstance(chosen, str) and chosen in i18n.LANGUAGES:
        return chosen
    return i18n.choose([i18n.from_accept_language(request.headers.get("accept-language"))])


def current(request: Request) -> Access:
    """The access of the session's link now; `LinkRefused` (missing, expired, withdrawn) else."""
    token = request.session.get(TOKEN)
    if not isinstance(token, str):
        raise LinkRefused(code="missing")
    site = web(request)
    with transaction(site.engine) as conn:
        return links.open_link(conn, settings=site.settings, token=token, now=site.now())


def refused(request: Request, why: str, *, customer: str | None = None, detail: str = "") -> HTMLResponse:
    """Record a refused attempt and show the polite page (nothing of the customer on it)."""
    site: Web = web(request)
    with transaction(site.engine, write=True) as conn:
        links.record_refusal(conn, why=why, now=site.now(), customer=customer, detail=detail)
    if why in {"expired", "revoked", "locked", "tampered"}:
        for key in (TOKEN, CSRF):
            request.session.pop(key, None)
    shown = why if why in REFUSALS else "tampered"
    return render(request, "portal_refused.html", status=STATUS.get(shown, 404), why=shown)


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    site = web(request)
    values = {"portal_csrf": csrf(request), "languages": i18n.LANGUAGES, **context}
    return site.templates.render(request, name, language=language(request), status=status, **values)
