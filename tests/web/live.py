"""A demo ledger with one user of every role, and the web application served by a real uvicorn on a
free port of 127.0.0.1: what the API checks (schemathesis, the role matrix) run against.

The demo customers are split into portfolios `east` (odd ids) and `west` (even ids); the sales user
`sam` owns every third customer. Every user has an API token named `check`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select, update

from dunmore.access import service as access
from dunmore.access.values import Role
from dunmore.cli.demo_run import EXAMPLE_POLICY
from dunmore.demo.generator import generate
from dunmore.demo.load import load_portfolio
from dunmore.ledger.models import CUSTOMERS
from dunmore.run import service as runs
from tests.web.conftest import PASSWORD

AS_OF = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, on the business date AS_OF
LOGINS = {
    Role.ADMIN: "ada",
    Role.MANAGER: "max",
    Role.COLLECTOR: "cole",
    Role.SALES: "sam",
    Role.VIEWER: "vic",
}


@dataclass(frozen=True)
class Demo:
    """What a test needs to know of the demo ledger."""

    tokens: dict[Role, str]  # one bearer token per role
    east: list[str]  # customer codes of portfolio east (the collector's), in id order
    west: list[str]  # customer codes of portfolio west
    owned: list[str]  # customer codes the sales user owns

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def demo_ledger(engine: Engine, *, customers: int = 30) -> Demo:
    """`customers` demo customers in two portfolios, the example policy, today's committed run, one
    user and token per role (the collector works portfolio east)."""
    sales = LOGINS[Role.SALES]
    with engine.begin() as conn:
        load_portfolio(conn, generate(customers=customers, seed=7, as_of=AS_OF))
        c = CUSTOMERS.c
        conn.execute(update(CUSTOMERS).values(portfolio="east").where(c.id % 2 == 1))
        conn.execute(update(CUSTOMERS).values(portfolio="west").where(c.id % 2 == 0))
        conn.execute(update(CUSTOMERS).values(owner=sales).where(c.id % 3 == 0))
        conn.execute(update(CUSTOMERS).values(owner="someone-else").where(c.id % 3 != 0))
        runs.load_policy(conn, EXAMPLE_POLICY, now=NOW, actor="t")
        tokens = {}
        for role, login in LOGINS.items():
            portfolios = ["east"] if role is Role.COLLECTOR else []
            access.add_user(conn, login=login, role=role, password=PASSWORD, portfolios=portfolios,
                            actor="t", at=NOW)  # fmt: skip
            tokens[role] = access.create_token(conn, login=login, name="check", actor="t", at=NOW).secret
        rows = conn.execute(select(c.external_id, c.portfolio, c.owner).order_by(c.id)).all()
    with engine.begin() as conn:
        runs.commit(
            conn,
            as_of=AS_OF,
            today=AS_OF,
            now=NOW,
            actor="t",
            templates_dir=None,
            gate_templates=False,
        )
    return Demo(
        tokens=tokens,
        east=[code for code, portfolio, _ in rows if portfolio == "east"],
        west=[code for code, portfolio, _ in rows if portfolio == "west"],
        owned=[code for code, _, owner in rows if owner == sales],
    )


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
