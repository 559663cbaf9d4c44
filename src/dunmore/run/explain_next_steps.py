"""What `explain` says of the next steps (docs/next-steps.md): why escalation is paused after the
customer's answer, and which step the run takes (or took) on D and why. The words in the three
languages, keyed by reason code, beside `run.explain_text`'s. Light on purpose: the command line
reads these words at start-up (tests/unit/test_cli_startup.py)."""

from __future__ import annotations

from typing import Final

Reason = tuple[str, dict[str, object]]

TEXTS: Final[dict[str, dict[str, str]]] = {
    "next_step_pause": {
        "en": "paused: the customer said {reason} on {on}; escalation waits until {until}",
        "zh-CN": "暂停：客户于 {on} 表示 {reason}；升级暂停至 {until}",
        "zh-TW": "暫停：客戶於 {on} 表示 {reason}；升級暫停至 {until}",
    },
    "confirm_receipt": {
        "en": "next step: a call to confirm receipt — the e-mail of {on} had no payment, promise or contact",
        "zh-CN": "后续动作：致电确认收到 —— {on} 的邮件之后没有付款、承诺或联系",
        "zh-TW": "後續動作：致電確認收到 —— {on} 的郵件之後沒有付款、承諾或聯絡",
    },
    "resend_invoice": {
        "en": "next step: the invoice is sent again — the customer said {reason} on {on}",
        "zh-CN": "后续动作：重新发送发票 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：重新發送發票 —— 客戶於 {on} 表示 {reason}",
    },
    "propose_promise": {
        "en": "next step: a call to propose a promise to pay — the customer said {reason} on {on}",
        "zh-CN": "后续动作：致电提议付款承诺 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：致電提議付款承諾 —— 客戶於 {on} 表示 {reason}",
    },
    "propose_plan": {
        "en": "next step: a call to propose an instalment plan — the customer said {reason} on {on}",
        "zh-CN": "后续动作：致电提议分期计划 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：致電提議分期計劃 —— 客戶於 {on} 表示 {reason}",
    },
    "call": {
        "en": "next step: a call — the customer said {reason} on {on}",
        "zh-CN": "后续动作：致电 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：致電 —— 客戶於 {on} 表示 {reason}",
    },
    "find_contact": {
        "en": "next step: a task to find a new contact — the customer said {reason} on {on}",
        "zh-CN": "后续动作：查找新的联系人 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：查找新的聯絡人 —— 客戶於 {on} 表示 {reason}",
    },
    "review_escalation": {
        "en": "next step: a review of the escalation — the customer said {reason} on {on}",
        "zh-CN": "后续动作：复核升级安排 —— 客户于 {on} 表示 {reason}",
        "zh-TW": "後續動作：複核升級安排 —— 客戶於 {on} 表示 {reason}",
    },
    "outcome_step": {
        "en": "next step: {step} — the contact of {on} ended {outcome}",
        "zh-CN": "后续动作：{step} —— {on} 的联系结果为 {outcome}",
        "zh-TW": "後續動作：{step} —— {on} 的聯絡結果為 {outcome}",
    },
}


def pause_reason(group: dict[str, object]) -> Reason | None:
    """The pause a reason of the group holds on D, said with its reason, day and last day."""
    if group.get("not_paused_by_next_step", True):
        return None
    return "next_step_pause", {
        "reason": group["reason"], "on": group["reason_on"], "until": group["next_step_paused_until"],
    }  # fmt: skip
