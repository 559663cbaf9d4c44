"""A stored notice rendered as it will go out, for a reviewer: in the debtor's language, with the
templates a run would send it with (`settings.delivery.templates_dir` over the shipped set). Nothing
is sent or written. The notice is looked up through the run review, so a notice of a customer outside
the user's scope is NotFound."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from dunmore.access.values import User
from dunmore.delivery.notice_view import load_notices
from dunmore.delivery.render import Message, Templates
from dunmore.run import review
from dunmore.settings import Settings


@dataclass(frozen=True)
class Preview:
    notice: review.NoticeRow
    message: Message
    channels: tuple[str, ...]  # the step's channels, in the policy's order
    language: str  # the debtor's, which the notice is written in


def preview(conn: Connection, *, user: User, notice_id: int, settings: Settings) -> Preview:
    found = review.notice(conn, user=user, notice_id=notice_id)
    stored = load_notices(conn, [notice_id], settings)[notice_id]
    message = Templates(settings.delivery.templates_dir).render(stored.template, stored.view)
    return Preview(found, message, stored.channels, stored.view.language)


def letter_pdf(conn: Connection, *, user: User, notice_id: int, settings: Settings) -> bytes:
    """The notice's letter as the print channel would print it (PDF)."""
    from dunmore.delivery.letter import print_letter

    return print_letter(preview(conn, user=user, notice_id=notice_id, settings=settings).message.letter)
