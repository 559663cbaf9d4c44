"""The values the dunning decision takes and returns. Pure data: no session, no clock.

A `Snapshot` is the ledger as the run sees it on the as-of date D: the open items (invoices, and
fee and interest items created by earlier notices), the customers, and the per-group state left by
earlier runs. `Decisions` is what the run decides for D: notices with their items, new item levels,
reminder records and group state changes. The run service turns a snapshot into frames for the
engine and commits the decisions in one transaction.

Every amount is integer minor units of the row's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

ItemKind = Literal["invoice", "fee", "interest"]
NoticeKind = Literal["reminder", "level"]
ReminderStatus = Literal["sent", "skipped"]


@dataclass(frozen=True, slots=True)
class Item:
    """An open item on D (issued on or before D, open amount as of D).

    `paid_minor_days` is Σ amount × max(0, P − due_date) over the payment allocations dated P ≤ D:
    the interest basis of what was paid late (credit notes and an ERP snapshot's settled part add
    nothing). `interest_charged_minor` is the interest earlier notices charged on this item.
    `level_date` is the as-of date of the item's last level rise (None if it never rose).
    `promised_until` is the last day of the pause of a pending promise to pay that covers the item
    (its due date plus grace; the latest if several): the item does not rise while D ≤ it.
    `plan_until` is the same for an instalment plan that covers the item and is not broken on D
    (its last instalment's date plus grace).
    `contract_rate` is the annual interest rate of the contract clause that made the invoice (None:
    the policy's rate applies), `contract_clause` names that clause (e.g. `K-7 v2: 0.05% per day`).
    `contract_fee_minor` is the fee per notice of the contract's fee clause (None: the policy's fee
    applies), `contract_fee_clause` names it (e.g. `K-7 v2: 200.00 per notice`).
    """

    item_id: int
    customer_id: int
    currency: str
    kind: ItemKind
    due_date: date
    open_minor: int
    disputed_minor: int = 0
    on_hold: bool = False
    level: int = 0
    level_date: date | None = None
    reminders_had: frozenset[str] = frozenset()
    paid_minor_days: int = 0
    interest_charged_minor: int = 0
    promised_until: date | None = None
    plan_until: date | None = None
    contract_rate: Decimal | None = None
    contract_clause: str | None = None
    contract_fee_minor: int | None = None
    contract_fee_clause: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: int
    grade: str | None = None
    tags: frozenset[str] = frozenset()
    on_hold: bool = False


@dataclass(frozen=True, slots=True)
class GroupState:
    """What earlier runs left for one (customer, currency) group.

    `fee_levels` are the levels whose fee was charged in the current episode; `episode_open` says
    whether the group had an eligible past-due item at the last run that looked at it.
    `awaiting_approval` is true while a level notice of the group waits for approval.
    `promise_broken_on` is the latest day a promise to pay of the group was found broken (or
    partially kept): a group whose promise broke after its last level notice is not held back by the
    spacing. `plan_broken_on` is the same for an instalment plan of the group.
    """

    customer_id: int
    currency: str
    last_level_notice: date | None = None
    fee_levels: frozenset[int] = frozenset()
    episode_open: bool = False
    awaiting_approval: bool = False
    promise_broken_on: date | None = None
    plan_broken_on: date | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A level notice a person rejected and nobody reopened: it holds its group back at its step.

    `rejected_minor` is the dunned amount of the rejected notice (the sum of its items' open
    amounts). The group is not noticed at `step` again while its dunned amount is not above it.
    """

    customer_id: int
    currency: str
    step: str
    rejected_minor: int


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the next steps of one (customer, currency) group read (docs/next-steps.md).

    `emailed_on`: the date of the group's last notice sent by e-mail; `answered_on`: the last day the
    customer answered (a recorded contact, a payment of the group, a promise); `reason` and
    `reason_on`: the last reason the customer gave and its day; `confirm_asked_on` and
    `reason_acted_on`: the trigger dates of the last confirm-receipt step and of the last reason step
    the run already took (a step is taken once per trigger)."""

    customer_id: int
    currency: str
    emailed_on: date | None = None
    answered_on: date | None = None
    reason: str | None = None
    reason_on: date | None = None
    confirm_asked_on: date | None = None
    reason_acted_on: date | None = None
    outcome: str | None = None  # the outcome of the last contact with one, and its day
    outcome_on: date | None = None
    outcome_acted_on: date | None = None  # the trigger date of the last outcome step taken


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The ledger on D. `rejections` holds at most one row per (customer, currency, step); `facts`
    at most one row per group."""

    as_of: date
    items: tuple[Item, ...]
    customers: tuple[Customer, ...]
    groups: tuple[GroupState, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    facts: tuple[ContactFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class NoticeItem:
    item_id: int
    kind: ItemKind
    level: int
    days_past_due: int
    open_minor: int  # the undisputed remainder
    interest_minor: int  # accrued to D and not charged by an earlier notice


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice for a group. Reminders: `level` and `fee_minor` are None.

    `interest_charge_minor` is the amount of the interest item this notice adds (None: none), and
    `pending_approval` marks a level notice that waits for a person before it changes anything.
    """

    customer_id: int
    currency: str
    kind: NoticeKind
    step: str
    policy: str
    level: int | None
    fee_minor: int | None
    interest_charge_minor: int | None
    pending_approval: bool
    items: tuple[NoticeItem, ...]


@dataclass(frozen=True, slots=True)
class LevelChange:
    item_id: int
    level: int


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    item_id: int
    step: str
    status: ReminderStatus


@dataclass(frozen=True, slots=True)
class GroupChange:
    """The new state of a group whose state changed today (a field the run did not touch keeps its value)."""

    customer_id: int
    currency: str
    last_level_notice: date | None
    fee_levels: frozenset[int]
    episode_open: bool


@dataclass(frozen=True, slots=True)
class NextStep:
    """A next step decided for a group: `action` (`domain.next_steps.ACTIONS` or `confirm_receipt`),
    the rule's `reason` code, the fact's date that `trigger_on` it, and the last day of the paused
    escalation it asks for (`pause_until`, None: no pause)."""

    customer_id: int
    currency: str
    action: str
    reason: str
    trigger_on: date
    pause_until: date | None = None


@dataclass(frozen=True, slots=True)
class Decisions:
    """Everything decided for D. Lists are sorted so that two engines can be compared as values."""

    as_of: date
    notices: tuple[Notice, ...] = ()
    level_changes: tuple[LevelChange, ...] = ()
    reminders: tuple[ReminderRecord, ...] = ()
    group_changes: tuple[GroupChange, ...] = ()
    next_steps: tuple[NextStep, ...] = ()  # by (customer_id, currency, action)
    extra: dict[str, object] = field(default_factory=dict, compare=False)
