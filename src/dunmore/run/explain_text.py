"""The words of `dunmore explain`, in the three languages of Dunmore, keyed by reason code."""

from __future__ import annotations

from typing import Final

from dunmore.run.explain_contract import TEXTS as CONTRACT_TEXTS
from dunmore.run.explain_next_steps import TEXTS as NEXT_STEP_TEXTS

Language = str
LANGUAGES: Final = ("zh-CN", "zh-TW", "en")

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "route_default": {
        "en": "policy {policy}: the default route",
        "zh-CN": "策略 {policy}：默认路由",
        "zh-TW": "策略 {policy}：預設路由",
    },
    "route_matched": {
        "en": "policy {policy}: route {index} matched ({conditions})",
        "zh-CN": "策略 {policy}：匹配第 {index} 条路由（{conditions}）",
        "zh-TW": "策略 {policy}：符合第 {index} 條路由（{conditions}）",
    },
    "settled": {
        "en": "nothing undisputed is open",
        "zh-CN": "无未结且无争议的金额",
        "zh-TW": "無未結且無爭議的金額",
    },
    "disputed": {
        "en": "the open amount is disputed ({disputed})",
        "zh-CN": "未结金额有争议（{disputed}）",
        "zh-TW": "未結金額有爭議（{disputed}）",
    },
    "item_on_hold": {
        "en": "the invoice is on hold",
        "zh-CN": "该发票已暂停催款",
        "zh-TW": "該發票已暫停催款",
    },
    "customer_on_hold": {
        "en": "the customer is on hold",
        "zh-CN": "该客户已暂停催款",
        "zh-TW": "該客戶已暫停催款",
    },
    "fee_item": {
        "en": "a fee or interest item: it never rises in level",
        "zh-CN": "费用或利息项目：不会升级",
        "zh-TW": "費用或利息項目：不會升級",
    },
    "not_due": {
        "en": "not yet past due ({days} days to the due date)",
        "zh-CN": "尚未逾期（距到期日 {days} 天）",
        "zh-TW": "尚未逾期（距到期日 {days} 天）",
    },
    "reminder_today": {
        "en": "reminder {step} goes out today",
        "zh-CN": "今日发送提醒 {step}",
        "zh-TW": "今日發送提醒 {step}",
    },
    "rises": {
        "en": "rises today from level {old} to level {new} ({step})",
        "zh-CN": "今日由第 {old} 级升至第 {new} 级（{step}）",
        "zh-TW": "今日由第 {old} 級升至第 {new} 級（{step}）",
    },
    "at_target": {
        "en": "already at level {level}, the highest its {days} days past due reach",
        "zh-CN": "已在第 {level} 级，逾期 {days} 天可达的最高级",
        "zh-TW": "已在第 {level} 級，逾期 {days} 天可達的最高級",
    },
    "risen_today": {
        "en": "already rose today (a second run the same day acts only on what is new)",
        "zh-CN": "今日已升级（同日再次运行只处理新增内容）",
        "zh-TW": "今日已升級（同日再次執行只處理新增內容）",
    },
    "below_minimum": {
        "en": "held back: the overdue total {balance} is below the policy minimum {minimum} for {currency}; "
        "it is dunned when it reaches {minimum}",
        "zh-CN": "暂缓：逾期合计 {balance} 低于策略对 {currency} 的最低金额 {minimum}；达到 {minimum} 时催款",
        "zh-TW": "暫緩：逾期合計 {balance} 低於策略對 {currency} 的最低金額 {minimum}；達到 {minimum} 時催款",
    },
    "held_by_rejection": {
        "en": "held back: notice {notice} for step {step} was rejected on {on} by {by} because {reason}; "
        "it is proposed again when the dunned amount (now {balance}) exceeds {rejected} {currency}, "
        "or after `dunmore reopen {notice}`",
        "zh-CN": "暂缓：步骤 {step} 的通知 {notice} 已于 {on} 被 {by} 驳回，原因：{reason}；"
        "催款金额（现为 {balance}）超过 {rejected} {currency} 时，"
        "或运行 `dunmore reopen {notice}` 后，将再次提出",
        "zh-TW": "暫緩：步驟 {step} 的通知 {notice} 已於 {on} 被 {by} 駁回，原因：{reason}；"
        "催款金額（現為 {balance}）超過 {rejected} {currency} 時，"
        "或執行 `dunmore reopen {notice}` 後，將再次提出",
    },
    "spacing": {
        "en": "held back: the last notice was on {last}; the next may go on {next}",
        "zh-CN": "暂缓：上次通知于 {last}，下次最早 {next}",
        "zh-TW": "暫緩：上次通知於 {last}，下次最早 {next}",
    },
    "promised": {
        "en": "paused: promise #{promise} of {amount} by {by} (until {until})",
        "zh-CN": "暂停：承诺 #{promise}，于 {by} 前付 {amount}（暂停至 {until}）",
        "zh-TW": "暫停：承諾 #{promise}，於 {by} 前付 {amount}（暫停至 {until}）",
    },
    "in_plan": {
        "en": "paused: instalment plan #{plan} is kept (until {until})",
        "zh-CN": "暂停：分期付款计划 #{plan} 正在履行（暂停至 {until}）",
        "zh-TW": "暫停：分期付款計畫 #{plan} 正在履行（暫停至 {until}）",
    },
    "awaiting_approval": {
        "en": "held back: a notice of this customer waits for approval",
        "zh-CN": "暂缓：该客户有待审批的通知",
        "zh-TW": "暫緩：該客戶有待審批的通知",
    },
    "next_step": {
        "en": "next: {step} on {date}",
        "zh-CN": "下一步：{date} {step}",
        "zh-TW": "下一步：{date} {step}",
    },
    "next_at_minimum": {
        "en": "next: {step}, once the overdue total reaches {minimum} {currency} (now {balance})",
        "zh-CN": "下一步：逾期合计达到 {minimum} {currency} 后 {step}（现为 {balance}）",
        "zh-TW": "下一步：逾期合計達到 {minimum} {currency} 後 {step}（現為 {balance}）",
    },
    "next_after_rejection": {
        "en": "next: {step}, once the dunned amount exceeds {rejected} {currency} "
        "or the rejection is reopened",
        "zh-CN": "下一步：催款金额超过 {rejected} {currency} 或驳回被撤销后 {step}",
        "zh-TW": "下一步：催款金額超過 {rejected} {currency} 或駁回被撤銷後 {step}",
    },
    "last_step": {"en": "no further step", "zh-CN": "已无后续步骤", "zh-TW": "已無後續步驟"},
}

TEXTS.update(NEXT_STEP_TEXTS)  # the next steps' words live beside their rules (run.explain_next_steps)
TEXTS.update(CONTRACT_TEXTS)  # and the contract interest clause's (run.explain_contract)


def say(code: str, language: Language, **values: object) -> str:
    """The sentence for a reason code; English when the language has none."""
    texts = TEXTS[code]
    return texts.get(language, texts["en"]).format(**values)
