"""Email over SMTP: build a notice (plain text + HTML, an optional PDF letter) and send it through one
kept-open connection. The receipt holds the server's own final reply to DATA, as proof of hand-over.

The idempotency key of an email is its Message-ID, derived from the delivery id (`message_id`): a
resend after a crash carries the same Message-ID, so the receiving side can collapse the duplicate.
"""

from __future__ import annotations

import copy
import io
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import encoders, policy, utils
from email import errors as email_errors
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from functools import lru_cache
from types import TracebackType
from typing import Final, Literal, Self

from dunmore.delivery.channels.base import Receipt, SendError
from dunmore.i18n import _m

SmtpSecurity = Literal["none", "starttls", "ssl"]
Attachment = tuple[str, bytes, str]  # (filename, content, mimetype such as "application/pdf")

# What to do when a stage answers 5xx; a 4xx answer is always "temporary, retried later".
_ADVICE: Final[Mapping[str, str]] = {
    "greeting": "the server refuses this client; check the SMTP host and port in settings",
    "EHLO": "the server refuses this client; check the SMTP host and port in settings",
    "STARTTLS": "check the SMTP security setting (none, starttls or ssl) in settings",
    "AUTH": "check the SMTP username and password in settings",
    "MAIL FROM": "the server refuses the sender address; check the sender address in settings",
    "RCPT TO": "the recipient address is refused; correct the debtor's email address",
    "DATA": "the server refused the message itself (policy, size or content); read its reply before "
    "sending again",
    "the send": "read the server's reply before sending again",
}
_RETRY: Final = "the outbox retries it later"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    """Where and how to reach the SMTP server. `ca_file` trusts a private CA (e.g. a self-signed
    test certificate); `verify=False` turns certificate checks off and is for local servers only."""

    host: str
    port: int
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: str | None = None
    verify: bool = True
    local_hostname: str | None = None  # the name sent in EHLO; the machine's FQDN when None

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the notices come from, and where replies go (e.g. the collections team's mailbox)."""

    address: str
    name: str = ""
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope of a message: the bounce address and every recipient (To, Cc, Bcc)."""

    sender: str
    recipients: tuple[str, ...]

    @property
    def international(self) -> bool:
        return not all(address.isascii() for address in (self.sender, *self.recipients))


def message_id(delivery_id: int, domain: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, so duplicates can be collapsed."""
    return f"<dunmore.delivery.{delivery_id}@{domain}>"


def build_email(
    *,
    sender: Sender,
    to_address: str,
    to_name: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    attachments: Sequence[Attachment] = (),
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
    date: datetime | None = None,
) -> Message:
    """A notice as a MIME message: text and HTML alternatives (inside multipart/mixed when files are
    attached), UTF-8 throughout, Chinese names and subjects encoded per RFC 2047 (raw UTF-8 when an
    address itself is not ASCII: such a message only goes to a server that offers SMTPUTF8).

    Pass the delivery's creation time as `date` so that a resend is the same message. An invalid
    address raises a permanent `SendError`, as the server would refuse it anyway.

    Built with the email package's MIME classes under its `compat32` policy, whose headers are
    strings encoded once: the default policy parses every header into a tree when it is set and
    folds that tree again when the message is written, which was 2.1 of the 2.6 ms a notice cost the
    worker (see docs/design/delivery.md, "Sending speed"). What the server receives is the same
    message, which the tests read back with the default policy.
    """
    sender_address = _known_address(sender.name, sender.address, role="sender")
    recipient = _address(to_name, to_address, role="recipient")
    reply_to = _known_address("", sender.reply_to, role="reply-to") if sender.reply_to else None
    raw = not all(a.addr_spec.isascii() for a in (sender_address, recipient, reply_to) if a is not None)
    body = MIMEMultipart("alternative", _subparts=[_text(text, "plain"), _text(html, "html")])
    message = body
    if attachments:
        files = [_attachment(*attachment) for attachment in attachments]
        message = MIMEMultipart("mixed", _subparts=[body, *files])
        del body["MIME-Version"]  # the one at the top is the message's
    message["From"] = _header_address(sender_address, raw)
    message["To"] = _header_address(recipient, raw)
    if reply_to is not None:
        message["Reply-To"] = _header_address(reply_to, raw)
    message["Subject"] = _header_text(subject, "Subject", raw)
    message["Date"] = utils.format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id
    if language:
        message["Content-Language"] = language
    for name, value in (headers or {}).items():  # set last, so that they replace any of the above
        del message[name]
        message[name] = _header_text(value, name, raw)
    return message


def _text(content: str, subtype: str) -> MIMEBase:
    part = MIMEBase("text", subtype)
    del part["MIME-Version"]  # the one at the top is the message's
    part.set_payload(content, _body_charset(content))  # encodes it, and says how in the part's headers
    return part


def _body_charset(content: str) -> Charset:
    """Base64 for non-ASCII text: compact for Chinese and safe on servers without 8BITMIME; ASCII
    as it is, or quoted-printable when a line is longer than 78 characters."""
    if not content.isascii():
        return Charset("utf-8")  # the package's default for UTF-8 bodies is base64
    charset = Charset("us-ascii")
    if not all(len(line) <= 78 for line in content.splitlines()):
        charset.body_encoding = QP
    return charset


def _attachment(filename: str, content: bytes, mimetype: str) -> MIMEBase:
    maintype, _, subtype = mimetype.partition("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(content)
    encoders.encode_base64(part)
    name: str | tuple[str, str, str] = filename if filename.isascii() else ("utf-8", "", filename)
    part.add_header("Content-Disposition", "attachment", filename=name)  # RFC 2231 when not ASCII
    del part["MIME-Version"]
    return part


def _header_address(address: Address, raw: bool) -> str:
    if raw:
        return str(address)
    return utils.formataddr((address.display_name, address.addr_spec), charset="utf-8")


def _header_text(value: str, name: str, raw: bool) -> str:
    """A header's text as written: on one line (a line break in a subject made of a customer's name
    would otherwise start a header of its own), then encoded words unless ASCII or `raw`."""
    value = " ".join(value.splitlines())
    if raw or value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode()  # encoded words, folded


def envelope(message: Message) -> Envelope:
    """The envelope of `message` from its headers (Sender or From; To, Cc and Bcc), checked."""
    senders = message.get_all("Sender") or message.get_all("From") or []
    found = [address for header in senders for address in _addresses(header)]
    if not found:
        raise SendError(
            str(_m("the message has no From address; the notice cannot be sent")), transient=False
        )
    recipients = tuple(
        address
        for name in ("To", "Cc", "Bcc")
        for header in message.get_all(name) or []
        for address in _addresses(header)
    )
    if not recipients:
        raise SendError(
            str(_m("the message has no recipient; add the debtor's email address")), transient=False
        )
    return Envelope(sender=found[0], recipients=recipients)


class _Closed(Exception):
    """A kept connection was found closed at MAIL FROM: send the message again on a new one."""


class SmtpChannel:
    """Sends messages over one SMTP connection, opened at the first send and kept for the next ones.

    A kept connection the server closed meanwhile (idle timeout, restart) shows at the message's first
    command, MAIL FROM, as a lost connection or a 421 reply: the channel then opens a new connection and
    sends the message on it, so the caller never sees it. That is safe, as no part of the message has
    been handed over before DATA; and it costs nothing per message, where a NOOP before each message
    was one round trip in six. Use as a context manager; one channel
    serves one thread. Every failure is a `SendError` saying what happened, the server's reply and
    what to do; `transient` ones are worth retrying.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if there is one; never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: Message) -> Receipt:
        """Hand `message` to the server; the receipt's `reply` is the server's final reply to DATA."""
        addresses = envelope(message)
        try:
            if self._smtp is not None:
                try:
                    return self._transact(self._smtp, addresses, message, kept=True)
                except _Closed:
                    self._drop()
            self._smtp = _connect(self.config)
            return self._transact(self._smtp, addresses, message, kept=False)
        except SendError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise _session_error(self.config, "the send", exc) from exc

    def _transact(self, smtp: smtplib.SMTP, addresses: Envelope, message: Message, *, kept: bool) -> Receipt:
        """MAIL, RCPT for each recipient, DATA. One refused recipient stops the whole message: a
        partial send could not be retried without a duplicate for those who got it. On a `kept`
        connection, a MAIL FROM that finds it closed raises `_Closed` (nothing was handed over)."""
        data, options = _flatten(smtp, message, addresses, self.config)
        try:
            code, answer = smtp.mail(addresses.sender, options)
        except (smtplib.SMTPServerDisconnected, OSError):
            if kept:
                raise _Closed from None
            raise
        if code == 421 and kept:  # the server says it is closing the connection (an idle timeout)
            raise _Closed
        self._expect(smtp, "MAIL FROM", code, answer)
        for recipient in addresses.recipients:
            code, answer = smtp.rcpt(recipient)
            self._expect(smtp, "RCPT TO", code, answer, accepted=(250, 251), subject=f"<{recipient}>")
        reply: bytes | str
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as exc:  # the DATA command itself was not answered with 354
            code, reply = exc.smtp_code, exc.smtp_error
        self._expect(smtp, "DATA", code, reply)
        return Receipt(provider_id=None, reply=_reply_text(code, reply), content=data)

    def _expect(
        self,
        smtp: smtplib.SMTP,
        stage: str,
        code: int,
        reply: bytes | str,
        *,
        accepted: tuple[int, ...] = (250,),
        subject: str = "",
    ) -> None:
        """Raise the `SendError` for a refused stage, leaving the connection usable when possible."""
        if code in accepted:
            return
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            _reset(smtp)
        raise _refusal(self.config, f"{stage} {subject}".strip(), stage, code, reply)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = config.ssl_context() if config.security != "none" else None
    stage = "greeting"
    smtp: smtplib.SMTP | None = None
    try:
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, config.local_hostname, timeout=config.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, config.local_hostname, timeout=config.timeout)
        stage = "EHLO"
        smtp.ehlo_or_helo_if_needed()
        if config.security == "starttls":
            stage = "STARTTLS"
            smtp.starttls(context=context)
            stage = "EHLO"
            smtp.ehlo_or_helo_if_needed()
        if config.username:
            stage = "AUTH"
            smtp.login(config.username, config.password or "")
    except BaseException as exc:
        if smtp is not None:
            smtp.close()
        if isinstance(exc, smtplib.SMTPException | OSError):
            raise _session_error(config, stage, exc) from exc
        raise
    return smtp


def _session_error(config: SmtpConfig, stage: str, exc: smtplib.SMTPException | OSError) -> SendError:
    """Translate an exception of smtplib or the socket, raised at `stage`, into a `SendError`."""
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(
            f"SMTP server {config.server} does not offer {stage} ({exc}); {_ADVICE[stage]}",
            transient=False,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _refusal(config, stage, stage, exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendError(
            f"SMTP server {config.server} closed the connection during {stage} ({exc}); {_RETRY}",
            transient=True,
        )
    if isinstance(exc, smtplib.SMTPException):  # e.g. no AUTH mechanism in common
        return SendError(
            f"SMTP {stage} with {config.server} failed: {exc}; {_ADVICE[stage]}", transient=False
        )
    return _network_error(config, exc)


def _refusal(config: SmtpConfig, what: str, stage: str, code: int, reply: bytes | str) -> SendError:
    transient = 400 <= code < 500 or code < 0  # code -1: an unreadable reply, likely a broken link
    advice = f"a temporary refusal; {_RETRY}" if transient else _ADVICE[stage]
    return SendError(
        f"SMTP server {config.server} refused {what} with '{_reply_text(code, reply)}'; {advice}",
        transient=transient,
    )


def _network_error(config: SmtpConfig, exc: OSError) -> SendError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendError(
            f"the certificate of SMTP server {config.server} is not trusted ({exc.verify_message}); "
            "check the SMTP host name and CA file in settings",
            transient=False,
        )
    what = "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__}: {exc})"
    return SendError(
        f"connection to SMTP server {config.server} {what}; the outbox retries it later (if it lasts, "
        "check that the server is up and the SMTP host and port in settings)",
        transient=True,
    )


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a refusal, so the next message starts clean; a failing RSET shows at the next NOOP."""
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _flatten(
    smtp: smtplib.SMTP, message: Message, addresses: Envelope, config: SmtpConfig
) -> tuple[bytes, list[str]]:
    """The message as bytes with CRLF line ends (Bcc left out), and the MAIL FROM options it needs."""
    if "Bcc" in message:
        message = copy.copy(message)  # a shallow copy: deleting a header does not touch the original
        del message["Bcc"]
    options: list[str] = []
    generator_policy = message.policy
    if addresses.international:
        if not smtp.has_extn("smtputf8"):
            raise SendError(
                f"SMTP server {config.server} cannot take non-ASCII addresses (no SMTPUTF8): "
                f"{', '.join(addresses.recipients)}; use an ASCII address for this debtor",
                transient=False,
            )
        generator_policy = policy.SMTPUTF8
        options += ["SMTPUTF8", "BODY=8BITMIME"]
    with io.BytesIO() as buffer:
        BytesGenerator(buffer, policy=generator_policy).flatten(message, linesep="\r\n")
        data = buffer.getvalue()
    if smtp.has_extn("size"):
        options.append(f"SIZE={len(data)}")
    return data, options


def _address(name: str, address: str, *, role: str) -> Address:
    try:
        parsed = Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError, email_errors.HeaderParseError) as exc:
        said = _m(
            "the %(role)s address %(address)s is not valid (%(why)s); correct it",
            role=role,
            address=repr(address),
            why=str(exc),
        )
        raise SendError(str(said), transient=False) from exc
    if not parsed.username or not parsed.domain or any(c.isspace() for c in address):
        said = _m("the %(role)s address %(address)s is not a valid email address; correct it",
                  role=role, address=repr(address))  # fmt: skip
        raise SendError(str(said), transient=False)
    return parsed


@lru_cache(maxsize=64)
def _known_address(name: str, address: str, *, role: str) -> Address:
    """`_address` of the creditor's own addresses, the same on every message of a worker: parsed
    once (an invalid one raises each time, as nothing is kept of a call that raised)."""
    return _address(name, address, role=role)


def _addresses(header: object) -> list[str]:
    found = getattr(header, "addresses", None)
    if found is not None:
        return [address.addr_spec for address in found if address.addr_spec]
    return [address for _, address in utils.getaddresses([str(header)]) if address]


def _reply_text(code: int, reply: bytes | str) -> str:
    return f"{code} {reply if isinstance(reply, str) else reply.decode('utf-8', errors='replace')}"
