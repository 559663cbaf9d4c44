"""Jinja2 templates in the reader's language: one environment per language, each with its catalog
installed (`_()` with named placeholders, `ngettext`), and filters that format money, numbers and
dates with Babel in that language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_decimal, format_currency, format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dunmore import i18n
from dunmore.access.permissions import Permission, allows
from dunmore.access.values import User
from dunmore.delivery import wording
from dunmore.domain.money import exponent
from dunmore.i18n.words import word

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_NAMES = {"zh-CN": "简体中文", "zh-TW": "繁體中文", "en": "English"}


def money(minor: int, currency: str, language: str) -> str:
    """Minor units as the reader writes money: ¥1,234.50, US$1,234.50, NT$1,234."""
    amount = Decimal(minor).scaleb(-exponent(currency))
    return format_currency(amount, currency, locale=i18n.locale(language))


def compact(minor: int, currency: str, language: str) -> str:
    """A short amount for a chart label: 1.2M, 120万, 12萬."""
    whole = Decimal(minor).scaleb(-exponent(currency)).to_integral_value()  # a label, not a sum
    return format_compact_decimal(whole, format_type="short", locale=i18n.locale(language), fraction_digits=1)


def _may(user: User, permission: str) -> bool:
    """Whether the page shows what `permission` allows (the service refuses it anyway)."""
    return allows(user, Permission(permission))


def moment(value: datetime | None, zone: str, language: str) -> str:
    """An instant as the reader writes it, in `zone` (the creditor's timezone): 2026/3/16 10:00."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(zone)), "short", locale=i18n.locale(language))


def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    place = i18n.locale(language)
    env.filters["money"] = lambda minor, currency: money(int(minor), currency, language)
    env.filters["compact"] = lambda minor, currency: compact(int(minor), currency, language)
    env.filters["percent"] = lambda value: format_percent(value, locale=place)
    env.filters["number"] = lambda value: format_decimal(value, locale=place)
    env.filters["day"] = lambda value: (
        format_date(value, "medium", locale=place) if isinstance(value, date) else ""
    )
    env.filters["moment"] = lambda value, zone: moment(value, zone, language)
    env.filters["word"] = lambda code, vocabulary: word(vocabulary, code, language)  # i18n.words
    env.globals["language"] = language
    env.globals["allows"] = allows
    env.globals["Permission"] = Permission
    env.globals["language_names"] = LANGUAGE_NAMES
    env.globals["may"] = _may
    env.globals["event_reason"] = lambda code: wording.reason(code, language)
    env.globals["event_detail"] = lambda text, channel, outcome: wording.detail(
        text, outcome=outcome, channel=channel, language=language
    )
    env.globals["last_error"] = lambda row: wording.last_error(
        row.last_error, status=row.status, channel=row.channel, language=language
    )
    return env


class Templates:
    def __init__(self) -> None:
        self._envs = {language: _environment(language) for language in i18n.LANGUAGES}

    def translate(self, language: str, message: str, **values: Any) -> str:
        """A message of the web catalog in `language`, its placeholders filled."""
        text = i18n.translations(language).gettext(message)
        return text % values if values else text

    def render(
        self,
        request: Request,
        name: str,
        *,
        language: str,
        status: int = 200,
        fragment: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """The page `name`; or, for an htmx request (`HX-Request`), only its block `fragment`: one
        template renders the page and its partial, so that the two cannot drift apart."""
        from dunmore.web.auth import csrf_token

        template = self._envs[language].get_template(name)
        values = {"request": request, "csrf_token": csrf_token(request), "path": request.url.path, **context}
        if fragment is not None and request.headers.get("hx-request") == "true":
            body = "".join(template.blocks[fragment](template.new_context(values)))
        else:
            body = template.render(values)
        return HTMLResponse(body, status_code=status, headers={"Vary": "HX-Request"})
