"""A statement's content (canonical JSON and its SHA-256), its HTML and its PDF, and the PDF receipt of
a confirmation: the A4 letter's layout, stylesheet and fonts (`dunmore.delivery.letter`).

The content is what the customer confirms: the JSON of the lines, written once with sorted keys and
no spaces, so that its hash is the same on any machine and in any later read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dunmore.domain.money import format_minor
from dunmore.statements.compute import Statement

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Heading:
    """Who and which version a statement is: the parts of its content not computed from the ledger."""

    customer: str
    customer_name: str
    version: int
    as_of: date
    confirm_by: date
    creditor_name: str
    creditor_address: tuple[str, ...]


def content_of(statement: Statement, heading: Heading) -> dict[str, Any]:
    """The statement as JSON-able values: amounts in minor units, dates in ISO form."""
    return {
        "creditor": {"name": heading.creditor_name, "address": list(heading.creditor_address)},
        "customer": heading.customer,
        "customer_name": heading.customer_name,
        "currency": statement.currency,
        "period_from": statement.period_from.isoformat(),
        "period_to": statement.period_to.isoformat(),
        "version": heading.version,
        "as_of": heading.as_of.isoformat(),
        "confirm_by": heading.confirm_by.isoformat(),
        "opening_minor": statement.opening_minor,
        "closing_minor": statement.closing_minor,
        "lines": [
            {
                "on": line.on.isoformat(),
                "kind": line.kind,
                "reference": line.reference,
                "item_id": line.item_id,
                "amount_minor": line.amount_minor,
            }
            for line in statement.lines
        ],
        "open_items": [
            {
                "kind": item.kind,
                "reference": item.reference,
                "item_id": item.item_id,
                "on": item.on.isoformat(),
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "open_minor": item.open_minor,
                "days_past_due": item.days_past_due,
                "band": item.band,
            }
            for item in statement.open_items
        ],
    }


def canonical(content: dict[str, Any]) -> tuple[str, str]:
    """The content's canonical JSON text and its SHA-256 (hex)."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True))


def _shown(content: dict[str, Any]) -> dict[str, Any]:
    """The content with its amounts formatted in the currency's places, as the page prints them."""
    currency = content["currency"]

    def money(minor: int) -> str:
        return format_minor(minor, currency)

    return content | {
        "opening": money(content["opening_minor"]),
        "closing": money(content["closing_minor"]),
        "lines": [line | {"amount": money(line["amount_minor"])} for line in content["lines"]],
        "open_items": [item | {"open": money(item["open_minor"])} for item in content["open_items"]],
    }


def statement_html(content: dict[str, Any], sha256: str, *, language: str, receipt: Any = None) -> str:
    """The statement (or, with `receipt`, its confirmation receipt) as the letter's HTML."""
    template = _environment().get_template("statement.html.jinja")
    return template.render(s=_shown(content), sha256=sha256, language=language, receipt=receipt)


def statement_pdf(html: str) -> bytes:
    """The A4 PDF of a statement's HTML, through the letter's renderer (fonts embedded)."""
    from dunmore.delivery.letter import render_pdf

    return render_pdf(html)
