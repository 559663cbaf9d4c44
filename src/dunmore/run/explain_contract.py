"""`explain` names the contract clause an invoice accrues interest by (`credit.contract_interest`).

The words live here, beside the one reason they give, in the three languages of `explain_text`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # `explain_text`, and so the command line's start-up, loads no policy model
    from dunmore.domain.policy import Policy

PER: Final = {
    "en": {"day": "{rate} %/day", "month": "{rate} %/month", "year": "{rate} %/year"},
    "zh-CN": {"day": "每日 {rate}%", "month": "每月 {rate}%", "year": "每年 {rate}%"},
    "zh-TW": {"day": "每日 {rate}%", "month": "每月 {rate}%", "year": "每年 {rate}%"},
}

TEXTS: Final[dict[str, dict[str, str]]] = {
    "contract_interest": {
        "en": "interest {rate} per contract {contract}, interest clause of version {version}",
        "zh-CN": "利息按合同 {contract} 第 {version} 版的利息条款计：{rate}",
        "zh-TW": "利息依合約 {contract} 第 {version} 版的利息條款計：{rate}",
    },
    "contract_interest_capped": {
        "en": "interest per contract {contract}, interest clause of version {version} ({rate}), "
        "cut to the policy's cap of {cap} %/year",
        "zh-CN": "利息按合同 {contract} 第 {version} 版的利息条款（{rate}）计，以策略上限每年 {cap}% 为限",
        "zh-TW": "利息依合約 {contract} 第 {version} 版的利息條款（{rate}）計，以策略上限每年 {cap}% 為限",
    },
    "contract_fee": {
        "en": "a level that charges a fee charges {fee} per contract {contract}, fee clause of version "
        "{version}, instead of the policy's fee",
        "zh-CN": "收费的催款级别按合同 {contract} 第 {version} 版的费用条款收取 {fee}，不按策略的费用",
        "zh-TW": "收費的催款級別依合約 {contract} 第 {version} 版的費用條款收取 {fee}，不依策略的費用",
    },
}


def fee_reason(item: dict[str, Any], group: dict[str, Any], lang: str) -> list[tuple[str, dict[str, Any]]]:
    """The reason naming the fee clause the group's notices charge by (`contract_fee_applies`): on
    each past-due invoice of a group that duns an invoice with a contract fee clause."""
    from dunmore.credit.contract_fee import FeeClause
    from dunmore.domain.money import format_minor

    clause = FeeClause.parse(group.get("contract_fee_clause") or "")
    if clause is None or item["kind"] != "invoice" or not item["past_due"]:
        return []
    fee = f"{format_minor(group['contract_fee'], item['currency'])} {item['currency']}"
    return [("contract_fee", {"fee": fee, "contract": clause.contract, "version": clause.version})]


def contract_reason(item: dict[str, Any], policy: Policy, lang: str) -> list[tuple[str, dict[str, Any]]]:
    """The reason naming the invoice's contract interest clause (none for an invoice without one)."""
    # imported here: `explain_text`, and so the command line's start-up, must not load SQLAlchemy
    from dunmore.credit.contract_interest import Clause

    clause = Clause.parse(item.get("contract_clause") or "")
    if clause is None or item["kind"] != "invoice":
        return []
    said = PER.get(lang, PER["en"])[clause.period].format(rate=f"{clause.percent:f}")
    values: dict[str, Any] = {"rate": said, "contract": clause.contract, "version": clause.version}
    cap = policy.contract_interest_cap
    if cap is not None and cap < clause.annual_rate:
        return [("contract_interest_capped", values | {"cap": f"{(cap * 100).normalize():f}"})]
    return [("contract_interest", values)]


def applied_rate(item: dict[str, Any], policy: Policy) -> Decimal | None:
    """The annual rate the invoice accrues at: its contract's (capped), else its policy's."""
    if item.get("contract_rate") is None:
        return policy.interest_rate
    rate = Decimal(item["contract_rate"])
    cap = policy.contract_interest_cap
    return rate if cap is None else min(rate, cap)
