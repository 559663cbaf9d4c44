"""The channels a worker sends through, built from settings (the composition root calls this)."""

from __future__ import annotations

from datetime import timedelta

from dunmore.delivery.channels.email import SmtpChannel, SmtpConfig
from dunmore.delivery.channels.sms import SmsGateway, TwilioGateway, WebhookGateway
from dunmore.delivery.signatures import CallbackVerifier, TwilioVerifier, WebhookVerifier
from dunmore.delivery.worker import Outlets
from dunmore.errors import ConfigError
from dunmore.i18n import _m
from dunmore.settings import DEMO_SMTP_HOST, Settings, SmsSettings


def outlets(settings: Settings, *, demo: bool = False) -> Outlets:
    """The channels of `settings`; with no SMTP host, no e-mail channel (e-mails wait and are
    retried), except on the demo database, whose e-mails go to 127.0.0.1 (see `delivery.readiness`)."""
    smtp = settings.smtp
    host = smtp.host or (DEMO_SMTP_HOST if demo else None)
    if host is None:
        return Outlets(email=None, sms=sms_gateway(settings.sms))
    config = SmtpConfig(
        host=host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=smtp.password.get_secret_value() if smtp.password else None,
        timeout=smtp.timeout,
        ca_file=str(smtp.ca_file) if smtp.ca_file else None,
    )
    return Outlets(email=lambda: SmtpChannel(config), sms=sms_gateway(settings.sms))


def sms_gateway(sms: SmsSettings) -> SmsGateway | None:
    """The configured gateway; None for a webhook without a URL (SMS deliveries then wait)."""
    if sms.adapter == "twilio":
        return TwilioGateway(
            account_sid=sms.account_sid,
            auth_token=sms.auth_token.get_secret_value() if sms.auth_token else "",
            from_number=sms.sender,
            base_url=sms.url or "https://api.twilio.com",
            status_callback_url=sms.status_callback_url,
        )
    if sms.url is None:
        return None
    return WebhookGateway(url=sms.url, token=sms.token.get_secret_value() if sms.token else None)


def callback_verifier(sms: SmsSettings) -> CallbackVerifier:
    """The check of the configured gateway's signature on its status callbacks; refuses (ConfigError)
    settings that leave nothing to check a signature with."""
    if sms.adapter == "twilio":
        if sms.auth_token is None or not sms.auth_token.get_secret_value() or not sms.status_callback_url:
            raise ConfigError(
                _m(
                    "Twilio's status callbacks cannot be verified: set DUNMORE_SMS__AUTH_TOKEN and "
                    "DUNMORE_SMS__STATUS_CALLBACK_URL (the public URL Twilio posts to)"
                )
            )
        return TwilioVerifier(sms.auth_token.get_secret_value(), sms.status_callback_url)
    if sms.callback_secret is None or not sms.callback_secret.get_secret_value():
        raise ConfigError(
            _m(
                "the SMS status callbacks cannot be verified: set DUNMORE_SMS__CALLBACK_SECRET, the secret "
                "your SMS service signs its callbacks with"
            )
        )
    return WebhookVerifier(sms.callback_secret.get_secret_value(), timedelta(seconds=sms.callback_max_age))
