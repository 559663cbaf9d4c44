"""Dated stories of the dunning run, written in the domain's own notation.

A `Story` wraps a fresh test database with a loaded policy. Customers, invoices, payments and
disputes go in as people write them — ISO dates, decimal amounts in their currency ("10000.00" CNY,
"700" JPY) — and `run(day)` commits the run for that day and returns what `dunmore run --json`
prints. `digest` turns that list into one line per notice, so that a story's expectations read like
the notices themselves:

    C1 CNY L2 second-overdue fee 50.00: INV-1 L2 +15d 10000.00
    C1 CNY reminder pre-due: INV-2 L0 -3d 2000.00
    C1 CNY L3 final-notice fee 100.00 interest 30.00: INV-1 L3 +30d 10000.00 (interest 30.00), …

Each item is `id Llevel ±days-past-due open-amount`, with its interest when it has some; a notice
waiting for a person ends its head with `(pending approval)`. The clock is always given: a run's
`now` is 08:00 UTC on its as-of date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, update

from dunmore.credit import contract_approval, contracts
from dunmore.delivery.models import DELIVERIES
from dunmore.domain.money import Money, format_minor
from dunmore.ledger.models import INVOICES, ITEM_LEVELS
from dunmore.ledger.service import reallocate
from dunmore.run import service
from dunmore.run.explain import ItemStory, explain
from dunmore.run.models import DUNNING_GROUPS, NOTICES, REMINDER_RECORDS, RUNS
from dunmore.run.revert import Reverted, revert
from dunmore.run.service import RunOutcome
from dunmore.run.views import notices_json
from dunmore.store.db import transaction
from tests.store.ledger_rows import add_customer, add_invoice, add_payment

EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
ACTOR = "cli:ops"  # who does everything in a story, as the audit log names them
# The stories study the run over the shipped templates, which tests/delivery checks: no template gate.
UNGATED: dict[str, Any] = {"templates_dir": None, "gate_templates": False}
Notices = list[dict[str, Any]]


def day(text: str) -> date:
    return date.fromisoformat(text)


def morning(text: str) -> datetime:
    """08:00 UTC on an ISO date: the injected clock of a story."""
    return datetime.combine(day(text), time(8), tzinfo=UTC)


def signed_contract(
    conn: Connection,
    customer: str,
    number: str,
    *,
    interest_terms: str | None = None,
    fee_terms: str | None = None,
) -> list[str]:
    """A contract of 10,000.00 CNY due on signing, Monday 2026-08-03, with these clauses: drafted by
    wang, approved by boss (a manager the story added) the same day; its invoices' numbers."""
    says = contracts.Says(
        "Spare parts",
        day("2026-08-03"),
        Decimal("10000.00"),
        "CNY",
        "100% signing",
        interest_terms=interest_terms,
        fee_terms=fee_terms,
    )
    contracts.add_contract(
        conn, customer=customer, number=number, says=says, by="wang", actor=ACTOR, now=morning("2026-08-03")
    )
    return contract_approval.approve(
        conn, number=number, checker="boss", thresholds={}, country="CN", on=day("2026-08-03"),
        now=morning("2026-08-03"), actor=ACTOR,
    )  # fmt: skip


def policy_file(folder: Path, text: str) -> Path:
    """Write an inline YAML policy to a file, as `load_policy` reads files."""
    path = folder / "dunning.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class Story:
    """One database, one policy, and the ledger of a story told day by day."""

    def __init__(self, engine: Engine, policy: Path | None = EXAMPLE) -> None:
        """`policy=None` writes the ledger only (a CLI story loads its policy itself)."""
        self.engine = engine
        self._customers: dict[str, int] = {}
        self._currency: dict[str, str] = {}
        if policy is not None:
            with transaction(engine) as conn:
                service.load_policy(conn, policy, now=morning("2026-01-01"), actor=ACTOR)

    # --- the ledger ---------------------------------------------------------------------------------

    def customer(
        self, external_id: str, *, grade: str | None = None, tags: tuple[str, ...] = (), on_hold: bool = False
    ) -> None:
        fields = {"grade": grade, "tags": ";".join(sorted(tags)), "on_hold": on_hold}
        with transaction(self.engine) as conn:
            self._customers[external_id] = add_customer(conn, external_id, **fields)

    def invoice(
        self,
        external_id: str,
        customer: str,
        *,
        issued: str,
        due: str,
        amount: str,
        currency: str = "CNY",
        disputed: str = "0",
    ) -> None:
        """An invoice as imported (it takes any unapplied credit of its customer, as imports do)."""
        customer_id = self._customers[customer]
        with transaction(self.engine) as conn:
            add_invoice(
                conn,
                external_id,
                customer_id,
                issued,
                due,
                Money.parse(amount, currency).minor,
                currency,
                disputed_minor=Money.parse(disputed, currency).minor,
            )
            reallocate(conn, [customer_id])
        self._currency[external_id] = currency

    def pay(
        self,
        external_id: str,
        customer: str,
        *,
        on: str,
        amount: str,
        currency: str = "CNY",
        invoice: str = "",
    ) -> None:
        """A payment dated `on`, naming `invoice` or none (then it goes to the oldest due first)."""
        customer_id = self._customers[customer]
        with transaction(self.engine) as conn:
            named = self._invoice_id(conn, invoice) if invoice else None
            add_payment(
                conn, external_id, customer_id, on, Money.parse(amount, currency).minor, currency, named
            )
            reallocate(conn, [customer_id])

    def dispute(self, invoice: str, amount: str) -> None:
        """The customer now disputes `amount` of the invoice (0 ends the dispute)."""
        minor = Money.parse(amount, self._currency[invoice]).minor
        with transaction(self.engine) as conn:
            statement = update(INVOICES).where(INVOICES.c.external_id == invoice)
            conn.execute(statement.values(disputed_minor=minor))

    @staticmethod
    def _invoice_id(conn: Any, external_id: str) -> int:
        query = select(INVOICES.c.id).where(INVOICES.c.external_id == external_id)
        return int(conn.execute(query).scalar_one())

    # --- the run ------------------------------------------------------------------------------------

    def run(self, as_of: str) -> Notices:
        """Commit the run for `as_of`; its notices as `dunmore run --approve --json` prints them."""
        with transaction(self.engine, snapshot=True) as conn:
            outcome = service.commit(
                conn, as_of=day(as_of), today=day(as_of), now=morning(as_of), actor=ACTOR, **UNGATED
            )
            return self._shown(conn, outcome)

    def propose(self, as_of: str) -> Notices:
        """The dry run for `as_of`: what `dunmore run --json` prints; nothing is written."""
        with transaction(self.engine, snapshot=True) as conn:
            return self._shown(conn, service.propose(conn, as_of=day(as_of), today=day(as_of)))

    @staticmethod
    def _shown(conn: Any, outcome: RunOutcome) -> Notices:
        return notices_json(conn, outcome.notices, outcome.decisions)

    def run_ahead(self, as_of: str, *, on: str, max_days_ahead: int) -> Notices:
        """Commit the run for `as_of` on the day `on`, allowing dates up to `max_days_ahead` after it."""
        with transaction(self.engine, snapshot=True) as conn:
            outcome = service.commit(
                conn,
                as_of=day(as_of),
                today=day(on),
                now=morning(on),
                actor=ACTOR,
                max_days_ahead=max_days_ahead,
                **UNGATED,
            )
            return self._shown(conn, outcome)

    def revert(self, run_id: int, *, on: str) -> Reverted:
        """`dunmore run revert RUN` on the day `on`."""
        with transaction(self.engine) as conn:
            return revert(conn, run_id, now=morning(on), actor=ACTOR)

    def runs(self) -> list[tuple[int, str, str]]:
        """(run id, as-of date, status) of every run, oldest first."""
        r = RUNS.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(r.id, r.as_of, r.status).order_by(r.sequence)).all()
        return [(int(run_id), as_of.isoformat(), str(status)) for run_id, as_of, status in rows]

    def approve(self, notice_id: int, *, on: str) -> None:
        with transaction(self.engine) as conn:
            service.approve(conn, notice_id, now=morning(on), actor=ACTOR, **UNGATED)

    def reject(self, notice_id: int, *, on: str, reason: str = "paid by parent", by: str = "wang") -> None:
        with transaction(self.engine) as conn:
            service.reject(conn, notice_id, reason=reason, by=by, now=morning(on), actor=ACTOR)

    def reopen(self, notice_id: int, *, on: str, by: str = "li") -> int:
        with transaction(self.engine) as conn:
            return service.reopen(conn, notice_id, by=by, now=morning(on), actor=ACTOR)

    def explain(self, customer: str, as_of: str) -> dict[str, ItemStory]:
        """`dunmore explain CUSTOMER --as-of DAY --lang en`, by invoice id."""
        with transaction(self.engine) as conn:
            stories = explain(conn, customer=customer, as_of=day(as_of), lang="en")
        return {story.invoice_id: story for story in stories}

    # --- what the database holds --------------------------------------------------------------------

    def levels(self) -> dict[str, int]:
        """The level of every invoice (fee and interest items left out)."""
        level = func.coalesce(ITEM_LEVELS.c.level, 0)
        query = self._levelled(select(INVOICES.c.external_id, level))
        with self.engine.connect() as conn:
            return {str(name): int(level) for name, level in conn.execute(query)}

    def level_dates(self) -> dict[str, date | None]:
        query = self._levelled(select(INVOICES.c.external_id, ITEM_LEVELS.c.level_date))
        with self.engine.connect() as conn:
            return {str(name): when for name, when in conn.execute(query)}

    @staticmethod
    def _levelled(query: Any) -> Any:
        """Invoices (fee and interest items left out) beside their level row, if they have one."""
        levelled = INVOICES.outerjoin(ITEM_LEVELS, ITEM_LEVELS.c.invoice_id == INVOICES.c.id)
        return query.select_from(levelled).where(INVOICES.c.kind == "invoice")

    def charges(self) -> dict[str, str]:
        """Fee and interest items: `FEE-12` → `"due 2026-09-16: 50.00 CNY, open 50.00"`."""
        i = INVOICES.c
        query = select(i.external_id, i.due_date, i.currency, i.amount_minor, i.open_minor)
        with self.engine.connect() as conn:
            rows = conn.execute(query.where(i.kind != "invoice")).all()
        return {
            name: f"due {due.isoformat()}: {format_minor(amount, cur)} {cur}, open {format_minor(left, cur)}"
            for name, due, cur, amount, left in rows
        }

    def interest_charged(self) -> dict[str, str]:
        i = INVOICES.c
        query = select(i.external_id, i.currency, i.interest_charged_minor).where(i.kind == "invoice")
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {name: format_minor(minor, currency) for name, currency, minor in rows}

    def group(self, customer: str, currency: str = "CNY") -> dict[str, Any] | None:
        """The state a run left for a (customer, currency) group, as stored."""
        g = DUNNING_GROUPS.c
        query = select(g.last_level_notice, g.fee_levels, g.episode_open).where(
            g.customer_id == self._customers[customer], g.currency == currency
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).mappings().first()
        return None if found is None else dict(found)

    def reminders(self) -> dict[tuple[str, str], str]:
        """(invoice, reminder step) → sent | skipped."""
        r = REMINDER_RECORDS.c
        query = select(INVOICES.c.external_id, r.step, r.status).join_from(
            REMINDER_RECORDS, INVOICES, INVOICES.c.id == r.invoice_id
        )
        with self.engine.connect() as conn:
            return {(name, step): status for name, step, status in conn.execute(query)}

    def deliveries(self, notice_id: int) -> list[tuple[str, str]]:
        """(channel, status) of a notice's outbox rows, by channel."""
        d = DELIVERIES.c
        query = select(d.channel, d.status).where(d.notice_id == notice_id).order_by(d.channel)
        with self.engine.connect() as conn:
            return [(channel, status) for channel, status in conn.execute(query)]

    def status(self, notice_id: int) -> str:
        with self.engine.connect() as conn:
            found = conn.execute(select(NOTICES.c.status).where(NOTICES.c.id == notice_id)).scalar_one()
        return str(found)

    def count(self, table: Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def digest(notices: Notices) -> list[str]:
    """One line per notice (see the module docstring)."""
    return [f"{_head(notice)}: {', '.join(_item(item) for item in notice['items'])}" for notice in notices]


def _head(notice: dict[str, Any]) -> str:
    kind = "reminder" if notice["kind"] == "reminder" else f"L{notice['level']}"
    head = f"{notice['customer_id']} {notice['currency']} {kind} {notice['step']}"
    if notice["fee"] is not None:
        head += f" fee {notice['fee']}"
    if notice["interest_charged"] is not None:
        head += f" interest {notice['interest_charged']}"
    if notice["status"] == "pending_approval":
        head += " (pending approval)"
    return head


def _item(item: dict[str, Any]) -> str:
    text = f"{item['invoice_id']} L{item['level']} {item['days_past_due']:+d}d {item['open_amount']}"
    if Decimal(item["interest"]) != 0:
        text += f" (interest {item['interest']})"
    return text
