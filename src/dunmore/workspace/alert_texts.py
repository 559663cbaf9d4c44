"""What an alert says, in the reader's language: one sentence per kind, its params formatted as the
pages format them (money and dates through Babel in the reader's locale).

An alert stores `kind` and `params` (JSON), never its text, so that each recipient reads it in their
own language and a changed translation reaches old alerts too. The params each kind is said with
(anything else is kept but not said; a missing one reads "—"):

| kind | params |
|---|---|
| promise_broken | promise (id), amount_minor, currency, due_on (ISO date) |
| plan_broken | plan (id), amount_minor, currency, due_on |
| instalment_due | plan (id), amount_minor, currency, due_on |
| dispute_opened | dispute (id), invoice (code), amount_minor, currency, reason |
| level_passed | level, currency, step |
| high_value_overdue | invoice (code), amount_minor, currency, due_on |
| task_overdue | task (id), title, due_on |
| grade_downgraded | before, after (grades) |
| beyond_terms_worsening | before, after (average days beyond terms, three months apart) |
| first_broken_promise | — |
| signal_lawsuit, signal_negative_news, signal_insolvency, signal_other | happened_on, note |

A preformatted `amount` string is said as given (older callers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from dunmore import i18n
from dunmore.domain.money import exponent
from dunmore.i18n import N_
from dunmore.i18n.words import word

MISSING = "—"

SENTENCES: dict[str, str] = {
    "promise_broken": N_("%(customer)s broke the promise to pay %(amount)s by %(due_on)s"),
    "plan_broken": N_("%(customer)s missed an instalment of %(amount)s due %(due_on)s: the plan is broken"),
    "dispute_opened": N_("%(customer)s disputes %(amount)s of invoice %(invoice)s"),
    "instalment_due": N_("%(customer)s has an instalment of %(amount)s due %(due_on)s (plan %(plan)s)"),
    "level_passed": N_("%(customer)s reached dunning level %(level)s in %(currency)s"),
    "high_value_overdue": N_("Invoice %(invoice)s of %(customer)s (%(amount)s) is overdue since %(due_on)s"),
    "task_overdue": N_("The task %(title)s for %(customer)s was due %(due_on)s and is not done"),
    "grade_downgraded": N_("%(customer)s was downgraded from grade %(before)s to %(after)s"),
    "beyond_terms_worsening": N_(
        "%(customer)s now pays %(after)s days beyond terms on average, %(before)s three months ago"
    ),
    "first_broken_promise": N_("%(customer)s broke a promise to pay for the first time in 12 months"),
    "portal_request": N_("%(customer)s acted in the portal (%(what)s): see the timeline"),
    "portal_locked": N_("%(customer)s entered five wrong portal codes: the link was withdrawn"),
    "signal_lawsuit": N_("Risk signal: a lawsuit against %(customer)s (%(happened_on)s): %(note)s"),
    "signal_negative_news": N_("Risk signal: negative news about %(customer)s (%(happened_on)s): %(note)s"),
    "signal_insolvency": N_(
        "Risk signal: insolvency proceedings of %(customer)s (%(happened_on)s), now on credit hold: %(note)s"
    ),
    "signal_other": N_("Risk signal about %(customer)s (%(happened_on)s): %(note)s"),
}
UNKNOWN = N_("%(customer)s: an alert of kind %(kind)s")


def money_text(minor: int, currency: str, language: str) -> str:
    """Minor units as the reader writes money (the pages' format): ¥1,234.50, US$1,234.50."""
    from babel.numbers import format_currency

    return format_currency(Decimal(minor).scaleb(-exponent(currency)), currency, locale=i18n.locale(language))


def day_text(iso: str, language: str) -> str:
    """An ISO date as the reader writes it (the pages' medium format); an unreadable one as given."""
    from babel.dates import format_date

    try:
        return format_date(date.fromisoformat(iso), "medium", locale=i18n.locale(language))
    except ValueError:
        return iso


def _amount(params: Mapping[str, Any], language: str) -> str:
    minor, currency = params.get("amount_minor"), params.get("currency")
    if isinstance(minor, int) and isinstance(currency, str):
        try:
            return money_text(minor, currency, language)
        except (KeyError, ValueError):
            return f"{minor} {currency}"
    return str(params.get("amount", MISSING))


def said(kind: str, params: Mapping[str, Any], *, customer: str, language: str) -> str:
    """The alert's sentence in `language`; `customer` names the customer (code and name)."""
    values: dict[str, Any] = {name: str(value) for name, value in params.items()}
    values |= {"customer": customer, "kind": kind, "amount": _amount(params, language)}
    if isinstance(params.get("due_on"), str):
        values["due_on"] = day_text(params["due_on"], language)
    if isinstance(params.get("happened_on"), str):
        values["happened_on"] = day_text(params["happened_on"], language)
    message = SENTENCES.get(kind, UNKNOWN)
    text = i18n.gettext_for(language).gettext(message)
    return text % _Defaulting(values)


def kind_name(kind: str, language: str) -> str:
    """A short name of the kind (a column of the inbox, a digest's heading)."""
    return word("alert_kind", kind, language)


class _Defaulting(dict[str, Any]):
    """Params a sentence names but the alert lacks read "—" rather than failing the whole inbox."""

    def __missing__(self, key: str) -> str:
        return MISSING
