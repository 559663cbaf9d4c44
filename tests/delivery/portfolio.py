"""Debtors with one overdue invoice each and a committed run: the outbox full of deliveries.

`overdue_portfolio(engine, debtors=[...])` writes customers (with their primary contact), one
invoice each due three days before the run, loads `policy` and commits the run of `AS_OF`, whose
level notices (step `overdue-1`) put one delivery per channel in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from dunmore.delivery.models import DELIVERIES
from dunmore.ledger.models import CONTACTS, CUSTOMERS, INVOICES
from dunmore.run import service
from dunmore.store.bulk import insert_frame
from dunmore.store.db import transaction

AS_OF = date(2026, 11, 23)
# A creditor of its own, as `dunmore worker` requires outside the demo database.
CREDITOR_ENV = {
    "DUNMORE_CREDITOR__NAME": "上海明远精密机械有限公司",
    "DUNMORE_CREDITOR__ADDRESS": '["上海市浦东新区张江路 1288 号", "邮编 201203"]',
    "DUNMORE_CREDITOR__EMAIL": "ar@mingyuan.example.cn",
}
RUN_AT = datetime.combine(AS_OF, time(0, 30), tzinfo=UTC)  # 08:30 in Shanghai

POLICY = """\
policies:
  p:
    levels:
      - {{name: first-overdue, at: 3, channels: [{channels}], template: overdue-1}}
routes: [{{policy: p}}]
"""


@dataclass(frozen=True)
class Debtor:
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    email: str | None = "ap@debtor.example.com"
    phone: str | None = "+86 138 0013 8000"
    cease_contact: bool = False
    preferred_channel: str | None = None  # the primary contact's wish (`delivery.contact_wishes`)
    address: str | None = "浙江省杭州市西湖区文三路 90 号; 邮编 310012"
    extra: dict[str, object] = field(default_factory=dict)


def overdue_portfolio(
    engine: Engine, folder: Path, debtors: list[Debtor], *, channels: str = "email", as_of: date = AS_OF
) -> list[int]:
    """Write the debtors and commit the run; returns the delivery ids, in customer order."""
    count = len(debtors)
    ids = list(range(1, count + 1))
    customers = pl.DataFrame(
        {
            "id": ids,
            "external_id": [f"C{i:05d}" for i in ids],
            "name": [f"杭州瑞丰贸易有限公司 {i}" if d.language != "en" else f"Northwind {i} Ltd" for i, d in
                     zip(ids, debtors, strict=True)],
            "language": [d.language for d in debtors],
            "timezone": [d.timezone for d in debtors],
            "country": ["CN"] * count,
            "tags": [""] * count,
            "on_hold": [False] * count,
            "cease_contact": [d.cease_contact for d in debtors],
        }
    )  # fmt: skip
    contacts = pl.DataFrame(
        {
            "customer_id": ids,
            "name": [f"王丽华 {i}" for i in ids],
            "email": [
                d.email.replace("@", f"+{i}@") if d.email else None for i, d in zip(ids, debtors, strict=True)
            ],
            "phone": [d.phone for d in debtors],
            "address": [d.address for d in debtors],
            "is_primary": [True] * count,
            "preferred_channel": [d.preferred_channel for d in debtors],
        },
        schema_overrides={
            "email": pl.String,
            "phone": pl.String,
            "address": pl.String,
            "preferred_channel": pl.String,
        },
    )
    due = as_of - timedelta(days=3)
    invoices = pl.DataFrame(
        {
            "id": ids,
            "external_id": [f"INV-{i:05d}" for i in ids],
            "customer_id": ids,
            "issue_date": [due - timedelta(days=30)] * count,
            "due_date": [due] * count,
            "currency": ["CNY"] * count,
            "amount_minor": [123_450] * count,
            "open_minor": [123_450] * count,
        }
    )
    policy = folder / "policy.yaml"
    policy.write_text(POLICY.format(channels=channels), encoding="utf-8")
    with transaction(engine) as conn:
        insert_frame(conn, CUSTOMERS, customers)
        insert_frame(conn, CONTACTS, contacts)
        insert_frame(conn, INVOICES, invoices)
        service.load_policy(conn, policy, now=RUN_AT, actor="system")
    with transaction(engine, snapshot=True) as conn:
        service.commit(conn, as_of=as_of, today=as_of, now=RUN_AT, actor="system",
                       templates_dir=None, gate_templates=False)  # fmt: skip
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(select(DELIVERIES.c.id).order_by(DELIVERIES.c.id)).scalars()]
