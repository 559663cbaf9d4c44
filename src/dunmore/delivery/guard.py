"""The compliance guard: before each send, may this delivery go out now, later, or never?

Pure: the situation of one delivery and the rules in, a verdict out; `now` is passed in. Contact
windows are judged in the debtor's own timezone, so one instant can be inside the window for a
debtor in Shanghai and outside it for one in New York. A delivery outside its window or over its
frequency cap waits (it is deferred to the moment it may go); a hold, a new dispute or a
cease-contact request cancels it. Every verdict carries a stable reason code and a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dunmore.i18n import _m

Action = Literal["send", "defer", "cancel"]


@dataclass(frozen=True, slots=True)
class ContactRules:
    windows: Mapping[str, tuple[time, time]] = field(default_factory=dict)  # channel → [start, end)
    caps: Mapping[str, int] = field(default_factory=dict)  # channel → at most this many per cap_days
    cap_days: int = 7
    cease_contact_channels: frozenset[str] = frozenset({"letter"})


@dataclass(frozen=True, slots=True)
class Situation:
    """What the guard needs to know about one delivery, read from the store just before sending."""

    channel: str
    timezone: str  # the debtor's IANA timezone
    cease_contact: bool = False
    on_hold: bool = False  # the customer or an item of the notice is on hold
    disputed_since_notice: bool = False  # an item of the notice was disputed after the notice was made
    recent_sends: Sequence[datetime] = ()  # this debtor's sends on this channel within the cap period


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reason: str | None = None  # stable code: contact_window, frequency_cap, cease_contact, hold, dispute
    until: datetime | None = None  # when a deferred delivery may be tried again (UTC)
    detail: str = ""


SEND = Verdict("send")


def judge(situation: Situation, rules: ContactRules, now: datetime) -> Verdict:
    """The verdict for one delivery at `now` (an aware datetime)."""
    for check in (_hold, _dispute, _cease_contact, _window, _cap):
        verdict = check(situation, rules, now)
        if verdict is not None:
            return verdict
    return SEND


def _hold(situation: Situation, rules: ContactRules, now: datetime) -> Verdict | None:
    if not situation.on_hold:
        return None
    return Verdict("cancel", "hold", detail=str(_m("the customer or an item of the notice is on hold")))


def _dispute(situation: Situation, rules: ContactRules, now: datetime) -> Verdict | None:
    if not situation.disputed_since_notice:
        return None
    detail = str(_m("an item of the notice was disputed after the notice was made"))
    return Verdict("cancel", "dispute", detail=detail)


def _cease_contact(situation: Situation, rules: ContactRules, now: datetime) -> Verdict | None:
    if not situation.cease_contact or situation.channel in rules.cease_contact_channels:
        return None
    allowed = ", ".join(sorted(rules.cease_contact_channels)) or "none"
    return Verdict(
        "cancel",
        "cease_contact",
        detail=str(
            _m("the debtor asked not to be contacted; channels still allowed: %(allowed)s", allowed=allowed)
        ),
    )


def _window(situation: Situation, rules: ContactRules, now: datetime) -> Verdict | None:
    window = rules.windows.get(situation.channel)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(situation.timezone))
    if start <= local.time() < end:
        return None
    opens = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if local.time() >= end:
        opens = _same_wall_time_next_day(opens)
    return Verdict(
        "defer",
        "contact_window",
        until=opens.astimezone(ZoneInfo("UTC")),
        detail=str(
            _m(
                "%(local)s in %(zone)s is outside %(start)s-%(end)s",
                local=local.strftime("%H:%M"),
                zone=situation.timezone,
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
            )
        ),
    )


def _same_wall_time_next_day(moment: datetime) -> datetime:
    """The same local wall time a calendar day later (across a DST change, still that wall time)."""
    day = moment.date() + timedelta(days=1)
    return datetime.combine(day, moment.timetz().replace(tzinfo=None), tzinfo=moment.tzinfo)


def _cap(situation: Situation, rules: ContactRules, now: datetime) -> Verdict | None:
    cap = rules.caps.get(situation.channel)
    period = timedelta(days=rules.cap_days)
    recent = sorted(sent for sent in situation.recent_sends if now - period < sent <= now)
    if cap is None or len(recent) < cap:
        return None
    # The send that frees a place is the cap-th most recent one leaving the rolling period.
    frees = recent[len(recent) - cap] + period
    return Verdict(
        "defer",
        "frequency_cap",
        until=frees,
        detail=str(
            _m(
                "%(count)s %(channel)s messages in the last %(days)s days (cap %(cap)s)",
                count=len(recent),
                channel=situation.channel,
                days=rules.cap_days,
                cap=cap,
            )
        ),
    )
