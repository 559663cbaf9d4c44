"""`dunmore demo`: build the demo portfolio, run today's dunning, and show what there is."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from dunmore.cli.context import console, parse_as_of, reported, state, transaction

if TYPE_CHECKING:  # the generator, Polars and the database load when the demo runs, not for `--help`
    from rich.progress import Progress
    from sqlalchemy import Connection, Engine

    from dunmore.delivery.worker import Tally
    from dunmore.run import service
    from dunmore.settings import Settings

EXAMPLE_POLICY = Path(__file__).resolve().parents[3] / "examples" / "dunning.yaml"


def _progress() -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def _ensure_policy(conn: Connection, now: datetime) -> None:
    from sqlalchemy import func, select

    from dunmore.run import service
    from dunmore.run.models import POLICY_VERSIONS

    if conn.execute(select(func.count()).select_from(POLICY_VERSIONS)).scalar_one() == 0:
        service.load_policy(conn, EXAMPLE_POLICY, now=now)


def _summary(conn: Connection, as_of: date) -> None:
    import polars as pl
    from sqlalchemy import func, select

    from dunmore.cli.reports import show_aging
    from dunmore.domain.aging import buckets
    from dunmore.ledger.models import CUSTOMERS, INVOICES
    from dunmore.reports.aging import aging_report
    from dunmore.reports.render import rich_table

    customers = conn.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one()
    open_items = conn.execute(select(func.count()).where(INVOICES.c.open_minor > 0)).scalar_one()
    console.print(f"[bold]{customers}[/] customers, [bold]{open_items}[/] open items")
    report = aging_report(conn, as_of=as_of, buckets=buckets(), by="currency")
    overdue = report.totals.select("currency", overdue=pl.col("total") - pl.col("not due"))
    console.print(rich_table(overdue, title="Overdue total per currency", money=["overdue"]))
    show_aging(report, limit=20)


def _run_summary(outcome: service.RunOutcome) -> None:
    import polars as pl

    from dunmore.reports.render import rich_table

    counts = outcome.notices.group_by("kind", "step", "status").agg(notices=pl.len()).sort("kind", "step")
    console.print(rich_table(counts, title=f"Dunning run for {outcome.as_of.isoformat()}", money=[]))


def _deliver(engine: Engine, settings: Settings, day: date) -> Tally:
    """Send the run's deliveries through the demo's own fake channels: no message leaves the machine,
    but every notice is rendered, guarded and recorded as the real worker does it."""
    from dunmore.delivery.channels.fake import FakeEmailChannel, FakeSmsGateway
    from dunmore.delivery.render import Templates
    from dunmore.delivery.worker import Outlets, Worker

    ten = datetime.combine(day, time(10), tzinfo=ZoneInfo(settings.timezone))  # inside every window
    outlets = Outlets(email=FakeEmailChannel, sms=FakeSmsGateway())
    worker = Worker(engine, settings, templates=Templates(settings.delivery.templates_dir), outlets=outlets,
                    clock=lambda: ten, name="demo")  # fmt: skip
    return worker.run(drain=True)


def _delivery_summary(tally: Tally) -> None:
    channels = ", ".join(f"{count} by {channel}" for channel, count in sorted(tally.by_channel.items()))
    console.print(
        f"delivered {tally.sent} messages to the demo's fake channels ({channels or 'none'}); "
        f"{tally.deferred} wait (contact window or frequency cap), {tally.cancelled} cancelled, "
        f"{tally.failed} failed",
        highlight=False,
    )


def _first_email(conn: Connection) -> int | None:
    from sqlalchemy import select

    from dunmore.delivery.models import DELIVERIES

    d = DELIVERIES.c
    query = select(d.notice_id).where(d.channel == "email", d.status == "sent").order_by(d.id).limit(1)
    return conn.execute(query).scalar()


def demo_command(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=1, help="How many customers to generate.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same portfolio.")] = 7,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the 12 months of history (default: today).")
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Delete the ledger's documents and runs first (only in a database the demo built).",
        ),
    ] = False,
) -> None:
    """Build a realistic demo portfolio (12 months of history), run the day's dunning, and summarise."""
    from dunmore.demo.generator import generate
    from dunmore.demo.load import clear_ledger, load_portfolio, refuse_foreign_ledger
    from dunmore.run import service
    from dunmore.settings import Settings
    from dunmore.store.meta import mark_demo

    with reported():
        day = parse_as_of(as_of, state(ctx).settings)
        engine = state(ctx).engine(create=True)
        now = datetime.now(UTC)
        with _progress() as progress:
            task = progress.add_task(f"generating {customers} customers", total=None)
            portfolio = generate(customers=customers, seed=seed, as_of=day)
            progress.update(task, description=f"writing {portfolio.invoices.height} invoices to the ledger")
            with transaction(engine) as conn:
                if reset:
                    refuse_foreign_ledger(conn, engine.url.render_as_string(hide_password=True))
                    clear_ledger(conn)
                load_portfolio(conn, portfolio)
                mark_demo(conn)  # the worker may send from it as the demo creditor
                _ensure_policy(conn, now)
            progress.update(task, description="running the day's dunning")
            with transaction(engine, snapshot=True) as conn:
                outcome = service.commit(conn, as_of=day, today=day, now=now)
            progress.update(task, description="delivering the notices (letters are rendered to PDF)")
            tally = _deliver(engine, state(ctx).settings, day)
        console.print(
            f"demo ledger in {engine.url.render_as_string(hide_password=True)} as of {day.isoformat()}"
        )
        with engine.connect() as conn:
            _summary(conn, day)
        _run_summary(outcome)
        _delivery_summary(tally)
        url = engine.url.render_as_string(hide_password=True)
        db = "" if url == Settings.model_fields["database_url"].default else f"--db {url} "
        with engine.connect() as conn:
            notice = _first_email(conn)
        console.print(f"next: dunmore {db}explain C000016 --lang en", markup=False, highlight=False)
        console.print(f"      dunmore {db}aging --by customer", markup=False, highlight=False)
        if notice is not None:
            console.print(f"      dunmore {db}notice preview {notice}", markup=False, highlight=False)
            console.print(f"      dunmore {db}notice show {notice}", markup=False, highlight=False)
        if tally.by_channel.get("letter"):
            hint = f"      dunmore {db}letters print --run {_last_run(engine)} -o letters.pdf"
            console.print(hint, markup=False, highlight=False)


def _last_run(engine: Engine) -> int:
    from sqlalchemy import func, select

    from dunmore.run.models import RUNS

    with engine.connect() as conn:
        return int(conn.execute(select(func.max(RUNS.c.id))).scalar() or 0)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
