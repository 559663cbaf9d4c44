"""A timeline said in the reader's language, and exported: CSV (UTF-8 with the byte-order mark Excel
looks for, every text cell escaped against formula injection by `dunmore.cells`) and PDF (one table,
through the letters' WeasyPrint and their embedded CJK fonts).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from html import escape
from zoneinfo import ZoneInfo

from dunmore.cells import escape_text
from dunmore.domain.money import Money
from dunmore.i18n import Text, _m
from dunmore.i18n.words import WORDS, word
from dunmore.workspace.timeline import SOURCES, Event

Labels = Mapping[tuple[str, str], str]


def _code(labels: Labels, kind: str, code: str | None) -> str:
    return "" if code is None else labels.get((kind, code), code)


def _word(vocabulary: str, code: str | None) -> Text | str:
    """A code of `vocabulary` (`dunmore.i18n.words`) as a sentence's value, said in the sentence's
    language; a code without a word as stored."""
    if code is None:
        return ""
    said = WORDS[vocabulary].get(code)
    return code if said is None else _m(said)


def _sentence(event: Event, labels: Labels) -> Text:
    """What happened, as one sentence with its values."""
    e = event
    match e.source:
        case "notice":
            return _m("Notice %(step)s (%(status)s)", step=e.what or "", status=_word("status", e.status))
        case "delivery":
            return _m(
                "%(channel)s delivery of %(step)s: %(status)s",
                channel=_word("sent_by", e.channel),
                step=e.what or "",
                status=_word("status", e.status),
            )
        case "activity":
            return _m(
                "%(kind)s, outcome: %(outcome)s",
                kind=_word("activity_kind", e.what),
                outcome=_code(labels, "outcome", e.status) or "—",
            )
        case "payment" | "credit_note":
            name = _m("Payment %(number)s") if e.source == "payment" else _m("Credit note %(number)s")
            return _m(name.msgid, number=e.what or "")
        case "promise":
            return _m("Promise to pay by %(day)s", day=e.on.isoformat() if e.on else "")
        case "promise_end":
            return _m(
                "Promise to pay by %(day)s: %(status)s",
                day=e.on.isoformat() if e.on else "",
                status=e.status or "",
            )
        case "plan":
            return _m("Instalment plan #%(plan)s agreed", plan=e.ref)
        case "plan_end":
            return _m("Instalment plan #%(plan)s: %(status)s", plan=e.ref, status=e.status or "")
        case "dispute":
            return _m("Dispute of invoice %(invoice)s opened", invoice=e.what or "")
        case "dispute_end":
            return _m(
                "Dispute of invoice %(invoice)s resolved: %(outcome)s",
                invoice=e.what or "",
                outcome=e.status or "",
            )
        case "change":
            return _m("Change %(action)s on %(object)s", action=e.what or "", object=e.reason or "")
        case "credit_hold":
            return _m("Credit hold set by the grading as of %(day)s", day=e.on.isoformat() if e.on else "")
        case _:
            return _m("Task %(title)s: %(status)s", title=e.what or "", status=e.status or "")


def describe(event: Event, language: str, labels: Labels) -> str:
    """The event as one line in `language`: what happened, the reason given, the follow-up date."""
    parts = [_sentence(event, labels).render(language)]
    if event.source == "activity" and (event.channel or event.contact):
        channel = word("activity_channel", event.channel, language) if event.channel else ""
        parts.append(" · ".join(v for v in (channel, event.contact) if v))
    if event.source == "delivery" and event.reason:  # the provider's word, as it said it
        parts.append(event.reason)
    if event.source == "activity" and event.reason:
        parts.append(_m("reason: %(reason)s", reason=_code(labels, "reason", event.reason)).render(language))
    if event.source == "activity" and event.on:
        parts.append(_m("follow up on %(day)s", day=event.on.isoformat()).render(language))
    return "; ".join(parts)


def amount_of(event: Event) -> str:
    if event.amount_minor is None or not event.currency:
        return ""
    return str(Money(event.amount_minor, event.currency).amount)


def _header(language: str) -> list[str]:
    names = (
        _m("Time"),
        _m("Kind"),
        _m("What happened"),
        _m("Amount"),
        _m("Currency"),
        _m("By"),
        _m("Note"),
        _m("Files (SHA-256)"),
    )
    return [name.render(language) for name in names]


def event_name(kind: str, language: str) -> str:
    """A kind of event (`timeline.KINDS`) said in `language`."""
    return word("timeline_event", kind, language)


def rows(events: Sequence[Event], language: str, labels: Labels, zone: str) -> list[list[str]]:
    """One row per event, in the creditor's timezone, as text."""
    here = ZoneInfo(zone)
    return [
        [
            _moment(e, here),
            event_name(e.kind, language),
            describe(e, language, labels),
            amount_of(e),
            e.currency or "",
            e.actor or "",
            e.note or "",
            " ".join(f"{f.filename} ({f.sha256})" for f in e.attachments),
        ]
        for e in events
    ]


def _moment(event: Event, zone: ZoneInfo) -> str:
    """A dated event's date (it has no time of day), another's moment in the creditor's zone."""
    if SOURCES[event.source].dated:
        return event.at.date().isoformat()
    return event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def csv_bytes(events: Sequence[Event], language: str, labels: Labels, zone: str) -> bytes:
    """The timeline as CSV: UTF-8 with BOM; no text cell is read as a formula (amounts are numbers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(language))
    for row in rows(events, language, labels, zone):
        writer.writerow([cell if index == 3 else escape_text(cell) for index, cell in enumerate(row)])
    return out.getvalue().encode("utf-8-sig")


_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>
@page {{ size: A4 landscape; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif; font-size: 8.5pt; }}
h1 {{ font-size: 13pt; }} table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }}
td.files {{ font-size: 6.5pt; word-break: break-all; }}
</style></head><body><h1>{title}</h1><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>"""


def pdf_bytes(events: Sequence[Event], language: str, labels: Labels, zone: str, *, title: str) -> bytes:
    """The timeline as an A4 PDF table with its fonts embedded (the letters' machinery)."""
    from dunmore.delivery.letter import render_pdf

    head = "".join(f"<th>{escape(h)}</th>" for h in _header(language))
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=files' if i == 7 else ''}>{escape(c)}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows(events, language, labels, zone)
    )
    return render_pdf(_PAGE.format(lang=escape(language), title=escape(title), head=head, body=body))
