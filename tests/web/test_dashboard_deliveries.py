"""The dashboard's delivery counts: what a collector sees is their portfolio's deliveries only, and
the count of a portfolio's waiting deliveries reads no delivery row (the collector's dashboard on a
large ledger). The story: the tests' ledger (E001, E002 in `east`; W001 in `west`), the policy of
examples/, a run on 2026-03-16; then W001's e-mail goes out."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, update

from dunmore.access.service import get_user
from dunmore.delivery.models import DELIVERIES
from dunmore.domain.aging import buckets
from dunmore.ledger.models import CUSTOMERS
from dunmore.reports.dashboard import WAITING, deliveries_count, overview
from dunmore.run import service
from dunmore.run.models import NOTICES
from dunmore.store.db import transaction
from tests.web.conftest import NOW, fill_ledger

POLICY = Path(__file__).resolve().parents[2] / "examples" / "dunning.yaml"


def _after_a_run(engine: Engine) -> None:
    fill_ledger(engine)
    with transaction(engine) as conn:
        service.load_policy(conn, POLICY, now=NOW, actor="test")
        service.commit(conn, as_of=NOW.date(), today=NOW.date(), now=NOW, actor="test",
                       templates_dir=None, gate_templates=False)  # fmt: skip
        west = select(CUSTOMERS.c.id).where(CUSTOMERS.c.portfolio == "west")
        sent = DELIVERIES.c.notice_id.in_(select(NOTICES.c.id).where(NOTICES.c.customer_id.in_(west)))
        conn.execute(update(DELIVERIES).where(sent & (DELIVERIES.c.channel == "email")).values(status="sent"))


def _waiting_of(conn: Connection, portfolio: str | None) -> int:
    """The plain answer: deliveries waiting among the notices of the portfolio's customers."""
    n, d, c = NOTICES.c, DELIVERIES.c, CUSTOMERS.c
    query = (
        select(func.count())
        .select_from(DELIVERIES)
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(d.status.in_(WAITING))
    )
    if portfolio is not None:
        query = query.where(c.portfolio == portfolio)
    return int(conn.execute(query).scalar_one())


def test_a_collector_counts_the_waiting_deliveries_of_their_portfolio_only(engine: Engine) -> None:
    _after_a_run(engine)
    with engine.connect() as conn:
        ann, boss = get_user(conn, login="ann"), get_user(conn, login="boss")
        mine = overview(conn, user=ann, as_of=NOW.date(), buckets=buckets()).deliveries_waiting
        every = overview(conn, user=boss, as_of=NOW.date(), buckets=buckets()).deliveries_waiting
        east, everyone = _waiting_of(conn, "east"), _waiting_of(conn, None)
    assert east > 0
    assert everyone > east  # west's call tasks still wait, its e-mails went out
    assert (mine, every) == (east, everyone)


def test_a_portfolio_s_waiting_deliveries_are_counted_from_the_index_alone(sqlite_engine: Engine) -> None:
    _after_a_run(sqlite_engine)
    with sqlite_engine.connect() as conn:
        query = deliveries_count(get_user(conn, login="ann"), WAITING, many=True, dialect="sqlite")
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "deliveries USING COVERING INDEX ix_deliveries_notice_status" in plan, plan
