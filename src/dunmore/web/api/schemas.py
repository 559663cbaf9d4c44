"""What the API answers. Money is integer minor units with its ISO currency, never a float."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

# An amount as the API takes it: digits and at most three decimals (the currency's places are checked
# by the service), without sign, grouping or exponent.
AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"


class Me(BaseModel):
    login: str
    role: str
    language: str
    portfolios: list[str]


class CurrencyAging(BaseModel):
    currency: str
    buckets: list[str] = Field(description="Bucket labels, e.g. `not due`, `1-30`, `>180`.")
    by_bucket_minor: list[int]
    overdue_minor: int
    total_minor: int


class LatestRun(BaseModel):
    id: int = Field(description="The run's id: `GET /api/v1/runs/{id}`.")
    sequence: int
    as_of: date
    notices: int
    status: str


class Dashboard(BaseModel):
    as_of: date
    currencies: list[CurrencyAging]
    latest_run: LatestRun | None
    pending_approvals: int | None = Field(description="None when the user's role may not read runs.")
    deliveries_waiting: int | None
    deliveries_failed: int | None


class Account(BaseModel):
    code: str
    name: str
    portfolio: str
    owner: str | None
    owner_login: str | None = Field(description="The user the owner names (case ignored), if any.")
    grade: str | None
    on_hold: bool
    currency: str = Field(description='Empty ("") for a customer with nothing open.')
    open_minor: int
    overdue_minor: int
    max_level: int


class AccountPage(BaseModel):
    rows: list[Account]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class Contact(BaseModel):
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    preferred_channel: str | None
    is_primary: bool


class OpenItem(BaseModel):
    code: str
    kind: str
    issue_date: date
    due_date: date
    currency: str
    amount_minor: int
    open_minor: int
    disputed_minor: int
    level: int
    on_hold: bool
    days_overdue: int


class Customer(BaseModel):
    code: str
    name: str
    language: str
    timezone: str
    country: str
    grade: str | None
    owner: str | None
    portfolio: str
    tags: list[str]
    on_hold: bool
    cease_contact: bool
    credit_limit_minor: int | None
    credit_currency: str | None
    contacts: list[Contact]
    items: list[OpenItem]
    more_items: bool
