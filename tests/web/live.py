"""A demo ledger with one user of every role, and the web application served by a real uvicorn on a
free port of 127.0.0.1: what the API checks (schemathesis, the role matrix) run against.

The demo customers are split into portfolios `east` (odd ids) and `west` (even ids); the sales user
`sam` owns every third customer. Every user has an API token named `check`.

Two runs are committed: on 2026-03-09 (five customers, four of `east` and one of `west`, overdue since
December and at level 3 since February, get a legal review that waits for approval; two of the east
ones are rejected straight away) and on 2026-03-16, today. By 10:05 the worker has failed three
e-mails for good (two to `east`, one to `west`): dead letters. Each object a check changes is its own,
so that no check depends on another having run first.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Locator, Page
from sqlalchemy import Connection, Engine, and_, select, update

from dunmore.access import service as access
from dunmore.access.values import Role
from dunmore.cli.demo_run import EXAMPLE_POLICY
from dunmore.credit.admission import Facts, apply
from dunmore.credit.contracts import Says, add_contract
from dunmore.delivery import outbox
from dunmore.delivery.models import DELIVERIES
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.ledger import balances
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.run import service as runs
from dunmore.run.models import NOTICES
from tests.web.conftest import PASSWORD, set_level

AS_OF = date(2026, 3, 16)
EARLIER = date(2026, 3, 9)  # the run before today's
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, on the business date AS_OF
LOGINS = {
    Role.ADMIN: "ada",
    Role.MANAGER: "max",
    Role.COLLECTOR: "cole",
    Role.SALES: "sam",
    Role.VIEWER: "vic",
}


@dataclass(frozen=True)
class DisputeFixtures:
    """What the dispute routes act on, all of portfolio east: an invoice with room to dispute, two
    open disputes and a fee item, and two waivers of it waiting for a manager (asked by "t")."""

    invoice: str
    open: list[int]
    fee_item: str
    pending_waivers: list[int]


@dataclass(frozen=True)
class Demo:
    """What a test needs to know of the demo ledger."""

    tokens: dict[Role, str]  # one bearer token per role
    east: list[str]  # customer codes of portfolio east (the collector's), in id order
    west: list[str]  # customer codes of portfolio west
    owned: list[str]  # customer codes the sales user owns
    run: int  # today's run: nothing waits for approval in it
    earlier_run: int  # the run of 2026-03-09, which holds the legal reviews
    notice: int  # a notice to east with an e-mail (of `notice_run`), to preview
    notice_run: int
    pending: list[int]  # two east legal reviews waiting for approval (of `earlier_run`)
    rejected: list[int]  # two east legal reviews rejected (standing; of `earlier_run`)
    dead_letters: list[int]  # two east e-mails failed for good
    west_notice: int  # west's legal review, waiting (of `earlier_run`)
    west_dead_letter: int
    disputes: DisputeFixtures | None = None  # see `_disputes`
    task: int = 0  # an open call task of an east customer (the worklist's)
    contract: str = ""  # a draft contract of an east customer the sales user owns, drafted by "t"
    application: int = 0  # a draft credit application of the next such customer, drafted by "t"

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


# The demo ledgers built in this test process: by the number of customers and the content of the
# database they were built on, the file holding the result and what the test is told of it.
_BUILT: dict[tuple[int, str], tuple[Path, Demo]] = {}


def demo_ledger(engine: Engine, *, customers: int = 30) -> Demo:
    """`customers` demo customers in two portfolios, the example policy, the two runs and the dead
    letters above, one user and token per role (the collector works portfolio east).

    On SQLite it is built once per test process and copied into each later database that holds what
    the first one held before it was built (the migrated rows, as a rule): building took 1.2 s of
    some 70 tests, the copy (SQLite's backup) takes milliseconds, and the ledger is the same, its
    tokens included. On PostgreSQL it is built each time."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path is None or path in ("", ":memory:"):
        return _build(engine, customers)
    key = (customers, _content(engine))
    if key in _BUILT:
        kept, demo = _BUILT[key]
        engine.dispose()  # no pooled connection holds the old pages while they are replaced
        _copy(kept, Path(path))
        return deepcopy(demo)
    demo = _build(engine, customers)
    engine.dispose()
    folder = tempfile.mkdtemp(prefix="dunmore-demo-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    kept = Path(folder) / "demo.db"
    _copy(Path(path), kept)
    _BUILT[key] = (kept, deepcopy(demo))
    return demo


def _content(engine: Engine) -> str:
    """A digest of every row of every table: equal only for databases that hold the same."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for table in list(tables.scalars()):
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}"').all()
            digest.update(repr((table, sorted(map(repr, rows)))).encode())
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database `source` over `target` (SQLite's backup)."""
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def _build(engine: Engine, customers: int) -> Demo:
    sales = LOGINS[Role.SALES]
    with engine.begin() as conn:
        load_portfolio(conn, generate(customers=customers, seed=7, as_of=AS_OF))
        c = CUSTOMERS.c
        conn.execute(update(CUSTOMERS).values(portfolio="east").where(c.id % 2 == 1))
        conn.execute(update(CUSTOMERS).values(portfolio="west").where(c.id % 2 == 0))
        conn.execute(update(CUSTOMERS).values(owner=sales).where(c.id % 3 == 0))
        conn.execute(update(CUSTOMERS).values(owner="someone-else").where(c.id % 3 != 0))
        balances.follow(conn, customer_ids=None)
        runs.load_policy(conn, EXAMPLE_POLICY, now=NOW, actor="t")
        legal = _overdue_since_december(conn, east=4, west=1)
        tokens = {}
        for role, login in LOGINS.items():
            portfolios = ["east"] if role is Role.COLLECTOR else []
            access.add_user(
                conn, login=login, role=role, password=PASSWORD, portfolios=portfolios, actor="t", at=NOW
            )
            tokens[role] = access.create_token(conn, login=login, name="check", actor="t", at=NOW).secret
        rows = conn.execute(select(c.external_id, c.portfolio, c.owner).order_by(c.id)).all()
    run_ids = []
    for as_of in (EARLIER, AS_OF):
        with engine.begin() as conn:
            outcome = runs.commit(
                conn, as_of=as_of, today=AS_OF, now=NOW, actor="t", templates_dir=None, gate_templates=False
            )
            run_ids.append(int(outcome.run_id or 0))
    with engine.begin() as conn:
        reviews = _notices_of(conn, legal)
        east_reviews = [reviews[customer] for customer in legal[:4]]
        for notice_id in east_reviews[2:]:
            runs.reject(
                conn, notice_id, reason="the customer pays through its parent", by="max", now=NOW, actor="max"
            )
        emails = _emails(conn)
        east_emails, west_emails = emails["east"], emails["west"]
        _fail_for_good(conn, [east_emails[0][0], east_emails[1][0], west_emails[0][0]])
        dispute_fixtures = _disputes(conn)
        task = _call_task(conn, *east_emails[3][:2])
        east_owned = [code for code, portfolio, owner in rows if portfolio == "east" and owner == sales]
        contract = _contract(conn, east_owned[0])
        application = _application(conn, east_owned[1])
    return Demo(
        tokens=tokens,
        east=[code for code, portfolio, _ in rows if portfolio == "east"],
        west=[code for code, portfolio, _ in rows if portfolio == "west"],
        owned=[code for code, _, owner in rows if owner == sales],
        run=run_ids[1],
        earlier_run=run_ids[0],
        notice=east_emails[2][1],
        notice_run=east_emails[2][2],
        pending=east_reviews[:2],
        rejected=east_reviews[2:],
        dead_letters=[east_emails[0][0], east_emails[1][0]],
        west_notice=reviews[legal[4]],
        west_dead_letter=west_emails[0][0],
        disputes=dispute_fixtures,
        task=task,
        contract=contract,
        application=application,
    )


def _application(conn: Connection, customer: str) -> int:
    """A draft credit application: a limit of 50,000.00 CNY on net 30 (not C000003, which the
    admission tests give an application of their own: one draft per customer at a time)."""
    return apply(
        conn, customer=customer, limit=Decimal("50000.00"), currency="CNY", terms="net 30",
        facts=Facts(years_in_business=8), by="t", actor="t", now=NOW,
    )  # fmt: skip


def _contract(conn: Connection, customer: str) -> str:
    """Contract DK-1: a draft of 10,000.00 CNY, 30 % on signing and 70 % 30 days after delivery."""
    says = Says("Demo press", date(2026, 3, 2), Decimal("10000.00"), "CNY", "30% signing; 70% delivery+30d")
    return add_contract(conn, customer=customer, number="DK-1", says=says, by="t", actor="t", now=NOW)


def _call_task(conn: Connection, delivery_id: int, notice_id: int) -> int:
    """A call task the worker opened for an east customer's notice."""
    customer = conn.execute(select(NOTICES.c.customer_id).where(NOTICES.c.id == notice_id)).scalar_one()
    claimed = outbox.Claimed(delivery_id, notice_id, "call", 1)
    return outbox.create_task(conn, claimed, customer_id=customer, title="Call about the overdue invoices",
                              brief="brief", now=NOW)  # fmt: skip


def _overdue_since_december(conn: Connection, *, east: int, west: int) -> list[int]:
    """Customers (`east` of portfolio east, then `west` of west) whose open invoices fell due on
    2025-12-01 and reached level 3 on 2026-02-01, on the standard policy (grade B, no tags): the run of
    2026-03-09 proposes their legal review, which waits for approval."""
    c, i = CUSTOMERS.c, INVOICES.c
    chosen = []
    for portfolio, count in (("east", east), ("west", west)):
        with_open = select(i.customer_id).where(i.open_minor > 0)
        found = conn.execute(
            select(c.id).where(c.portfolio == portfolio, c.id.in_(with_open)).order_by(c.id).limit(count)
        ).scalars()
        chosen += list(found)
    conn.execute(
        update(CUSTOMERS)
        .where(c.id.in_(chosen))
        .values(grade="B", tags="", on_hold=False, cease_contact=False)
    )
    conn.execute(
        update(INVOICES)
        .where(i.customer_id.in_(chosen), i.open_minor > 0)
        .values(due_date=date(2025, 12, 1), on_hold=False, disputed_minor=0)
    )
    set_level(conn, and_(i.customer_id.in_(chosen), i.open_minor > 0), 3, date(2026, 2, 1))
    return chosen


def _disputes(conn: Connection) -> DisputeFixtures:
    """Two open disputes on an east invoice and two pending waivers of an east fee item."""
    from decimal import Decimal

    from dunmore.workspace import disputes, waivers

    c, i = CUSTOMERS.c, INVOICES.c
    east = select(c.id).where(c.portfolio == "east")
    room = i.open_minor - i.disputed_minor
    invoice = (
        conn.execute(
            select(i.external_id)
            .where(i.customer_id.in_(east), i.kind == "invoice", room >= 10_000)
            .order_by(i.id)
        )
        .scalars()
        .first()
    )
    fee = (
        conn.execute(
            select(i.external_id)
            .where(i.customer_id.in_(east), i.kind == "fee", i.open_minor >= 100)
            .order_by(i.id)
        )
        .scalars()
        .first()
    )
    assert invoice is not None, "the demo has no east invoice to dispute"
    assert fee is not None, "the demo has no east fee item to waive"
    opened = [
        disputes.open_dispute(
            conn, invoice=invoice, amount=Decimal("1"), reason="price", now=NOW, actor="t"
        ).dispute_id
        for _ in range(2)
    ]
    asked = [
        waivers.request_waiver(
            conn,
            item=fee,
            amount=Decimal("0.1"),
            reason="goodwill",
            on=AS_OF,
            now=NOW,
            actor="t",
            by="t",
            thresholds={"CNY": 0, "EUR": 0, "USD": 0, "JPY": 0},
        ).id
        for _ in range(2)
    ]
    return DisputeFixtures(invoice, opened, fee, asked)


def _notices_of(conn: Connection, customers: list[int]) -> dict[int, int]:
    """customer id → its legal review waiting for approval."""
    n = NOTICES.c
    rows = conn.execute(
        select(n.customer_id, n.id).where(n.customer_id.in_(customers), n.status == "pending_approval")
    ).all()
    found = {int(row[0]): int(row[1]) for row in rows}
    assert sorted(found) == sorted(customers), "the demo's legal reviews were not proposed"
    return found


def _emails(conn: Connection) -> dict[str, list[tuple[int, int, int]]]:
    """portfolio → (delivery id, notice id, run id) of its e-mails, in id order."""
    d, n, c = DELIVERIES.c, NOTICES.c, CUSTOMERS.c
    rows = conn.execute(
        select(c.portfolio, d.id, n.id, n.run_id)
        .join(NOTICES, n.id == d.notice_id)
        .join(CUSTOMERS, c.id == n.customer_id)
        .where(d.channel == "email")
        .order_by(d.id)
    ).all()
    found: dict[str, list[tuple[int, int, int]]] = {"east": [], "west": []}
    for portfolio, delivery_id, notice_id, run_id in rows:
        found[portfolio].append((delivery_id, notice_id, run_id))
    return found


def _fail_for_good(conn: Connection, deliveries: list[int]) -> None:
    """The worker at 10:05: these e-mails bounce for good; every other delivery waits an hour."""
    later = NOW + timedelta(minutes=5)
    claimed = outbox.claim(conn, now=later, worker="w", lease=timedelta(minutes=5), limit=10_000)
    for claim in claimed:
        if claim.id in deliveries:
            outbox.mark_error(
                conn,
                claim,
                "550 5.1.1 mailbox unavailable",
                transient=False,
                now=later,
                max_attempts=1,
                retry=timedelta(minutes=1),
            )
        else:
            outbox.defer(
                conn,
                claim,
                until=later + timedelta(hours=1),
                reason="contact_window",
                detail="outside the contact window",
                now=later,
            )
    assert {claim.id for claim in claimed} >= set(deliveries)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port; yields its base URL, stops it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the web server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def click_and_load(page: Page, target: str | Locator) -> None:
    """Click a link (or a button that submits a form without htmx) and wait for the page it opens to
    have loaded: a click only starts the navigation, and a count of rows read at once reads the old
    page's (0 in one CI run, when the link led to the page already open)."""
    with page.expect_navigation():
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


def follow_menu(page: Page, href: str) -> None:
    """Open a page from a menu of the top bar as a person does: point at the menu, click the link."""
    page.hover(f"nav.mainnav .navmenu:has(a[href='{href}']) > button")
    click_and_load(page, f"nav.mainnav a[href='{href}']")
