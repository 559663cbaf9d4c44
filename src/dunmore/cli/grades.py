"""`dunmore grades compute|explain|load|override|end-override`: credit grades from payment history.
The command line acts as an operator who reaches every customer (whoever opens the database can)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dunmore.cli.context import cli_actor, console, parse_as_of, reported, state, transaction
from dunmore.cli.language import _, language
from dunmore.errors import BadArgument
from dunmore.i18n import _m

grades_app = typer.Typer(help="Credit grades earned from payment history (A, B, C, D).", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
Customer = Annotated[str, typer.Argument(help="The customer id of your ERP, as imported (e.g. C000016).")]


def operator() -> Any:
    """The person at the terminal as a user of every customer."""
    from dunmore.access.values import Language, Role, User

    return User(0, cli_actor(), Role.ADMIN, Language.EN, frozenset(), False, datetime(2026, 1, 1, tzinfo=UTC))


def now() -> datetime:
    return datetime.now(UTC)


@grades_app.command("compute")
def compute(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The grading date (YYYY-MM-DD; default: today).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Grade every customer from its payment history as of a date, store the history, set the grade
    the dunning policy's routes read, set credit holds and raise early warnings."""
    from dunmore.credit import grades

    app = state(ctx)
    with reported():
        day = parse_as_of(as_of, app.settings)
        with transaction(app.engine()) as conn:
            done = grades.compute(conn, user=operator(), as_of=day, now=now())
    if as_json:
        keys = ("scorecard_version", "counts", "changed", "alerts", "holds_set")
        shown = {"as_of": done.as_of.isoformat()} | {k: getattr(done, k) for k in keys}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    counts = ", ".join(f"{grade} {count}" for grade, count in done.counts.items()) or "—"
    console.print(_("Graded as of %(as_of)s: %(counts)s", as_of=done.as_of.isoformat(), counts=counts))
    console.print(
        _(
            "%(changed)s grades changed, %(holds)s credit holds set, %(alerts)s alerts raised",
            changed=len(done.changed),
            holds=done.holds_set,
            alerts=done.alerts,
        )
    )


@grades_app.command("explain")
def explain(ctx: typer.Context, customer: Customer, as_json: AsJson = False) -> None:
    """Why a customer has its grade: each factor's value and points, and what would move the grade."""
    from dunmore.credit.grades_explain import explain as explain_grade

    with reported(), transaction(state(ctx).engine()) as conn:
        found = explain_grade(conn, user=operator(), customer=customer)
    said = language()
    if as_json:
        print(json.dumps(_json(found, said), ensure_ascii=False, indent=2))
        return
    _print(found, said)


def _json(found: Any, said: str) -> dict[str, Any]:
    return {
        "customer": found.customer,
        "grade": found.grade,
        "computed": found.computed,
        "graded_on": found.graded_on.isoformat() if found.graded_on else None,
        "points": found.points,
        "factors": {
            name: {
                "value": f.value,
                "points": f.points,
                "best": f.best,
                "better": f.better.render(said) if f.better else None,
            }
            for name, f in found.factors.items()
        },
        "moves": [move.render(said) for move in found.moves],
        "override": None
        if found.override is None
        else {
            "grade": found.override.grade,
            "until": found.override.until.isoformat(),
            "reason": found.override.reason,
        },
        "holds": [
            {
                "rule": h.rule,
                "set_on": h.set_on.isoformat(),
                **h.detail,
                "audit_row": h.audit_id,
                "set_by": h.set_by,
            }
            for h in found.holds
        ],
    }


def _print(found: Any, said: str) -> None:
    from dunmore.i18n import translate

    if found.graded_on is None:
        console.print(
            _("%(customer)s has not been graded yet: run `dunmore grades compute`", customer=found.customer)
        )
        return
    grade = translate(said, found.grade_name) if found.grade_name else found.grade
    console.print(
        _(
            "%(customer)s: grade %(grade)s, %(points)s points, graded on %(day)s",
            customer=found.customer,
            grade=grade,
            points=found.points,
            day=found.graded_on.isoformat(),
        )
    )
    table = Table(_("factor"), _("value"), _("points"), _("what would earn more"))
    for f in found.factors.values():
        better = f.better.render(said) if f.better else "—"
        table.add_row(translate(said, f.label), str(f.value), f"{f.points} / {f.best}", better)
    console.print(table)
    for move in found.moves:
        console.print(f"• {move.render(said)}")
    if found.override is not None:
        console.print(
            _(
                "Grade set by %(by)s until %(until)s: %(reason)s",
                by=found.override.by,
                until=found.override.until.isoformat(),
                reason=found.override.reason,
            )
        )


@grades_app.command("load")
def load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The scorecard YAML file (see docs/credit.md).")],
) -> None:
    """Check a scorecard file and store it as the new version the next grading uses."""
    from dunmore.credit import grades

    with reported(), transaction(state(ctx).engine()) as conn:
        loaded = grades.load_scorecard(conn, path, user=operator(), now=now())
    console.print(
        _("Scorecard version %(version)s loaded from %(path)s", version=loaded.version, path=str(path))
    )


@grades_app.command("override")
def override(
    ctx: typer.Context,
    customer: Customer,
    grade: Annotated[str, typer.Option("--grade", help="The grade to set: A, B, C or D.")],
    until: Annotated[str, typer.Option("--until", help="The last day it holds (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
) -> None:
    """Set a customer's grade by hand until a date, with a reason (a manager's decision)."""
    from dunmore.credit import grades

    app = state(ctx)
    with reported():
        last = _date(until, "--until")
        with transaction(app.engine()) as conn:
            grades.override(
                conn,
                user=operator(),
                customer=customer,
                grade=grade.upper(),
                reason=reason,
                until=last,
                today=parse_as_of(None, app.settings),
                now=now(),
            )
    console.print(
        _(
            "%(customer)s: grade %(grade)s until %(until)s",
            customer=customer,
            grade=grade.upper(),
            until=until,
        )
    )


@grades_app.command("end-override")
def end_override(ctx: typer.Context, customer: Customer) -> None:
    """End a customer's grade override: the next grading sets its computed grade."""
    from dunmore.credit import grades

    with reported(), transaction(state(ctx).engine()) as conn:
        count = grades.end_override(conn, user=operator(), customer=customer, now=now())
    console.print(_("%(customer)s: %(count)s overrides ended", customer=customer, count=count))


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadArgument(
            _m("%(option)s %(text)s is not a date: write it as YYYY-MM-DD", option=option, text=repr(text))
        ) from exc


def register(app: typer.Typer) -> None:
    app.add_typer(grades_app, name="grades")
