"""Credit admission, risk signals and open orders, told as dated stories under the default
scorecard (grade N: 100,000.00 CNY limit; A from 80 points).

C1 has bought on prepayment since 2025-01 (every invoice paid before its due date: its history earns
A) and asks for credit on 2026-03-01. wang, a collector, drafts the application; until boss, a
manager, approves it, C1 is graded N whatever its history says, and its orders are checked against
N's limit; approved, its own limit of 300,000.00 CNY counts and grading gives it A again. A signal of
insolvency alerts the owner and the managers and holds C1's credit; open orders count in the
exposure, so an order that fits the receivables alone is over the limit with them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from dunmore.access import audit
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.credit import admission, grades, limits, signals
from dunmore.credit.orders import import_orders
from dunmore.errors import BadArgument, ImportRejected, PermissionDenied
from dunmore.ledger.models import CUSTOMERS
from dunmore.store.db import transaction
from dunmore.workspace.activities import Upload
from dunmore.workspace.timeline import timeline
from tests.scenarios.story import ACTOR, Story, day, morning
from tests.scenarios.test_grades import _monthly, alerts, grade_of

PASSWORD = "a long enough password"
PDF = b"%PDF-1.4\n% balance sheet 2025\n"
FACTS = admission.Facts(
    registry_data="USCC 91310000MA1FL0XX2K; legal person Li Hua",
    years_in_business=8,
    registered_capital=Decimal("5000000.00"),
    references="Bank of Ningbo; Shanghai Steel Ltd",
    report_agency="Dun & Bradstreet",
    report_score=82,
)


def _story(engine: Engine) -> Story:
    story = Story(engine, policy=None)
    story.customer("C1", grade="A")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang"))
        at = datetime(2026, 1, 1, tzinfo=UTC)
        add_user(conn, login="wang", role=Role.SALES, password=PASSWORD, actor="t", at=at)
        for login in ("boss", "lee"):
            add_user(conn, login=login, role=Role.MANAGER, password=PASSWORD, actor="t", at=at)
    _monthly(story, "C1", first="2025-01-01", months=14)
    return story


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def _apply(engine: Engine, by: str = "wang", limit: str = "300000.00", kind: str | None = "new") -> int:
    with transaction(engine) as conn:
        return admission.apply(
            conn, customer="C1", limit=Decimal(limit), currency="CNY", terms="net 30", facts=FACTS,
            kind=kind, by=by, actor=ACTOR, now=morning("2026-03-01"),
        )  # fmt: skip


def _decide(engine: Engine, number: int, by: str, *, approve: bool = True, reason: str = "") -> str:
    with transaction(engine) as conn:
        return admission.decide(
            conn, number=number, approve=approve, reason=reason, by=by, actor=ACTOR, now=morning("2026-03-02")
        )


def _check(engine: Engine, amount: str) -> limits.CreditVerdict:
    with engine.connect() as conn:
        return limits.check(
            conn, user=_user(engine, "boss"), customer="C1", amount=Decimal(amount), currency="CNY"
        )


def _compute(engine: Engine, on: str) -> None:
    with transaction(engine) as conn:
        grades.compute(conn, user=_user(engine, "boss"), as_of=day(on), now=morning(on))


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row.action for row in reversed(audit.list_rows(conn, object="customer:C1"))]


def test_a_new_customer_is_graded_n_until_a_manager_approves_its_limit(engine: Engine) -> None:
    _story(engine)
    _compute(engine, "2026-02-27")
    assert grade_of(engine) == "A"  # its prepaid history alone earns A
    number = _apply(engine)
    with transaction(engine) as conn:
        kept = admission.attach(
            conn, number=number, upload=Upload("balance-2025.pdf", PDF), by="wang", actor=ACTOR,
            now=morning("2026-03-01"),
        )  # fmt: skip
        with pytest.raises(BadArgument, match="only PDF, PNG, JPEG and WebP"):
            admission.attach(
                conn, number=number, upload=Upload("x.exe", b"MZ\x90"), by="wang", actor=ACTOR,
                now=morning("2026-03-01"),
            )  # fmt: skip
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(BadArgument, match="waiting for a decision"):
        _apply(engine, limit="1.00")

    _compute(engine, "2026-03-01")
    assert grade_of(engine) == "N"  # not admitted: the scorecard's "no history" grade
    verdict = _check(engine, "150000.00")
    assert (verdict.status, verdict.grade, verdict.limit_source) == ("over_limit", "N", "grade")
    assert (verdict.limit_minor, verdict.over_minor) == (10_000_000, 5_000_000)

    with pytest.raises(PermissionDenied, match=r"credit\.manage"):
        _decide(engine, number, "wang")  # the drafter is not a manager
    with pytest.raises(PermissionDenied, match=r"credit\.manage"):
        _decide(engine, number, "nobody")
    assert _decide(engine, number, "boss") == "C1"
    with pytest.raises(BadArgument, match="approved already"):
        _decide(engine, number, "lee")

    verdict = _check(engine, "150000.00")
    assert (verdict.status, verdict.limit_source, verdict.limit_minor) == ("ok", "customer", 30_000_000)
    assert _check(engine, "350000.00").over_minor == 5_000_000
    _compute(engine, "2026-03-02")
    assert grade_of(engine) == "A"
    [shown] = admission_list(engine, "approved")
    assert (shown.id, shown.decided_by, shown.facts["report_score"], shown.files[0].sha256) == (
        number, "boss", 82, kept.sha256,
    )  # fmt: skip
    assert shown.facts["registered_capital_minor"] == 500_000_000
    assert [a for a in _actions(engine) if a.startswith("credit_application.")] == [
        "credit_application.draft",
        "credit_application.attach",
        "credit_application.approve",
    ]


def admission_list(engine: Engine, status: str) -> list[admission.ApplicationView]:
    with engine.connect() as conn:
        return admission.applications(conn, status=status, user=_user(engine, "boss"))


def test_whoever_drafted_an_application_cannot_decide_it(engine: Engine) -> None:
    _story(engine)
    number = _apply(engine, by="lee", kind="increase")
    with pytest.raises(PermissionDenied, match="whoever drafted"):
        _decide(engine, number, "lee")
    with pytest.raises(BadArgument, match="reason"):
        _decide(engine, number, "boss", approve=False)
    _decide(engine, number, "boss", approve=False, reason="references unanswered")
    assert [a.status for a in admission_list(engine, "rejected")] == ["rejected"]
    _compute(engine, "2026-03-03")
    assert grade_of(engine) == "A"  # an increase refused does not take the customer's grade
    assert _check(engine, "1.00").limit_source == "grade"


def test_an_insolvency_signal_alerts_and_holds_credit(engine: Engine) -> None:
    _story(engine)
    with transaction(engine) as conn:
        done = signals.record(
            conn, customer="C1", kind="insolvency", happened_on=day("2026-04-01"),
            note="bankruptcy petition filed at the Shanghai court", by="wang", actor=ACTOR,
            today=day("2026-04-02"), now=morning("2026-04-02"),
        )  # fmt: skip
        with pytest.raises(BadArgument, match="on or before today"):
            signals.record(
                conn, customer="C1", kind="lawsuit", happened_on=day("2026-04-03"), note="", by="wang",
                actor=ACTOR, today=day("2026-04-02"), now=morning("2026-04-02"),
            )  # fmt: skip
        with pytest.raises(BadArgument, match="a signal is one of"):
            signals.record(
                conn, customer="C1", kind="rumour", happened_on=day("2026-04-01"), note="", by="wang",
                actor=ACTOR, today=day("2026-04-02"), now=morning("2026-04-02"),
            )  # fmt: skip
    assert (done.alerts, done.hold_set) == (3, True)  # wang (the owner), boss and lee
    for login in ("wang", "boss", "lee"):
        assert alerts(engine, login) == [
            (
                "signal_insolvency",
                {"happened_on": "2026-04-01", "note": "bankruptcy petition filed at the Shanghai court"},
            )
        ]
    verdict = _check(engine, "1.00")
    assert verdict.status == "on_hold"
    assert [(h.rule, h.detail["kind"]) for h in verdict.holds] == [("signal", "insolvency")]
    with engine.connect() as conn:
        page = timeline(conn, user=_user(engine, "boss"), customer="C1")
    assert {"customer.risk_signal", "customer.credit_hold"} <= {e.what for e in page.events}
    with transaction(engine) as conn:
        limits.release(
            conn,
            user=_user(engine, "boss"),
            customer="C1",
            reason="court dismissed",
            now=morning("2026-05-01"),
        )
        lawsuit = signals.record(
            conn, customer="C1", kind="lawsuit", happened_on=day("2026-05-02"), note="supplier sues",
            by="wang", actor=ACTOR, today=day("2026-05-02"), now=morning("2026-05-02"),
        )  # fmt: skip
    assert (lawsuit.alerts, lawsuit.hold_set) == (3, False)
    assert _check(engine, "1.00").status == "ok"


def test_open_orders_push_the_exposure_over_the_limit(engine: Engine, tmp_path: Path) -> None:
    story = _story(engine)
    story.invoice("C1-OPEN", "C1", issued="2026-03-01", due="2026-03-31", amount="250000.00")
    number = _apply(engine, kind="increase")
    _decide(engine, number, "boss")
    assert _check(engine, "40000.00").status == "ok"  # 250,000.00 open + 40,000.00 ≤ 300,000.00
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer,number,date,currency,amount\nC1,SO-7,2026-03-05,CNY,30000.00\n", encoding="utf-8"
    )
    with transaction(engine) as conn:
        done = import_orders(conn, orders, actor=ACTOR, now=morning("2026-03-06"))
    assert (done.orders, done.replaced) == (1, 0)
    verdict = _check(engine, "40000.00")
    assert (verdict.status, verdict.exposure_minor, verdict.over_minor) == (
        "over_limit",
        28_000_000,
        2_000_000,
    )

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,number,date,currency,amount\nC1,SO-8,2026-03-05,CNY,1.00\nC9,SO-8,2026-13-01,CNY,-5\n",
        encoding="utf-8",
    )
    with transaction(engine) as conn, pytest.raises(ImportRejected) as refused:
        import_orders(conn, bad, actor=ACTOR, now=morning("2026-03-07"))
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (3, "amount"), (3, "customer"), (3, "number"), (3, "ordered_on"),
    ]  # fmt: skip
    assert _check(engine, "40000.00").exposure_minor == 28_000_000  # nothing written
    orders.write_text("customer,number,date,currency,amount\n", encoding="utf-8")
    with transaction(engine) as conn:
        assert import_orders(conn, orders, actor=ACTOR, now=morning("2026-03-08")).replaced == 1
    assert _check(engine, "40000.00").status == "ok"  # SO-7 invoiced or cancelled: gone from the file
