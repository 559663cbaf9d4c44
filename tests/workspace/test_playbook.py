"""The call playbook, told as the story of customer C1 (owned by the collector wang, portfolio north):
the shipped answers in three languages, a manager's edits (audited, wording-checked), a file load,
and the answer to C1's latest overdue reason shown first beside the call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from dunmore.access import audit
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.delivery.lint import lint
from dunmore.errors import BadArgument, NotFound, PermissionDenied
from dunmore.i18n import LANGUAGES
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace import activities, playbook
from dunmore.workspace.codes import BUILT_IN, add_code, disable_code
from dunmore.workspace.kinds import ActivityKind, CodeKind
from tests.scenarios.story import Story, day, morning

PASSWORD = "a long enough password"
MON = morning("2026-09-07")


def _story(engine: Engine) -> None:
    story = Story(engine, policy=None)
    story.customer("C1")
    story.customer("C2")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="10000.00")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.external_id == "C1").values(portfolio="north"))
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(
            conn, login="wang", role=Role.COLLECTOR, password=PASSWORD, portfolios=["north"], actor="t", at=at
        )
        add_user(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
        add_user(conn, login="root", role=Role.ADMIN, password=PASSWORD, actor="t", at=at)


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def _answer(engine: Engine, reason: str, language: str) -> playbook.Answer:
    with engine.connect() as conn:
        return playbook.playbook(conn, user=_user(engine, "wang"), reason=reason, language=language)[0]


def test_the_shipped_playbook_answers_every_reason_in_three_languages_lawfully(engine: Engine) -> None:
    _story(engine)
    with engine.connect() as conn:
        answers = playbook.playbook(conn, user=_user(engine, "wang"))
    assert {(a.reason, a.language) for a in answers} == {
        (reason, lang) for reason in BUILT_IN[CodeKind.REASON] for lang in LANGUAGES
    }
    for a in answers:
        assert a.shipped
        assert a.text
        assert lint(a.text, a.language) == [], (a.reason, a.language)  # type: ignore[arg-type]
    by = {(a.reason, a.language): a.text for a in answers}
    assert "分期付款计划" in by[("cash_flow", "zh-CN")]
    assert "分期付款計畫" in by[("cash_flow", "zh-TW")]
    assert "payment plan" in by[("cash_flow", "en")]


def test_a_manager_rewrites_an_answer_and_resets_it_both_audited(engine: Engine) -> None:
    _story(engine)
    shipped = _answer(engine, "cash_flow", "en").text
    with transaction(engine) as conn:
        playbook.set_answer(conn, user=_user(engine, "boss"), reason="cash_flow", language="en",
                            text="  Offer three monthly instalments.  ", now=MON)  # fmt: skip
    edited = _answer(engine, "cash_flow", "en")
    assert (edited.text, edited.edited_by, edited.shipped) == (
        "Offer three monthly instalments.",
        "boss",
        False,
    )
    assert _answer(engine, "cash_flow", "zh-CN").shipped  # the other languages keep theirs
    with transaction(engine) as conn:
        playbook.reset_answer(conn, user=_user(engine, "boss"), reason="cash_flow", language="en", now=MON)
    assert _answer(engine, "cash_flow", "en").text == shipped
    with engine.connect() as conn:
        rows = audit.list_rows(conn, object="playbook:cash_flow:en")
    assert [(r.actor, r.action) for r in reversed(rows)] == [
        ("boss", "playbook.set"),
        ("boss", "playbook.reset"),
    ]


def test_a_collector_reads_the_playbook_but_may_not_edit_it(engine: Engine) -> None:
    _story(engine)
    with transaction(engine) as conn, pytest.raises(PermissionDenied, match=r"playbook\.edit"):
        playbook.set_answer(
            conn, user=_user(engine, "wang"), reason="forgot", language="en", text="Hi.", now=MON
        )


@pytest.mark.parametrize(
    ("language", "text", "rule"),
    [
        ("en", "Tell them we will report them to the credit bureau.", "blacklist"),
        ("zh-CN", "告诉客户不付款就把他列入黑名单。", "blacklist"),
        ("zh-TW", "就說我們會通知你的家人和老闆。", "shaming"),
        ("en", "Say the police will arrest them if they do not pay.", "arrest"),
    ],
)
def test_an_answer_with_forbidden_wording_is_refused(
    engine: Engine, language: str, text: str, rule: str
) -> None:
    _story(engine)
    with transaction(engine) as conn, pytest.raises(BadArgument, match=rule):
        playbook.set_answer(
            conn, user=_user(engine, "boss"), reason="refuses", language=language, text=text, now=MON
        )
    assert _answer(engine, "refuses", language).shipped


def test_unknown_reasons_languages_and_empty_answers_are_refused(engine: Engine) -> None:
    _story(engine)
    boss = _user(engine, "boss")
    wrong = [("holiday", "en", "Text."), ("forgot", "fr", "Texte."), ("forgot", "en", "   ")]
    for reason, language, text in wrong:
        with transaction(engine) as conn, pytest.raises(BadArgument):
            playbook.set_answer(conn, user=boss, reason=reason, language=language, text=text, now=MON)


def test_an_admins_reason_has_no_answer_until_a_manager_writes_one(engine: Engine) -> None:
    _story(engine)
    with transaction(engine) as conn:
        labels = {"zh-CN": "银行假日", "zh-TW": "銀行假日", "en": "Bank holiday"}
        add_code(conn, user=_user(engine, "root"), kind=CodeKind.REASON, code="bank_holiday", labels=labels,
                 now=MON)  # fmt: skip
    assert _answer(engine, "bank_holiday", "en").text == ""
    with transaction(engine) as conn:
        playbook.set_answer(conn, user=_user(engine, "boss"), reason="bank_holiday", language="en",
                            text="Agree the first business day after the holiday.", now=MON)  # fmt: skip
    assert _answer(engine, "bank_holiday", "en").text == "Agree the first business day after the holiday."


def test_a_playbook_file_loads_all_answers_or_none(engine: Engine) -> None:
    _story(engine)
    good = "forgot:\n  en: Ask for the date of payment.\n  zh-CN: 询问付款日期。\n"
    bad = good + "refuses:\n  en: We will sue you tomorrow.\n"
    with transaction(engine) as conn:
        assert playbook.load(conn, user=_user(engine, "boss"), answers=playbook.read_file(good), now=MON) == 2
    assert _answer(engine, "forgot", "zh-CN").text == "询问付款日期。"
    with pytest.raises(BadArgument, match="legal_action"), transaction(engine) as conn:
        playbook.load(conn, user=_user(engine, "boss"), answers=playbook.read_file(bad), now=MON)
    assert _answer(engine, "refuses", "en").shipped
    for text in ("- a list\n", "forgot: just text\n", "forgot: {en: [1]}\n", "a: [b\n"):
        with pytest.raises(BadArgument):
            playbook.read_file(text)


def test_beside_the_call_the_answer_to_the_customers_latest_reason_comes_first(engine: Engine) -> None:
    _story(engine)
    wang = _user(engine, "wang")
    with engine.connect() as conn:
        before = playbook.for_call(conn, user=wang, customer="C1", language="zh-CN")
    assert before.latest_reason is None
    assert before.answers[0].reason == "forgot"
    with transaction(engine) as conn:
        new = activities.NewActivity(kind=ActivityKind.CALL, outcome="reached", reason="cash_flow")
        activities.log_activity(conn, user=wang, customer="C1", new=new, now=MON, today=day("2026-09-07"))
    with engine.connect() as conn:
        after = playbook.for_call(conn, user=wang, customer="C1", language="zh-TW")
        assert after.latest_reason == "cash_flow"
        assert [a.reason for a in after.answers][:2] == ["cash_flow", "forgot"]
        assert "分期付款計畫" in after.answers[0].text
        with pytest.raises(NotFound):
            playbook.for_call(conn, user=wang, customer="C2", language="en")  # not wang's portfolio


def test_a_latest_reason_no_longer_offered_puts_no_answer_first(engine: Engine) -> None:
    _story(engine)
    wang, root = _user(engine, "wang"), _user(engine, "root")
    labels = {"zh-CN": "银行假日", "zh-TW": "銀行假日", "en": "Bank holiday"}
    with transaction(engine) as conn:
        add_code(conn, user=root, kind=CodeKind.REASON, code="bank_holiday", labels=labels, now=MON)
        new = activities.NewActivity(kind=ActivityKind.CALL, outcome="reached", reason="bank_holiday")
        activities.log_activity(conn, user=wang, customer="C1", new=new, now=MON, today=day("2026-09-07"))
    with engine.connect() as conn:
        latest = playbook.for_call(conn, user=wang, customer="C1", language="en").latest
    assert latest is not None
    assert latest.reason == "bank_holiday"
    with transaction(engine) as conn:
        disable_code(conn, user=root, kind=CodeKind.REASON, code="bank_holiday", now=MON)
    with engine.connect() as conn:
        call = playbook.for_call(conn, user=wang, customer="C1", language="en")
    assert call.latest_reason == "bank_holiday"
    assert call.latest is None
    assert call.answers[0].reason == "forgot"
