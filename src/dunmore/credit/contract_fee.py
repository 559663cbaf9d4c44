"""A contract's fee clause as the dunning run applies it.

The clause is stored checked and canonical (`credit.contracts.fee_clause`): `AMOUNT per notice`,
the amount in the contract's currency (`200.00 per notice`). Where a level of the policy charges a
fee, a notice that duns an invoice a contract's schedule made charges the clause's amount instead
of the policy's (the lowest clause when it duns several contracts' invoices): the policy says when
a fee is charged, the contract how much. The run reads, for each invoice a contract made, the fee
clause of the contract's approved version. A clause stored before clauses were checked that does
not read as `AMOUNT per notice` is shown but not applied: the policy's fee stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, and_, select

from dunmore.credit.contract_models import CONTRACT_INVOICES, CONTRACT_VERSIONS, CONTRACTS
from dunmore.domain.money import format_minor, to_minor
from dunmore.errors import DunmoreError

TERMS: Final = re.compile(r"^(\d{1,12}(?:\.\d{1,3})?) per notice$")
LABEL: Final = re.compile(r"^(?P<contract>\S+) v(?P<version>\d+): (?P<amount>[\d.]+) per notice$")
COLUMNS: Final = {"item_id": pl.Int64, "contract_fee_minor": pl.Int64, "contract_fee_clause": pl.String}


@dataclass(frozen=True)
class FeeClause:
    """A fee clause named for `explain`: contract K-7, version 2, 200.00 (CNY) per notice."""

    contract: str
    version: int
    amount: Decimal  # in major units of the contract's currency

    @property
    def label(self) -> str:
        """The clause as the run's snapshot carries it: `K-7 v2: 200.00 per notice`."""
        return f"{self.contract} v{self.version}: {self.amount:f} per notice"

    @classmethod
    def of(cls, contract: str, version: int, terms: str) -> FeeClause | None:
        """The clause of a stored fee term (None: free text from before clauses were checked)."""
        found = TERMS.match(terms)
        return None if found is None else cls(contract, version, Decimal(found[1]))

    @classmethod
    def parse(cls, label: str) -> FeeClause | None:
        """The clause of a `label` (None: not one)."""
        found = LABEL.match(label)
        if found is None:
            return None
        return cls(found["contract"], int(found["version"]), Decimal(found["amount"]))

    def minor(self, currency: str) -> int | None:
        """The fee in minor units of `currency` (None: finer than the currency's minor unit)."""
        try:
            return to_minor(self.amount, currency)
        except DunmoreError:
            return None


def canonical(amount: Decimal, currency: str | None) -> str:
    """`200.00 per notice`: the amount with the currency's places when the currency is known."""
    if currency is None:
        return f"{amount:f} per notice"
    return f"{format_minor(to_minor(amount, currency), currency)} per notice"


def read_fee_clauses(conn: Connection, mine: Any) -> pl.DataFrame:
    """(item_id, contract_fee_minor, contract_fee_clause) of every invoice a contract made whose
    approved version has a fee clause; `mine` is a condition on a customer id column (the run's part)."""
    ci, k, v = CONTRACT_INVOICES.c, CONTRACTS.c, CONTRACT_VERSIONS.c
    query = (
        select(ci.invoice_id, k.number, v.version, v.fee_terms, v.currency)
        .select_from(
            CONTRACT_INVOICES.join(CONTRACTS, k.id == ci.contract_id).join(
                CONTRACT_VERSIONS, and_(v.contract_id == k.id, v.status == "approved")
            )
        )
        .where(and_(v.fee_terms.is_not(None), mine))
    )
    found = []
    for invoice_id, number, version, terms, currency in conn.execute(query):
        clause = FeeClause.of(number, version, terms)
        minor = None if clause is None else clause.minor(currency)
        if clause is not None and minor is not None:
            found.append((invoice_id, minor, clause.label))
    return pl.DataFrame(found, schema=COLUMNS, orient="row")
