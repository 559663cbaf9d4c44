"""A contract told as a dated story of one customer: its three milestones go from a draft to an
approved schedule to receivables the run duns (examples/dunning.yaml: L1 at +3 days).

Contract K-1 of C1, 100,000.01 CNY signed Monday 2026-08-03: 30 % on signing, 60 % 30 days after
delivery, 10 % retention 12 months after acceptance (the 0.01 left by the shares on the last line).
wang drafts it; boss, a manager, approves it (above the threshold of 50,000.00 CNY used here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from dunmore.access import audit
from dunmore.access.service import add_user, get_user
from dunmore.access.values import Role
from dunmore.credit import contract_approval, contract_reads, contracts
from dunmore.errors import BadArgument, NotFound, PermissionDenied
from dunmore.ledger.models import INVOICES
from dunmore.store.db import transaction
from tests.scenarios.story import ACTOR, Story, day, digest, morning

PASSWORD = "a long enough password"
THRESHOLDS = {"CNY": 5_000_000}
TERMS = "30% signing; 60% delivery+30d; 10% acceptance+12m"


def _story(engine: Engine) -> Story:
    story = Story(engine)
    story.customer("C1", grade="B")
    with transaction(engine) as conn:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        for login, role in (("wang", Role.COLLECTOR), ("zhao", Role.COLLECTOR), ("boss", Role.MANAGER)):
            reach = ["default"] if role is Role.COLLECTOR else []
            add_user(conn, login=login, role=role, password=PASSWORD, portfolios=reach, actor="t", at=at)
    return story


def _add(engine: Engine, amount: str = "100000.01") -> None:
    says = contracts.Says("Line 3 press", day("2026-08-03"), Decimal(amount), "CNY", TERMS)
    with transaction(engine) as conn:
        contracts.add_contract(
            conn, customer="C1", number="K-1", says=says, by="wang", actor=ACTOR, now=morning("2026-08-03")
        )


def _approve(engine: Engine, checker: str, on: str) -> list[str]:
    with transaction(engine) as conn:
        return contract_approval.approve(
            conn,
            number="K-1",
            checker=checker,
            thresholds=THRESHOLDS,
            country="CN",
            on=day(on),
            now=morning(on),
            actor=ACTOR,
        )


def _event(engine: Engine, event: str, on: str) -> list[str]:
    with transaction(engine) as conn:
        return contracts.record_event(
            conn, number="K-1", event=event, on=day(on), by="wang", actor=ACTOR, now=morning(on), country="CN"
        )


def _schedule(engine: Engine) -> list[tuple[str, str | None, str, str | None]]:
    """(label, due date, amount, invoice) per line of the latest version."""
    with engine.connect() as conn:
        view = contract_reads.show(conn, number="K-1", country="CN")
    return [
        (v.line.label, v.line.due_on.isoformat() if v.line.due_on else None, v.amount, v.invoice)
        for v in view.lines
    ]


def _invoices(engine: Engine) -> dict[str, tuple[str, str, int, int]]:
    i = INVOICES.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(i.external_id, i.issue_date, i.due_date, i.amount_minor, i.open_minor)
        ).all()
    return {
        r.external_id: (r.issue_date.isoformat(), r.due_date.isoformat(), r.amount_minor, r.open_minor)
        for r in rows
    }


def test_a_contract_of_three_milestones_goes_from_draft_to_approved_to_dunned(engine: Engine) -> None:
    story = _story(engine)
    _add(engine)
    assert _schedule(engine) == [
        ("30% signing", "2026-08-03", "30000.00", None),
        ("60% delivery+30d", None, "60000.00", None),
        ("10% acceptance+12m", None, "10000.01", None),
    ]
    assert story.run("2026-08-07") == []  # a draft is no receivable
    with pytest.raises(PermissionDenied, match="whoever drafted"):
        _approve(engine, "wang", "2026-08-07")
    with pytest.raises(PermissionDenied, match="only a manager"):
        _approve(engine, "zhao", "2026-08-07")
    # 2026-08-07: boss approves; the signing line is due since Monday and becomes an invoice.
    assert _approve(engine, "boss", "2026-08-07") == ["CT-K-1-1"]
    assert _invoices(engine) == {"CT-K-1-1": ("2026-08-03", "2026-08-03", 3_000_000, 3_000_000)}
    assert digest(story.run("2026-08-07")) == [
        "C1 CNY L1 first-overdue: CT-K-1-1 L1 +4d 30000.00 (interest 12.00)"
    ]
    # 2026-08-20: delivery; its 60 % falls due 30 days later, Saturday 19 September → Sunday 20, a
    # make-up working day of the Chinese calendar (调休).
    assert _event(engine, "delivery", "2026-08-20") == ["CT-K-1-2"]
    assert _schedule(engine)[1] == ("60% delivery+30d", "2026-09-20", "60000.00", "CT-K-1-2")
    story.pay("PAY-1", "C1", on="2026-08-25", amount="30000.00", invoice="CT-K-1-1")
    # CT-K-1-1 is paid; CT-K-1-2 is due today, then overdue.
    assert digest(story.run("2026-09-20")) == ["C1 CNY reminder due-today: CT-K-1-2 L0 +0d 60000.00"]
    assert digest(story.run("2026-09-23")) == [
        "C1 CNY L1 first-overdue: CT-K-1-2 L1 +3d 60000.00 (interest 18.00)"
    ]
    assert _schedule(engine)[2] == ("10% acceptance+12m", None, "10000.01", None)  # no acceptance yet
    with engine.connect() as conn:
        actions = [row.action for row in audit.list_rows(conn, object="contract:K-1")]
    assert actions == ["contract.event", "contract.approve", "contract.add"]


def test_a_changed_contract_needs_approval_again_and_then_its_invoices_follow(engine: Engine) -> None:
    _story(engine)
    _add(engine)
    _approve(engine, "boss", "2026-08-07")
    says = contracts.Says("Line 3 press", day("2026-08-03"), Decimal("120000.00"), "CNY", TERMS)
    with transaction(engine) as conn:
        version = contracts.change_contract(
            conn, number="K-1", says=says, by="wang", actor=ACTOR, now=morning("2026-08-10")
        )
    assert version == 2
    # Until version 2 is approved, the ledger holds version 1's invoice.
    assert _invoices(engine)["CT-K-1-1"][2] == 3_000_000
    assert _schedule(engine)[0] == ("30% signing", "2026-08-03", "36000.00", "CT-K-1-1")
    assert _approve(engine, "boss", "2026-08-10") == ["CT-K-1-1"]
    assert _invoices(engine)["CT-K-1-1"] == ("2026-08-03", "2026-08-03", 3_600_000, 3_600_000)
    with pytest.raises(BadArgument, match="no version waiting"):
        _approve(engine, "boss", "2026-08-11")


def test_an_event_is_recorded_once_and_not_before_signing(engine: Engine) -> None:
    _story(engine)
    _add(engine)
    assert _event(engine, "acceptance", "2026-09-01") == []  # nothing approved: no invoice yet
    with pytest.raises(BadArgument, match="recorded on 2026-09-01 already"):
        _event(engine, "acceptance", "2026-09-02")
    with pytest.raises(BadArgument, match="before the contract was signed"):
        _event(engine, "delivery", "2026-08-01")
    with pytest.raises(BadArgument, match="record delivery or acceptance"):
        _event(engine, "signing", "2026-08-05")
    with pytest.raises(BadArgument, match="delivery 9999-12-31 is not between 1900 and 2999"):
        _event(engine, "delivery", "9999-12-31")


def test_a_new_version_may_not_drop_an_invoiced_line(engine: Engine) -> None:
    _story(engine)
    _add(engine)
    _approve(engine, "boss", "2026-08-07")
    _event(engine, "delivery", "2026-08-20")
    says = contracts.Says("Line 3 press", day("2026-08-03"), Decimal("100000.01"), "CNY", "net 30")
    with transaction(engine) as conn:
        contracts.change_contract(
            conn, number="K-1", says=says, by="wang", actor=ACTOR, now=morning("2026-08-21")
        )
    with pytest.raises(BadArgument, match="drops or empties line 2, already invoiced as CT-K-1-2"):
        _approve(engine, "boss", "2026-08-21")
    assert sorted(_invoices(engine)) == ["CT-K-1-1", "CT-K-1-2"]


def test_a_collector_reaches_the_contracts_of_their_portfolios_only(engine: Engine) -> None:
    _story(engine)
    _add(engine)
    with transaction(engine) as conn:
        add_user(
            conn,
            login="zhou",
            role=Role.COLLECTOR,
            password=PASSWORD,
            portfolios=["north"],
            actor="t",
            at=morning("2026-01-01"),
        )
        zhou, zhao = get_user(conn, login="zhou"), get_user(conn, login="zhao")
        assert contract_reads.list_contracts(conn, user=zhou) == []
        with pytest.raises(NotFound, match="no contract 'K-1'"):
            contract_reads.show(conn, number="K-1", country="CN", user=zhou)
        with pytest.raises(NotFound, match="no contract 'K-1'"):
            contract_approval.approve(
                conn,
                number="K-1",
                checker="zhou",
                thresholds={},
                country="CN",
                on=day("2026-08-07"),
                now=morning("2026-08-07"),
                actor="zhou",
                user=zhou,
            )
        assert [c.number for c in contract_reads.list_contracts(conn, user=zhao)] == ["K-1"]
        # below the threshold a colleague who may manage contracts approves (maker ≠ checker)
        made = contract_approval.approve(
            conn,
            number="K-1",
            checker="zhao",
            thresholds={},
            country="CN",
            on=day("2026-08-07"),
            now=morning("2026-08-07"),
            actor="zhao",
            user=zhao,
        )
        assert made == ["CT-K-1-1"]
