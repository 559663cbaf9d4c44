"""The channels a worker sends through, built from settings (the composition root calls this)."""

from __future__ import annotations

from dunmore.delivery.channels.email import SmtpChannel, SmtpConfig
from dunmore.delivery.channels.sms import SmsGateway, TwilioGateway, WebhookGateway
from dunmore.delivery.worker import Outlets
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
