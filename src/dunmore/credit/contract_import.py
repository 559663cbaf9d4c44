"""Importing contracts from a CSV or XLSX file, checked as a whole before anything is written.

The file is read by the ledger imports' readers (`imports.reading`: encodings, XLSX cells as typed),
one contract per row. Every row is checked — its customer exists, its number is well formed and
appears once in the file, its dates, amount, currency and terms read (`credit.contracts`) — and the
file is refused with every problem (`ImportRejected`, file line and column) unless all are good.
Then a new number is a new contract (version 1, a draft), a known one whose latest version says
something else gets a new draft version, and a row that says what is stored changes nothing, so
importing the same file again is harmless. Each contract written is audited as `contract add` or
`contract change` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, select

from dunmore.credit import contracts
from dunmore.credit.contract_models import CONTRACT_VERSIONS, CONTRACTS
from dunmore.credit.terms import parse_terms
from dunmore.domain.money import check_currency, parse_decimal
from dunmore.errors import DunmoreError, ImportProblem, ImportRejected, InputFileError
from dunmore.i18n import N_, _m
from dunmore.imports.columns import header_fields
from dunmore.imports.reading import LINE, read_table
from dunmore.ledger.models import CUSTOMERS

ROWS_MAX: Final = 10_000
# Accepted headers (folded by `normalize_header`) → field; English and the words of Chinese ERPs.
HEADERS: Final = {
    "customer": "customer", "customer_id": "customer", "客户": "customer", "客户编号": "customer",
    "客戶": "customer", "客戶編號": "customer",
    "number": "number", "contract": "number", "合同编号": "number", "合約編號": "number",
    "title": "title", "合同名称": "title", "合約名稱": "title",
    "signed_on": "signed_on", "signed": "signed_on", "签订日期": "signed_on", "簽訂日期": "signed_on",
    "amount": "amount", "金额": "amount", "金額": "amount",
    "currency": "currency", "币种": "currency", "幣別": "currency",
    "terms": "terms", "payment_terms": "terms", "付款条件": "terms", "付款條件": "terms",
    "ends_on": "ends_on", "结束日期": "ends_on", "結束日期": "ends_on",
    "interest_terms": "interest_terms", "利息条款": "interest_terms", "利息條款": "interest_terms",
    "fee_terms": "fee_terms", "费用条款": "fee_terms", "費用條款": "fee_terms",
}  # fmt: skip
REQUIRED: Final = ("customer", "number", "title", "signed_on", "amount", "currency", "terms")


@dataclass(frozen=True)
class ContractImport:
    file: str
    rows_read: int
    new: int
    changed: int
    unchanged: int
    dry_run: bool


@dataclass(frozen=True)
class _Row:
    line: int
    customer: str
    number: str
    says: contracts.Says


def _columns(headers: list[str], name: str) -> dict[str, str]:
    """Field → frame column of the file's header; `InputFileError` naming the missing ones."""
    found = header_fields(headers, HEADERS)
    missing = [field for field in REQUIRED if field not in found]
    if missing:
        raise InputFileError(
            _m(
                "%(name)s lacks the columns %(missing)s of a contracts file",
                name=name,
                missing=", ".join(missing),
            )
        )
    return found


def _day(text: str | None, column: str, line: int, problems: list[ImportProblem]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(ImportProblem(line, column, N_("not a date: write YYYY-MM-DD"), text))
        return None


def _row(cells: dict[str, Any], problems: list[ImportProblem]) -> _Row | None:
    line = int(cells[LINE])
    before = len(problems)
    for field in REQUIRED:
        if not cells.get(field):
            problems.append(ImportProblem(line, field, N_("this column is required")))
    if len(problems) > before:
        return None
    signed = _day(cells["signed_on"], "signed_on", line, problems)
    ends = _day(cells.get("ends_on"), "ends_on", line, problems)
    try:
        amount = parse_decimal(cells["amount"])
    except DunmoreError as exc:
        problems.append(ImportProblem(line, "amount", str(exc), cells["amount"]))
        return None
    if signed is None or len(problems) > before:
        return None
    says = contracts.Says(
        title=cells["title"],
        signed_on=signed,
        amount=amount,
        currency=cells["currency"],
        terms=cells["terms"],
        ends_on=ends,
        interest_terms=cells.get("interest_terms"),
        fee_terms=cells.get("fee_terms"),
    )
    return _Row(line, cells["customer"], cells["number"], says)


def _check(row: _Row, problems: list[ImportProblem], seen: set[str], known: set[str]) -> None:
    """Add the row's problems: its number twice in the file or malformed, its customer unknown, a
    field or the whole contract refused by the rules of `credit.contracts` (the first one only)."""
    if row.number in seen:
        problems.append(
            ImportProblem(row.line, "number", N_("this contract number is on an earlier line"), row.number)
        )
    seen.add(row.number)
    if not contracts.NUMBER.match(row.number):
        problems.append(
            ImportProblem(row.line, "number", N_("1 to 40 letters, digits and . _ -"), row.number)
        )
    if row.customer not in known:
        problems.append(ImportProblem(row.line, "customer", N_("no such customer"), row.customer))
    says = row.says
    # Each field alone first, so that a problem names its column; then the contract as a whole.
    for column, check in (
        ("terms", lambda: parse_terms(says.terms)),
        ("currency", lambda: check_currency(says.currency.strip().upper())),
        ("interest_terms", lambda: contracts.interest_clause(says.interest_terms)),
        ("fee_terms", lambda: contracts.fee_clause(says.fee_terms)),
        ("contract", lambda: contracts.checked(says)),
    ):
        try:
            check()
        except DunmoreError as exc:
            problems.append(ImportProblem(row.line, column, str(exc)))
            return


def _stored(conn: Connection, number: str) -> dict[str, Any] | None:
    """The columns of the contract's latest version, or None for a new number."""
    k, v = CONTRACTS.c, CONTRACT_VERSIONS.c
    query = (
        select(CONTRACT_VERSIONS)
        .join(CONTRACTS, k.id == v.contract_id)
        .where(k.number == number)
        .order_by(v.version.desc())
        .limit(1)
    )
    found = conn.execute(query).mappings().first()
    return None if found is None else dict(found)


def import_contracts(
    conn: Connection,
    path: Path,
    *,
    by: str,
    actor: str,
    now: datetime,
    encoding: str = "auto",
    sheet: str | None = None,
    dry_run: bool = False,
) -> ContractImport:
    """Check the whole file, then add or change its contracts (none when `dry_run`)."""
    raw = read_table(path, encoding=encoding, sheet=sheet)
    if raw.frame.height > ROWS_MAX:
        raise InputFileError(
            _m("%(name)s has more than %(most)s contracts: split it", name=path.name, most=ROWS_MAX)
        )
    columns = _columns(raw.headers, path.name)
    problems: list[ImportProblem] = []
    known = set(conn.execute(select(CUSTOMERS.c.external_id)).scalars())
    rows, seen = [], set[str]()
    for record in raw.frame.iter_rows(named=True):
        cells = {field: record[column] for field, column in columns.items()} | {LINE: record[LINE]}
        row = _row(cells, problems)
        if row is not None:
            _check(row, problems, seen, known)
            rows.append(row)
    if problems:
        raise ImportRejected(
            _m("%(name)s was not imported: %(count)s problems", name=path.name, count=len(problems)),
            sorted(problems),
        )
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for row in rows:
        counts[_apply(conn, row, by=by, actor=actor, now=now, dry_run=dry_run)] += 1
    return ContractImport(path.name, raw.frame.height, dry_run=dry_run, **counts)


def _apply(conn: Connection, row: _Row, *, by: str, actor: str, now: datetime, dry_run: bool) -> str:
    stored = _stored(conn, row.number)
    if stored is None:
        if not dry_run:
            contracts.add_contract(
                conn, customer=row.customer, number=row.number, says=row.says, by=by, actor=actor, now=now
            )
        return "new"
    values = contracts.checked(row.says)
    if all(stored[key] == value for key, value in values.items()):
        return "unchanged"
    if not dry_run:
        contracts.change_contract(conn, number=row.number, says=row.says, by=by, actor=actor, now=now)
    return "changed"
