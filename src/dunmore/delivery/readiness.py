"""Whether a worker may send from this database: the settings sending needs, checked before it starts.

Out of the box the creditor is the demo's ("Dunmore Demo Trading Co., Ltd.", ar@example.com), and
neither an SMTP server nor an SMS gateway is set. On the demo database (marked by `dunmore demo`)
that is what the demo is for: a worker sends as the demo creditor, its e-mails to 127.0.0.1:25, and
says so when it starts. On any other database a worker refuses to start until every setting it
would need is set: the creditor's name, address and e-mail always; the SMTP host when e-mail is in
use, the SMS gateway when SMS is — in use meaning queued in the outbox or a channel of the loaded
policy, so a notice the next run writes finds its channel configured too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection

from dunmore.delivery.outbox import queued_channels
from dunmore.domain.policy import sent_steps
from dunmore.errors import RunError
from dunmore.i18n import Text, _m
from dunmore.run.service import current_policy
from dunmore.settings import DEMO_CREDITOR_EMAIL, DEMO_CREDITOR_NAME, DEMO_SMTP_HOST, Settings, SmsSettings
from dunmore.store.meta import is_demo_database


@dataclass(frozen=True, slots=True)
class MissingSetting:
    """A setting sending needs that is not set: what it is, why it counts as missing, where to set it."""

    what: str  # "creditor name"
    why: str  # "is still the demo's 'Dunmore Demo Trading Co., Ltd.'"
    env: str  # the environment variable, "DUNMORE_CREDITOR__NAME"
    key: str  # the dunmore.toml key, "creditor.name"

    def __str__(self) -> str:
        return f"{self.what} {self.why}: set {self.env} or {self.key} in dunmore.toml"


@dataclass(frozen=True, slots=True)
class Readiness:
    """What a worker about to start on a database must know: what refuses it, and what to tell."""

    demo: bool  # the database is the demo's: demo values stand in for what is not set
    missing: tuple[MissingSetting, ...]  # refuse to start unless empty
    notes: tuple[Text, ...]  # said at start, in the reader's language


def missing_settings(settings: Settings, *, channels: Collection[str]) -> list[MissingSetting]:
    """Every setting that sending on `channels` needs and that is unset or still the demo's."""
    return [*_creditor(settings), *_email(settings, channels), *_sms(settings, channels)]


def sending_problems(settings: Settings, *, channels: Collection[str], demo: bool) -> list[MissingSetting]:
    """What stops a worker from starting: nothing on the demo database, the missing settings elsewhere."""
    return [] if demo else missing_settings(settings, channels=channels)


def start_notes(settings: Settings, *, channels: Collection[str], demo: bool) -> list[Text]:
    """What a worker on the demo database says when it starts: which demo values it uses."""
    if not demo:
        return []
    notes = []
    if {m.key for m in _creditor(settings)} & {"creditor.name", "creditor.email"}:
        notes.append(
            _m(
                "demo database: notices go out as the demo creditor %(name)s <%(email)s>; set "
                "DUNMORE_CREDITOR__NAME and __EMAIL to send as yourself",
                name=settings.creditor.name,
                email=settings.creditor.email,
            )
        )
    attempts = settings.delivery.max_attempts
    if _email(settings, channels):
        notes.append(
            _m(
                "no SMTP host is set (DUNMORE_SMTP__HOST or smtp.host): the demo's e-mails go to "
                "%(host)s:%(port)s; while nothing answers there each is retried with backoff, "
                "%(attempts)s attempts in all, then waits in `dunmore deliveries list --status dead`",
                host=DEMO_SMTP_HOST,
                port=settings.smtp.port,
                attempts=attempts,
            )
        )
    if _sms(settings, channels):
        notes.append(
            _m(
                "no SMS gateway is set (DUNMORE_SMS__ADAPTER and __URL): the demo's SMS are retried, "
                "%(attempts)s attempts in all, then wait in `dunmore deliveries list --status dead`",
                attempts=attempts,
            )
        )
    return notes


def channels_in_use(conn: Connection) -> set[str]:
    """The channels of the queued deliveries and of every step of the loaded policy."""
    try:
        policies = list(current_policy(conn).policies.policies.values())
    except RunError:  # no policy loaded yet
        policies = []
    steps = [step for policy in policies for step in sent_steps(policy)]
    return queued_channels(conn) | {channel for step in steps for channel in step.channels}


def check(conn: Connection, settings: Settings) -> Readiness:
    """Whether a worker may start on this database with these settings, and what it should say."""
    demo = is_demo_database(conn)
    channels = channels_in_use(conn)
    return Readiness(
        demo=demo,
        missing=tuple(sending_problems(settings, channels=channels, demo=demo)),
        notes=tuple(start_notes(settings, channels=channels, demo=demo)),
    )


def _creditor(settings: Settings) -> list[MissingSetting]:
    c = settings.creditor
    found = []
    if c.name.strip() in ("", DEMO_CREDITOR_NAME):
        found.append(_demo("creditor name", c.name, "NAME", "name"))
    if not any(line.strip() for line in c.address):
        found.append(
            MissingSetting(
                "creditor address", "is empty", "DUNMORE_CREDITOR__ADDRESS (a JSON list of lines)",
                "creditor.address",
            )
        )  # fmt: skip
    if c.email.strip() in ("", DEMO_CREDITOR_EMAIL):
        found.append(_demo("creditor e-mail", c.email, "EMAIL", "email"))
    return found


def _demo(what: str, value: str, env: str, key: str) -> MissingSetting:
    why = f"is still the demo's {value!r}" if value.strip() else "is empty"
    return MissingSetting(what, why, f"DUNMORE_CREDITOR__{env}", f"creditor.{key}")


def _email(settings: Settings, channels: Collection[str]) -> list[MissingSetting]:
    if "email" not in channels or settings.smtp.host:
        return []
    return [
        MissingSetting(
            "SMTP host", "is not set (e-mail is in use)", "DUNMORE_SMTP__HOST (and __PORT, __SECURITY)",
            "smtp.host",
        )
    ]  # fmt: skip


def _sms(settings: Settings, channels: Collection[str]) -> list[MissingSetting]:
    if "sms" not in channels:
        return []
    sms = settings.sms
    if sms.adapter == "twilio":
        return _twilio(sms)
    if sms.url:
        return []
    return [
        MissingSetting(
            "SMS gateway", "is not set (SMS is in use)",
            "DUNMORE_SMS__ADAPTER (webhook or twilio) and DUNMORE_SMS__URL", "sms.adapter and sms.url",
        )
    ]  # fmt: skip


def _twilio(sms: SmsSettings) -> list[MissingSetting]:
    given = {"account_sid": sms.account_sid, "auth_token": sms.auth_token, "sender": sms.sender}
    return [
        MissingSetting(
            f"Twilio {name.replace('_', ' ')}", "is not set (SMS through Twilio is in use)",
            f"DUNMORE_SMS__{name.upper()}", f"sms.{name}",
        )
        for name, value in given.items()
        if not value
    ]  # fmt: skip
