"""What a template sees: one notice, with its creditor, debtor, contact and items, as plain values.

A `NoticeView` is built from the store (`dunmore.delivery.notice_view`) or from samples (template
checks, previews) and rendered by `dunmore.delivery.render`. Money stays `Money` and dates stay `date`
here; templates format them per language with the `money` and `date` filters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from dunmore.delivery.languages import LANGUAGES as LANGUAGES  # re-exported: where readers look
from dunmore.delivery.languages import Language as Language
from dunmore.domain.money import Money


@dataclass(frozen=True, slots=True)
class Creditor:
    """The business that is owed: who signs and how to be paid (from settings)."""

    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    country: str = "CN"  # ISO 3166 alpha-2: its public holidays move deadlines
    signatory: str = ""  # the person or department that signs letters
    payment_instructions: tuple[str, ...] = ()  # lines: bank, account, reference to quote
    sms_signature: str = ""  # the registered SMS signature, shown in 【】; the name when empty


@dataclass(frozen=True, slots=True)
class Debtor:
    name: str
    external_id: str
    address: tuple[str, ...] = ()
    country: str = "CN"


@dataclass(frozen=True, slots=True)
class Contact:
    """The person a notice goes to (the customer's primary contact)."""

    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    """One item listed on a notice: an invoice, or a fee or interest item an earlier notice added."""

    reference: str  # the invoice number as the debtor knows it (external id)
    kind: Literal["invoice", "fee", "interest"]
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    level: int
    open_amount: Money  # the undisputed open amount on the notice date
    interest: Money  # interest accrued to the notice date that no earlier notice charged
    # The annual rate an invoice accrues at: its contract clause's (capped by the policy), else the
    # policy's; None for fee and interest items and where nothing accrues.
    interest_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the policy does next if the debt stays unpaid, so a notice can say it truthfully."""

    name: str
    channels: tuple[str, ...]
    requires_approval: bool


@dataclass(frozen=True, slots=True)
class InstalmentLine:
    """The instalment a reminder of kind `instalment` announces (`domain.plan_reminders`)."""

    plan: int  # the plan's number, as the customer's agreement names it
    number: int  # the instalment's number in the plan (0: the down payment)
    count: int  # how many instalments the plan has
    due_on: dt.date
    amount: Money  # what is still due on the instalment
    remaining: Money  # the plan's unpaid balance, this instalment included
    moment: Literal["before", "on"]  # a reminder before the date, or on it


@dataclass(frozen=True, slots=True)
class NoticeView:
    notice_id: int
    reference: str  # printed on the notice and quoted back by the debtor, e.g. "DN-000042"
    language: Language
    kind: Literal["reminder", "level", "instalment"]
    step: str  # the policy step's name, e.g. "final-notice"
    level: int | None
    date: dt.date  # the run's as-of date
    currency: str
    creditor: Creditor
    debtor: Debtor
    contact: Contact
    items: tuple[Line, ...]
    total_open: Money  # sum of the items' open amounts
    total_interest: Money  # sum of the items' interest
    fee: Money | None  # the fee this notice adds, if its level has one
    interest_charge: Money | None  # the interest item this notice adds, if its level charges interest
    total_due: Money  # total_open + fee + interest_charge
    # The annual rate the notice's invoices accrue at, e.g. Decimal("0.0365"): the policy's, or the
    # contract clause's where a contract made them. None when nothing accrues, or when the invoices
    # accrue at different rates (each line then carries its own `interest_rate`).
    interest_rate: Decimal | None
    deadline: dt.date | None  # a business day, for levels with deadline_days
    next_step: NextStep | None
    portal_link: str  # where the debtor confirms or disputes the statement; "" while no portal is set
    extra: dict[str, str] = field(default_factory=dict)
    instalment: InstalmentLine | None = None  # set on notices of kind `instalment` only


def totals(
    items: tuple[Line, ...], fee: Money | None, interest_charge: Money | None, currency: str
) -> tuple[Money, Money, Money]:
    """A notice's `total_open`, `total_interest` and `total_due` (open + fee + interest charge)."""
    total_open = Money(sum(line.open_amount.minor for line in items), currency)
    total_interest = Money(sum(line.interest.minor for line in items), currency)
    charges = sum(charge.minor for charge in (fee, interest_charge) if charge is not None)
    return total_open, total_interest, Money(total_open.minor + charges, currency)
