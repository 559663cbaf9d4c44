"""Reminders of instalments to the customer: a policy's optional `plans:` section, read and checked.

```yaml
plans:
  remind_customer: true        # default true: each unpaid instalment is announced to the customer
  remind_days_before: 3        # default 3: the "before" reminder comes this many days ahead
  channels: [email]            # by which channels (email, sms, letter); default: the e-mail and SMS
                               # the policy's reminders and levels use (e-mail when they use neither)
```

The run writes the reminders (`run.instalment_notices`) as notices of kind `instalment` for the step
`instalment-reminder`, sent through the same templates, outbox and guard as every notice. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from dunmore.domain.policy_yaml import Node, Reader

INSTALMENT_STEP: Final = "instalment-reminder"  # the step, and its template's folder
INSTALMENT_KIND: Final = "instalment"  # the notices' kind
REMINDER_CHANNELS: Final = ("email", "sms", "letter")  # a reminder is a message: no call, visit or task


@dataclass(frozen=True, slots=True)
class PlanReminders:
    """Whether and how a policy's customers hear of their instalments: `days_before` the date, and on it."""

    remind_customer: bool = True
    days_before: int = 3
    channels: tuple[str, ...] = ()  # none given: the ladder's e-mail and SMS (`policy.instalment_channels`)


def moment_of(due_on: date, as_of: date, *, days_before: int, grace_days: int) -> str | None:
    """`before` in the `days_before` days before an instalment's date, `on` from the date to its last
    day of grace, None otherwise: the reminder due on `as_of` (each is written once, whichever day)."""
    if due_on - timedelta(days=days_before) <= as_of < due_on:
        return "before"
    if due_on <= as_of <= due_on + timedelta(days=grace_days):
        return "on"
    return None


def read_plan_reminders(r: Reader, node: Node | None) -> PlanReminders:
    """The `plans:` section (absent: the defaults); every problem is reported with its line."""
    default = PlanReminders()
    if node is None:
        return default
    keys = ("remind_customer", "remind_days_before", "channels")
    found = r.fields(node, "plans", optional=keys) or {}
    remind = r.boolean(found.get("remind_customer"))
    days = r.days(found.get("remind_days_before"), minimum=0)
    channels = r.choices(found.get("channels"), REMINDER_CHANNELS, noun="channel")
    return PlanReminders(
        remind_customer=default.remind_customer if remind is None else remind,
        days_before=default.days_before if days is None else days,
        channels=channels if channels else default.channels,
    )
