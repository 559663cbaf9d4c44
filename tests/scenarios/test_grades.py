"""Grades earned from payment history, told as dated stories of one customer under the default
scorecard (src/dunmore/credit/scorecard.yaml: A from 80 points, B 60, C 40, D below; grade N under
3 months of history; a credit hold for grade D or anything more than 90 days overdue).

A prompt payer stays A; a customer who starts paying 40 days late drops to C and its owner hears of
it; a D customer's order is refused by the credit check until a manager releases the hold.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, insert, select, update

from dunmore.access import audit
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role, User
from dunmore.credit import grades, limits
from dunmore.credit.grades_explain import Explanation, explain
from dunmore.credit.grades_models import CREDIT_HOLDS, GRADE_HISTORY
from dunmore.errors import BadArgument, PermissionDenied
from dunmore.ledger import balances
from dunmore.ledger.models import BALANCES, CUSTOMERS, RANKS
from dunmore.store.db import transaction
from dunmore.workspace.models import ALERTS, PROMISES
from dunmore.workspace.priority import OVER_YEAR_DAYS, Account, expected_value
from dunmore.workspace.timeline import Filter, timeline
from tests.scenarios.story import Story, day, digest, morning

PASSWORD = "a long enough password"


def _users(engine: Engine) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction(engine) as conn:
        add_user(conn, login="wang", role=Role.SALES, password=PASSWORD, actor="t", at=at)
        add_user(conn, login="boss", role=Role.MANAGER, password=PASSWORD, actor="t", at=at)


def _user(engine: Engine, login: str) -> User:
    with engine.connect() as conn:
        return get_user(conn, login=login)


def _monthly(
    story: Story,
    customer: str,
    *,
    first: str,
    months: int,
    late_from: int | None = None,
    late_days: int = 40,
    until: str = "2027-12-31",
) -> None:
    """A 10,000.00 CNY invoice on the 1st of each month, due 30 days later, paid the day before its due
    date — or `late_days` after it from the `late_from`-th invoice on; payments after `until` not yet."""
    start = day(first)
    for n in range(months):
        issued = date(start.year + (start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1, 1)
        due = issued + timedelta(days=30)
        story.invoice(f"{customer}-{n}", customer, issued=str(issued), due=str(due), amount="10000.00")
        paid = due + timedelta(days=late_days if late_from is not None and n >= late_from else -1)
        if paid <= day(until):
            story.pay(
                f"{customer}-P{n}", customer, on=str(paid), amount="10000.00", invoice=f"{customer}-{n}"
            )


def _story(engine: Engine) -> Story:
    story = Story(engine, policy=None)
    story.customer("C1", grade="A")
    with transaction(engine) as conn:
        conn.execute(update(CUSTOMERS).values(owner="wang"))
    _users(engine)
    return story


def compute(engine: Engine, on: str) -> grades.Grading:
    with transaction(engine) as conn:
        return grades.compute(conn, user=_user(engine, "boss"), as_of=day(on), now=morning(on))


def grade_of(engine: Engine, customer: str = "C1") -> str | None:
    with engine.connect() as conn:
        found: str | None = conn.execute(
            select(CUSTOMERS.c.grade).where(CUSTOMERS.c.external_id == customer)
        ).scalar()
        return found


def alerts(engine: Engine, recipient: str) -> list[tuple[str, dict[str, object]]]:
    a = ALERTS.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.kind, a.params).where(a.recipient == recipient).order_by(a.id)).all()
    return [(kind, json.loads(params)) for kind, params in rows]


def test_a_prompt_payer_stays_a(engine: Engine) -> None:
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=20, until="2026-08-30")
    for on in ("2026-03-15", "2026-06-15", "2026-08-30"):
        outcome = compute(engine, on)
        assert grade_of(engine) == "A", on
    assert outcome.counts == {"A": 1}
    assert outcome.changed == []
    assert alerts(engine, "wang") == []
    with engine.connect() as conn:
        stored = conn.execute(
            select(GRADE_HISTORY.c.as_of, GRADE_HISTORY.c.grade, GRADE_HISTORY.c.points)
        ).all()
    assert [(str(d), g) for d, g, _ in stored] == [
        ("2026-03-15", "A"),
        ("2026-06-15", "A"),
        ("2026-08-30", "A"),
    ]
    assert all(points >= 90 for _, _, points in stored)


def test_paying_40_days_late_drops_to_c_and_alerts_the_owner(engine: Engine) -> None:
    """C1 paid promptly from 2025-01; from the invoice of 2026-01 it pays 40 days after the due date."""
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=18, late_from=12)
    assert compute(engine, "2026-01-15").changed == []
    assert grade_of(engine) == "A"
    outcome = compute(engine, "2026-05-20")
    assert grade_of(engine) == "C"
    assert outcome.changed == [{"customer": "C1", "before": "A", "after": "C"}]
    kinds = [kind for kind, _ in alerts(engine, "wang")]
    assert "grade_downgraded" in kinds
    assert kinds == [kind for kind, _ in alerts(engine, "boss")]
    assert ("grade_downgraded", {"before": "A", "after": "C"}) in alerts(engine, "wang")
    assert outcome_days(engine, "2026-05-20") == 12
    assert "beyond_terms_worsening" not in kinds
    with engine.connect() as conn:
        explained = grades_explain(conn, engine)
    assert explained.grade == "C"
    assert explained.factors["avg_days_beyond_terms"].value == 12
    assert next(m.render("en") for m in explained.moves).endswith("would raise the grade to B")
    compute(engine, "2026-07-20")  # compared with 2026-01-15's grading, the latest three months before
    worse = [params for kind, params in alerts(engine, "wang") if kind == "beyond_terms_worsening"]
    assert worse == [{"before": 0, "after": outcome_days(engine, "2026-07-20")}]


def outcome_days(engine: Engine, on: str) -> int:
    h = GRADE_HISTORY.c
    with engine.connect() as conn:
        return int(conn.execute(select(h.days_beyond_terms).where(h.as_of == day(on))).scalar_one())


def test_a_first_broken_promise_alerts_the_owner_once(engine: Engine) -> None:
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=18)
    compute(engine, "2026-04-01")
    with transaction(engine) as conn:
        customer_id = conn.execute(select(CUSTOMERS.c.id)).scalar_one()
        conn.execute(
            insert(PROMISES).values(
                customer_id=customer_id,
                currency="CNY",
                amount_minor=100,
                made_on=day("2026-04-02"),
                due_on=day("2026-04-05"),
                grace_days=2,
                status="broken",
                paid_minor=0,
                decided_on=day("2026-04-08"),
                reason="promise_broken",
                actor="wang",
                created_at=morning("2026-04-02"),
            )
        )
    compute(engine, "2026-04-10")
    compute(engine, "2026-04-20")
    assert [kind for kind, _ in alerts(engine, "wang")] == ["first_broken_promise"]
    assert grade_of(engine) == "A"  # 5 points fewer: still A


def grades_explain(conn: Connection, engine: Engine) -> Explanation:
    return explain(conn, user=_user(engine, "wang"), customer="C1")


def test_a_d_customer_is_refused_credit_until_a_manager_releases_it(engine: Engine) -> None:
    """C1 has paid nothing of five invoices since 2025-10: grade D, on credit hold."""
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=14, late_from=9, until="2025-10-01")
    outcome = compute(engine, "2026-03-01")
    assert grade_of(engine) == "D"
    assert alerts(engine, "wang") == []  # a first grading sets the baseline: no alert against the import
    assert outcome.holds_set == 1
    with transaction(engine) as conn:
        verdict = limits.check(
            conn, user=_user(engine, "wang"), customer="C1", amount=Decimal("500.00"), currency=None
        )
    assert verdict.status == "on_hold"
    assert verdict.currency == "CNY"
    assert [h.rule for h in verdict.holds] == ["grade"]
    assert verdict.limit_minor == 0
    with transaction(engine) as conn, pytest.raises(PermissionDenied):
        limits.release(
            conn, user=_user(engine, "wang"), customer="C1", reason="paid", now=morning("2026-03-02")
        )
    with transaction(engine) as conn:
        limits.release(
            conn, user=_user(engine, "boss"), customer="C1", reason="prepaid order", now=morning("2026-03-02")
        )
    with transaction(engine) as conn:
        verdict = limits.check(
            conn, user=_user(engine, "wang"), customer="C1", amount=Decimal("500.00"), currency=None
        )
    assert verdict.status == "over_limit"
    assert verdict.over_minor == verdict.exposure_minor + 50000
    assert compute(engine, "2026-03-05").holds_set == 0  # the release lasts 30 days


def test_a_grading_is_one_audit_row_that_the_holds_it_set_name(engine: Engine) -> None:
    """C1 and C2 both stop paying: one grading holds both with ONE audit row (who, as of, counts and
    the holds' SHA-256), each hold naming it; the customer's page and timeline still say when, why
    and by which grading; a hold row edited afterwards no longer matches the digest."""
    story = _story(engine)
    story.customer("C2", grade="A")
    for code in ("C1", "C2"):
        _monthly(story, code, first="2025-01-01", months=14, late_from=9, until="2025-10-01")
    assert compute(engine, "2026-03-01").holds_set == 2
    with engine.connect() as conn:
        rows = audit.list_rows(conn, limit=200)
        assert [r.action for r in rows if r.action.startswith("customer.")] == []
        (row,) = [r for r in rows if r.action == "grades.compute"]
        after = json.loads(row.after or "{}")
        assert (row.actor, row.object, after["holds_set"], after["holds"]) == (
            "boss",
            "grades:2026-03-01",
            2,
            {"grade": 2},
        )
        assert (
            conn.execute(select(CREDIT_HOLDS.c.audit_id, CREDIT_HOLDS.c.rule)).all()
            == [(row.id, "grade")] * 2
        )
        assert limits.grading_holds_intact(conn, row.id)
        assert audit.verify(conn).broken is None
        found = grades_explain(conn, engine)
        page = timeline(conn, user=_user(engine, "wang"), customer="C1", which=Filter(frozenset({"change"})))
    assert [(h.rule, h.audit_id, h.set_by) for h in found.holds] == [("grade", row.id, "boss")]
    (event,) = page.events
    assert (event.what, event.status, event.reason, event.on, event.actor, event.note) == (
        "customer.credit_hold",
        "grade",
        "grades:2026-03-01",
        day("2026-03-01"),
        "boss",
        '{"grade": "D"}',
    )
    c1 = CUSTOMERS.c.external_id == "C1"
    with transaction(engine) as conn:
        held = select(CUSTOMERS.c.id).where(c1).scalar_subquery()
        conn.execute(update(CREDIT_HOLDS).where(CREDIT_HOLDS.c.customer_id == held).values(rule="overdue"))
        assert not limits.grading_holds_intact(conn, row.id)


def test_the_hold_rules_pick_grade_d_or_overdue_beyond_the_limit_once(engine: Engine) -> None:
    """Grade D wins over overdue; "more than 90 days" holds at 91, not at 90; a customer already on
    hold is not held again. The details are the JSON the hold rows always held."""
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=14, late_from=9, until="2025-10-01")
    compute(engine, "2026-03-01")  # C1 on hold
    with engine.connect() as conn:
        c1 = conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "C1")).scalar_one()
        scorecard = grades.current_scorecard(conn).scorecard
        graded = pl.DataFrame(
            {
                "customer_id": [c1, 100, 101, 102],
                "in_force": ["D", "B", "B", "D"],
                "overdue_days": [500, 91, 90, 95],
            }
        )
        wanted = limits.hold_candidates(conn, graded, scorecard, as_of=day("2026-03-02"))
    assert scorecard.hold_overdue_days == 90
    assert wanted.rows() == [
        (100, "overdue", json.dumps({"days": 91})),
        (102, "grade", json.dumps({"grade": "D"})),
    ]


def ranking_key(engine: Engine, customer: str) -> tuple[str, int, int]:
    """The customer's grade, its stored worklist ranking key (its account's `worklist_ranks` row)
    and the key that grade gives the summary row's amounts (`priority.expected_value`)."""
    b, c, r = BALANCES.c, CUSTOMERS.c, RANKS.c
    with engine.connect() as conn:
        row = conn.execute(
            select(BALANCES, c.grade, r.expected_minor)
            .join(CUSTOMERS, c.id == b.customer_id)
            .join(RANKS, (r.customer_id == b.customer_id) & (r.currency == b.currency))
            .where(c.external_id == customer)
        ).one()
    over_year = row.last_overdue_due + timedelta(days=OVER_YEAR_DAYS) <= row.as_of
    aged = (row.aged_1_minor, row.aged_2_minor, row.aged_3_minor, row.aged_4_minor, row.aged_5_minor)
    return row.grade, row.expected_minor, expected_value(Account(row.currency, aged, over_year), row.grade)


def test_an_override_sets_the_grade_until_it_expires(engine: Engine) -> None:
    story = _story(engine)
    _monthly(story, "C1", first="2025-01-01", months=18, late_from=12)
    story.customer("C9", grade="B")  # owes an overdue invoice: a line of the worklist, ranked by grade
    story.invoice("C9-1", "C9", issued="2026-03-01", due="2026-04-01", amount="5000.00")
    boss = _user(engine, "boss")
    with transaction(engine) as conn:
        balances.refresh(conn, as_of=day("2026-05-01"))  # the summary as a run of the day leaves it
    assert ranking_key(engine, "C9")[0] == "B"
    with transaction(engine) as conn:
        grades.override(
            conn, user=boss, customer="C9", grade="A", reason="x", until=day("2026-06-30"),
            today=day("2026-05-01"), now=morning("2026-05-01"),
        )  # fmt: skip
        grades.override(
            conn,
            user=boss,
            customer="C1",
            grade="B",
            reason="new guarantee",
            until=day("2026-06-30"),
            today=day("2026-05-01"),
            now=morning("2026-05-01"),
        )
    overridden = ranking_key(engine, "C9")  # the override re-ranks C9's account in the worklist
    assert overridden[0] == "A"
    assert overridden[1] == overridden[2]
    compute(engine, "2026-05-20")
    assert grade_of(engine) == "B"
    compute(engine, "2026-07-01")
    assert grade_of(engine) == "C"
    graded = ranking_key(engine, "C9")  # and so does the grading, when the override expired
    assert graded[0] == "D"  # over 90 days overdue
    assert graded[1] == graded[2] < overridden[1]
    with transaction(engine) as conn, pytest.raises(BadArgument):
        grades.override(
            conn,
            user=boss,
            customer="C1",
            grade="E",
            reason="x",
            until=day("2026-08-01"),
            today=day("2026-07-01"),
            now=morning("2026-07-01"),
        )


def test_the_grade_routes_the_dunning_policy(engine: Engine) -> None:
    """C1 was imported as grade C (the standard policy: a first reminder 3 days after the due date);
    graded A for its prompt payments, the next run routes it to the gentle policy (7 days)."""
    story = Story(engine)
    story.customer("C1", grade="C")
    _users(engine)
    _monthly(story, "C1", first="2025-01-01", months=18, until="2026-05-29")  # C1-16, due 05-31, open
    assert digest(story.propose("2026-06-03")) == [
        "C1 CNY L1 first-overdue: C1-16 L1 +3d 10000.00 (interest 3.00)"
    ]
    compute(engine, "2026-06-03")
    assert grade_of(engine) == "A"
    assert digest(story.propose("2026-06-03")) == []
