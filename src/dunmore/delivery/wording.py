"""What the deliveries pages say about a delivery's events: Dunmore's own words in the reader's
language, the gateway's words as the gateway wrote them, labelled as its message.

A delivery event keeps a stable reason code (`contact_window`, `frequency_cap`, `cease_contact`,
`hold`, `dispute`, or the SMS gateway's status) and a detail in English. The details Dunmore writes
itself are sentences of the catalog (`str(_m(…))`), so they are read back in the reader's language
(`i18n.translate_known`); anything else is what the mail server or the SMS gateway answered — a
translation would put words in its mouth, so it is shown as written, after a label that says whose
words they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from dunmore import i18n
from dunmore.i18n import Text, _m

REASONS = {
    "hold": _m("on hold"),
    "dispute": _m("disputed after the notice"),
    "cease_contact": _m("the debtor asked not to be contacted"),
    "contact_window": _m("outside the debtor's contact hours"),
    "frequency_cap": _m("the cap on messages per period was reached"),
    # an SMS gateway's status, as a status callback reported it
    "queued": _m("queued at the gateway"),
    "sent": _m("sent by the gateway"),
    "delivered": _m("delivered to the phone"),
    "failed": _m("the gateway could not send it"),
    "undelivered": _m("not delivered to the phone"),
}
GATEWAYS = {
    "email": _m("Message from the mail server:"),
    "sms": _m("Message from the SMS gateway:"),
}
OTHER_GATEWAY = _m("Message from the sending service:")
# The events whose detail may hold what the receiving side answered: an error, a reply, a status.
GATEWAY_OUTCOMES = frozenset({"transient", "permanent", "sent", "status"})


@dataclass(frozen=True)
class Said:
    """A detail as a page shows it: `label` names whose words `text` are (None: Dunmore's own)."""

    label: str | None
    text: str


def reason(code: str | None, language: str) -> str:
    """A reason code in `language`; a code Dunmore does not know is shown as it is."""
    if not code:
        return ""
    known: Text | None = REASONS.get(code)
    return code if known is None else known.render(language)


def detail(text: str | None, *, outcome: str | None, channel: str, language: str) -> Said:
    """An event's detail for a reader of `language`. `outcome` is the event's (`transient`,
    `deferred`…); None for a delivery's last error, which a deferral or a cancellation writes too."""
    if not text:
        return Said(None, "")
    own = i18n.translate_known(language, text)
    if own is not None:
        return Said(None, own)
    if outcome is not None and outcome not in GATEWAY_OUTCOMES:
        return Said(None, text)  # Dunmore's, written before its words were in the catalog
    return Said(GATEWAYS.get(channel, OTHER_GATEWAY).render(language), text)


def last_error(text: str | None, *, status: str, channel: str, language: str) -> Said:
    """A delivery's last error: a cancelled delivery's is the reason Dunmore cancelled it."""
    outcome = "cancelled" if status == "cancelled" else None
    return detail(text, outcome=outcome, channel=channel, language=language)
