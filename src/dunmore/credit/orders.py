"""The `orders` import: the ERP's uninvoiced open orders, which count in a credit check's exposure.

An orders file is the whole list of open orders as the ERP has them now (customer, number, date,
currency, amount; CSV or XLSX, read by the ledger imports' readers). It is checked as a whole —
every customer known, every number once, every date, currency and amount good — and refused with
every problem (`ImportRejected`, file line and column) before anything is written. Then it replaces
the stored open orders: an order invoiced since is absent from the next file and stops counting,
its invoice counting instead. Audited as `orders.import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, delete, func, insert, select

from dunmore.access import audit
from dunmore.credit.admission_models import OPEN_ORDERS
from dunmore.domain.money import check_currency, parse_decimal, to_minor
from dunmore.errors import DunmoreError, ImportProblem, ImportRejected, InputFileError
from dunmore.i18n import N_, _m
from dunmore.imports.columns import header_fields
from dunmore.imports.reading import LINE, read_table
from dunmore.ledger.models import CUSTOMERS

ROWS_MAX: Final = 200_000
NUMBER_MAX: Final = 64
# Accepted headers (folded by `normalize_header`) → field; English and the words of Chinese ERPs.
HEADERS: Final = {
    "customer": "customer", "customer_id": "customer", "客户": "customer", "客户编号": "customer",
    "客戶": "customer", "客戶編號": "customer",
    "number": "number", "order": "number", "order_number": "number", "订单号": "number",
    "订单编号": "number", "訂單號": "number", "訂單編號": "number",
    "date": "ordered_on", "order_date": "ordered_on", "ordered_on": "ordered_on", "订单日期": "ordered_on",
    "訂單日期": "ordered_on",
    "currency": "currency", "币种": "currency", "幣別": "currency", "幣種": "currency",
    "amount": "amount", "金额": "amount", "金額": "amount",
}  # fmt: skip
REQUIRED: Final = ("customer", "number", "ordered_on", "currency", "amount")


@dataclass(frozen=True)
class OrdersImport:
    file: str
    orders: int
    replaced: int  # open orders stored before
    dry_run: bool


def _columns(headers: list[str], name: str) -> dict[str, str]:
    found = header_fields(headers, HEADERS)
    missing = [field for field in REQUIRED if field not in found]
    if missing:
        raise InputFileError(
            _m(
                "%(name)s lacks the columns %(missing)s of an orders file",
                name=name,
                missing=", ".join(missing),
            )
        )
    return found


def _row(
    cells: dict[str, Any], known: dict[str, int], seen: set[str], problems: list[ImportProblem]
) -> dict[str, Any] | None:
    """The stored columns of one order, or None with its problems added."""
    line, before = int(cells[LINE]), len(problems)
    for field in REQUIRED:
        if not (cells.get(field) or "").strip():
            problems.append(ImportProblem(line, field, N_("this column is required")))
    if len(problems) > before:
        return None
    customer, number = cells["customer"].strip(), cells["number"].strip()
    if customer not in known:
        problems.append(ImportProblem(line, "customer", N_("no such customer"), customer))
    if len(number) > NUMBER_MAX:
        problems.append(ImportProblem(line, "number", N_("at most 64 characters"), number[:80]))
    elif number in seen:
        problems.append(ImportProblem(line, "number", N_("this order number is on an earlier line"), number))
    seen.add(number)
    try:
        ordered_on = date.fromisoformat(cells["ordered_on"].strip()[:10])
    except ValueError:
        problems.append(
            ImportProblem(line, "ordered_on", N_("not a date: write YYYY-MM-DD"), cells["ordered_on"])
        )
    try:
        currency = check_currency(cells["currency"].strip().upper())
        minor = to_minor(parse_decimal(cells["amount"]), currency)
        if minor <= 0:
            problems.append(
                ImportProblem(line, "amount", N_("an order's amount is above 0"), cells["amount"])
            )
    except DunmoreError as exc:
        problems.append(ImportProblem(line, "amount", str(exc), cells["amount"]))
    if len(problems) > before:
        return None
    return {
        "customer_id": known[customer],
        "number": number,
        "ordered_on": ordered_on,
        "currency": currency,
        "amount_minor": minor,
    }


def import_orders(
    conn: Connection,
    path: Path,
    *,
    actor: str,
    now: datetime,
    encoding: str = "auto",
    sheet: str | None = None,
    dry_run: bool = False,
) -> OrdersImport:
    """Check the whole file, then replace the stored open orders with its orders (not when `dry_run`)."""
    raw = read_table(path, encoding=encoding, sheet=sheet)
    if raw.frame.height > ROWS_MAX:
        raise InputFileError(
            _m("%(name)s has more than %(most)s orders: split it", name=path.name, most=ROWS_MAX)
        )
    columns = _columns(raw.headers, path.name)
    known = {str(code): int(i) for i, code in conn.execute(select(CUSTOMERS.c.id, CUSTOMERS.c.external_id))}
    problems: list[ImportProblem] = []
    rows, seen = [], set[str]()
    for record in raw.frame.iter_rows(named=True):
        cells = {field: record[column] for field, column in columns.items()} | {LINE: record[LINE]}
        row = _row(cells, known, seen, problems)
        if row is not None:
            rows.append(row | {"imported_at": now})
    if problems:
        raise ImportRejected(
            _m("%(name)s was not imported: %(count)s problems", name=path.name, count=len(problems)),
            sorted(problems),
        )
    replaced = int(conn.execute(select(func.count()).select_from(OPEN_ORDERS)).scalar_one())
    if not dry_run:
        conn.execute(delete(OPEN_ORDERS))
        if rows:
            conn.execute(insert(OPEN_ORDERS), rows)
        after = {"file": path.name[:200], "orders": len(rows), "replaced": replaced}
        audit.record(conn, at=now, actor=actor, action="orders.import", object="orders", after=after)
    return OrdersImport(path.name, len(rows), replaced, dry_run)
