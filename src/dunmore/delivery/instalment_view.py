"""The instalment a reminder notice of kind `instalment` announces, as its template sees it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, cast

from sqlalchemy import Connection, func, select

from dunmore.delivery.view import InstalmentLine
from dunmore.domain.money import Money
from dunmore.run.instalment_notice_models import INSTALMENT_NOTICES
from dunmore.workspace.plan_models import PLAN_INSTALMENTS, PLANS


def instalment_lines(conn: Connection, ids: Collection[int]) -> dict[int, InstalmentLine]:
    """notice id → the instalment it announces, for those of the notices `ids` that announce one."""
    k, p, n = INSTALMENT_NOTICES.c, PLANS.c, PLAN_INSTALMENTS.c
    count = select(func.count()).where(n.plan_id == k.plan_id).scalar_subquery()
    query = (
        select(k.notice_id, k.plan_id, k.number, k.moment, k.due_on, k.amount_minor, k.remaining_minor)
        .add_columns(p.currency, count.label("instalments"))
        .join(PLANS, p.id == k.plan_id)
        .where(k.notice_id.in_(list(ids)))
    )
    return {
        row.notice_id: InstalmentLine(
            plan=row.plan_id,
            number=row.number,
            count=int(row.instalments),
            due_on=row.due_on,
            amount=Money(row.amount_minor, row.currency),
            remaining=Money(row.remaining_minor, row.currency),
            moment=cast(Literal["before", "on"], row.moment),
        )
        for row in conn.execute(query)
    }
