"""The run's tasks for people (calls, visits, legal-review briefs): who works them, by when, how
they ended.

A task is created by the worker when it "sends" a call, visit or legal-review delivery
(`delivery.outbox.create_task`), which asks `plan` for its due date and assignee: due on the run's
date, assigned to the customer's owner where the owner is a user (else to nobody: whoever reaches the
customer may work it). Completing a task logs an activity (kind call, visit or note) with the
outcome and the task's id; overdue tasks alert the managers once (`escalate`). Every change of a
person is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, insert, or_, select, update

from dunmore.access import audit
from dunmore.access.models import USERS
from dunmore.access.permissions import Permission, allows, customer_scope, require
from dunmore.access.service import get_user
from dunmore.access.values import User
from dunmore.delivery.models import TASKS
from dunmore.errors import BadArgument, NotFound
from dunmore.i18n import _m
from dunmore.ledger.models import CUSTOMERS
from dunmore.run.models import NOTICES
from dunmore.workspace.alerts import raise_alert, recipients_of
from dunmore.workspace.codes import check_code
from dunmore.workspace.kinds import CodeKind
from dunmore.workspace.models import ACTIVITIES

ID_MAX = 2**53
NOTE_MAX = 2000
STATUSES = ("open", "done")
ACTIVITY_KINDS = {"call": "call", "visit": "visit"}  # a legal-review task ends as a note


@dataclass(frozen=True)
class TaskView:
    id: int
    customer: str  # the customer's code
    customer_name: str
    kind: str
    title: str
    status: str
    assignee: str | None
    due_on: date | None
    outcome: str | None
    created_at: datetime
    done_at: datetime | None
    done_by: str | None


def plan(conn: Connection, *, notice_id: int, customer_id: int) -> tuple[date | None, str | None]:
    """A new task's due date (the run's date: policies name no days for a task yet) and assignee (the
    customer's owner when a live user has that login)."""
    due_on = conn.execute(select(NOTICES.c.as_of).where(NOTICES.c.id == notice_id)).scalar()
    owner = conn.execute(
        select(USERS.c.login)
        .join(CUSTOMERS, func.lower(CUSTOMERS.c.owner) == USERS.c.login)
        .where(CUSTOMERS.c.id == customer_id, ~USERS.c.disabled)
    ).scalar()
    return due_on, owner


def _reach(user: User) -> ColumnElement[bool]:
    """The tasks a user may see: of the customers in their scope, or assigned to them."""
    return or_(customer_scope(user), TASKS.c.assignee == user.login)


def _query(user: User) -> Select[Any]:
    t, c = TASKS.c, CUSTOMERS.c
    return (
        select(t.id, c.external_id, c.name, t.kind, t.title, t.status, t.assignee, t.due_on, t.outcome,
               t.created_at, t.done_at, t.done_by)
        .join(CUSTOMERS, c.id == t.customer_id)
        .where(_reach(user))
    )  # fmt: skip


def list_tasks(
    conn: Connection,
    *,
    user: User,
    assignee: str | None = None,
    status: str | None = "open",
    limit: int = 200,
) -> list[TaskView]:
    """The tasks the user reaches, by due date (none last), then id; `assignee` and `status` narrow."""
    require(user, Permission.LEDGER_READ)
    if status is not None and status not in STATUSES:
        raise BadArgument(_m("a task's status is open or done, not %(status)s", status=repr(status)))
    if not 1 <= limit <= 1000:
        raise BadArgument(_m("a page holds 1 to %(most)s rows, not %(limit)s", most=1000, limit=limit))
    t = TASKS.c
    query = _query(user)
    if status is not None:
        query = query.where(t.status == status)
    if assignee is not None:
        query = query.where(t.assignee == assignee.lower())
    ordered = query.order_by(t.due_on.is_(None), t.due_on, t.id).limit(limit)
    return [TaskView(*row) for row in conn.execute(ordered)]


def get_task(conn: Connection, *, user: User, task_id: int) -> TaskView:
    """One task the user reaches, or `NotFound` (a task out of reach is not found, never refused)."""
    if not 1 <= task_id <= ID_MAX:
        raise NotFound(_m("no task %(id)s: `dunmore tasks list` shows them", id=task_id))
    row = conn.execute(_query(user).where(TASKS.c.id == task_id)).first()
    if row is None:
        raise NotFound(_m("no task %(id)s: `dunmore tasks list` shows them", id=task_id))
    return TaskView(*row)


def _open(conn: Connection, user: User, task_id: int) -> TaskView:
    found = get_task(conn, user=user, task_id=task_id)
    if found.status != "open":
        raise BadArgument(_m("task %(id)s is already done: nothing to change", id=task_id))
    return found


def complete(
    conn: Connection, *, user: User, task_id: int, outcome: str, note: str = "", at: datetime
) -> int:
    """Close a task with an outcome: the task is done, an activity is logged with its id (the
    customer's story), and the audit log says who; the activity's id."""
    require(user, Permission.CUSTOMER_ACT)
    if len(note) > NOTE_MAX:
        raise BadArgument(
            _m("a note holds at most %(most)s characters, not %(length)s", most=NOTE_MAX, length=len(note))
        )
    check_code(conn, CodeKind.OUTCOME, outcome)  # the built-in ones and those an admin added
    task = _open(conn, user, task_id)
    t = TASKS.c
    row = conn.execute(select(t.customer_id, t.kind).where(t.id == task_id)).one()
    conn.execute(
        update(TASKS)
        .where(t.id == task_id)
        .values(status="done", outcome=outcome, done_at=at, done_by=user.login)
    )
    activity = {
        "customer_id": row.customer_id, "task_id": task_id, "kind": ACTIVITY_KINDS.get(row.kind, "note"),
        "outcome": outcome, "at": at, "note": note, "actor": user.login, "created_at": at,
    }  # fmt: skip
    activity_id = int(
        conn.execute(insert(ACTIVITIES).values(activity).returning(ACTIVITIES.c.id)).scalar_one()
    )
    after = {"status": "done", "outcome": outcome, "activity": activity_id}
    audit.record(conn, at=at, actor=user.login, action="task.done", object=f"task:{task_id}",
                 before={"status": task.status}, after=after)  # fmt: skip
    return activity_id


def assign(conn: Connection, *, user: User, task_id: int, to: str, at: datetime) -> TaskView:
    """Give an open task to another user, who must reach its customer and may act on customers."""
    require(user, Permission.CUSTOMER_ACT)
    task = _open(conn, user, task_id)
    target = get_user(conn, login=to)
    reaches = conn.execute(
        select(TASKS.c.id)
        .join(CUSTOMERS, CUSTOMERS.c.id == TASKS.c.customer_id)
        .where(TASKS.c.id == task_id, customer_scope(target))
    ).first()
    if target.disabled or not allows(target, Permission.CUSTOMER_ACT) or reaches is None:
        raise BadArgument(
            _m("user %(login)s cannot work task %(id)s: give it to an active collector or manager "
               "who reaches the customer", login=repr(target.login), id=task_id)
        )  # fmt: skip
    conn.execute(update(TASKS).where(TASKS.c.id == task_id).values(assignee=target.login))
    audit.record(conn, at=at, actor=user.login, action="task.assign", object=f"task:{task_id}",
                 before={"assignee": task.assignee}, after={"assignee": target.login})  # fmt: skip
    return get_task(conn, user=user, task_id=task_id)


def escalate(conn: Connection, *, as_of: date, after_days: int, at: datetime, actor: str) -> list[int]:
    """Alert the managers of every open task more than `after_days` past its due date, once per task
    (the alert's key); the tasks newly escalated."""
    if not 0 <= after_days <= 3650:
        raise BadArgument(_m("--after-days is 0 to 3650 days, not %(days)s", days=after_days))
    t, c = TASKS.c, CUSTOMERS.c
    late = and_(t.status == "open", t.due_on < as_of - timedelta(days=after_days))
    query = select(t.id, t.customer_id, t.title, t.due_on, t.assignee, c.external_id).join(
        CUSTOMERS, c.id == t.customer_id
    )
    managers = recipients_of(conn, None)
    escalated = []
    for row in conn.execute(query.where(late).order_by(t.id)):
        params = {"task": row.id, "title": row.title, "due_on": row.due_on.isoformat(),
                  "assignee": row.assignee or "", "customer": row.external_id}  # fmt: skip
        if raise_alert(conn, kind="task_overdue", key=f"task-overdue:{row.id}", customer_id=row.customer_id,
                       params=params, at=at, recipients=managers):  # fmt: skip
            escalated.append(row.id)
    if escalated:
        audit.record(conn, at=at, actor=actor, action="task.escalate", object="tasks",
                     after={"tasks": audit.id_ranges(escalated), "as_of": as_of.isoformat()})  # fmt: skip
    return escalated
