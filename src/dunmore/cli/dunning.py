"""`dunmore policy …`, `run`, `approve`, `reject`, `explain`: the daily dunning cycle."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from dunmore.cli.context import (
    business_today,
    cli_actor,
    console,
    os_user,
    parse_as_of,
    reported,
    state,
    transaction,
    warn,
)
from dunmore.cli.headings import word
from dunmore.cli.language import _, language
from dunmore.errors import DunmoreError
from dunmore.i18n import _m
from dunmore.run.explain_text import LANGUAGES

if TYPE_CHECKING:  # the engine, Polars and the database load when a command runs, not for `--help`
    from dunmore.domain.policy import PolicySet

policy_app = typer.Typer(
    help="Dunning policies: check a YAML file, load it as a new version.", no_args_is_help=True
)
PolicyFile = Annotated[Path, typer.Argument(help="The policy file (YAML), e.g. examples/dunning.yaml.")]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="The business date, YYYY-MM-DD (default: today in the creditor's zone)."),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _ledger_currencies(ctx: typer.Context) -> set[str] | None:
    """The open items' currencies of the configured database, when one exists (None: no database)."""
    from sqlalchemy import make_url

    from dunmore.run import service

    url = make_url(state(ctx).settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None
    try:
        with transaction(state(ctx).engine()) as conn:
            return service.ledger_currencies(conn)
    except DunmoreError:
        return None


def _warn_currency_gaps(policies: PolicySet, ledger: set[str] | None) -> None:
    from dunmore.domain.policy_check import currency_gaps

    gaps = currency_gaps(policies, ledger or ())
    for gap in gaps:
        warn(gap.said.render(language()))
    checked = (
        _("%(count)s currency gap(s) against the policy set's currencies and the ledger's", count=len(gaps))
        if ledger is not None
        else _("%(count)s currency gap(s) against the policy set's currencies", count=len(gaps))
    )
    console.print(checked, style="dim", markup=False)


def _warn_unknown_reasons(ctx: typer.Context, policies: PolicySet) -> None:
    """Warn about reasons the next steps map that the workspace has no code for (when a database exists)."""
    from dunmore.domain.next_steps import unknown_outcomes, unknown_reasons
    from dunmore.workspace.codes import list_codes
    from dunmore.workspace.kinds import CodeKind

    try:
        with transaction(state(ctx).engine()) as conn:
            known = {code.code for code in list_codes(conn, kind=CodeKind.REASON)}
            outcomes = {code.code for code in list_codes(conn, kind=CodeKind.OUTCOME)}
    except DunmoreError:
        return
    steps = [(name, policy.next_steps) for name, policy in policies.policies.items()]
    for policy, reason in unknown_reasons(steps, known):
        warn(_("policy %(policy)s: next_steps maps reason %(reason)s, which no reason code has yet",
               policy=policy, reason=reason))  # fmt: skip
    for policy, outcome in unknown_outcomes(steps, outcomes):
        warn(_("policy %(policy)s: next_steps maps outcome %(outcome)s, which no outcome code has yet",
               policy=policy, outcome=outcome))  # fmt: skip


@policy_app.command("check")
def policy_check(ctx: typer.Context, path: PolicyFile) -> None:
    """Validate a policy file and show its policies; warn about currencies its fee and minimum maps
    leave out (against the database's open items too, when a database exists); writes nothing."""
    from rich.table import Table

    from dunmore.domain.policy import load_policy_file

    with reported():
        policies = load_policy_file(path)
        table = Table(
            _("policy"), _("reminders"), _("levels"), _("min. days apart"), _("interest"), title=str(path)
        )
        for name, policy in policies.policies.items():
            reminders = ", ".join(f"{s.name} ({s.at:+d})" for s in policy.reminders)
            levels = ", ".join(f"{s.name} (+{s.at})" for s in policy.levels)
            rate = f"{policy.interest_rate * 100}%" if policy.interest_rate is not None else "-"
            table.add_row(name, reminders, levels, str(policy.min_days_between_notices), rate)
        console.print(table)
        ledger = _ledger_currencies(ctx)
        _warn_currency_gaps(policies, ledger)
        if ledger is not None:  # a database exists: its reason codes are known
            _warn_unknown_reasons(ctx, policies)
        console.print(_("valid; fingerprint %(fingerprint)s", fingerprint=policies.fingerprint()[:12]))


@policy_app.command("load")
def policy_load(ctx: typer.Context, path: PolicyFile) -> None:
    """Validate a policy file and store it as the new current version (runs record which they used)."""
    from dunmore.run import service

    with reported(), transaction(state(ctx).engine()) as conn:
        loaded = service.load_policy(conn, path, now=_now(), actor=cli_actor())
        _warn_currency_gaps(loaded.policies, service.ledger_currencies(conn))
        console.print(
            _(
                "loaded %(path)s as policy version %(version)s (fingerprint %(fingerprint)s)",
                path=path,
                version=loaded.version,
                fingerprint=loaded.fingerprint[:12],
            )
        )


run_app = typer.Typer(
    help="Decide today's reminders and level notices; show them, and with --approve commit them. "
    "`dunmore run revert RUN` undoes a committed run whose deliveries have not gone out.",
    invoke_without_command=True,
)


@run_app.callback()
def run_command(
    ctx: typer.Context,
    as_of: AsOf = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Commit the run (without it, nothing is written).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the notices as JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Notices to show in the table.")] = 50,
    partitions: Annotated[
        int,
        typer.Option(
            min=1,
            max=4096,
            help="With --approve: read, decide and write the customers in this many parts (by a hash "
            "of the customer id), one after another in the one transaction, so that a ledger too big "
            "for memory runs in pieces. The decisions are the same.",
        ),
    ] = 1,
) -> None:
    """Decide today's reminders and level notices; show them, and with --approve commit them."""
    if ctx.invoked_subcommand is not None:
        return
    from dunmore.cli.headings import heading
    from dunmore.reports.render import rich_table, to_json
    from dunmore.run import service
    from dunmore.run.views import notices_json, notices_table_rows
    from dunmore.workspace.run_alerts import AlertRules

    with reported():
        settings = state(ctx).settings
        day = parse_as_of(as_of, settings)
        engine = state(ctx).engine()
        today, ahead = business_today(settings), settings.run.max_days_ahead
        templates = settings.delivery.templates_dir
        with transaction(engine, snapshot=True) as conn:
            if approve:
                outcome = service.commit(conn, as_of=day, today=today, now=_now(), actor=cli_actor(),
                                         max_days_ahead=ahead, templates_dir=templates,
                                         partitions=partitions,
                                         alerting=AlertRules.of(settings.workspace))  # fmt: skip
            else:
                outcome = service.propose(conn, as_of=day, today=today, max_days_ahead=ahead)
            if as_json:
                typer.echo(to_json(notices_json(conn, outcome.notices, outcome.decisions)))
                return
            rows = notices_table_rows(conn, outcome.notices, outcome.decisions)
        money = ["open", "interest", "fee"]
        verb = _("Run for %(date)s with policy version %(version)s: %(count)s notices committed")
        if not outcome.committed:
            verb = _("Run for %(date)s with policy version %(version)s: %(count)s notices proposed")
        title = verb % {"date": day.isoformat(), "version": outcome.policy.version, "count": rows.height}
        console.print(rich_table(rows.head(limit), title=title, money=money, heading=heading))
        if rows.height > limit:
            shown = _("showing %(limit)s of %(count)s; --json for all", limit=limit, count=rows.height)
            console.print(shown, style="dim", markup=False)
        if not outcome.committed:
            console.print(
                _("nothing was written; add --approve to commit this run"), style="dim", markup=False
            )
        elif (run_id := outcome.run_id) is not None:
            console.print(
                _(
                    "committed as run %(run)s; until its deliveries go out, `dunmore run revert %(run)s` "
                    "undoes it",
                    run=run_id,
                ),
                style="dim",
                markup=False,
            )


@run_app.command("revert")
def revert_command(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run id printed when the run committed.")],
) -> None:
    """Undo the latest committed run whose deliveries have not gone out yet (its record stays)."""
    from dunmore.run.revert import revert

    with reported(), transaction(state(ctx).engine()) as conn:
        done = revert(conn, run_id, now=_now(), actor=cli_actor())
        said = _(
            "run %(run)s (%(date)s) reverted: %(notices)s notice(s) marked reverted, %(deliveries)s "
            "delivery(ies) cancelled, %(charges)s fee or interest item(s) removed, %(levels)s invoice "
            "level(s) put back",
            run=done.run_id, date=done.as_of.isoformat(), notices=done.notices,
            deliveries=done.deliveries_cancelled, charges=done.charges_removed, levels=done.levels_restored,
        )  # fmt: skip
        console.print(said, highlight=False, soft_wrap=True)


NoticeId = Annotated[int, typer.Argument(help="The notice id shown by `dunmore run`.")]


Reason = Annotated[
    str | None,
    typer.Option("--reason", help="Why the notice is rejected (required; `explain` shows it)."),
]
By = Annotated[
    str | None,
    typer.Option("--by", help="Who decides, as recorded with the notice (default: your login name)."),
]


def _person(by: str | None) -> str:
    """Who decides, as kept with the notice: `--by`, else the login name of the session. `--by` is a
    claim: the audit row's actor is always the session's `cli:<os user>`, with `by` in its `after`."""
    return by or os_user()


def approve_command(ctx: typer.Context, notice_id: NoticeId, by: By = None) -> None:
    """Approve a notice waiting for approval: it applies as of its run date."""
    from dunmore.run import service
    from dunmore.workspace.run_alerts import AlertRules

    with reported(), transaction(state(ctx).engine()) as conn:
        settings = state(ctx).settings
        service.approve(conn, notice_id, now=_now(), by=_person(by), actor=cli_actor(),
                        templates_dir=settings.delivery.templates_dir,
                        alerting=AlertRules.of(settings.workspace))  # fmt: skip
        console.print(_("notice %(notice)s approved", notice=notice_id))


def reject_command(ctx: typer.Context, notice_id: NoticeId, reason: Reason = None, by: By = None) -> None:
    """Reject a notice waiting for approval: it changes nothing, and its step is not proposed again
    until the customer's dunned amount grows above the notice's or someone runs `dunmore reopen`."""
    from dunmore.run import service

    with reported():
        with transaction(state(ctx).engine()) as conn:
            service.reject(
                conn, notice_id, reason=reason or "", by=_person(by), now=_now(), actor=cli_actor()
            )
        console.print(
            _(
                "notice %(notice)s rejected; `dunmore reopen %(notice)s` lets the run propose it again",
                notice=notice_id,
            )
        )


def reopen_command(ctx: typer.Context, notice_id: NoticeId, by: By = None) -> None:
    """Lift a rejection: the next run may propose that step for the customer again."""
    from dunmore.run import service

    with reported(), transaction(state(ctx).engine()) as conn:
        lifted = service.reopen(conn, notice_id, by=_person(by), now=_now(), actor=cli_actor())
        console.print(
            _(
                "notice %(notice)s reopened (%(count)s rejection(s) of its step lifted)",
                notice=notice_id,
                count=lifted,
            )
        )


def explain_command(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer_id (as in your import files).")],
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
    lang: Annotated[str, typer.Option(help=f"Language of the sentences: {', '.join(LANGUAGES)}.")] = "zh-CN",
) -> None:
    """Why each open item of a customer is where it is, and what comes next on which date."""
    from dunmore.reports.render import to_json
    from dunmore.run.explain import explain

    with reported():
        day = parse_as_of(as_of, state(ctx).settings)
        with transaction(state(ctx).engine()) as conn:
            stories = explain(conn, customer=customer, as_of=day, lang=lang)
        if as_json:
            payload = [
                {"invoice_id": s.invoice_id, "reasons": s.reasons, "text": s.sentences, **s.facts}
                for s in stories
            ]
            typer.echo(to_json({"customer_id": customer, "as_of": day.isoformat(), "items": payload}))
            return
        if not stories:
            console.print(
                _("%(customer)s has no open item on %(date)s", customer=customer, date=day.isoformat())
            )
        for story in stories:
            facts = story.facts
            said = _m(
                "%(kind)s %(amount)s %(currency)s, due %(due)s (%(days)s days), level %(level)s",
                kind=word("item_kind", facts["kind"], lang),
                amount=facts["open_amount"], currency=facts["currency"],
                due=facts["due_date"], days=format(facts["days_past_due"], "+d"), level=facts["level"],
            ).render(lang)  # fmt: skip
            console.print(f"[bold]{escape(story.invoice_id)}[/] {escape(said)}", highlight=False)
            for sentence in story.sentences:
                console.print(f"  · {sentence}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
    app.add_typer(run_app, name="run")
    app.command("approve")(approve_command)
    app.command("reject")(reject_command)
    app.command("reopen")(reopen_command)
    app.command("explain")(explain_command)
