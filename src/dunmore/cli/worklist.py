"""`dunmore worklist` and `dunmore tasks …`: what a collector should do today, and the run's tasks.

The commands act as a user named with `--user` (their scope, and the name the audit log and the
customer's story record): the terminal reaches every customer, the user does not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dunmore.cli.context import console, parse_as_of, reported, state, transaction
from dunmore.cli.language import _, language

if TYPE_CHECKING:
    from dunmore.access.values import User
    from dunmore.workspace.tasks import TaskView
    from dunmore.workspace.worklist import WorklistPage

tasks_app = typer.Typer(
    help="The run's tasks for people: calls, visits, legal-review briefs.", no_args_is_help=True
)

AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="The day (YYYY-MM-DD); default: today in the creditor's timezone."),
]
UserLogin = Annotated[str, typer.Option("--user", help="The user (login) who works the list or the task.")]
TaskId = Annotated[int, typer.Argument(help="The task's id (`dunmore tasks list`).", min=1, max=2**53)]


def _now() -> datetime:
    return datetime.now(UTC)


def _terminal() -> User:
    """The person at the terminal, as a user who reads every customer (as every command does)."""
    from dunmore.access.values import Language, Role, User
    from dunmore.cli.context import cli_actor

    return User(0, cli_actor(), Role.VIEWER, Language(language()), frozenset(), False, _now())


def _line_json(line: Any, lang: str) -> dict[str, Any]:
    return {
        "customer": line.customer.code, "name": line.customer.name, "section": line.section.name.lower(),
        "reason": line.reason, "action": line.action, "why": line.why.render(lang),
        "what": line.what.render(lang),
        "currency": line.currency or None, "amount_minor": line.amount_minor,
        "expected_minor": line.expected_minor, "task_id": line.task_id,
    }  # fmt: skip


def _show_worklist(page: WorklistPage, lang: str) -> None:
    from rich.table import Table

    table = Table("#", _("customer"), _("why"), _("what to do"), _("task"))
    for n, line in enumerate(page.lines, start=1):
        who = f"{line.customer.code} {line.customer.name}"
        task = "" if line.task_id is None else str(line.task_id)
        table.add_row(str(n), who, line.why.render(lang), line.what.render(lang), task)
    console.print(table)
    console.print(
        _("%(shown)s of %(total)s lines on %(day)s", shown=len(page.lines), total=page.total, day=page.as_of)
    )


def worklist(
    ctx: typer.Context,
    user: UserLogin,
    as_of: AsOf = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many lines.", min=1, max=200)] = 50,
    as_json: AsJson = False,
) -> None:
    """What a collector should do today, most urgent first: follow-ups due, broken promises, the run's
    tasks, then the other overdue customers by expected value; each line says why and what to do."""
    from dunmore.access.service import get_user
    from dunmore.workspace.worklist import worklist as build

    settings = state(ctx).settings
    with reported(), transaction(state(ctx).engine()) as conn:
        day = parse_as_of(as_of, settings)
        found = get_user(conn, login=user)
        page = build(conn, user=found, as_of=day, timezone=settings.timezone, limit=limit,
                     broken_days=settings.worklist.broken_promise_days)  # fmt: skip
    lang = language()
    if as_json:
        lines = [_line_json(line, lang) for line in page.lines]
        body = {"as_of": page.as_of.isoformat(), "user": found.login, "total": page.total, "lines": lines}
        console.print_json(json.dumps(body, ensure_ascii=False))
        return
    _show_worklist(page, lang)


def _task_json(task: TaskView) -> dict[str, Any]:
    return {
        "id": task.id, "customer": task.customer, "name": task.customer_name, "kind": task.kind,
        "title": task.title, "status": task.status, "assignee": task.assignee,
        "due_on": None if task.due_on is None else task.due_on.isoformat(), "outcome": task.outcome,
        "created_at": task.created_at.isoformat(), "done_by": task.done_by,
    }  # fmt: skip


@tasks_app.command("list")
def list_tasks(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", help="Only the tasks assigned to this user (login).")
    ] = None,
    status: Annotated[str, typer.Option("--status", help="open, done or all.")] = "open",
    as_json: AsJson = False,
) -> None:
    """List the run's tasks by due date: customer, kind, title, assignee, status."""
    from rich.table import Table

    from dunmore.workspace.tasks import list_tasks as listed

    with reported(), transaction(state(ctx).engine()) as conn:
        tasks = listed(conn, user=_terminal(), assignee=user, status=None if status == "all" else status)
    if as_json:
        console.print_json(json.dumps([_task_json(task) for task in tasks], ensure_ascii=False))
        return
    table = Table("id", _("customer"), _("kind"), _("title"), _("assignee"), _("due"), _("status"))
    for task in tasks:
        due = "" if task.due_on is None else task.due_on.isoformat()
        table.add_row(
            str(task.id), task.customer, task.kind, task.title, task.assignee or "", due, task.status
        )
    console.print(table)


@tasks_app.command("done")
def done(
    ctx: typer.Context,
    task_id: TaskId,
    outcome: Annotated[str, typer.Option("--outcome", help="What came of it: reached, no_answer, … .")],
    user: UserLogin,
    note: Annotated[str, typer.Option("--note", help="What was said (at most 2,000 characters).")] = "",
) -> None:
    """Complete a task with an outcome; it is logged on the customer's story."""
    from dunmore.access.service import get_user
    from dunmore.workspace.tasks import complete

    with reported(), transaction(state(ctx).engine()) as conn:
        found = get_user(conn, login=user)
        activity = complete(conn, user=found, task_id=task_id, outcome=outcome, note=note, at=_now())
    said = _("task %(id)s done (%(outcome)s), activity %(activity)s logged", id=task_id, outcome=outcome,
               activity=activity)  # fmt: skip
    console.print(said)


@tasks_app.command("assign")
def assign(
    ctx: typer.Context,
    task_id: TaskId,
    to: Annotated[str, typer.Option("--to", help="The login of the user who works it from now on.")],
    user: UserLogin,
) -> None:
    """Give a task to another user who reaches its customer."""
    from dunmore.access.service import get_user
    from dunmore.workspace.tasks import assign as give

    with reported(), transaction(state(ctx).engine()) as conn:
        task = give(conn, user=get_user(conn, login=user), task_id=task_id, to=to, at=_now())
    console.print(_("task %(id)s assigned to %(login)s", id=task_id, login=task.assignee))


@tasks_app.command("escalate")
def escalate(
    ctx: typer.Context,
    as_of: AsOf = None,
    after_days: Annotated[
        int | None,
        typer.Option("--after-days", help="Days past due (default: settings worklist.task_escalation_days)."),
    ] = None,
) -> None:
    """Alert the managers of every open task overdue by more than the days given, once per task."""
    from dunmore.cli.context import cli_actor
    from dunmore.workspace.tasks import escalate as alert

    settings = state(ctx).settings
    days = settings.worklist.task_escalation_days if after_days is None else after_days
    with reported(), transaction(state(ctx).engine()) as conn:
        day = parse_as_of(as_of, settings)
        escalated = alert(conn, as_of=day, after_days=days, at=_now(), actor=cli_actor())
    console.print(_("%(count)s overdue tasks escalated to the managers", count=len(escalated)))


def register(app: typer.Typer) -> None:
    app.command("worklist")(worklist)
    app.add_typer(tasks_app, name="tasks")
