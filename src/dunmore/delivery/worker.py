"""The outbox worker: claims due deliveries, asks the compliance guard, sends, and marks.

One batch: cancel what holds and new disputes made wrong; claim up to `batch_size` due deliveries;
read their notices in one go; then for each, the guard's verdict, the send, and the mark in a
transaction of its own — so that a worker killed at any point loses nothing and can duplicate at most
the one message it was sending (see `dunmore.delivery.outbox`).

Channels: email (SMTP, the PDF letter attached when the step also has a letter), sms (an HTTP
gateway), letter (a PDF added to the run's print batch), call / visit / task (a task for a person).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine

from dunmore.delivery import outbox
from dunmore.delivery.channels.base import SendError
from dunmore.delivery.guard import ContactRules, Situation, judge
from dunmore.delivery.notice_view import StoredNotice, load_notices
from dunmore.delivery.outbox import Claimed, Sent
from dunmore.errors import DeliveryError, DunmoreError, RunConflict
from dunmore.i18n import _m
from dunmore.portal.texts import Texted as PortalTexted
from dunmore.settings import Settings, parse_window
from dunmore.store.db import transaction
from dunmore.webhooks.dispatch import WebhookPoster, WebhookTally
from dunmore.workspace.staff_mail import Sent as StaffMailTally

if TYPE_CHECKING:
    from email.message import Message as MimeMessage

    from dunmore.delivery.channels.base import Receipt
    from dunmore.delivery.channels.sms import SmsGateway
    from dunmore.delivery.letter import Letter, LetterPrinter
    from dunmore.delivery.render import Message, Templates

TASK_CHANNELS = ("call", "visit", "task")
Clock = Callable[[], datetime]


class StopSignal(Protocol):
    """What tells a worker to stop: a `threading.Event`, or a `multiprocessing` one shared by the
    processes of `dunmore worker --processes N`."""

    def set(self) -> None: ...

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class EmailSender(Protocol):
    """What the worker needs of an email channel (`SmtpChannel`, or the fake one)."""

    def send(self, message: MimeMessage) -> Receipt: ...


@dataclass(frozen=True)
class Outlets:
    """The ways out: `email` opens a connection for a whole run of the worker (a context manager)."""

    email: Callable[[], contextlib.AbstractContextManager[EmailSender]] | None = None
    sms: SmsGateway | None = None


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    cancelled: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    webhooks: WebhookTally = field(default_factory=WebhookTally)
    staff_mail: StaffMailTally = field(default_factory=StaffMailTally)
    statement_mail: StaffMailTally = field(default_factory=StaffMailTally)
    portal_texts: PortalTexted = field(default_factory=PortalTexted)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.dead + self.deferred + self.cancelled


def contact_rules(settings: Settings) -> ContactRules:
    d = settings.delivery
    windows = {channel: window for channel, text in d.windows.items() if (window := parse_window(text))}
    return ContactRules(windows, dict(d.caps), d.cap_days, frozenset(d.cease_contact_channels))


class Worker:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        templates: Templates,
        outlets: Outlets,
        clock: Clock = lambda: datetime.now(UTC),
        name: str | None = None,
        stopping: StopSignal | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.templates = templates
        self.outlets = outlets
        # Every moment is stored in UTC: SQLite keeps no offset, so an aware local time would be
        # compared as if it were UTC.
        self.clock: Clock = lambda: clock().astimezone(UTC)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.rules = contact_rules(settings)
        self.tally = Tally()
        # Set (by a signal handler, another thread or the parent process) to stop after the message
        # being sent: the claims not yet started go back to the queue (see `stop`).
        self.stopping: StopSignal = stopping if stopping is not None else threading.Event()
        # The webhook outbox is served by the same loop, with the same lease and batch size.
        self.webhooks = WebhookPoster(
            engine, settings, clock=self.clock, name=self.name, tally=self.tally.webhooks
        )
        self._email: EmailSender | None = None
        self._pdfs: dict[int, bytes] = {}  # letters of this batch's notices: e-mail and letter share one
        self._stack: contextlib.ExitStack | None = None  # what `run` closes: the e-mail connection
        self._printer: LetterPrinter | None = None  # the letter processes, with letter_processes > 1
        self._marks: Connection | None = None  # PostgreSQL: the batch's connection for marks (`_marking`)

    def run(
        self, *, drain: bool = False, poll: float = 2.0, on_batch: Callable[[Tally], None] | None = None
    ) -> Tally:
        """Work until stopped (`stop`, or Ctrl-C), or with `drain` until nothing is due any more."""
        with contextlib.ExitStack() as self._stack, _only_worker(self.engine) as alone:
            try:
                while not self.stopping.is_set():
                    handled = self.batch(retake_all=alone)
                    if on_batch is not None:
                        on_batch(self.tally)
                    if handled == 0:
                        if drain:
                            break
                        self.stopping.wait(poll)
                return self.tally
            finally:
                self._email, self._stack, self._printer = None, None, None

    def batch(self, *, retake_all: bool = False) -> int:
        """Handle one batch of due deliveries, then of due webhooks; returns how many were claimed.
        Called by `run`, which holds the e-mail connection open across batches."""
        notices = self._notices(retake_all=retake_all)
        if self.stopping.is_set():
            return notices
        return (
            notices
            + self.webhooks.batch(retake_all=retake_all)
            + self._staff_mail(retake_all=retake_all)
            + self._statement_mail(retake_all=retake_all)
            + self._portal_texts(retake_all=retake_all)
        )

    def _portal_texts(self, *, retake_all: bool) -> int:
        """One batch of the portal's text messages (one-time codes: `portal.texts`), when SMS is set up."""
        if self.outlets.sms is None:
            return 0
        from dunmore.portal.texts import send_batch

        return send_batch(self.engine, gateway=self.outlets.sms, now=self.clock, worker=self.name,
                          limit=self.settings.delivery.batch_size, tally=self.tally.portal_texts,
                          retake_all=retake_all)  # fmt: skip

    def _statement_mail(self, *, retake_all: bool) -> int:
        """One batch of statements and their reminders (`statements.mail`), when e-mail is set up."""
        if self.outlets.email is None or self._stack is None:
            return 0
        from dunmore.statements.mail import send_batch
        from dunmore.workspace.staff_mail import From

        creditor, smtp = self.settings.creditor, self.settings.smtp
        sender = From(creditor.email or "dunmore@localhost", smtp.from_name or creditor.name)
        return send_batch(self.engine, outlet=self._email_channel(), sender=sender, now=self.clock,
                          worker=self.name, limit=self.settings.delivery.batch_size,
                          tally=self.tally.statement_mail, retake_all=retake_all,
                          settings=self.settings)  # fmt: skip

    def _staff_mail(self, *, retake_all: bool) -> int:
        """One batch of staff mail (alerts, digests: `workspace.staff_mail`), when e-mail is set up."""
        if self.outlets.email is None or self._stack is None:
            return 0
        from dunmore.workspace.staff_mail import From, send_batch

        creditor, smtp = self.settings.creditor, self.settings.smtp
        sender = From(creditor.email or "dunmore@localhost", smtp.from_name or "Dunmore")
        limit = self.settings.delivery.batch_size
        return send_batch(self.engine, outlet=self._email_channel(), sender=sender, now=self.clock,
                          worker=self.name, limit=limit, tally=self.tally.staff_mail,
                          retake_all=retake_all)  # fmt: skip

    def _notices(self, *, retake_all: bool) -> int:
        now = self.clock()
        lease = timedelta(seconds=self.settings.delivery.lease_seconds)
        with transaction(self.engine) as conn:
            self.tally.cancelled += outbox.cancel_held(conn, now=now)
            claimed = outbox.claim(
                conn, now=now, worker=self.name, lease=lease, limit=self.settings.delivery.batch_size,
                retake_all=retake_all,
            )  # fmt: skip
        if not claimed:
            return 0
        self._pdfs.clear()
        with transaction(self.engine) as conn:
            notices = load_notices(conn, {c.notice_id for c in claimed}, self.settings)
            since = now - timedelta(days=self.rules.cap_days)
            recent = outbox.recent_sends(conn, {n.customer_id for n in notices.values()}, since=since)
        self._print_letters(claimed, notices)
        # Stop before the claims run out: past its lease another worker may take a delivery over,
        # and it would be sent twice. What is left is taken again once the lease has passed.
        keep_until = now + lease * 0.8
        with self._marking():
            for done, delivery in enumerate(claimed):
                if self.stopping.is_set():
                    self._release(claimed[done:])
                    break
                if self.clock() >= keep_until:
                    break
                self._handle(delivery, notices[delivery.notice_id], recent)
        return len(claimed)

    @contextlib.contextmanager
    def _marking(self) -> Iterator[None]:
        """On PostgreSQL, one connection in autocommit for the marks of a batch's sent messages, each
        one statement and so a transaction of its own (`outbox.mark_sent_at_once`): no check-out
        and ping of a pooled connection and no BEGIN and COMMIT for each message. A database
        server that restarts during the batch stops the worker at the next mark; that message is
        sent again with the same Message-ID, as after any mark lost to a crash of the server."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as self._marks:
            try:
                yield
            finally:
                self._marks = None

    def stop(self) -> None:
        """Stop after the message being sent (safe to call from a signal handler or another thread)."""
        self.stopping.set()

    def _release(self, unsent: list[Claimed]) -> None:
        with transaction(self.engine) as conn:
            outbox.release(conn, unsent, worker=self.name, now=self.clock())

    def _handle(
        self, delivery: Claimed, notice: StoredNotice, recent: dict[tuple[int, str], list[datetime]]
    ) -> None:
        """Judge, send and mark one delivery. Its mark is not flushed to disk before the next message
        on PostgreSQL (`transaction(durable=False)`): a mark lost to a crash of the database server
        sends the message again with the same Message-ID, as a crash of the worker between its send
        and its mark always could (docs/design/delivery.md, "Sending speed")."""
        now = self.clock()
        sends = recent.setdefault((notice.customer_id, delivery.channel), [])
        situation = Situation(
            delivery.channel, notice.timezone, notice.cease_contact, notice.on_hold,
            notice.disputed_since_notice, tuple(sends),
        )  # fmt: skip
        verdict = judge(situation, self.rules, now)
        if verdict.action != "send":
            with transaction(self.engine, durable=False) as conn:
                if verdict.action == "defer" and verdict.until is not None:
                    outbox.defer(
                        conn,
                        delivery,
                        until=verdict.until,
                        reason=verdict.reason or "",
                        detail=verdict.detail,
                        now=now,
                    )
                    self.tally.deferred += 1
                else:
                    outbox.cancel(conn, delivery, reason=verdict.reason or "", detail=verdict.detail, now=now)
                    self.tally.cancelled += 1
            return
        try:
            message = self.templates.render(notice.template, notice.view, letter=_prints(delivery, notice))
            sent = self._send(delivery, notice, message)
        except SendError as error:
            self._failed(delivery, error.detail, transient=error.transient)
            return
        except DunmoreError as error:  # a template that no longer renders, a missing address: final
            self._failed(delivery, str(error), transient=False)
            return
        except Exception as error:  # one broken delivery must not stop the others
            said = _m("unexpected error, please report it: %(error)s", error=repr(error))
            self._failed(delivery, str(said), transient=False)
            return
        if delivery.channel in TASK_CHANNELS or not self._marked_at_once(delivery, sent):
            with transaction(self.engine, durable=False) as conn:
                if delivery.channel in TASK_CHANNELS:
                    task = outbox.create_task(
                        conn,
                        delivery,
                        customer_id=notice.customer_id,
                        title=message.subject,
                        brief=message.brief or message.text,  # legal review: the staff brief, never sent out
                        now=now,
                    )
                    sent = Sent(
                        sent.recipient, sent.language, sent.message_id, sent.content, f"task {task} opened"
                    )
                outbox.mark_sent(conn, delivery, sent, now=self.clock())
        sends.append(now)
        self.tally.sent += 1
        self.tally.by_channel[delivery.channel] = self.tally.by_channel.get(delivery.channel, 0) + 1

    def _marked_at_once(self, delivery: Claimed, sent: Sent) -> bool:
        """The mark in one statement on the batch's connection (PostgreSQL); False when it must be
        made in a transaction instead: on SQLite, or when webhooks want `delivery.sent`."""
        if self._marks is None:
            return False
        return outbox.mark_sent_at_once(self._marks, delivery, sent, now=self.clock())

    def _failed(self, delivery: Claimed, detail: str, *, transient: bool) -> None:
        d = self.settings.delivery
        with transaction(self.engine, durable=False) as conn:
            status = outbox.mark_error(
                conn, delivery, detail, transient=transient, now=self.clock(), max_attempts=d.max_attempts,
                retry=timedelta(seconds=d.retry_seconds),
            )  # fmt: skip
        if status == "pending":
            self.tally.retried += 1
        elif status == "dead":
            self.tally.dead += 1
        else:
            self.tally.failed += 1

    def _send(self, delivery: Claimed, notice: StoredNotice, message: Message) -> Sent:
        senders = {"email": self._send_email, "sms": self._send_sms, "letter": self._send_letter}
        send = senders.get(delivery.channel, self._send_task)
        return send(delivery, notice, message)

    def _send_email(self, delivery: Claimed, notice: StoredNotice, message: Message) -> Sent:
        from dunmore.delivery.channels.email import Sender, build_email, message_id

        view = notice.view
        if not view.contact.email:
            raise DeliveryError(
                _m(
                    "customer %(customer)s has no e-mail address: add one with `dunmore import customers`",
                    customer=view.debtor.external_id,
                )
            )
        attachments: tuple[tuple[str, bytes, str], ...] = ()
        if "letter" in notice.channels:
            attachments = (
                (f"{view.reference}.pdf", self._letter_pdf(view.notice_id, message), "application/pdf"),
            )
        creditor = self.settings.creditor
        smtp = self.settings.smtp
        key = message_id(delivery.id, _domain(creditor.email))
        email = build_email(
            sender=Sender(creditor.email, smtp.from_name or creditor.name, smtp.reply_to or creditor.email),
            to_address=view.contact.email,
            to_name=view.contact.name or view.debtor.name,
            subject=message.subject,
            text=message.text,
            html=message.html,
            message_id=key,
            attachments=attachments,
            language=view.language,
            date=self.clock(),
        )
        receipt = self._email_channel().send(email)
        content = receipt.content if receipt.content is not None else email.as_bytes()
        return Sent(view.contact.email, view.language, key, content, receipt.reply, receipt.provider_id)

    def _email_channel(self) -> EmailSender:
        if self._email is None:
            if self.outlets.email is None:
                said = _m("no e-mail channel is configured: set DUNMORE_SMTP__HOST and PORT")
                raise SendError(str(said), transient=True)
            if self._stack is None:
                raise RuntimeError("e-mail is sent inside Worker.run, which closes the connection")
            self._email = self._stack.enter_context(self.outlets.email())
        return self._email

    def _send_sms(self, delivery: Claimed, notice: StoredNotice, message: Message) -> Sent:
        view = notice.view
        phone = re.sub(r"[\s\-().]", "", view.contact.phone)
        if not phone:
            raise DeliveryError(
                _m(
                    "customer %(customer)s has no phone number: add one with `dunmore import customers`",
                    customer=view.debtor.external_id,
                )
            )
        if self.outlets.sms is None:
            said = _m("no SMS gateway is configured: set DUNMORE_SMS__ADAPTER and URL")
            raise SendError(str(said), transient=True)
        reference = f"dunmore-{delivery.id}"
        receipt = self.outlets.sms.send(to=phone, text=message.sms, reference=reference)
        return Sent(
            phone, view.language, reference, message.sms.encode("utf-8"), receipt.reply, receipt.provider_id
        )

    def _print_letters(self, claimed: list[Claimed], notices: dict[int, StoredNotice]) -> None:
        """Print the batch's letters side by side in `letter_processes` processes, ahead of their
        sends (with one process, each letter is printed when its delivery is handled)."""
        processes = self.settings.delivery.letter_processes
        wanted = sorted({c.notice_id for c in claimed if _prints(c, notices[c.notice_id])})
        if processes <= 1 or len(wanted) < 2 or self._stack is None:
            return
        from dunmore.delivery.letter import LetterPrinter

        if self._printer is None:
            self._printer = self._stack.enter_context(LetterPrinter(processes))
        letters: dict[int, Letter] = {}
        for notice_id in wanted:
            notice = notices[notice_id]
            try:
                letters[notice_id] = self.templates.render(notice.template, notice.view).letter
            except DunmoreError:
                continue  # its deliveries fail one by one, each with the reason
        try:
            pdfs = self._printer.print_all(list(letters.values()))
        except DunmoreError:
            return  # printed one by one instead, so that only the letter at fault fails
        self._pdfs.update(zip(letters, pdfs, strict=True))

    def _letter_pdf(self, notice_id: int, message: Message) -> bytes:
        from dunmore.delivery.letter import print_letter

        if notice_id not in self._pdfs:
            self._pdfs[notice_id] = print_letter(message.letter)
        return self._pdfs[notice_id]

    def _send_letter(self, delivery: Claimed, notice: StoredNotice, message: Message) -> Sent:
        view = notice.view
        if not notice.address:  # a letter the print shop could not post
            raise DeliveryError(
                _m(
                    "customer %(customer)s has no postal address: add one with `dunmore import customers`",
                    customer=view.debtor.external_id,
                )
            )
        batch = print_batch(notice.run_id)
        recipient = "; ".join((view.debtor.name, *notice.address))
        pdf = self._letter_pdf(view.notice_id, message)
        key = f"{view.reference}/letter-{delivery.id}"
        return Sent(recipient, view.language, key, pdf, f"added to print batch {batch}", print_batch=batch)

    def _send_task(self, delivery: Claimed, notice: StoredNotice, message: Message) -> Sent:
        key = f"{notice.view.reference}/task-{delivery.id}"
        return Sent(
            "collections team", notice.view.language, key, message.text.encode("utf-8"), "task opened"
        )


def _prints(delivery: Claimed, notice: StoredNotice) -> bool:
    """Whether this delivery's message is rendered with the notice's letter: a letter delivery, or
    any delivery of a step that has a letter (its e-mail carries the letter). A delivery the
    contact's wish turned into a letter (`contact_wishes`) is a letter although its step has none."""
    return delivery.channel == "letter" or "letter" in notice.channels


def print_batch(run_id: int) -> str:
    """The print file a run's letters go in."""
    return f"run-{run_id}"


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "dunmore.invalid"


@contextlib.contextmanager
def _only_worker(engine: Engine) -> Iterator[bool]:
    """On SQLite, one worker at a time (a lock file beside the database, freed by the kernel however
    the worker ends); yields True there, since claims left `sending` can then only be a dead worker's."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield False
        return
    with open(Path(database).with_name(Path(database).name + ".worker-lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunConflict(
                _m(
                    "another worker is already sending from %(database)s: SQLite allows one worker at a time "
                    "(use PostgreSQL to run several)",
                    database=str(database),
                )
            ) from exc
        yield True
