"""The words of the codes Dunmore stores — statuses, kinds, channels, roles, reasons — one map per
vocabulary, said in the reader's language wherever a person reads them: the web's pages (the `word`
filter: `{{ d.status|word("delivery_status") }}`), the timeline and its exports, and the command
line's lines. One map each, so that a status reads the same on every page and in every command.

The words are English msgids marked for the catalog (`N_`); a code that has no word (one a newer
version stores, or a user-defined code) is shown as it is. Pure data and one function: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dunmore.i18n import N_, translate

_DISPUTE_REASONS = {
    "quality": N_("Quality"),
    "quantity": N_("Quantity"),
    "price": N_("Price"),
    "not-received": N_("Not received"),
    "already-paid": N_("Already paid"),
    "other": N_("Other"),
}
_NOTICE_STATUSES = {
    "committed": N_("Committed"),
    "pending_approval": N_("Waiting for approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "reverted": N_("Reverted"),
}
_DELIVERY_STATUSES = {
    "pending": N_("Waiting"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed for good"),
    "dead": N_("Attempts used up"),
    "cancelled": N_("Cancelled"),
}

WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "role": {
        "admin": N_("Administrator"),
        "manager": N_("Manager"),
        "collector": N_("Collector"),
        "sales": N_("Sales"),
        "viewer": N_("Viewer"),
    },
    "item_kind": {"invoice": N_("Invoice"), "fee": N_("Fee"), "interest": N_("Interest")},
    "notice_kind": {"level": N_("Level"), "reminder": N_("Reminder")},
    "notice_status": _NOTICE_STATUSES,
    "delivery_status": _DELIVERY_STATUSES,
    # a notice's or a delivery's status, where a line names either (the timeline)
    "status": {**_NOTICE_STATUSES, **_DELIVERY_STATUSES},
    # the channels a delivery goes out by
    "sent_by": {
        "email": N_("E-mail"),
        "sms": N_("SMS"),
        "letter": N_("Letter"),
        "call": N_("Call"),
        "visit": N_("Visit"),
        "task": N_("Task"),
    },
    # the channels a policy step names, as the notice page lists them
    "step_channel": {
        "email": N_("E-mail"),
        "sms": N_("SMS"),
        "letter": N_("Letter"),
        "call": N_("Phone call"),
        "task": N_("Task for staff"),
    },
    # a contact record's kind and channel
    "activity_kind": {
        "call": N_("Call"),
        "visit": N_("Visit"),
        "email": N_("E-mail"),
        "chat": N_("Chat"),
        "meeting": N_("Meeting"),
        "note": N_("Note"),
    },
    "activity_channel": {
        "phone": N_("Phone"),
        "wechat": N_("WeChat"),
        "dingtalk": N_("DingTalk"),
        "email": N_("E-mail"),
        "sms": N_("SMS"),
        "in_person": N_("In person"),
        "other": N_("Other"),
    },
    # what happened to a delivery at one attempt (`delivery_events.outcome`)
    "delivery_event": {
        "claimed": N_("Taken by a worker"),
        "sent": N_("Sent"),
        "transient": N_("Error, will try again"),
        "permanent": N_("Error, will not try again"),
        "deferred": N_("Deferred"),
        "cancelled": N_("Cancelled"),
        "retried": N_("Put back in the queue"),
        "status": N_("Gateway status"),
        "tracked": N_("Tracking number recorded"),
    },
    # the deliveries page's filter: statuses, and what the gateway reported
    "delivery_shown": {
        "all": N_("All statuses"),
        "waiting": N_("Waiting"),
        "sent": N_("Sent"),
        "delivered": N_("Delivered"),
        "dead_letters": N_("Dead letters"),
        "failed": N_("Failed for good"),
        "dead": N_("Attempts used up"),
        "cancelled": N_("Cancelled"),
    },
    "promise_status": {
        "pending": N_("Pending"),
        "kept": N_("Kept"),
        "partial": N_("Partially kept"),
        "broken": N_("Broken"),
        "cancelled": N_("Cancelled"),
    },
    "plan_status": {
        "proposed": N_("Proposed"),
        "waiting": N_("Waiting for approval"),
        "active": N_("Active"),
        "kept": N_("Kept"),
        "broken": N_("Broken"),
        "cancelled": N_("Cancelled"),
    },
    "instalment_status": {"pending": N_("Pending"), "paid": N_("Paid"), "missed": N_("Missed")},
    # where a credit check's limit comes from
    "limit_source": {"customer": N_("the customer's own"), "grade": N_("its grade's")},
    "dispute_reason": _DISPUTE_REASONS,
    # a dispute's outcome, as typed (`credit-note`) and as stored (`credit_note`)
    "dispute_outcome": {
        "credit-note": N_("Credit note"),
        "credit_note": N_("Credit note"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
    },
    "waiver_status": {
        "pending": N_("Waiting for approval"),
        "applied": N_("Waived"),
        "rejected": N_("Rejected"),
    },
    "statement_status": {
        "sent": N_("Sent"),
        "viewed": N_("Viewed"),
        "confirmed": N_("Confirmed"),
        "disputed": N_("Disputed (statement status)"),
        "lapsed": N_("Lapsed"),
    },
    # a statement's status as the debtor reads it in the portal
    "statement_status_for_debtor": {
        "sent": N_("Waiting for your answer"),
        "viewed": N_("Waiting for your answer"),
        "confirmed": N_("Confirmed"),
        "disputed": N_("Under dispute"),
        "lapsed": N_("Not answered in time"),
    },
    # a statement's lines (`dunmore.statements`)
    "statement_line": {
        "invoice": N_("Invoice"),
        "fee": N_("Dunning fee"),
        "interest": N_("Interest"),
        "credit_note": N_("Credit note"),
        "payment": N_("Payment"),
        "settled_elsewhere": N_("Settled elsewhere"),
    },
    "application_status": {
        "draft": N_("Waiting for a decision"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
    },
    "application_kind": {"new": N_("New customer"), "increase": N_("Higher limit")},
    "contract_status": {"draft": N_("Draft"), "approved": N_("Approved"), "superseded": N_("Superseded")},
    # the timeline's kinds of event (`workspace.timeline.KINDS`), as the reader filters and reads them
    "timeline_event": {
        "notice": N_("Notices"),
        "delivery": N_("Deliveries"),
        "activity": N_("Contact records"),
        "payment": N_("Payments and credit notes"),
        "promise": N_("Promises"),
        "dispute": N_("Disputes"),
        "change": N_("Holds and changes"),
        "task": N_("Tasks"),
        "plan": N_("Instalment plans"),
    },
    # the stages long work reports (`progress(stage, done, total)` in imports, runs and statements),
    # as the command line's progress bar names them
    "progress_stage": {
        "read": N_("read"),
        "validate": N_("validate"),
        "decide": N_("decide"),
        "write": N_("write"),
        "reallocate": N_("reallocate"),
        "statements": N_("statements"),
    },
    "alert_kind": {
        "promise_broken": N_("Promise broken"),
        "plan_broken": N_("Plan broken"),
        "dispute_opened": N_("Dispute opened"),
        "instalment_due": N_("Instalment due"),
        "level_passed": N_("Level reached"),
        "high_value_overdue": N_("High-value invoice overdue"),
        "task_overdue": N_("Task overdue"),
        "grade_downgraded": N_("Grade downgraded"),
        "beyond_terms_worsening": N_("Paying later"),
        "first_broken_promise": N_("First broken promise"),
        "portal_request": N_("Portal request"),
        "portal_locked": N_("Portal link locked"),
        "signal_lawsuit": N_("Lawsuit"),
        "signal_negative_news": N_("Negative news"),
        "signal_insolvency": N_("Insolvency"),
        "signal_other": N_("Risk signal"),
    },
    "calendar_kind": {
        "follow_up": N_("Follow-up"),
        "promise": N_("Promise"),
        "task": N_("Task"),
        "instalment": N_("Instalment"),
        "contract": N_("Contract"),
    },
}


def word(vocabulary: str, code: str, language: str) -> str:
    """`code` of `vocabulary` (a key of WORDS) said in `language`; a code without a word as it is."""
    said = WORDS[vocabulary].get(code)
    return code if said is None else translate(language, said)
