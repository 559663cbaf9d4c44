"""A worker with `letter_processes` prints a batch's letters in a pool ahead of the sends: each
e-mail carries its notice's letter, the print batch holds the same PDF, as with one process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from dunmore.delivery.channels.email import SmtpChannel
from dunmore.delivery.models import DELIVERIES
from dunmore.delivery.render import Templates
from dunmore.delivery.worker import Outlets, Worker
from dunmore.settings import load_settings
from tests.delivery.portfolio import RUN_AT, Debtor, overdue_portfolio
from tests.support.smtp import SmtpServer


def test_letters_printed_in_two_processes_go_out_attached_and_into_the_print_batch(
    sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    overdue_portfolio(sqlite_engine, tmp_path, [Debtor(), Debtor(language="zh-TW"), Debtor(language="en")],
                      channels="email, letter")  # fmt: skip
    base = load_settings()
    settings = base.model_copy(
        update={"delivery": base.delivery.model_copy(update={"letter_processes": 2, "windows": {}})}
    )
    outlets = Outlets(email=lambda: SmtpChannel(smtp_server.config()))
    job = Worker(sqlite_engine, settings, templates=Templates(), outlets=outlets, clock=lambda: RUN_AT)
    tally = job.run(drain=True)
    assert tally.by_channel == {"email": 3, "letter": 3}
    attached = {
        mail.message["Message-ID"]: [part.get_content() for part in mail.message.iter_attachments()]
        for mail in smtp_server.messages
    }
    with sqlite_engine.connect() as conn:
        d = DELIVERIES.c
        rows = conn.execute(select(d.notice_id, d.channel, d.message_id, d.content)).all()
    letters = {row.notice_id: bytes(row.content) for row in rows if row.channel == "letter"}
    for row in rows:
        if row.channel == "email":
            assert attached[row.message_id] == [letters[row.notice_id]]
    assert len(set(letters.values())) == 3
    assert all(pdf.startswith(b"%PDF") for pdf in letters.values())
