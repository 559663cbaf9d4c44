"""The table of the call playbook (migration 0025).

- `playbook_answers`: a manager's answer to one overdue reason in one language. It replaces the
  shipped answer of that reason and language (`workspace.playbook_defaults`); deleting the row puts
  the shipped answer back. Reasons an admin added have no shipped answer until a manager writes one.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base


class PlaybookAnswer(Base):
    __tablename__ = "playbook_answers"

    reason: Mapped[str] = mapped_column(String(30), primary_key=True)  # a reason code (workspace.codes)
    language: Mapped[str] = mapped_column(String(5), primary_key=True)  # zh-CN | zh-TW | en
    text: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[str] = mapped_column(String(100))
    edited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


PLAYBOOK_ANSWERS = cast(Table, PlaybookAnswer.__table__)
