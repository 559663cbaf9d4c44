"""The demo portfolio generator: reproducible, internally consistent and realistic enough to demo.

Invariants are checked on a fixed 500-customer portfolio and, with hypothesis, on small portfolios for
any seed, as-of date and history length.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunmore.demo.archetypes import ARCHETYPES, SILENT_DEFAULTER
from dunmore.demo.generator import DemoPortfolio, generate
from dunmore.domain.money import exponent, known_currencies

AS_OF = date(2026, 6, 30)
YUAN_PER_UNIT = {"CNY": 1.0, "USD": 7.2, "EUR": 7.8, "JPY": 0.048}
BUCKETS = ("not due", "1-30", "31-60", "61-90", "91-180", ">180")
LOCALES = {
    ("zh-CN", "Asia/Shanghai", "CN"),
    ("zh-TW", "Asia/Taipei", "TW"),
    ("zh-TW", "Asia/Hong_Kong", "HK"),
    ("en", "America/New_York", "US"),
    ("en", "Europe/Berlin", "DE"),
    ("en", "Asia/Tokyo", "JP"),
}
PHONE_PREFIX = {"CN": "+86 1", "TW": "+886 9", "HK": "+852 ", "US": "+1 ", "DE": "+49 ", "JP": "+81 "}
ID_PATTERNS = {
    "customers": r"^C\d{6,}$",
    "invoices": r"^INV-\d{4}-\d{6,}$",
    "payments": r"^PAY-\d{4}-\d{6,}$",
    "credit_notes": r"^CN-\d{4}-\d{6,}$",
}
FLOW_SCHEMA = {
    "external_id": pl.String,
    "customer_external_id": pl.String,
    "date": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "invoice_external_id": pl.String,
}
SCHEMAS: dict[str, dict[str, type[pl.DataType]]] = {
    "customers": {
        "external_id": pl.String,
        "name": pl.String,
        "language": pl.String,
        "timezone": pl.String,
        "country": pl.String,
        "grade": pl.String,
        "tags": pl.String,
        "credit_limit_minor": pl.Int64,
        "credit_currency": pl.String,
        "owner": pl.String,
        "industry": pl.String,
        "archetype": pl.String,
    },
    "contacts": {
        "customer_external_id": pl.String,
        "name": pl.String,
        "email": pl.String,
        "phone": pl.String,
        "address": pl.String,
        "preferred_channel": pl.String,
        "is_primary": pl.Boolean,
    },
    "invoices": {
        "external_id": pl.String,
        "customer_external_id": pl.String,
        "issue_date": pl.Date,
        "due_date": pl.Date,
        "currency": pl.String,
        "amount_minor": pl.Int64,
        "disputed_minor": pl.Int64,
    },
    "payments": FLOW_SCHEMA,
    "credit_notes": FLOW_SCHEMA,
}


@pytest.fixture(scope="module")
def portfolio() -> DemoPortfolio:
    return generate(customers=500, seed=7, as_of=AS_OF)


def _frames(portfolio: DemoPortfolio) -> dict[str, pl.DataFrame]:
    return {name: getattr(portfolio, name) for name in SCHEMAS}


def _flows(portfolio: DemoPortfolio) -> pl.DataFrame:
    return pl.concat([portfolio.payments, portfolio.credit_notes])


def _settled_by_reference(portfolio: DemoPortfolio) -> pl.DataFrame:
    """Invoices with the sum of the payments and credit notes that name them (`settled`)."""
    named = _flows(portfolio).filter(pl.col("invoice_external_id").is_not_null())
    settled = named.group_by("invoice_external_id").agg(pl.col("amount_minor").sum().alias("settled"))
    joined = portfolio.invoices.join(
        settled, left_on="external_id", right_on="invoice_external_id", how="left"
    )
    return joined.with_columns(pl.col("settled").fill_null(0))


def _open_items(portfolio: DemoPortfolio) -> pl.DataFrame:
    """Invoices with `open`: referenced documents applied first, then unreferenced ones oldest-due first."""
    unnamed = _flows(portfolio).filter(pl.col("invoice_external_id").is_null())
    unapplied = unnamed.group_by("customer_external_id").agg(pl.col("amount_minor").sum().alias("unapplied"))
    rest = (pl.col("amount_minor") - pl.col("settled")).clip(lower_bound=0)
    return (
        _settled_by_reference(portfolio)
        .join(unapplied, on="customer_external_id", how="left")
        .with_columns(pl.col("unapplied").fill_null(0), rest.alias("rest"))
        .sort("due_date", "external_id")
        .with_columns(before=pl.col("rest").cum_sum().over("customer_external_id") - pl.col("rest"))
        .with_columns(applied=(pl.col("unapplied") - pl.col("before")).clip(0, None))
        .with_columns(open=pl.col("rest") - pl.min_horizontal("applied", "rest"))
    )


def _bucket(as_of: date) -> pl.Expr:
    days = (pl.lit(as_of) - pl.col("due_date")).dt.total_days()
    return (
        pl.when(days <= 0)
        .then(pl.lit("not due"))
        .when(days <= 30)
        .then(pl.lit("1-30"))
        .when(days <= 60)
        .then(pl.lit("31-60"))
        .when(days <= 90)
        .then(pl.lit("61-90"))
        .when(days <= 180)
        .then(pl.lit("91-180"))
        .otherwise(pl.lit(">180"))
    )


# --- invariants, shared by the fixed portfolio and the property test ---------------------------------


def check_schemas(portfolio: DemoPortfolio) -> None:
    for name, frame in _frames(portfolio).items():
        assert dict(frame.schema) == SCHEMAS[name], name


def check_ids_unique_and_readable(portfolio: DemoPortfolio) -> None:
    for name, pattern in ID_PATTERNS.items():
        ids = _frames(portfolio)[name].get_column("external_id")
        assert ids.is_unique().all(), name
        assert ids.str.contains(pattern).all(), name


def check_references_exist(portfolio: DemoPortfolio) -> None:
    customers = portfolio.customers.get_column("external_id")
    for name in ("contacts", "invoices", "payments", "credit_notes"):
        assert _frames(portfolio)[name].get_column("customer_external_id").is_in(customers).all(), name
    invoices = portfolio.invoices.select("external_id", "customer_external_id", "currency")
    named = _flows(portfolio).filter(pl.col("invoice_external_id").is_not_null())
    matched = named.join(invoices, left_on="invoice_external_id", right_on="external_id", how="left")
    assert matched.get_column("customer_external_id_right").null_count() == 0
    assert (matched["customer_external_id"] == matched["customer_external_id_right"]).all()
    assert (matched["currency"] == matched["currency_right"]).all()


def check_amounts(portfolio: DemoPortfolio) -> None:
    for name in ("invoices", "payments", "credit_notes"):
        frame = _frames(portfolio)[name]
        assert (frame["amount_minor"] > 0).all(), name
        assert frame["currency"].is_in(sorted(known_currencies())).all(), name
    invoices = portfolio.invoices
    assert (
        (invoices["disputed_minor"] >= 0) & (invoices["disputed_minor"] <= invoices["amount_minor"])
    ).all()


def check_dates(portfolio: DemoPortfolio, as_of: date) -> None:
    assert (portfolio.invoices["issue_date"] <= portfolio.invoices["due_date"]).all()
    assert (portfolio.invoices["issue_date"] <= as_of).all()
    assert (_flows(portfolio)["date"] <= as_of).all()


def check_no_gross_oversettlement(portfolio: DemoPortfolio) -> None:
    """Documents naming an invoice never settle more than it, beyond a small deliberate overpayment."""
    settled = _settled_by_reference(portfolio)
    excess = settled["settled"] - settled["amount_minor"]
    assert (excess <= settled["amount_minor"] * 0.03 + 1).all()


def check_customers(portfolio: DemoPortfolio) -> None:
    customers = portfolio.customers
    locales = set(customers.select("language", "timezone", "country").unique().iter_rows())
    assert locales <= LOCALES
    assert customers["grade"].is_in(["A", "B", "C", "D"]).all()
    tags = [row.split(";") for row in customers["tags"] if row]
    assert all(tag_list == sorted(tag_list) for tag_list in tags)
    limited = customers.filter(pl.col("credit_limit_minor").is_not_null())
    assert limited["credit_currency"].null_count() == 0


def check_contacts(portfolio: DemoPortfolio) -> None:
    contacts = portfolio.contacts
    assert contacts["email"].str.contains(r"^[a-z.]+@[a-z]+\.example\.com$").all()
    assert contacts["preferred_channel"].is_in(["email", "sms", "letter", "call"]).all()
    primaries = contacts.group_by("customer_external_id").agg(pl.col("is_primary").sum())
    assert (primaries["is_primary"] == 1).all()
    assert primaries.height == portfolio.customers.height


def check_all(portfolio: DemoPortfolio, as_of: date) -> None:
    check_schemas(portfolio)
    check_ids_unique_and_readable(portfolio)
    check_references_exist(portfolio)
    check_amounts(portfolio)
    check_dates(portfolio, as_of)
    check_no_gross_oversettlement(portfolio)
    check_customers(portfolio)
    check_contacts(portfolio)


# --- tests ---------------------------------------------------------------------------------------------


def test_the_same_arguments_give_identical_frames() -> None:
    first = generate(customers=60, seed=11, as_of=AS_OF)
    second = generate(customers=60, seed=11, as_of=AS_OF)
    for name, frame in _frames(first).items():
        assert frame.equals(_frames(second)[name]), name


def test_another_seed_gives_another_portfolio() -> None:
    first = generate(customers=60, seed=11, as_of=AS_OF)
    other = generate(customers=60, seed=12, as_of=AS_OF)
    assert not first.customers.equals(other.customers)
    assert not first.invoices.equals(other.invoices)


def test_invariants_hold_for_500_customers(portfolio: DemoPortfolio) -> None:
    check_all(portfolio, AS_OF)


@settings(max_examples=25, deadline=None)
@given(
    customers=st.integers(min_value=0, max_value=30),
    seed=st.integers(min_value=0, max_value=2**32),
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    months=st.integers(min_value=1, max_value=24),
)
def test_invariants_hold_for_any_small_portfolio(customers: int, seed: int, as_of: date, months: int) -> None:
    portfolio = generate(customers=customers, seed=seed, as_of=as_of, months=months)
    check_all(portfolio, as_of)
    assert portfolio.customers.height == customers


def test_history_spans_the_requested_months() -> None:
    portfolio = generate(customers=100, seed=3, as_of=AS_OF, months=6)
    issued = portfolio.invoices["issue_date"]
    assert (issued >= date(2025, 12, 28)).all()
    assert (issued <= AS_OF).all()
    assert (issued < date(2026, 1, 31)).any()


def test_overpayments_are_rare(portfolio: DemoPortfolio) -> None:
    settled = _settled_by_reference(portfolio)
    overpaid = settled.filter(pl.col("settled") > pl.col("amount_minor")).height
    assert 0 < overpaid < settled.height * 0.01


def test_most_payments_name_their_invoice_and_a_few_do_not(portfolio: DemoPortfolio) -> None:
    unnamed = portfolio.payments["invoice_external_id"].null_count()
    assert 0 < unnamed < portfolio.payments.height * 0.15


def test_every_archetype_appears_near_its_share(portfolio: DemoPortfolio) -> None:
    counts = dict(portfolio.customers["archetype"].value_counts().iter_rows())
    for archetype in ARCHETYPES:
        assert abs(counts[archetype.name] / 500 - archetype.share) < 0.05, archetype.name


def test_grades_follow_payment_behaviour(portfolio: DemoPortfolio) -> None:
    grades = portfolio.customers.group_by("archetype").agg(
        (pl.col("grade") == "A").mean().alias("a"), pl.col("grade").is_in(["C", "D"]).mean().alias("cd")
    )
    share = {row["archetype"]: row for row in grades.iter_rows(named=True)}
    assert share["on_time"]["a"] > 0.5
    assert share[SILENT_DEFAULTER.name]["cd"] > 0.8


def test_currencies_are_mostly_yuan_with_dollars_euros_and_yen(portfolio: DemoPortfolio) -> None:
    counts = dict(portfolio.invoices["currency"].value_counts().iter_rows())
    assert set(counts) == {"CNY", "USD", "EUR", "JPY"}
    assert counts["CNY"] > portfolio.invoices.height / 2


def test_yen_amounts_are_whole_yen_on_the_yen_scale(portfolio: DemoPortfolio) -> None:
    """JPY has no minor unit: `amount_minor` counts yen, so a typical invoice is worth as much in yuan
    as a typical CNY one (a cents-scaled JPY amount would be a hundred times too large)."""
    assert exponent("JPY") == 0
    typical = portfolio.invoices.group_by("currency").agg(pl.col("amount_minor").median())
    in_yuan = {
        currency: median / 10 ** exponent(currency) * YUAN_PER_UNIT[currency]
        for currency, median in typical.iter_rows()
    }
    assert 0.2 < in_yuan["JPY"] / in_yuan["CNY"] < 5
    yen = _flows(portfolio).filter(pl.col("currency") == "JPY")
    assert yen.height > 0
    assert yen["amount_minor"].dtype == pl.Int64


def test_open_items_spread_over_every_aging_bucket(portfolio: DemoPortfolio) -> None:
    open_items = _open_items(portfolio).filter(pl.col("open") > 0)
    counts = dict(open_items.group_by(_bucket(AS_OF).alias("bucket")).len().iter_rows())
    assert all(counts.get(bucket, 0) >= 5 for bucket in BUCKETS), counts


def test_invoices_are_paid_partly_paid_or_untouched(portfolio: DemoPortfolio) -> None:
    items = _open_items(portfolio)
    paid = items.filter(pl.col("open") <= 0).height
    partly = items.filter((pl.col("open") > 0) & (pl.col("open") < pl.col("amount_minor"))).height
    untouched = items.filter(pl.col("open") == pl.col("amount_minor")).height
    assert paid > items.height / 2
    assert partly > 20
    assert untouched > 20


def test_silent_defaulters_supply_the_oldest_debt(portfolio: DemoPortfolio) -> None:
    owners = portfolio.customers.select(pl.col("external_id").alias("customer_external_id"), "archetype")
    oldest = _open_items(portfolio).filter((pl.col("open") > 0) & (_bucket(AS_OF) == ">180"))
    archetypes = set(oldest.join(owners, on="customer_external_id")["archetype"])
    assert SILENT_DEFAULTER.name in archetypes


def test_disputes_and_credit_notes_occur(portfolio: DemoPortfolio) -> None:
    assert (portfolio.invoices["disputed_minor"] > 0).sum() > 10
    assert portfolio.credit_notes["invoice_external_id"].is_not_null().sum() > 10


def test_names_phones_and_addresses_suit_the_country(portfolio: DemoPortfolio) -> None:
    customers = portfolio.customers
    cn_names = customers.filter(pl.col("country") == "CN")["name"]
    tw_names = customers.filter(pl.col("country") == "TW")["name"]
    assert cn_names.str.contains(r"(有限公司)$").all()
    assert tw_names.str.contains(r"股份有限公司$").all()
    countries = portfolio.contacts.join(
        customers.select(pl.col("external_id").alias("customer_external_id"), "country"),
        on="customer_external_id",
    )
    for country, phone in countries.select("country", "phone").iter_rows():
        assert phone.startswith(PHONE_PREFIX[country]), (country, phone)


def test_customer_ids_count_up_from_one(portfolio: DemoPortfolio) -> None:
    ids = portfolio.customers["external_id"]
    assert ids[0] == "C000001"
    assert ids[-1] == "C000500"
    assert re.fullmatch(ID_PATTERNS["invoices"], portfolio.invoices["external_id"][0])


@pytest.mark.parametrize(("customers", "months"), [(-1, 12), (10, 0)])
def test_nonsense_sizes_are_refused(customers: int, months: int) -> None:
    with pytest.raises(ValueError, match="customers"):
        generate(customers=customers, seed=1, as_of=AS_OF, months=months)
