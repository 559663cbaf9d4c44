"""`dunmore users …` and `dunmore audit …`: who may sign in, their API tokens, and the audit log.

Changes are made in the name of the person at the terminal, `cli:<os user>`, and each is one audit row.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dunmore.access.values import Language, Role, User
from dunmore.cli.context import cli_actor, console, reported, state, transaction
from dunmore.cli.language import _
from dunmore.errors import AccessError, AuditChainBroken
from dunmore.i18n import _m

if TYPE_CHECKING:  # argon2 and the database load when a command runs, not for `--help`
    from dunmore.access.audit import AuditRow

users_app = typer.Typer(
    help="Users who sign in, their roles, portfolios and API tokens.", no_args_is_help=True
)
audit_app = typer.Typer(
    help="The audit log: who did what, when; check that nothing was changed.", no_args_is_help=True
)

Login = Annotated[
    str, typer.Argument(help="The user's login (2-64 letters, digits, . _ @ -; case is ignored).")
]
Portfolios = Annotated[
    list[str] | None,
    typer.Option(
        "--portfolio",
        help="A portfolio the collector works (repeat for several), as in the customers' portfolio column.",
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input instead of asking."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="JSON for machines.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _password(login: str, from_stdin: bool) -> str:
    if not from_stdin:
        return str(
            typer.prompt(_("Password for %(login)s", login=login), hide_input=True, confirmation_prompt=True)
        )
    line = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    if not line:
        raise AccessError(
            _m("--password-stdin read no password: pipe it in, e.g. `printf '%s\\n' \"$PW\" | dunmore …`")
        )
    return line


@users_app.command("add")
def add(
    ctx: typer.Context,
    login: Login,
    role: Annotated[Role, typer.Option("--role", help="What the user may do (see docs/design/access.md).")],
    portfolio: Portfolios = None,
    lang: Annotated[
        Language, typer.Option("--lang", help="The language the user reads Dunmore in.")
    ] = Language.ZH_CN,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user; asks for the password twice (hidden) unless --password-stdin."""
    from dunmore.access import service

    with reported():
        password = _password(login, password_stdin)
        with transaction(state(ctx).engine()) as conn:
            user = service.add_user(conn, login=login, role=role, password=password, language=lang,
                                    portfolios=portfolio or [], actor=cli_actor(), at=_now())  # fmt: skip
    console.print(_("user %(login)s added as %(role)s", login=user.login, role=user.role.value))


def _user_json(user: User) -> dict[str, Any]:
    return {**asdict(user), "portfolios": sorted(user.portfolios), "created_at": user.created_at.isoformat()}


@users_app.command("list")
def list_users(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List the users: login, role, portfolios, language, whether disabled."""
    from rich.table import Table

    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        users = service.list_users(conn)
    if as_json:
        console.print_json(json.dumps([_user_json(user) for user in users], ensure_ascii=False))
        return
    table = Table(_("login"), _("role"), _("portfolios"), _("language"), _("status"), _("created"))
    for user in users:
        status = "disabled" if user.disabled else "active"
        table.add_row(user.login, user.role.value, ", ".join(sorted(user.portfolios)), user.language.value,
                      status, f"{user.created_at:%Y-%m-%d}")  # fmt: skip
    console.print(table)


@users_app.command("disable")
def disable(ctx: typer.Context, login: Login) -> None:
    """Disable a user: no sign-in, and none of their API tokens works any more."""
    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        user = service.disable_user(conn, login=login, actor=cli_actor(), at=_now())
    console.print(_("user %(login)s disabled", login=user.login))


@users_app.command("set-password")
def set_password(ctx: typer.Context, login: Login, password_stdin: PasswordStdin = False) -> None:
    """Give a user a new password; asks for it twice (hidden) unless --password-stdin."""
    from dunmore.access import service

    with reported():
        password = _password(login, password_stdin)
        with transaction(state(ctx).engine()) as conn:
            service.set_password(conn, login=login, password=password, actor=cli_actor(), at=_now())
    console.print(_("password of %(login)s changed", login=login.lower()))


@users_app.command("set-portfolios")
def set_portfolios(ctx: typer.Context, login: Login, portfolio: Portfolios = None) -> None:
    """Replace the portfolios a collector works."""
    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        user = service.set_portfolios(
            conn, login=login, portfolios=portfolio or [], actor=cli_actor(), at=_now()
        )
    portfolios = ", ".join(sorted(user.portfolios)) or "—"
    console.print(_("%(login)s works the portfolios %(portfolios)s", login=user.login, portfolios=portfolios))


@users_app.command("token")
def token(
    ctx: typer.Context,
    login: Login,
    name: Annotated[str, typer.Option("--name", help="A name to tell the token by, e.g. erp-sync.")] = "api",
) -> None:
    """Make an API bearer token for a user and print it, once: only its hash is kept."""
    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        made = service.create_token(conn, login=login, name=name, actor=cli_actor(), at=_now())
    typer.echo(made.secret)
    typer.echo(
        _(
            "token %(name)s of %(login)s: keep it now, it is not shown again",
            name=repr(made.name),
            login=login.lower(),
        ),
        err=True,
    )


@users_app.command("revoke-token")
def revoke_token(
    ctx: typer.Context, login: Login, name: Annotated[str, typer.Argument(help="The token's name.")]
) -> None:
    """Revoke a user's API token: from now on it is refused."""
    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        service.revoke_token(conn, login=login, name=name, actor=cli_actor(), at=_now())
    console.print(_("token %(name)s of %(login)s revoked", name=repr(name), login=login.lower()))


def _moment(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


@users_app.command("tokens")
def tokens(ctx: typer.Context, login: Login) -> None:
    """List a user's API tokens: names and dates, never the token."""
    from rich.table import Table

    from dunmore.access import service

    with reported(), transaction(state(ctx).engine()) as conn:
        found = service.list_tokens(conn, login=login)
    table = Table(_("name"), _("created"), _("last used"), _("revoked"))
    for info in found:
        table.add_row(
            info.name, _moment(info.created_at), _moment(info.last_used_at), _moment(info.revoked_at)
        )
    console.print(table)


@audit_app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Walk the audit log's hash chain; exit non-zero naming the first row that breaks it."""
    from dunmore.access import audit
    from dunmore.credit.limits import gradings_with_changed_holds

    with reported():
        with transaction(state(ctx).engine()) as conn:
            result = audit.verify(conn)
            changed = gradings_with_changed_holds(conn) if result.broken is None else []
        if result.broken is not None:
            held = (
                _m("the 1 row before it holds")
                if result.rows == 1
                else _m("the %(count)s rows before it hold", count=result.rows)
            )
            raise AuditChainBroken(
                _m(
                    "the audit log is broken at row %(row)s: %(reason)s; %(held)s. Restore the log from a "
                    "backup and find out who changed the database",
                    row=result.broken.row_id,
                    reason=result.broken.reason,
                    held=held,
                )
            )
        if changed:  # a grading is one row: the holds it set are checked against the digest it holds
            raise AuditChainBroken(
                _m(
                    "the credit holds of the grading at audit row %(rows)s no longer match the digest "
                    "that row holds: holds were added, removed or changed in the database. Restore "
                    "them from a backup and find out who changed the database",
                    rows=", ".join(map(str, changed)),
                )
            )
    said = _(
        "the audit log holds: %(rows)s rows, head hash %(hash)s", rows=result.rows, hash=result.head_hash
    )
    console.print(said, soft_wrap=True)


def _row_json(row: AuditRow) -> dict[str, Any]:
    decoded = {
        name: None if value is None else json.loads(value)
        for name, value in (("before", row.before), ("after", row.after))
    }
    return {**asdict(row), **decoded, "at": row.at.isoformat()}


@audit_app.command("list")
def list_rows(
    ctx: typer.Context,
    object: Annotated[
        str | None,
        typer.Option("--object", help="Only rows about this object, e.g. customer:C0001 or user:alice."),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Only rows by this actor: a login, system, or cli:<os user>."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10000, help="At most this many rows, newest first.")
    ] = 50,
    as_json: AsJson = False,
) -> None:
    """Show the newest rows of the audit log."""
    from rich.table import Table

    from dunmore.access import audit

    with reported(), transaction(state(ctx).engine()) as conn:
        rows = audit.list_rows(conn, object=object, actor=actor, limit=limit)
    if as_json:
        console.print_json(json.dumps([_row_json(row) for row in rows], ensure_ascii=False))
        return
    table = Table()
    for column in (_("id"), _("when"), _("by"), _("action"), _("object"), _("before"), _("after")):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id), _moment(row.at), row.actor, row.action, row.object, row.before or "", row.after or ""
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    from dunmore.cli.alerts import set_email  # the address alerts go to: written beside them

    users_app.command("set-email")(set_email)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
