"""API of portfolios (managers and administrators): list them, assign customers by rules, move them by
hand, hand a leaving collector's portfolios over — the service of `dunmore portfolios …`
(`access.portfolios`), audited in the token user's name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from dunmore.access import portfolios
from dunmore.domain.portfolio_rules import PORTFOLIO_MAX, read_rules
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site

router = APIRouter(tags=["portfolios"])
RULES_TEXT_MAX = 100_000
CODES_MAX = 1_000
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN
Name = Annotated[str, StringConstraints(min_length=1, max_length=PORTFOLIO_MAX)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Login = Annotated[str, StringConstraints(min_length=2, max_length=64)]


class Portfolio(BaseModel):
    name: str
    customers: int
    overdue_minor: dict[str, int] = Field(description="Overdue amount per currency today, minor units.")
    collectors: list[str] = Field(description="Logins of the collectors who work it.")


class Transfer(BaseModel):
    source: str = Field(description="The portfolio the customers leave.")
    target: str = Field(description="The portfolio they go to.")
    customers: int


class Moved(BaseModel):
    applied: bool = Field(description="False for a dry run, or when nobody moves.")
    customers: int
    transfers: list[Transfer]
    codes: list[str] = Field(description=f"The moved customers' codes (the first {CODES_MAX}).")


class Assignment(BaseModel):
    rules: str = Field(max_length=RULES_TEXT_MAX, description="The YAML rules (see docs/portfolios.md).")
    dry_run: bool = Field(default=True, description="Say who would move; change nothing.")


class Move(BaseModel):
    to: Name
    customers: list[Code] | None = Field(default=None, max_length=CODES_MAX, description="Customer codes.")
    from_portfolio: Name | None = Field(default=None, description="Or: every customer of this portfolio.")


class Reassignment(BaseModel):
    from_user: Login = Field(description="The login of the collector who leaves.")
    to_user: Login = Field(description="The login of the collector who takes over.")


class Handover(BaseModel):
    source: str
    target: str
    portfolios: list[str]
    customers: int = Field(description="Customers whose owner changed.")


def _moved(found: portfolios.Moved) -> Moved:
    transfers = [Transfer(source=t.source, target=t.target, customers=t.customers) for t in found.transfers]
    return Moved(applied=found.applied, customers=found.customers, transfers=transfers,
                 codes=list(found.codes[:CODES_MAX]))  # fmt: skip


@router.get("/portfolios", response_model=list[Portfolio], responses=errors.FORBIDDEN)
def list_portfolios(site: Site, conn: Conn, user: ApiUser) -> list[Portfolio]:
    """Every portfolio: its customers, their overdue amounts per currency, its collectors."""
    found = portfolios.list_portfolios(conn, as_of=site.today(), actor=user)
    return [Portfolio(name=p.name, customers=p.customers, overdue_minor=dict(p.overdue),
                      collectors=list(p.collectors)) for p in found]  # fmt: skip


@router.post("/portfolios/assign", response_model=Moved, responses=REFUSED)
def assign(site: Site, conn: Conn, user: ApiUser, body: Assignment) -> Moved:
    """Place every customer by the rules, first match wins; audited as `portfolios.assign`."""
    portfolios.acting(user)
    rules = read_rules(body.rules, "rules")
    found = portfolios.assign(conn, rules=rules, as_of=site.today(), dry_run=body.dry_run, actor=user,
                              at=site.now())  # fmt: skip
    return _moved(found)


@router.post("/portfolios/move", response_model=Moved, responses=REFUSED | errors.NOT_FOUND)
def move(site: Site, conn: Conn, user: ApiUser, body: Move) -> Moved:
    """Move the customers named, or every customer of `from_portfolio`, to `to`."""
    found = portfolios.move(conn, to=body.to, codes=body.customers, source=body.from_portfolio, actor=user,
                            at=site.now())  # fmt: skip
    return _moved(found)


@router.post("/portfolios/reassign", response_model=Handover, responses=REFUSED | errors.NOT_FOUND)
def reassign(site: Site, conn: Conn, user: ApiUser, body: Reassignment) -> Handover:
    """A collector leaves: their portfolios and owned customers go to another collector."""
    done = portfolios.reassign(conn, source=body.from_user, target=body.to_user, actor=user, at=site.now())
    return Handover(source=done.source, target=done.target, portfolios=list(done.portfolios),
                    customers=done.customers)  # fmt: skip
