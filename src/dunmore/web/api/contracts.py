"""API routes of contracts: parse, call `credit.contract_reads` / `credit.contracts` /
`credit.contract_approval`, answer a schema. The rules are the services' (docs/contracts.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from dunmore.credit import contract_approval, contract_reads, contracts
from dunmore.web.api import errors
from dunmore.web.auth import ApiUser, Conn, Site

router = APIRouter(tags=["contracts"])
Number = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The contract number.",
    ),
]
Status = Literal["draft", "approved", "superseded"]
REFUSED: errors.Responses = errors.BAD_REQUEST | errors.FORBIDDEN | errors.NOT_FOUND


class ContractSummary(BaseModel):
    number: str
    customer: str
    title: str
    currency: str
    amount_minor: int = Field(description="Minor units of `currency`.")
    version: int = Field(description="The latest version.")
    status: str = Field(description="The latest version's: draft, approved or superseded.")


class ScheduleLine(BaseModel):
    line: int
    part: str = Field(description="The part of the terms, e.g. `60% delivery+30d`.")
    event_on: date | None = Field(description="The day of the event it follows; null while not recorded.")
    due_on: date | None = Field(
        description="Its business-day due date; null while its event is not recorded."
    )
    amount_minor: int
    remainder_minor: int = Field(description="What the last line holds beyond its share (rounding).")
    invoice: str | None = Field(description="The invoice it became once approved and due.")


class Contract(ContractSummary):
    signed_on: date
    ends_on: date | None
    terms: str
    interest_terms: str | None
    fee_terms: str | None
    drafted_by: str
    approved_by: str | None
    events: dict[str, date] = Field(description="signing, delivery, acceptance: the days recorded.")
    schedule: list[ScheduleLine]


class ContractSays(BaseModel):
    """What a version of a contract says (the rules: `credit.contracts.checked`)."""

    title: str = Field(min_length=1, max_length=200)
    signed_on: date = Field(description="The day it was signed (1900 to 2999).")
    ends_on: date | None = Field(default=None, description="The day it ends, if it says one.")
    amount: str = Field(
        pattern=r"^\d{1,15}(\.\d{1,3})?$", description="In major units of `currency`, e.g. `10000.00`."
    )
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. `CNY`.")
    terms: str = Field(
        min_length=1, max_length=500, description="Payment terms, e.g. `30% signing; 70% delivery+30d`."
    )
    interest_terms: str | None = Field(
        default=None, max_length=40, description="Late-payment interest clause, e.g. `0.05% per day`."
    )
    fee_terms: str | None = Field(
        default=None, max_length=200, description="Fee clause: an amount per notice, e.g. `200.00 per notice`"
    )

    def says(self) -> contracts.Says:
        return contracts.Says(
            title=self.title,
            signed_on=self.signed_on,
            amount=Decimal(self.amount),
            currency=self.currency,
            terms=self.terms,
            ends_on=self.ends_on,
            interest_terms=self.interest_terms,
            fee_terms=self.fee_terms,
        )


class NewContract(ContractSays):
    customer: str = Field(min_length=1, max_length=64, description="The customer's code.")
    number: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The contract number.",
    )


class NewEvent(BaseModel):
    event: Literal["delivery", "acceptance"]
    on: date = Field(description="The day it happened (1900 to 2999).")


def _contract(view: contract_reads.ContractView) -> Contract:
    latest = view.latest
    return Contract(
        number=view.number,
        customer=view.customer,
        title=latest.title,
        currency=latest.currency,
        amount_minor=latest.amount_minor,
        version=latest.version,
        status=latest.status,
        signed_on=latest.signed_on,
        ends_on=latest.ends_on,
        terms=latest.terms,
        interest_terms=latest.interest_terms,
        fee_terms=latest.fee_terms,
        drafted_by=latest.drafted_by,
        approved_by=latest.approved_by,
        events={event.value: on for event, on in view.events.items()},
        schedule=[
            ScheduleLine(
                line=v.line.seq,
                part=v.line.label,
                event_on=v.line.event_on,
                due_on=v.line.due_on,
                amount_minor=v.line.amount_minor,
                remainder_minor=v.line.remainder_minor,
                invoice=v.invoice,
            )
            for v in view.lines
        ],
    )


@router.get("/contracts", response_model=list[ContractSummary])
def list_contracts(
    conn: Conn,
    user: ApiUser,
    customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Status | None = None,
) -> list[ContractSummary]:
    """The contracts of the user's customers (their latest version), newest first, at most 500."""
    found = contract_reads.list_contracts(conn, user=user, customer=customer, status=status)
    return [
        ContractSummary(
            number=s.number,
            customer=s.customer,
            title=s.title,
            currency=s.currency,
            amount_minor=s.amount_minor,
            version=s.version,
            status=s.status,
        )
        for s in found
    ]


@router.get("/contracts/{contract}", response_model=Contract, responses=errors.NOT_FOUND)
def get_contract(site: Site, conn: Conn, user: ApiUser, contract: Number) -> Contract:
    """A contract: its latest version and the schedule its terms make, with the invoices it became."""
    return _contract(
        contract_reads.show(conn, number=contract, country=site.settings.creditor.country, user=user)
    )


@router.post("/contracts", response_model=Contract, status_code=201, responses=REFUSED)
def add_contract(site: Site, conn: Conn, user: ApiUser, body: NewContract) -> Contract:
    """Record a contract of one of the user's customers: version 1, a draft waiting for approval by
    someone else (`contract.manage`)."""
    number = contracts.add_contract(
        conn,
        customer=body.customer,
        number=body.number,
        says=body.says(),
        by=user.login,
        user=user,
        actor=user.login,
        now=site.now(),
    )
    return _contract(
        contract_reads.show(conn, number=number, country=site.settings.creditor.country, user=user)
    )


@router.post("/contracts/{contract}/versions", response_model=Contract, status_code=201, responses=REFUSED)
def change_contract(site: Site, conn: Conn, user: ApiUser, contract: Number, body: ContractSays) -> Contract:
    """Change the contract: a new version, a draft that needs approval again; the approved version
    stays in force until then (`contract.manage`)."""
    contracts.change_contract(
        conn, number=contract, says=body.says(), by=user.login, user=user, actor=user.login, now=site.now()
    )
    country = site.settings.creditor.country
    return _contract(contract_reads.show(conn, number=contract, country=country, user=user))


@router.post("/contracts/{contract}/approve", response_model=Contract, responses=REFUSED)
def approve_contract(site: Site, conn: Conn, user: ApiUser, contract: Number) -> Contract:
    """Approve the draft version (not one the user drafted; above the currency's threshold only a
    manager may): its due lines become invoices the run duns."""
    country = site.settings.creditor.country
    contract_approval.approve(
        conn,
        number=contract,
        checker=user.login,
        user=user,
        thresholds=site.settings.workspace.contract_approval_minor,
        country=country,
        on=site.today(),
        now=site.now(),
        actor=user.login,
    )
    return _contract(contract_reads.show(conn, number=contract, country=country, user=user))


@router.post("/contracts/{contract}/events", response_model=Contract, responses=REFUSED)
def record_event(site: Site, conn: Conn, user: ApiUser, contract: Number, body: NewEvent) -> Contract:
    """Record the day delivery or acceptance happened: the parts waiting for it fall due (and become
    invoices under an approved version)."""
    country = site.settings.creditor.country
    contracts.record_event(
        conn,
        number=contract,
        event=body.event,
        on=body.on,
        by=user.login,
        user=user,
        actor=user.login,
        now=site.now(),
        country=country,
    )
    return _contract(contract_reads.show(conn, number=contract, country=country, user=user))
