"""Who may do what, as data: the role → permission table, `require`, and the one scoping rule.

Every service that reads or changes customers passes the user through `customer_scope`, so that no
page, API call or export can reach a customer outside the user's portfolios (collectors) or accounts
(sales). The table is rendered into docs/design/access.md by `role_table_markdown`; a test holds the
two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Table, false, func, true

from dunmore.access.values import Role, User
from dunmore.errors import PermissionDenied
from dunmore.i18n import N_, _m
from dunmore.ledger.models import BALANCES, CUSTOMERS, RANKS


class Permission(StrEnum):
    """One thing a user may do; its value reads `area.verb`."""

    LEDGER_READ = "ledger.read"
    LEDGER_IMPORT = "ledger.import"
    CUSTOMER_ACT = "customer.act"
    HOLD_SET = "hold.set"
    DISPUTE_SET = "dispute.set"
    RUN_READ = "run.read"
    RUN_PROPOSE = "run.propose"
    RUN_APPROVE = "run.approve"
    RUN_REVERT = "run.revert"
    NOTICE_REJECT = "notice.reject"
    DELIVERY_READ = "delivery.read"
    DELIVERY_RETRY = "delivery.retry"
    POLICY_READ = "policy.read"
    POLICY_LOAD = "policy.load"
    ALERT_READ = "alert.read"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    PORTFOLIO_MANAGE = "portfolio.manage"
    SETTINGS_MANAGE = "settings.manage"
    CREDIT_MANAGE = "credit.manage"
    PLAYBOOK_EDIT = "playbook.edit"
    CONTRACT_MANAGE = "contract.manage"


WHAT = {
    Permission.LEDGER_READ: N_("read customers, their items and the aging"),
    Permission.LEDGER_IMPORT: N_("import ledger files"),
    Permission.CUSTOMER_ACT: N_("record contacts, notes and promises on a customer"),
    Permission.HOLD_SET: N_("hold and release customers and invoices, stop or resume contact"),
    Permission.DISPUTE_SET: N_("record disputed amounts"),
    Permission.RUN_READ: N_("read runs and their notices"),
    Permission.RUN_PROPOSE: N_("propose the day's dunning run"),
    Permission.RUN_APPROVE: N_("approve a run's notices"),
    Permission.RUN_REVERT: N_("revert a committed run"),
    Permission.NOTICE_REJECT: N_("reject single notices of a run"),
    Permission.DELIVERY_READ: N_("read deliveries and dead letters"),
    Permission.DELIVERY_RETRY: N_("retry dead letters"),
    Permission.POLICY_READ: N_("read dunning policies"),
    Permission.POLICY_LOAD: N_("load a new dunning policy version"),
    Permission.ALERT_READ: N_("read their alerts"),
    Permission.AUDIT_READ: N_("read the audit log"),
    Permission.USERS_MANAGE: N_("add, disable and change users and their API tokens"),
    Permission.PORTFOLIO_MANAGE: N_(
        "assign customers to portfolios and hand portfolios over between collectors"
    ),
    Permission.SETTINGS_MANAGE: N_("change settings"),
    Permission.CREDIT_MANAGE: N_(
        "load the credit scorecard, compute grades, override a grade and release a credit hold"
    ),
    Permission.PLAYBOOK_EDIT: N_("edit the answers of the call playbook"),
    Permission.CONTRACT_MANAGE: N_(
        "record contracts, their events and signed files, and approve a colleague's schedule"
    ),
}


class Scope(StrEnum):
    """Which customers a role reaches."""

    ALL = "all customers"
    PORTFOLIOS = "customers of their portfolios"
    OWNED = "customers they own"


@dataclass(frozen=True)
class RoleRule:
    scope: Scope
    permissions: frozenset[Permission]


_READ = frozenset(
    {Permission.LEDGER_READ, Permission.RUN_READ, Permission.DELIVERY_READ, Permission.POLICY_READ}
)
_ADMIN_ONLY = frozenset({Permission.USERS_MANAGE, Permission.SETTINGS_MANAGE})
_COLLECTOR_ACTS = frozenset(
    {Permission.CUSTOMER_ACT, Permission.HOLD_SET, Permission.DISPUTE_SET, Permission.ALERT_READ}
    | {Permission.CONTRACT_MANAGE}
)

# The one table (see docs/design/access.md): a collector acts on their portfolios' customers but
# proposes, approves and rejects nothing of a run (a run spans every portfolio); sales read the
# customers they own and their alerts; a viewer reads, within what the other roles may read.
ROLES: dict[Role, RoleRule] = {
    Role.ADMIN: RoleRule(Scope.ALL, frozenset(Permission)),
    Role.MANAGER: RoleRule(Scope.ALL, frozenset(Permission) - _ADMIN_ONLY),
    Role.COLLECTOR: RoleRule(Scope.PORTFOLIOS, _READ | _COLLECTOR_ACTS),
    Role.SALES: RoleRule(Scope.OWNED, frozenset({Permission.LEDGER_READ, Permission.ALERT_READ})),
    Role.VIEWER: RoleRule(Scope.ALL, _READ),
}


def allows(user: User, permission: Permission) -> bool:
    """Whether `user` may do `permission` (a disabled user may do nothing)."""
    return not user.disabled and permission in ROLES[user.role].permissions


def require(user: User, permission: Permission) -> None:
    """Refuse, with `PermissionDenied`, what the user's role does not allow."""
    if user.disabled:
        raise PermissionDenied(
            _m(
                "user %(login)s is disabled and may do nothing: an administrator can add a new user",
                login=repr(user.login),
            )
        )
    if not allows(user, permission):
        raise PermissionDenied(
            _m(
                "user %(login)s (%(role)s) may not %(what)s (%(permission)s): ask an administrator for a "
                "role "
                "that allows it",
                login=repr(user.login),
                role=str(user.role),
                what=_m(WHAT[permission]),
                permission=str(permission),
            )
        )


def customer_scope(user: User, *, by_index: bool = True, on: Table = CUSTOMERS) -> ColumnElement[bool]:
    """The condition over `customers` that every query for this user adds: the one scoping rule.

    Collectors reach the customers of their portfolios, sales the customers whose `owner` is their
    login (compared without case, as logins are), the other roles every customer; a disabled user none.
    `by_index=False` says the same condition so that the database cannot answer it through the
    portfolio index: for a query that walks another index in order and stops at a page (the customer
    list), where SQLite without statistics would otherwise read and sort a whole portfolio.

    `on=BALANCES` says the same rule over `customer_balances`, whose rows carry their customer's
    portfolio and lower-cased owner: a sum over the summary then needs no join to `customers`;
    `on=RANKS` over the worklist's ranking keys (`worklist_ranks`), which carry them too.
    """
    scope = ROLES[user.role].scope
    if user.disabled:
        return false()
    if scope is Scope.PORTFOLIOS:
        if not user.portfolios:
            return false()
        portfolio = on.c.portfolio if by_index else func.coalesce(on.c.portfolio, "")
        return portfolio.in_(sorted(user.portfolios))
    if scope is Scope.OWNED:
        return _lower_owner(on) == user.login
    return true()


def _lower_owner(on: Table) -> ColumnElement[str]:
    """The owner of the rows of `on` without case: `customer_balances` and `worklist_ranks` store it
    lower-cased."""
    if on is BALANCES or on is RANKS:
        return on.c.owner
    if on is CUSTOMERS:
        return func.lower(on.c.owner)
    raise ValueError(
        f"the scoping rule applies to customers, customer_balances or worklist_ranks, not {on.name}"
    )


def role_table_markdown() -> str:
    """The role table as Markdown, one row per permission, one column per role."""
    roles = list(Role)
    lines = [
        "| permission | what it allows | " + " | ".join(roles) + " |",
        "|---|---|" + "---|" * len(roles),
        "| *scope* | which customers the role reaches | " + " | ".join(ROLES[r].scope for r in roles) + " |",
    ]
    for permission in Permission:
        marks = " | ".join("✓" if permission in ROLES[r].permissions else "" for r in roles)
        lines.append(f"| `{permission}` | {WHAT[permission]} | {marks} |")
    return "\n".join(lines) + "\n"
