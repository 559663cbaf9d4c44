"""API routes of the call playbook: parse, call `workspace.playbook`, answer a schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site
from dunmore.workspace import playbook

router = APIRouter(tags=["playbook"])
LanguageCode = Literal["zh-CN", "zh-TW", "en"]
REASON_PATTERN = r"^[a-z][a-z0-9_]{1,29}$"
Reason = Annotated[str, Path(pattern=REASON_PATTERN, description="An overdue reason code, e.g. cash_flow.")]
Language = Annotated[LanguageCode, Path(description="The language of the answer.")]
CHANGED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN


class Answer(BaseModel):
    reason: str = Field(description="The overdue reason code.")
    reason_label: str = Field(description="The reason's name in `language`.")
    language: str
    text: str = Field(description="What the collector may answer; empty: none written yet.")
    shipped: bool = Field(description="The answer Dunmore ships (no manager wrote one).")
    edited_by: str | None
    edited_at: datetime | None


class NewAnswer(BaseModel):
    text: str = Field(
        min_length=1, max_length=playbook.TEXT_MAX, description="The answer; the wording lint applies."
    )


def _answer(found: playbook.Answer) -> Answer:
    return Answer(reason=found.reason, reason_label=found.reason_label, language=found.language,
                  text=found.text, shipped=found.shipped, edited_by=found.edited_by,
                  edited_at=found.edited_at)  # fmt: skip


@router.get("/playbook", response_model=list[Answer], responses=errors.BAD_REQUEST)
def show(
    conn: Conn,
    user: ApiUser,
    reason: Annotated[str | None, Query(pattern=REASON_PATTERN, description="Only this reason.")] = None,
    language: Annotated[LanguageCode | None, Query(description="Only this language.")] = None,
) -> list[Answer]:
    """The playbook's answers, per active overdue reason and language."""
    return [_answer(a) for a in playbook.playbook(conn, user=user, reason=reason, language=language)]


@router.put("/playbook/{reason}/{language}", response_model=Answer, responses=CHANGED)
def write(
    site: Site, conn: Conn, user: ApiUser, reason: Reason, language: Language, body: NewAnswer
) -> Answer:
    """Write the answer to one reason in one language (managers); audited, wording-checked."""
    return _answer(
        playbook.set_answer(conn, user=user, reason=reason, language=language, text=body.text, now=site.now())
    )


@router.delete("/playbook/{reason}/{language}", response_model=Answer, responses=CHANGED)
def reset(site: Site, conn: Conn, user: ApiUser, reason: Reason, language: Language) -> Answer:
    """Drop a manager's answer: the shipped one stands again (managers); audited."""
    return _answer(playbook.reset_answer(conn, user=user, reason=reason, language=language, now=site.now()))
