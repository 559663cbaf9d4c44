"""The web tests' two-portfolio ledger made ready for a run: the example policy loaded, and two
customers (E001 in `east`, W001 in `west`) at level 3 since February, so that the run of 2026-03-16
proposes their legal review, which waits for approval."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from dunmore.ledger.models import INVOICES
from dunmore.run import service
from tests.web.conftest import NOW, fill_ledger, set_level

EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
TODAY = date(2026, 3, 16)


def fill_run_ledger(engine: Engine) -> None:
    fill_ledger(engine)
    with engine.begin() as conn:
        service.load_policy(conn, EXAMPLE, now=NOW, actor="test")
        at_level_3 = INVOICES.c.external_id.in_(["INV-E1", "INV-W1"])
        set_level(conn, at_level_3, 3, date(2026, 2, 1))
