"""The one settings object: environment variables `DUNMORE_*`, a TOML file, then CLI flags.

Built once in the composition root (the CLI or the web app) and passed in; nothing reads it at import.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from dunmore.errors import ConfigError
from dunmore.i18n import _m

# What a creditor left unset stands for: fine on the demo database, refused by the worker elsewhere.
DEMO_CREDITOR_NAME = "Dunmore Demo Trading Co., Ltd."
DEMO_CREDITOR_EMAIL = "ar@example.com"
DEMO_SMTP_HOST = "127.0.0.1"


class Signatories(BaseModel):
    """Who signs a notice, in the notice's language: the sender's department. One text for every
    language is accepted too (`signatory = "财务部"`)."""

    model_config = {"extra": "forbid"}

    zh_cn: str = Field(default="应收账款部", description="Signs notices in simplified Chinese.")
    zh_tw: str = Field(default="應收帳款部", description="Signs notices in traditional Chinese.")
    en: str = Field(default="Accounts Receivable", description="Signs notices in English.")

    @model_validator(mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        """`zh-CN`, `zh_CN` and `zh_cn` name the same language (dunmore.toml, environment)."""
        if isinstance(value, dict):
            return {str(key).lower().replace("-", "_"): text for key, text in value.items()}
        return value

    def by_language(self) -> dict[str, str]:
        return {"zh-CN": self.zh_cn, "zh-TW": self.zh_tw, "en": self.en}


class CreditorSettings(BaseModel):
    """Who is owed: printed on every notice, and whose country's holidays move deadlines."""

    model_config = {"extra": "forbid"}

    name: str = Field(
        default=DEMO_CREDITOR_NAME,
        description="The creditor's legal name (the default is the demo's: the worker refuses it outside "
        "the demo database).",
    )
    address: list[str] = Field(default_factory=list, description="Postal address, one line per entry.")
    phone: str = Field(default="", description="Phone number debtors may call.")
    email: str = Field(
        default=DEMO_CREDITOR_EMAIL,
        description="Address notices come from and replies go to (the default is the demo's: the worker "
        "refuses it outside the demo database).",
    )
    country: str = Field(default="CN", description="ISO country code: its public holidays move deadlines.")
    signatory: Signatories | str = Field(
        default_factory=Signatories,
        description="Who signs notices, per language (signatory.zh_cn, .zh_tw, .en; env "
        "DUNMORE_CREDITOR__SIGNATORY__ZH_CN …), or one text for all; default 应收账款部 / 應收帳款部 / "
        "Accounts Receivable.",
    )
    payment_instructions: list[str] = Field(
        default_factory=list, description="How to pay: bank, account, reference; one line per entry."
    )
    sms_signature: str = Field(
        default="",
        description="The SMS signature registered with the gateway, e.g. 明远精密 (default: name).",
    )
    pay_url: str | None = Field(
        default=None,
        description="A pay-by-link address the portal shows beside the payment instructions (e.g. the "
        "bank's or the payment provider's page); unset, the portal shows the instructions only.",
    )

    def signatory_in(self, language: str) -> str:
        """Who signs a notice in `language` (zh-CN, zh-TW or en)."""
        if isinstance(self.signatory, str):
            return self.signatory
        return self.signatory.by_language().get(language, self.signatory.en)


class SmtpSettings(BaseModel):
    model_config = {"extra": "forbid"}

    host: str | None = Field(
        default=None,
        description="SMTP server host: required to send e-mail, except on the demo database, whose "
        f"e-mails go to {DEMO_SMTP_HOST} when it is not set.",
    )
    port: int = Field(default=25, description="SMTP server port (587 with starttls, 465 with ssl).")
    security: Literal["none", "starttls", "ssl"] = Field(default="none", description="Transport security.")
    username: str | None = Field(default=None, description="Login name, if the server asks for AUTH.")
    password: SecretStr | None = Field(default=None, description="Password for AUTH.")
    timeout: float = Field(default=30.0, description="Seconds to wait for the server.")
    ca_file: Path | None = Field(default=None, description="CA certificate file to verify the server with.")
    from_name: str | None = Field(default=None, description="Display name of From (default: creditor name).")
    reply_to: str | None = Field(default=None, description="Reply-To address (default: creditor e-mail).")


class SmsSettings(BaseModel):
    model_config = {"extra": "forbid"}

    adapter: Literal["webhook", "twilio"] = Field(default="webhook", description="SMS gateway adapter.")
    url: str | None = Field(
        default=None, description="Webhook URL (required for webhook), or Twilio's API base (optional)."
    )
    token: SecretStr | None = Field(default=None, description="Webhook bearer token.")
    account_sid: str = Field(default="", description="Twilio account SID.")
    auth_token: SecretStr | None = Field(default=None, description="Twilio auth token.")
    sender: str = Field(default="", description="Sender number or name the gateway sends from.")
    status_callback_url: str | None = Field(
        default=None,
        description="The public URL the gateway posts statuses to; Twilio signs its callbacks over it.",
    )
    callback_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret the webhook gateway signs its status callbacks with (HMAC-SHA256); "
        "`dunmore sms-callbacks` refuses to start without it.",
    )
    callback_max_age: int = Field(
        default=300, ge=1, le=3600, description="Seconds a signed webhook status callback stays valid."
    )


_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class DeliverySettings(BaseModel):
    """The outbox worker and the compliance guard in front of every send."""

    model_config = {"extra": "forbid"}

    templates_dir: Path | None = Field(
        default=None, description="Folder of templates overriding the defaults ({step}/{lang}.jinja)."
    )
    windows: dict[str, str] = Field(
        default_factory=lambda: {
            "email": "08:00-20:00",
            "sms": "08:00-20:00",
            "call": "09:00-18:00",
            "visit": "09:00-18:00",
        },
        description="Contact window per channel in the debtor's local time, HH:MM-HH:MM; "
        "a channel not listed may be used at any hour.",
    )
    caps: dict[str, int] = Field(
        default_factory=lambda: {"email": 3, "sms": 3, "letter": 3},
        description="At most this many messages per debtor and channel within cap_days.",
    )
    cap_days: int = Field(default=7, ge=1, description="The rolling window of the frequency caps, in days.")
    cease_contact_channels: list[str] = Field(
        default_factory=lambda: ["letter"],
        description="Channels still used for a debtor who asked not to be contacted.",
    )
    max_attempts: int = Field(default=8, ge=1, description="Attempts before a delivery goes dead.")
    retry_seconds: float = Field(
        default=60.0, gt=0, description="First retry delay; each later one doubles it (exponential backoff)."
    )
    lease_seconds: float = Field(
        default=300.0, gt=0, description="How long a claimed delivery is a worker's before others retake it."
    )
    batch_size: int = Field(default=50, ge=1, description="Deliveries claimed at a time.")
    letter_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes a worker prints a batch's PDF letters in (WeasyPrint lays out one letter "
        "per process at a time); 1 prints them in the worker itself.",
    )
    portal_url: str | None = Field(
        default=None,
        description="Link to the debtor portal, e.g. https://dunmore.example.cn/portal/l/{token} ({token} "
        "is replaced by a signed link to the customer's portal, made when the notice is rendered; "
        "{reference}, the older form, by the notice reference); unset, notices carry no link.",
    )

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: dict[str, str]) -> dict[str, str]:
        for channel, window in value.items():
            if parse_window(window) is None:
                raise ValueError(f"window of {channel}: {window!r} is not HH:MM-HH:MM with start before end")
        return value


def parse_window(text: str) -> tuple[time, time] | None:
    """`"08:00-20:00"` → (08:00, 20:00); None when malformed or empty."""
    match = _WINDOW.match(text.strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2, m2) > (24, 0) or (h1, m1) >= (h2, m2):
        return None
    return time(h1, m1), (time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2))


class RunSettings(BaseModel):
    """The dunning run."""

    model_config = {"extra": "forbid"}

    max_days_ahead: int = Field(
        default=1,
        ge=0,
        description="How many days after today (the creditor's date) a run's --as-of may be: a date "
        "further ahead is refused as a typo, since a run's deliveries and levels would follow it.",
    )


class WorklistSettings(BaseModel):
    """The collector's worklist and the run's tasks."""

    model_config = {"extra": "forbid"}

    broken_promise_days: int = Field(
        default=14, ge=1, le=365, description="Days a broken promise stays on the worklist unless worked."
    )
    task_escalation_days: int = Field(
        default=2,
        ge=0,
        le=365,
        description="Days past its due date after which an open task alerts the managers.",
    )


class WebSettings(BaseModel):
    """The web application (`dunmore serve`)."""

    model_config = {"extra": "forbid"}

    secret_key: SecretStr | None = Field(
        default=None,
        description='Signs the session cookies (at least 32 characters, e.g. `python -c "import secrets; '
        'print(secrets.token_urlsafe(48))"`); required except on the demo database, which makes one.',
    )
    https_only: bool = Field(
        default=False,
        description="Send the session cookie only over https (Secure): set it when served behind https.",
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30, description="Hours a sign-in lasts.")


class WebhookSettings(BaseModel):
    """Posting events to webhook subscribers (`dunmore webhooks`); the worker's lease and batch size
    are the delivery settings'."""

    model_config = {"extra": "forbid"}

    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Seconds to wait for a subscriber to connect and answer."
    )
    max_attempts: int = Field(default=8, ge=1, le=50, description="Attempts before a webhook goes dead.")
    retry_seconds: float = Field(
        default=60.0, gt=0, description="First retry delay; each later one doubles it (exponential backoff)."
    )


class WorkspaceSettings(BaseModel):
    """The collectors' workspace: disputes and waivers, and when the run alerts a customer's owner
    and the managers."""

    model_config = {"extra": "forbid"}

    dispute_sla_days: int = Field(
        default=14, ge=1, le=365, description="Days an open dispute may stay open before it is overdue."
    )
    statement_confirm_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days a customer has to confirm or dispute a statement of account.",
    )
    waiver_approval_minor: dict[str, int] = Field(
        default_factory=lambda: {"CNY": 50000},
        description="Per currency, the waived amount (minor units) above which a waiver waits for a "
        "manager's approval; a currency not listed needs none.",
    )
    contract_approval_minor: dict[str, int] = Field(
        default_factory=lambda: {"CNY": 100_000_000},
        description="Per currency, the contract amount (minor units) above which only a manager approves "
        "its schedule; below it any colleague with contract.manage may (never the one who drafted it).",
    )
    alert_level: int = Field(
        default=3,
        ge=1,
        le=99,
        description="A customer reaching this dunning level (for the first time in an episode) alerts its "
        "owner and the managers.",
    )
    high_value_minor: dict[str, int] = Field(
        default_factory=dict,
        description="Per currency, the amount (minor units) from which an invoice becoming overdue alerts, "
        'e.g. {"CNY": 10000000} for ¥100,000.00; a currency not named never alerts.',
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DUNMORE_", env_nested_delimiter="__", toml_file="dunmore.toml", extra="forbid"
    )

    database_url: str = Field(
        default="sqlite:///dunmore.db",
        description="SQLAlchemy URL of the database: sqlite:///file.db (default) or postgresql://…",
    )

    timezone: str = Field(
        default="Asia/Shanghai",
        description="The creditor's IANA timezone: it decides what 'today' (the business date) is.",
    )

    creditor: CreditorSettings = Field(default_factory=CreditorSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    run: RunSettings = Field(default_factory=RunSettings)
    worklist: WorklistSettings = Field(default_factory=WorklistSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}: use an IANA name such as Asia/Shanghai") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides: str) -> Settings:
    """Settings from the environment and dunmore.toml, then `overrides`; errors as `ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            _m(
                "invalid settings (environment DUNMORE_*, dunmore.toml or flags): %(problems)s",
                problems=problems,
            )
        ) from exc
    except SettingsError as exc:
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ConfigError(
            _m(
                "invalid settings (environment DUNMORE_*, dunmore.toml or flags): %(problems)s",
                problems=str(exc) + cause,
            )
        ) from exc
