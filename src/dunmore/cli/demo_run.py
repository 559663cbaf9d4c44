"""The work of `dunmore demo` (cli/demo.py is its command): build the demo portfolio, run today's
dunning, deliver to fake channels, and show what there is. Kept apart so that registering the command
loads none of it."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, Engine, func, select

from dunmore.access import service as access
from dunmore.access.values import Language, Role, User
from dunmore.cli.context import AppState, cli_actor, console, parse_as_of, reported
from dunmore.cli.headings import heading
from dunmore.cli.language import _
from dunmore.cli.reports import show_aging
from dunmore.credit import grades
from dunmore.credit.grades import Grading
from dunmore.delivery.models import DELIVERIES
from dunmore.delivery.worker import Outlets, Tally, Worker
from dunmore.demo.generator import generate
from dunmore.demo.load import build_demo, refuse_foreign_ledger
from dunmore.domain.aging import buckets
from dunmore.errors import NotFound
from dunmore.ledger.models import CUSTOMERS, INVOICES
from dunmore.reports.aging import aging_report
from dunmore.reports.render import rich_table
from dunmore.run import service
from dunmore.run.models import POLICY_VERSIONS, RUNS
from dunmore.settings import Settings
from dunmore.store.db import transaction

EXAMPLE_POLICY = Path(__file__).resolve().parents[3] / "examples" / "dunning.yaml"


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def _ensure_policy(conn: Connection, now: datetime, actor: str) -> None:
    if conn.execute(select(func.count()).select_from(POLICY_VERSIONS)).scalar_one() == 0:
        service.load_policy(conn, EXAMPLE_POLICY, now=now, actor=actor)


def _summary(conn: Connection, as_of: date) -> None:
    customers = conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one()
    open_items = conn.execute(select(func.count()).where(INVOICES.c.open_minor > 0)).scalar_one()
    bold_customers, bold_items = f"[bold]{customers}[/]", f"[bold]{open_items}[/]"
    said = _("%(customers)s customers, %(items)s open items", customers=bold_customers, items=bold_items)
    console.print(said)
    report = aging_report(conn, as_of=as_of, buckets=buckets(), by="currency")
    overdue = report.totals.select("currency", overdue=pl.col("total") - pl.col("not due"))
    title = _("Overdue total per currency")
    console.print(rich_table(overdue, title=title, money=["overdue"], heading=heading))
    show_aging(report, limit=20)


def _grade(conn: Connection, day: date, now: datetime, actor: str) -> Grading:
    """Grade every customer as `dunmore grades compute` does, before the run: the routes read the
    grades, and the customer pages show them."""
    operator = User(0, actor, Role.ADMIN, Language.EN, frozenset(), False, now)
    return grades.compute(conn, user=operator, as_of=day, now=now)


def _grades_summary(graded: Grading) -> None:
    counts = ", ".join(f"{grade} {count}" for grade, count in graded.counts.items()) or _("none")
    said = _(
        "credit grades as of %(date)s: %(counts)s (%(changed)s changed, %(holds)s credit holds, "
        "%(alerts)s alerts)",
        date=graded.as_of.isoformat(),
        counts=counts,
        changed=len(graded.changed),
        holds=graded.holds_set,
        alerts=graded.alerts,
    )
    console.print(said, highlight=False)


def _run_summary(outcome: service.RunOutcome) -> None:
    counts = outcome.notices.group_by("kind", "step", "status").agg(notices=pl.len()).sort("kind", "step")
    title = _("Dunning run for %(date)s", date=outcome.as_of.isoformat())
    console.print(rich_table(counts, title=title, money=[], heading=heading))


def _deliver(engine: Engine, settings: Settings, day: date) -> Tally:
    """Send the run's deliveries through the demo's own fake channels: no message leaves the machine,
    but every notice is rendered, guarded and recorded as the real worker does it."""
    from dunmore.delivery.channels.fake import FakeEmailChannel, FakeSmsGateway
    from dunmore.delivery.render import Templates

    ten = datetime.combine(day, time(10), tzinfo=ZoneInfo(settings.timezone))  # inside every window
    outlets = Outlets(email=FakeEmailChannel, sms=FakeSmsGateway())
    worker = Worker(engine, settings, templates=Templates(settings.delivery.templates_dir), outlets=outlets,
                    clock=lambda: ten, name="demo")  # fmt: skip
    return worker.run(drain=True)


def _delivery_summary(tally: Tally) -> None:
    channels = ", ".join(
        _("%(count)s by %(channel)s", count=count, channel=channel)
        for channel, count in sorted(tally.by_channel.items())
    )
    said = _(
        "delivered %(sent)s messages to the demo's fake channels (%(channels)s); %(deferred)s wait "
        "(contact window or frequency cap), %(cancelled)s cancelled, %(failed)s failed",
        sent=tally.sent,
        channels=channels or _("none"),
        deferred=tally.deferred,
        cancelled=tally.cancelled,
        failed=tally.failed,
    )
    console.print(said, highlight=False)


def _first_email(conn: Connection) -> int | None:
    d = DELIVERIES.c
    query = select(d.notice_id).where(d.channel == "email", d.status == "sent").order_by(d.id).limit(1)
    return conn.execute(query).scalar()


def run_demo(app: AppState, *, customers: int, seed: int, as_of: str | None, reset: bool) -> None:
    """Build a realistic demo portfolio (12 months of history), run the day's dunning, and summarise."""
    with reported():
        day = parse_as_of(as_of, app.settings)
        engine = app.engine(create=True)
        now, actor = datetime.now(UTC), cli_actor()
        # Before any work: neither mix demo customers into a real ledger (and mark it the demo's, which
        # would let the worker send as the demo creditor) nor wipe one with --reset.
        with transaction(engine) as conn:
            refuse_foreign_ledger(conn, engine.url.render_as_string(hide_password=True))
        with _progress() as progress:
            task = progress.add_task(_("generating %(count)s customers", count=customers), total=None)
            portfolio = generate(customers=customers, seed=seed, as_of=day)
            writing = _("writing %(count)s invoices to the ledger", count=portfolio.invoices.height)
            progress.update(task, description=writing)
            with transaction(engine) as conn:
                where = engine.url.render_as_string(hide_password=True)
                build_demo(conn, portfolio, reset=reset, where=where, seed=seed, as_of=day.isoformat(),
                           actor=actor, at=now)  # fmt: skip
                _ensure_policy(conn, now, actor)
            progress.update(task, description=_("grading the customers from their payment history"))
            with transaction(engine) as conn:
                graded = _grade(conn, day, now, actor)
            progress.update(task, description=_("running the day's dunning"))
            with transaction(engine, snapshot=True) as conn:
                outcome = service.commit(conn, as_of=day, today=day, now=now, actor=actor,
                                         templates_dir=app.settings.delivery.templates_dir)  # fmt: skip
            progress.update(task, description=_("delivering the notices (letters are rendered to PDF)"))
            tally = _deliver(engine, app.settings, day)
        where = engine.url.render_as_string(hide_password=True)
        console.print(_("demo ledger in %(where)s as of %(date)s", where=where, date=day.isoformat()))
        with engine.connect() as conn:
            _summary(conn, day)
        _grades_summary(graded)
        _run_summary(outcome)
        _delivery_summary(tally)
        url = engine.url.render_as_string(hide_password=True)
        db = "" if url == Settings.model_fields["database_url"].default else f"--db {url} "
        with engine.connect() as conn:
            notice = _first_email(conn)
        console.print(_("next:"), f"dunmore {db}explain C000016 --lang en", markup=False, highlight=False)
        console.print(f"      dunmore {db}aging --by customer", markup=False, highlight=False)
        if notice is not None:
            console.print(f"      dunmore {db}notice preview {notice}", markup=False, highlight=False)
            console.print(f"      dunmore {db}notice show {notice}", markup=False, highlight=False)
        if tally.by_channel.get("letter"):
            hint = f"      dunmore {db}letters print --run {_last_run(engine)} -o letters.pdf"
            console.print(hint, markup=False, highlight=False)
        with transaction(engine) as conn:
            password = _demo_manager(conn, now, actor)
        console.print(_("web:"), f" dunmore {db}serve", markup=False, highlight=False, soft_wrap=True)
        signing_in = _(
            "then open http://127.0.0.1:8000/ and sign in as %(login)s, password %(password)s "
            "(a manager; a new password at every demo)",
            login=DEMO_LOGIN,
            password=password,
        )
        console.print(f"      {signing_in}", markup=False, highlight=False, soft_wrap=True)


DEMO_LOGIN = "demo"


def _demo_manager(conn: Connection, now: datetime, actor: str) -> str:
    """A manager `demo` with a fresh random password (a new one at every `demo`): returned to print."""
    password = secrets.token_urlsafe(12)
    try:
        access.get_user(conn, login=DEMO_LOGIN)
    except NotFound:
        access.add_user(conn, login=DEMO_LOGIN, role=Role.MANAGER, password=password, actor=actor, at=now)
    else:
        access.set_password(conn, login=DEMO_LOGIN, password=password, actor=actor, at=now)
    return password


def _last_run(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(RUNS.c.id))).scalar() or 0)
