"""The role matrix's lines of the dispute and waiver routes (tests/web/test_role_matrix.py), apart so
that the matrix file changes by one line. Each line acts on an object of its own of the demo's
`DisputeFixtures`: a dispute resolved once, a waiver decided once."""

from __future__ import annotations

from typing import Any

from dunmore.access.permissions import Permission
from tests.web.live import Demo, DisputeFixtures

# a dispute of one yuan on the demo's invoice with room to dispute (the schema run sends it too)
OPEN_DISPUTE = {"amount": "1.00", "reason": "quality", "note": "from the matrix"}


def _of(demo: Demo) -> DisputeFixtures:
    assert demo.disputes is not None
    return demo.disputes


def lines(line: Any) -> list[Any]:
    """`line` is the matrix's `Line` class (passed in: the matrix module imports this one)."""
    return [
        line(Permission.LEDGER_READ, "GET", "/api/v1/disputes"),
        line(
            Permission.DISPUTE_SET,
            "POST",
            "/api/v1/invoices/{number}/disputes",
            body=OPEN_DISPUTE,
            at=lambda demo: {"number": _of(demo).invoice},
        ),
        line(
            Permission.DISPUTE_SET,
            "POST",
            "/api/v1/disputes/{dispute_id}/resolve",
            body={"outcome": "rejected"},
            at=lambda demo: {"dispute_id": _of(demo).open[0]},
        ),
        line(Permission.LEDGER_READ, "GET", "/disputes"),
        line(Permission.LEDGER_READ, "GET", "/customers/{code}/disputes"),
        line(
            Permission.DISPUTE_SET,
            "POST",
            "/disputes",
            body={"amount": "1.00", "reason": "price"},
            at=lambda demo: {"invoice": _of(demo).invoice},
        ),
        line(
            Permission.DISPUTE_SET,
            "POST",
            "/disputes/{dispute_id}/resolve",
            body={"outcome": "withdrawn"},
            at=lambda demo: {"dispute_id": _of(demo).open[1]},
        ),
        line(
            Permission.DISPUTE_SET,
            "POST",
            "/waivers",
            body={"amount": "0.01", "reason": "goodwill"},
            at=lambda demo: {"item": _of(demo).fee_item},
        ),
        line(
            Permission.RUN_APPROVE,
            "POST",
            "/waivers/{waiver_id}/approve",
            at=lambda demo: {"waiver_id": _of(demo).pending_waivers[0]},
        ),
        line(
            Permission.RUN_APPROVE,
            "POST",
            "/waivers/{waiver_id}/reject",
            at=lambda demo: {"waiver_id": _of(demo).pending_waivers[1]},
        ),
    ]
