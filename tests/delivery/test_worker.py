"""The outbox worker against a real SMTP server and a fake SMS gateway, on both backends: stories
of deliveries from the run's commit to their proof, with the clock in the test's hands."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from dunmore.cli.app import app
from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.channels.fake import FakeSmsGateway
from dunmore.delivery.models import DELIVERIES, DELIVERY_EVENTS, TASKS
from dunmore.delivery.outbox import proof
from dunmore.delivery.render import Message, Templates
from dunmore.delivery.view import NoticeView
from dunmore.delivery.worker import Outlets, Worker
from dunmore.errors import RunConflict
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.settings import Settings, load_settings
from dunmore.store.db import as_utc
from tests.delivery.portfolio import CREDITOR_ENV, RUN_AT, Debtor, overdue_portfolio
from tests.support.smtp import ReceivedMessage, SmtpServer

TEMPLATES = Templates()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def settings(**delivery: object) -> Settings:
    base = load_settings()
    return base.model_copy(
        update={"delivery": base.delivery.model_copy(update={"retry_seconds": 60.0, **delivery})}
    )


def worker(
    engine: Engine, server: SmtpServer, clock: Clock, sms: FakeSmsGateway | None = None, **rules: object
) -> Worker:
    outlets = Outlets(email=lambda: SmtpChannel(server.config()), sms=sms or FakeSmsGateway())
    return Worker(engine, settings(**rules), templates=TEMPLATES, outlets=outlets, clock=clock, name="test")


def plain_text(mail: ReceivedMessage) -> str:
    body = mail.message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(DELIVERIES.c.status).order_by(DELIVERIES.c.id)).scalars())


def test_a_notice_reaches_the_debtor_by_email_and_sms_with_its_proof(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="email, sms")
    sms = FakeSmsGateway()
    clock = Clock(RUN_AT + timedelta(minutes=5))  # 08:35 in Shanghai
    tally = worker(engine, smtp_server, clock, sms).run(drain=True)
    assert (tally.sent, tally.by_channel) == (2, {"email": 1, "sms": 1})

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("ap+1@debtor.example.com",)
    assert mail.message_id == "<dunmore.delivery.1@example.com>"
    assert mail.message["Content-Language"] == "zh-CN"
    assert "DN-000001" in str(mail.message["Subject"]) or "INV-00001" in plain_text(mail)
    body = plain_text(mail)
    assert "INV-00001" in body
    assert "1,234.50" in body
    [text] = sms.sent
    assert (text.to, text.reference) == ("+8613800138000", "dunmore-2")
    assert text.text.startswith("【")

    with engine.connect() as conn:
        shown = proof(conn, 1)
    email, message = shown["deliveries"]
    assert email["status"] == "sent"
    assert email["reply"] == mail.reply
    assert email["message_id"] == mail.message_id
    assert len(email["content_sha256"]) == 64
    assert [e["outcome"] for e in email["events"]] == ["claimed", "sent"]
    assert (message["provider_id"], message["recipient"]) == ("fake-1", "+8613800138000")


def test_the_stored_content_is_exactly_what_the_server_received(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()])
    worker(engine, smtp_server, Clock(RUN_AT)).run(drain=True)
    with engine.connect() as conn:
        content = conn.execute(select(DELIVERIES.c.content)).scalar_one()
    [mail] = smtp_server.messages
    assert content.replace(b"\r\n", b"\n").strip() == mail.raw.replace(b"\r\n", b"\n").strip()


def test_a_refusing_server_delays_the_mail_with_backoff_and_nothing_is_lost(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()])
    clock = Clock(RUN_AT)
    job = worker(engine, smtp_server, clock)
    smtp_server.refuse(451)
    job.run(drain=True)
    assert statuses(engine) == ["pending", "pending"]
    clock.advance(seconds=59)
    assert job.run(drain=True).handled == 2  # nothing more: the first retry waits 60 s
    clock.advance(seconds=1)
    job.run(drain=True)  # refused again: now 120 s
    with engine.connect() as conn:
        waits = conn.execute(select(DELIVERIES.c.next_attempt_at)).scalars().all()
    assert {w.replace(tzinfo=UTC) if w.tzinfo is None else w for w in waits} == {
        clock.now + timedelta(seconds=120)
    }
    smtp_server.accept()
    clock.advance(seconds=120)
    job.run(drain=True)
    assert statuses(engine) == ["sent", "sent"]
    assert sorted(smtp_server.message_id_counts().values()) == [1, 1]


def test_transient_errors_end_in_the_dead_letters_and_an_operator_retries_them(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()])
    clock = Clock(RUN_AT)
    job = worker(engine, smtp_server, clock, max_attempts=2)
    smtp_server.refuse(451)
    job.run(drain=True)
    clock.advance(minutes=2)
    job.run(drain=True)
    assert statuses(engine) == ["dead"]
    with engine.connect() as conn:
        outcomes = (
            conn.execute(select(DELIVERY_EVENTS.c.outcome).order_by(DELIVERY_EVENTS.c.id)).scalars().all()
        )
    assert outcomes == ["claimed", "transient", "claimed", "transient"]
    smtp_server.accept()
    from dunmore.delivery import outbox

    with engine.begin() as conn:
        assert outbox.retry(conn, outbox.dead_letters(conn), now=clock.now, actor="cli:ops") == 1
    job.run(drain=True)
    assert statuses(engine) == ["sent"]


def test_a_missing_address_fails_for_good_with_a_reason(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(email=None)])
    tally = worker(engine, smtp_server, Clock(RUN_AT)).run(drain=True)
    assert tally.failed == 1
    with engine.connect() as conn:
        error = conn.execute(select(DELIVERIES.c.last_error)).scalar_one()
    assert "customer C00001 has no e-mail address" in error
    assert smtp_server.messages == []


def test_a_letter_without_a_postal_address_fails_for_good_instead_of_going_to_print(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(address=None), Debtor(address=" ; ")], channels="letter")
    tally = worker(engine, smtp_server, Clock(RUN_AT)).run(drain=True)
    assert (tally.failed, tally.sent) == (2, 0)
    with engine.connect() as conn:
        rows = conn.execute(
            select(DELIVERIES.c.last_error, DELIVERIES.c.print_batch).order_by(DELIVERIES.c.id)
        )
        found = [tuple(row) for row in rows]
    assert [batch for _, batch in found] == [None, None]
    assert "customer C00001 has no postal address" in found[0][0]
    assert "customer C00002 has no postal address" in found[1][0]


def test_shanghai_is_reached_in_its_morning_and_new_york_in_its_own(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor(language="en", timezone="America/New_York")])
    clock = Clock(datetime(2026, 11, 23, 13, 30, tzinfo=UTC))  # 21:30 Shanghai, 08:30 New York
    tally = worker(engine, smtp_server, clock).run(drain=True)
    assert (tally.sent, tally.deferred) == (1, 1)
    assert statuses(engine) == ["pending", "sent"]
    [mail] = smtp_server.messages
    assert mail.message["Content-Language"] == "en"
    with engine.connect() as conn:
        reason, detail = conn.execute(
            select(DELIVERY_EVENTS.c.reason, DELIVERY_EVENTS.c.detail).where(
                DELIVERY_EVENTS.c.outcome == "deferred"
            )
        ).one()
    assert reason == "contact_window"
    assert "until 2026-11-24 00:00 UTC" in detail
    clock.now = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    worker(engine, smtp_server, clock).run(drain=True)
    assert statuses(engine) == ["sent", "sent"]


def test_a_fourth_email_in_seven_days_waits_for_the_cap(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()])
    clock = Clock(RUN_AT)
    job = worker(engine, smtp_server, clock, caps={"email": 1}, cap_days=7)
    job.run(drain=True)
    with engine.begin() as conn:  # the same notice again, as a second delivery of the day
        conn.execute(
            DELIVERIES.insert().values(notice_id=1, channel="email", status="pending", created_at=clock.now)
        )
    clock.advance(hours=1)
    tally = job.run(drain=True)
    assert tally.deferred == 1
    with engine.connect() as conn:
        wait = conn.execute(select(DELIVERIES.c.next_attempt_at).where(DELIVERIES.c.id == 2)).scalar_one()
    assert as_utc(wait) == RUN_AT + timedelta(days=7)


def test_cease_contact_leaves_the_letter_and_cancels_the_rest(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(cease_contact=True)], channels="email, sms, letter")
    sms = FakeSmsGateway()
    tally = worker(engine, smtp_server, Clock(RUN_AT), sms).run(drain=True)
    assert (tally.sent, tally.cancelled) == (1, 2)
    assert statuses(engine) == ["cancelled", "cancelled", "sent"]
    assert smtp_server.messages == []
    assert sms.sent == []


@pytest.mark.parametrize("change", ["dispute", "invoice hold", "customer hold"])
def test_a_hold_or_a_new_dispute_cancels_the_pending_deliveries(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer, change: str
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()], channels="email, sms")
    with engine.begin() as conn:
        if change == "dispute":  # stamped by the database's clock, then set to the story's time
            conn.execute(update(INVOICES).where(INVOICES.c.id == 1).values(disputed_minor=10_000))
            conn.execute(
                update(INVOICES).where(INVOICES.c.id == 1).values(disputed_at=RUN_AT + timedelta(hours=1))
            )
        elif change == "invoice hold":
            conn.execute(update(INVOICES).where(INVOICES.c.id == 1).values(on_hold=True))
        else:
            conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == 1).values(on_hold=True))
    clock = Clock(RUN_AT + timedelta(hours=2))  # 10:30 in Shanghai, after the dispute
    tally = worker(engine, smtp_server, clock).run(drain=True)
    assert (tally.cancelled, tally.sent) == (2, 2)
    assert statuses(engine) == ["cancelled", "cancelled", "sent", "sent"]


def test_a_dispute_older_than_the_notice_does_not_cancel_it(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor()])
    with engine.begin() as conn:  # disputed, then the notice (approved later) took effect
        conn.execute(update(INVOICES).values(disputed_minor=10_000))
        conn.execute(update(INVOICES).values(disputed_at=RUN_AT - timedelta(hours=1)))
    worker(engine, smtp_server, Clock(RUN_AT)).run(drain=True)
    assert statuses(engine) == ["sent"]


def test_letters_join_their_runs_print_batch_and_tasks_open_once(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor(language="zh-TW")], channels="letter, call")
    clock = Clock(RUN_AT + timedelta(hours=1))  # 09:30 in Shanghai: calls start at 09:00
    job = worker(engine, smtp_server, clock)
    job.run(drain=True)
    assert statuses(engine) == ["sent", "sent", "sent", "sent"]
    with engine.connect() as conn:
        batches = conn.execute(
            select(DELIVERIES.c.print_batch).where(DELIVERIES.c.channel == "letter")
        ).scalars()
        assert set(batches) == {"run-1"}
        tasks = conn.execute(
            select(TASKS.c.kind, TASKS.c.customer_id, TASKS.c.notice_id).order_by(TASKS.c.id)
        ).all()
    assert [tuple(t) for t in tasks] == [("call", 1, 1), ("call", 2, 2)]
    with engine.begin() as conn:  # a crash after the task was written, before the mark: sent again
        conn.execute(update(DELIVERIES).where(DELIVERIES.c.channel == "call").values(status="pending"))
    job.run(drain=True)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TASKS)).scalar_one() == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_a_contact_who_prefers_letters_gets_a_printed_letter_not_a_blank_sheet(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer, processes: int
) -> None:
    """The step only e-mails; the contacts' wish turns each e-mail into a letter. Printed without
    the notice's letter (rendered for the step's channels alone), each was a blank page."""
    from pypdf import PdfReader

    debtors = [Debtor(preferred_channel="letter"), Debtor(preferred_channel="letter", language="en")]
    overdue_portfolio(engine, tmp_path, debtors, channels="email")
    tally = worker(engine, smtp_server, Clock(RUN_AT), letter_processes=processes).run(drain=True)
    assert (tally.sent, tally.by_channel) == (2, {"letter": 2})
    assert smtp_server.messages == []
    with engine.connect() as conn:
        query = select(DELIVERIES.c.content, DELIVERIES.c.print_batch).order_by(DELIVERIES.c.id)
        printed = conn.execute(query).all()
    for (content, batch), number in zip(printed, (1, 2), strict=True):
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert batch == "run-1"
        assert f"C{number:05d}" in text, text[:200]
        assert f"王丽华 {number}" in text


def test_workers_on_postgresql_share_the_queue_without_sending_twice(
    postgres_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = postgres_engine
    overdue_portfolio(engine, tmp_path, [Debtor() for _ in range(120)])
    clock = Clock(RUN_AT)
    jobs = [worker(engine, smtp_server, clock) for _ in range(3)]
    for number, job in enumerate(jobs):
        job.name = f"worker-{number}"
        job.settings = job.settings.model_copy(
            update={"delivery": job.settings.delivery.model_copy(update={"batch_size": 7})}
        )
    threads = [threading.Thread(target=job.run, kwargs={"drain": True}) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    counts = smtp_server.message_id_counts()
    assert len(counts) == 120
    assert set(counts.values()) == {1}
    assert sum(job.tally.sent for job in jobs) == 120
    assert all(job.tally.sent > 0 for job in jobs)


def test_the_cli_sends_lists_shows_and_prints(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = sqlite_engine
    overdue_portfolio(engine, tmp_path, [Debtor()], channels="email, letter")
    url = str(engine.url)
    env = CREDITOR_ENV | {
        "DUNMORE_SMTP__HOST": smtp_server.host,
        "DUNMORE_SMTP__PORT": str(smtp_server.port),
        "DUNMORE_DELIVERY__WINDOWS": "{}",
    }
    runner = CliRunner()
    sent = runner.invoke(app, ["--db", url, "worker", "--drain"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent 2 (email 1, letter 1)" in sent.output
    [mail] = smtp_server.messages
    assert [part.get_filename() for part in mail.message.iter_attachments()] == ["DN-000001.pdf"]
    listed = runner.invoke(app, ["--db", url, "deliveries", "list", "--json"], env=env)
    assert listed.exit_code == 0
    assert '"status": "sent"' in listed.output
    shown = runner.invoke(app, ["--db", url, "notice", "show", "1"], env=env)
    assert "content_sha256" in shown.output
    assert "<dunmore.delivery.1@mingyuan.example.cn>" in shown.output
    printed = tmp_path / "print.pdf"
    out = runner.invoke(app, ["--db", url, "letters", "print", "--run", "1", "-o", str(printed)], env=env)
    assert out.exit_code == 0, out.output
    assert printed.read_bytes().startswith(b"%PDF")
    tracked = runner.invoke(app, ["--db", url, "deliveries", "track", "2", "EA123456789CN"], env=env)
    assert tracked.exit_code == 0, tracked.output
    shown = runner.invoke(app, ["--db", url, "notice", "show", "1"], env=env)
    assert "EA123456789CN" in shown.output
    again = runner.invoke(app, ["--db", url, "deliveries", "track", "1", "X"], env=env)
    assert again.exit_code != 0
    assert "only printed letters are posted" in again.output


def test_sqlite_allows_one_worker_at_a_time(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor()])
    first, second = (worker(sqlite_engine, smtp_server, Clock(RUN_AT)) for _ in range(2))
    seen: list[str] = []

    def try_second(tally: object) -> None:
        with pytest.raises(RunConflict, match="SQLite allows one worker at a time") as refused:
            second.run(drain=True)
        seen.append(str(refused.value))

    first.run(drain=True, on_batch=try_second)
    assert seen
    assert statuses(sqlite_engine) == ["sent"]
    assert second.run(drain=True).sent == 0  # once the first is done, a second may start


def test_a_clock_in_local_time_defers_to_the_right_utc_moment(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(language="en", timezone="America/New_York")])
    # 10:00 in Shanghai is 02:00 UTC, 21:00 the evening before in New York: the mail waits for
    # 08:00 in New York, 13:00 UTC — whatever zone the clock speaks.
    local = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    tally = worker(engine, smtp_server, local).run(drain=True)
    assert (tally.deferred, tally.sent) == (1, 0)
    with engine.connect() as conn:
        wait = conn.execute(select(DELIVERIES.c.next_attempt_at)).scalar_one()
    assert as_utc(wait) == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_an_unexpected_error_fails_one_delivery_and_the_others_go_out(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor(), Debtor()])

    class Broken(Templates):
        def render(self, template: str, view: NoticeView, *, letter: bool = True) -> Message:
            if view.notice_id == 1:
                raise ZeroDivisionError("a bug")
            return super().render(template, view, letter=letter)

    job = Worker(engine, settings(), templates=Broken(), outlets=Outlets(email=lambda: SmtpChannel(
        smtp_server.config())), clock=Clock(RUN_AT))  # fmt: skip
    tally = job.run(drain=True)
    assert (tally.failed, tally.sent) == (1, 1)
    with engine.connect() as conn:
        error = conn.execute(select(DELIVERIES.c.last_error).where(DELIVERIES.c.id == 1)).scalar_one()
    assert error == "unexpected error, please report it: ZeroDivisionError('a bug')"


def test_a_batch_stops_before_its_lease_runs_out(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(engine, tmp_path, [Debtor() for _ in range(3)])
    clock = Clock(RUN_AT)

    class Slow(Templates):
        def render(self, template: str, view: NoticeView, *, letter: bool = True) -> Message:
            clock.advance(seconds=150)  # each render takes 150 s of a 300 s lease
            return super().render(template, view, letter=letter)

    job = Worker(engine, settings(), templates=Slow(), outlets=Outlets(email=lambda: SmtpChannel(
        smtp_server.config())), clock=clock)  # fmt: skip
    job.run(drain=True)
    # The third was not started at 300 s (past 80 % of the lease). The one SQLite worker takes it
    # back at once; on PostgreSQL it waits for its lease to end, as another worker would.
    if statuses(engine)[2] == "sending":
        clock.advance(seconds=1)
        job.run(drain=True)
    assert statuses(engine) == ["sent", "sent", "sent"]
    assert sorted(smtp_server.message_id_counts().values()) == [1, 1, 1]
    with engine.connect() as conn:
        claims = conn.execute(select(func.count()).where(DELIVERY_EVENTS.c.outcome == "claimed")).scalar_one()
    assert claims == 4
