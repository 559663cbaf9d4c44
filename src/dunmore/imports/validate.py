"""Validating a whole import file at once: typed rows plus every problem, with line, column and reason.

`validate` is pure: it takes the file's rows (text, named by column, with `line`) and what the
database already holds (a `Ledger` of frames read by the service) and returns a `Checked`. Every
rule is a Polars expression that gives a reason or null, evaluated over all rows at once; nothing
stops at the first error. Identical duplicate rows are collapsed; an id repeated with different
values is a problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dunmore.domain.money_frames import minor_to_text
from dunmore.errors import ImportProblem
from dunmore.i18n import N_
from dunmore.imports.columns import SPECS, Kind
from dunmore.imports.fields import FIELDS, Field, dtype, stored_columns, stored_name
from dunmore.imports.parsing import EXPONENT, currency_exponents, exponent_of, first_reason, refuse, said
from dunmore.imports.reading import LINE
from dunmore.ledger.models import OWN_CREDIT_NOTE_ID, RUN_ITEM_ID

OLD = "old:"
# PostgreSQL cannot store a NUL character in text, and no ledger value has one: it is a broken export.
NUL_REASON = "contains a NUL character (\\x00), which no database stores: remove it and import again"
_PROBLEM_SCHEMA = {LINE: pl.Int64, "column": pl.String, "reason": pl.String, "value": pl.String}


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the database holds, as far as an import needs to know.

    `customers`: external_id, id. `invoices`: external_id, id, customer_id, customer_ref, currency.
    `stored`: the rows of the kind being imported: id, external_id and every stored column.
    """

    customers: pl.DataFrame
    invoices: pl.DataFrame
    stored: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Rule:
    """A check on whole rows: the column a problem is reported on, and its reason (null if fine)."""

    column: str
    reason: pl.Expr


@dataclass(frozen=True, slots=True)
class Checked:
    """Typed rows (`id` null for new ones, stored values as `old:…`), problems, collapsed duplicates."""

    rows: pl.DataFrame
    problems: list[ImportProblem]
    duplicates: int


def _raw(column: str) -> str:
    return f"?{column}"


def _reason(column: str) -> str:
    return f"!{column}"


def validate(rows: pl.DataFrame, kind: Kind, ledger: Ledger) -> Checked:
    """Check every row of an import file of this kind against itself and the database."""
    present = [field for field in FIELDS[kind] if field.column in rows.columns]
    cells = _parse(rows, present, SPECS[kind].required)
    found = [_cell_problems(cells, [field.column for field in present])]
    typed = _complete(_resolve(cells, ledger), kind, present, ledger.stored)
    typed = _with_invoice_facts(typed, ledger.invoices)
    found.append(_rule_problems(typed, _rules(kind, {field.column for field in present})))
    problems = pl.concat(found)
    clean = (
        typed.join(problems.select(LINE), on=LINE, how="anti", maintain_order="left")
        if problems.height
        else typed
    )
    unique, conflicts = _deduplicate(clean, kind, present)
    problems = pl.concat([problems, conflicts]).sort(LINE, "column", "reason")
    listed = [
        ImportProblem(line, column, reason, value or "")
        for line, column, reason, value in problems.iter_rows()
    ]
    return Checked(unique, listed, clean.height - unique.height)


def _parse(rows: pl.DataFrame, present: list[Field], required: tuple[str, ...]) -> pl.DataFrame:
    """Typed values, reasons and raw text of every present column, in a few passes over the rows."""
    if "currency" not in rows.columns:  # amounts then have no exponent, and the rules say why
        rows = rows.with_columns(pl.lit(None, pl.String).alias("currency"))
    cells = {field.column: field.parse(field.column) for field in present}
    selected: list[pl.Expr] = [pl.col(LINE)]
    for field in present:
        cell, raw = cells[field.column], pl.col(field.column)
        default = pl.lit(field.default, dtype(stored_name(field.target)))
        value = cell.value if field.default is None else pl.coalesce(cell.value, default)
        empty = refuse(raw.is_null(), N_("empty %(column)s: every row needs one") % {"column": field.column})
        reason = first_reason(empty, cell.reason) if field.column in required else cell.reason
        reason = first_reason(refuse(raw.str.contains("\x00", literal=True), NUL_REASON), reason)
        selected += [
            value.alias(field.target),
            reason.alias(_reason(field.column)),
            raw.alias(_raw(field.column)),
        ]
    masked = [
        pl.when(pl.col(_reason(f.column)).is_null()).then(pl.col(f.target)).alias(f.target) for f in present
    ]
    steps = [step for cell in cells.values() for step in cell.steps]
    lazy = (
        rows.lazy().with_columns(exponent_of("currency").alias(EXPONENT)).with_columns(steps).select(selected)
    )
    return lazy.with_columns(masked).collect()


def _cell_problems(cells: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    faulty = [c for c in columns if cells.get_column(_reason(c)).null_count() < cells.height]
    frames = [
        cells.filter(pl.col(_reason(c)).is_not_null()).select(
            LINE, column=pl.lit(c), reason=_reason(c), value=_raw(c)
        )
        for c in faulty
    ]
    return pl.concat([pl.DataFrame(schema=_PROBLEM_SCHEMA), *frames])


def _resolve(cells: pl.DataFrame, ledger: Ledger) -> pl.DataFrame:
    """Database ids for the customer and invoice ids written in the file."""
    if "customer_ref" in cells.columns:
        customers = ledger.customers.select(customer_ref="external_id", customer_id="id")
        cells = cells.join(customers, on="customer_ref", how="left", maintain_order="left")
    if "invoice_ref" in cells.columns:
        invoices = ledger.invoices.select(invoice_ref="external_id", invoice_id="id")
        cells = cells.join(invoices, on="invoice_ref", how="left", maintain_order="left")
    return cells


def _complete(cells: pl.DataFrame, kind: Kind, present: list[Field], stored: pl.DataFrame) -> pl.DataFrame:
    """Join the stored rows; an absent column keeps the stored value, or takes the default if new."""
    old = stored.rename({c: OLD + c for c in stored.columns if c not in ("id", "contact_id", "external_id")})
    frame = cells.join(old, on="external_id", how="left", maintain_order="left")
    given = {stored_name(field.target) for field in present}
    filled = [
        pl.when(pl.col("id").is_null())
        .then(pl.lit(field.default, dtype(name)))
        .otherwise(pl.col(OLD + name))
        .alias(name)
        for field in FIELDS[kind]
        if (name := stored_name(field.target)) not in given
    ]
    return frame.with_columns(filled)


def _with_invoice_facts(typed: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """The currency and customer of the invoice a payment or credit note names."""
    if "invoice_id" not in typed.columns:
        return typed
    facts = invoices.select(
        invoice_id="id",
        invoice_currency="currency",
        invoice_customer="customer_id",
        invoice_owner="customer_ref",
    )
    return typed.join(facts, on="invoice_id", how="left", maintain_order="left")


def _rule_problems(typed: pl.DataFrame, rules: list[Rule]) -> pl.DataFrame:
    def value(column: str) -> pl.Expr:
        name = _raw(column)
        return pl.col(name) if name in typed.columns else pl.lit(None, pl.String)

    frames = [
        typed.lazy()
        .select(LINE, column=pl.lit(rule.column), reason=rule.reason, value=value(rule.column))
        .filter(pl.col("reason").is_not_null())
        for rule in rules
    ]
    return pl.concat([pl.DataFrame(schema=_PROBLEM_SCHEMA).lazy(), *frames]).collect()


def _rules(kind: Kind, present: set[str]) -> list[Rule]:
    if kind is Kind.CUSTOMERS:
        return _customer_rules(present)
    rules = [_known_customer()]
    if kind is Kind.INVOICES:
        return [*rules, *_invoice_rules(present)]
    if kind is Kind.CREDIT_NOTES:
        rules.append(_own_credit_note_rule())
    return [*rules, *_settlement_rules("invoice_id" in present)]


def _own_credit_note_rule() -> Rule:
    """The credit notes Dunmore makes (a dispute's, a waiver's) keep their ids: an import neither
    adds one nor changes one."""
    reason = N_(
        "credit_note_id has the form CN-DSP-n or CN-WVR-n that Dunmore keeps for the credit notes it "
        "makes (disputes, waivers): give the credit note another id"
    )
    return Rule("credit_note_id", refuse(pl.col("external_id").str.contains(OWN_CREDIT_NOTE_ID), reason))


def _known_customer() -> Rule:
    unknown = pl.col("customer_ref").is_not_null() & pl.col("customer_id").is_null()
    return Rule("customer_id", refuse(unknown, N_("unknown customer: import it in a customers file first")))


def _customer_rules(present: set[str]) -> list[Rule]:
    if "credit_limit" not in present:
        return [_credit_currency_kept()] if "currency" in present else []
    no_currency = pl.col(_raw("credit_limit")).is_not_null()
    if "currency" in present:
        no_currency &= pl.col(_raw("currency")).is_null()
    column = "currency" if "currency" in present else "credit_limit"
    return [Rule(column, refuse(no_currency, N_("credit_limit needs a currency: fill the currency column")))]


def _credit_currency_kept() -> Rule:
    """Without a credit_limit column, the stored limit must keep its currency."""
    other = pl.col("credit_limit_minor").is_not_null() & pl.col("id").is_not_null()
    other &= ~pl.col("credit_currency").eq_missing(pl.col(OLD + "credit_currency"))
    reason = N_("currency would change the currency of the stored credit limit: add the credit_limit column")
    return Rule("currency", refuse(other, reason))


def _invoice_rules(present: set[str]) -> list[Rule]:
    late = said(
        N_("issue_date after due_date %(due)s: the due date is on or after the issue date"),
        due=pl.col("due_date"),
    )
    return [
        *_run_item_rules(),
        *_dunned_invoice_rules(),
        Rule("issue_date", refuse(pl.col("issue_date") > pl.col("due_date"), late)),
        _at_most_amount("disputed_amount", "disputed_minor", present),
        _at_most_amount("open_amount", "snapshot_open_minor", present),
    ]


def _run_item_rules() -> list[Rule]:
    """Fee and interest items are the run's own, and so are the ids it gives them."""
    external_id, kind = pl.col("external_id"), pl.col(OLD + "kind")
    charged = pl.format(
        "{} is a {} item the dunning run charged; it cannot be imported or changed: leave the row out "
        "of the file (a payment or credit note naming it settles it)",
        external_id,
        kind,
    )
    reserved = pl.format(
        "{} has the form FEE-n or INT-n that the dunning run keeps for its fee and interest items: "
        "give the invoice another id (for example with your ERP's prefix)",
        external_id,
    )
    new_reserved = pl.col("id").is_null() & external_id.str.contains(RUN_ITEM_ID)
    return [
        Rule("invoice_id", refuse(kind.is_not_null() & (kind != "invoice"), charged)),
        Rule("invoice_id", refuse(new_reserved, reserved)),
    ]


def _dunned_invoice_rules() -> list[Rule]:
    """A dunned invoice keeps its customer and currency: its level was earned by them."""
    dunned = pl.col(OLD + "dunned").fill_null(value=False) & (pl.col(OLD + "kind") == "invoice")
    level = pl.col(OLD + "level")
    how = pl.when(level > 0).then(pl.format("at level {}", level)).otherwise(pl.lit("by a reminder"))
    fix = "issue a credit note for it and import the new invoice under a new invoice_id"
    currency = pl.format(
        "{} has been dunned {} in {}: its currency cannot change to {}; " + fix,
        pl.col("external_id"),
        how,
        pl.col(OLD + "currency"),
        pl.col("currency"),
    )
    customer = pl.format(
        "{} has been dunned {} for another customer: it cannot move to {}; " + fix,
        pl.col("external_id"),
        how,
        pl.col("customer_ref"),
    )
    moved = dunned & (pl.col("customer_id") != pl.col(OLD + "customer_id"))
    return [
        Rule("currency", refuse(dunned & (pl.col("currency") != pl.col(OLD + "currency")), currency)),
        Rule("customer_id", refuse(moved, customer)),
    ]


def _at_most_amount(column: str, target: str, present: set[str]) -> Rule:
    """A part of the amount (disputed, ERP open) is at most the amount.

    When the file has the column, the cell is wrong; when it has not, the stored value is kept and
    the new amount is what conflicts with it, so the problem is on `amount` and says so.
    """
    above = pl.col(target) > pl.col("amount_minor")
    if column in present:
        above_text = N_("%(column)s greater than amount: it can be at most the amount") % {"column": column}
        return Rule(column, refuse(above, above_text))
    stored = {
        "disputed_minor": "the {} in dispute on this invoice: end or lower the dispute first with "
        "`dunmore dispute {} AMOUNT`, or add a disputed_amount column",
        "snapshot_open_minor": "the open amount {} an earlier import gave this invoice: add an "
        "open_amount column with what is open on {} now (empty for none)",
    }[target]
    reason = pl.format(
        "the new amount {} is below " + stored,
        _as_text("amount_minor"),
        _as_text(target),
        pl.col("external_id"),
    )
    return Rule("amount", refuse(above, reason))


def _as_text(minor: str) -> pl.Expr:
    return minor_to_text(minor, "currency", list(currency_exponents()))


def _settlement_rules(names_invoices: bool) -> list[Rule]:
    named = pl.col("invoice_id").is_not_null()
    other_currency = named & (pl.col("currency") != pl.col("invoice_currency"))
    other_customer = named & (pl.col("customer_id") != pl.col("invoice_customer"))
    rules = [
        Rule(
            "currency",
            refuse(
                other_currency,
                said(
                    N_("currency mismatch: the invoice is in %(currency)s"),
                    currency=pl.col("invoice_currency"),
                ),
            ),
        ),
        Rule(
            "invoice_id",
            refuse(
                other_customer,
                said(
                    N_("customer mismatch: the invoice belongs to customer %(customer)s"),
                    customer=pl.col("invoice_owner"),
                ),
            ),
        ),
    ]
    if names_invoices:
        unknown = pl.col("invoice_ref").is_not_null() & pl.col("invoice_id").is_null()
        reason = N_("unknown invoice: import the invoice first, or leave invoice_id empty")
        rules.append(Rule("invoice_id", refuse(unknown, reason)))
    return rules


def _deduplicate(clean: pl.DataFrame, kind: Kind, present: list[Field]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Collapse identical rows; report rows whose id came before with different values."""
    if clean.get_column("external_id").n_unique() == clean.height:
        return clean, pl.DataFrame(schema=_PROBLEM_SCHEMA)
    id_column = SPECS[kind].id_column
    content = [
        "external_id",
        *(stored_name(field.target) for field in present if field.target != "external_id"),
    ]
    unique = clean.unique(subset=content, keep="first", maintain_order=True)
    repeated = unique.filter(pl.col("external_id").is_duplicated())
    first = repeated.group_by("external_id").agg(pl.col(LINE).min().alias("first"))
    duplicate = N_(
        "duplicate %(column)s with different values (first on line %(line)s): keep one row per %(column)s"
    )
    reason = said(duplicate.replace("%(column)s", id_column), line=pl.col("first"))
    conflicts = (
        repeated.join(first, on="external_id")
        .filter(pl.col(LINE) != pl.col("first"))
        .select(LINE, column=pl.lit(id_column), reason=reason, value="external_id")
    )
    return unique, conflicts


def changed(kind: Kind) -> pl.Expr:
    """True for a stored row whose file values differ from what is stored."""
    names = [name for name in stored_columns(kind) if name != "external_id"]
    return pl.any_horizontal(~pl.col(name).eq_missing(pl.col(OLD + name)) for name in names)
