"""A contract's interest clause as the dunning run applies it.

The clause is stored as written and checked (`credit.contracts.interest_clause`): `RATE% per
day|month|year`. The run accrues simple interest on an annual rate over 365 days, so the clause
becomes an annual rate: per day × 365, per month × 12 (0.05 % a day is 18.25 % a year, and a day
of it is exactly 0.05 %). The run reads, for each invoice a contract's schedule made, the interest
clause of the contract's approved version; the policy may cut it to a legal cap (`contract_cap`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, and_, select

from dunmore.credit.contract_models import CONTRACT_INVOICES, CONTRACT_VERSIONS, CONTRACTS

PERIODS_PER_YEAR: Final = {"day": 365, "month": 12, "year": 1}
CLAUSE: Final = re.compile(
    r"^(?P<contract>\S+) v(?P<version>\d+): (?P<rate>[\d.]+)% per (?P<period>day|month|year)$"
)
COLUMNS: Final = {"item_id": pl.Int64, "contract_rate": pl.String, "contract_clause": pl.String}


@dataclass(frozen=True)
class Clause:
    """An interest clause named for `explain`: contract K-7, version 2, 0.05 % per day."""

    contract: str
    version: int
    percent: Decimal
    period: str

    @property
    def annual_rate(self) -> Decimal:
        return self.percent * PERIODS_PER_YEAR[self.period] / 100

    @property
    def label(self) -> str:
        """The clause as the run's snapshot carries it: `K-7 v2: 0.05% per day`."""
        return f"{self.contract} v{self.version}: {self.percent:f}% per {self.period}"

    @classmethod
    def of(cls, contract: str, version: int, terms: str) -> Clause:
        """The clause of a checked interest term (`0.05% per day`)."""
        rate, _, period = terms.partition("% per ")
        return cls(contract, version, Decimal(rate), period)

    @classmethod
    def parse(cls, label: str) -> Clause | None:
        """The clause of a `label` (None: not one)."""
        found = CLAUSE.match(label)
        if found is None:
            return None
        return cls(found["contract"], int(found["version"]), Decimal(found["rate"]), found["period"])


def read_clauses(conn: Connection, mine: Any) -> pl.DataFrame:
    """(item_id, contract_rate, contract_clause) of every invoice a contract made whose approved
    version has an interest clause; `mine` is a condition on a customer id column (the run's part)."""
    ci, k, v = CONTRACT_INVOICES.c, CONTRACTS.c, CONTRACT_VERSIONS.c
    query = (
        select(ci.invoice_id, k.number, v.version, v.interest_terms)
        .select_from(
            CONTRACT_INVOICES.join(CONTRACTS, k.id == ci.contract_id).join(
                CONTRACT_VERSIONS, and_(v.contract_id == k.id, v.status == "approved")
            )
        )
        .where(and_(v.interest_terms.is_not(None), mine))
    )
    rows = [
        (invoice_id, Clause.of(number, version, terms))
        for invoice_id, number, version, terms in conn.execute(query)
    ]
    found = [(item_id, str(clause.annual_rate), clause.label) for item_id, clause in rows]
    return pl.DataFrame(found, schema=COLUMNS, orient="row")
