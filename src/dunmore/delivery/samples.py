"""Sample notices: what `templates check` renders every template with, and what previews and the
letter samples in docs/samples/ show. Realistic, deterministic, one per language and step kind.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dunmore.delivery.view import (
    Contact,
    Creditor,
    Debtor,
    InstalmentLine,
    Language,
    Line,
    NextStep,
    NoticeView,
    totals,
)
from dunmore.domain.money import Money, round_half_up

_CREDITOR: dict[Language, Creditor] = {
    "zh-CN": Creditor(
        name="上海明远精密机械有限公司",
        address=("上海市浦东新区张江路 1288 号", "邮编 201203"),
        phone="021-5080 1234",
        email="ar@mingyuan.example.cn",
        country="CN",
        signatory="财务部 应收账款组",
        payment_instructions=(
            "开户行：招商银行上海张江支行",
            "账号：1219 0833 4410 001",
            "请在付款附言中注明通知编号",
        ),
    ),
    "zh-TW": Creditor(
        name="台灣宏達精密工業股份有限公司",
        address=("台北市內湖區瑞光路 88 號 5 樓",),
        phone="02-2797-1234",
        email="ar@hongda.example.tw",
        country="TW",
        signatory="財務部 應收帳款組",
        payment_instructions=("銀行：台灣銀行 內湖分行", "帳號：012-345-678901", "匯款時請註明通知編號"),
    ),
    "en": Creditor(
        name="Mingyuan Precision Machinery Co., Ltd.",
        address=("1288 Zhangjiang Road, Pudong", "Shanghai 201203, China"),
        phone="+86 21 5080 1234",
        email="ar@mingyuan.example.cn",
        country="CN",
        signatory="Accounts Receivable, Finance Department",
        payment_instructions=(
            "Bank: China Merchants Bank, Shanghai Zhangjiang Branch",
            "Account: 1219 0833 4410 001 (SWIFT CMBCCNBS)",
            "Please quote the notice reference with your payment",
        ),
    ),
}
_DEBTOR: dict[Language, tuple[Debtor, Contact]] = {
    "zh-CN": (
        Debtor("杭州瑞丰贸易有限公司", "C-10023", ("浙江省杭州市西湖区文三路 90 号", "邮编 310012")),
        Contact("王丽华", "wang.lihua@ruifeng.example.cn", "+8613800138000"),
    ),
    "zh-TW": (
        Debtor("高雄長興實業有限公司", "C-20417", ("高雄市前鎮區中山二路 5 號",), "TW"),
        Contact("陳美玲", "meiling.chen@changxing.example.tw", "+886912345678"),
    ),
    "en": (
        Debtor("Northwind Trading Ltd", "C-30981", ("12 Harbour Street", "Singapore 049321"), "SG"),
        Contact("Alex Morgan", "alex.morgan@northwind.example.com", "+6591234567"),
    ),
}


def sample_view(
    language: Language,
    *,
    step: str = "final-notice",
    kind: str = "level",
    level: int | None = 3,
    currency: str = "CNY",
    as_of: date = date(2026, 11, 23),
    deadline_days: int | None = 10,
    with_charges: bool = True,
) -> NoticeView:
    """A notice of two invoices and an earlier fee, in `language`, for `step`."""
    creditor = _CREDITOR[language]
    debtor, contact = _DEBTOR[language]

    def money(text: str) -> Money:
        """A CNY-like figure in `currency`, rounded to its minor unit (whole yen for JPY)."""
        return Money(round_half_up(Decimal(text), currency), currency)

    overdue = kind == "level"
    first_due = as_of - timedelta(days=34 if overdue else -3)
    lines: tuple[Line, ...] = (
        Line(
            "INV-2026-0815",
            "invoice",
            first_due - timedelta(days=30),
            first_due,
            (as_of - first_due).days,
            level or 0,
            money("12345.00"),
            money("41.10" if overdue else "0"),
        ),
        Line(
            "INV-2026-0902",
            "invoice",
            first_due - timedelta(days=12),
            first_due + timedelta(days=18),
            (as_of - first_due).days - 18,
            max((level or 1) - 1, 0),
            money("3200.50"),
            money("4.91" if overdue else "0"),
        ),
    )
    if overdue and with_charges:
        lines += (
            Line(
                "FEE-41",
                "fee",
                first_due + timedelta(days=15),
                first_due + timedelta(days=15),
                (as_of - first_due).days - 15,
                0,
                money("50.00"),
                money("0"),
            ),
        )
    fee = money("100.00") if overdue and with_charges else None
    accrued = Money(sum(line.interest.minor for line in lines), currency)
    interest_charge = accrued if overdue and with_charges else None
    total_open, total_interest, total_due = totals(lines, fee, interest_charge, currency)
    return NoticeView(
        notice_id=42,
        reference="DN-000042",
        language=language,
        kind="level" if overdue else "reminder",
        step=step,
        level=level if overdue else None,
        date=as_of,
        currency=currency,
        creditor=creditor,
        debtor=debtor,
        contact=contact,
        items=lines,
        total_open=total_open,
        total_interest=total_interest,
        fee=fee,
        interest_charge=interest_charge,
        total_due=total_due,
        interest_rate=Decimal("0.0365") if overdue else None,
        deadline=as_of + timedelta(days=deadline_days) if overdue and deadline_days else None,
        next_step=NextStep("legal-review", ("task",), True) if overdue else None,
        portal_link="https://portal.example.com/s/DN-000042",
        instalment=InstalmentLine(
            7, 1, 3, as_of + timedelta(days=3), money("3333.33"), money("10000.00"), "before"
        ),
    )
