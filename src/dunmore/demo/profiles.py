"""Demo customers: who they are (name, locale, grade, tags, contacts) and how they buy and pay.

A `Profile` is drawn once per customer and drives both its master data rows and its invoice history.
Amounts are sampled in yuan as floats, converted to the customer's currency and only then turned into
integer minor units, deliberately, in `to_minor`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import NamedTuple

from dunmore.demo import names
from dunmore.demo.archetypes import ARCHETYPES, GRADES, NEVER, SILENT_DEFAULTER, Archetype
from dunmore.demo.draws import between, choose, pick
from dunmore.domain.money import exponent

YUAN_PER_UNIT = {"CNY": 1.0, "USD": 7.2, "EUR": 7.8, "JPY": 0.048}
TERMS = (30, 45, 60)
OWNERS = {
    "zh-CN": ("wang.fang", "li.qiang", "zhang.min", "chen.jie", "zhao.lei"),
    "zh-TW": ("lin.meiling", "huang.jiahao"),
    "en": ("emily.clark", "felix.weber"),
}
CHANNELS = ("email", "sms", "call", "letter")
CHANNEL_WEIGHTS = {"zh-CN": (50, 25, 15, 10), "zh-TW": (55, 20, 15, 10), "en": (70, 2, 14, 14)}


@dataclass(frozen=True)
class Size:
    """A customer segment by volume: how often it is invoiced, how much, how many contacts it has."""

    name: str
    share: float
    gap_days: tuple[int, int]  # days between two invoices
    yuan: tuple[float, float]  # range of a typical invoice, log-uniform
    contacts: tuple[int, int]
    key_account_odds: float
    strategic_odds: float


SMALL = Size("small", 0.60, (60, 120), (2_000.0, 40_000.0), (1, 2), 0.0, 0.01)
MEDIUM = Size("medium", 0.30, (25, 40), (20_000.0, 250_000.0), (1, 3), 0.10, 0.05)
LARGE = Size("large", 0.10, (10, 20), (100_000.0, 1_500_000.0), (2, 4), 0.50, 0.25)
SIZES = (SMALL, MEDIUM, LARGE)
SIZE_WEIGHTS = tuple(size.share for size in SIZES)
LOCALE_WEIGHTS = tuple(locale.share for locale in names.LOCALES)
INDUSTRY_WEIGHTS = tuple(industry.share for industry in names.INDUSTRIES)
ARCHETYPE_WEIGHTS = tuple(archetype.share for archetype in ARCHETYPES)


class Profile(NamedTuple):
    """One demo customer in the world of the as-of date. Days are epoch days.

    A named tuple rather than a frozen dataclass: it is built 200,000 times for a benchmark portfolio.
    """

    serial: int  # 0-based position of the customer: C000001 is serial 0
    locale: names.Locale
    industry: names.Industry
    archetype: Archetype
    size: Size
    currency: str
    unit: int  # minor units per major unit
    typical: float  # a typical invoice in major units of `currency`
    terms: int
    start: int  # first invoice day
    stop: int  # last day it pays anything
    cutoff: int  # last day it is invoiced
    as_of: int
    lump_sums: bool  # often pays several invoices in one unreferenced transfer
    grade: str
    tags: tuple[str, ...]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def to_minor(major: float, unit: int, rng: random.Random) -> int:
    """A sampled amount as whole major units, in four cases of ten with random minor units too."""
    cents = between(rng, 0, unit - 1) if unit > 1 and rng.random() < 0.4 else 0
    return max(int(major), 1) * unit + cents


def _stop_day(rng: random.Random, archetype: Archetype, start: int, as_of: int) -> int:
    if archetype is not SILENT_DEFAULTER:
        return NEVER
    return start + int((as_of - start) * rng.uniform(0.1, 0.9))


def _tags(
    rng: random.Random, size: Size, industry: names.Industry, start: int, as_of: int
) -> tuple[str, ...]:
    odds = {
        "key-account": size.key_account_odds,
        "strategic": size.strategic_odds,
        "government": 0.15 if industry.zh_cn == "建筑" else 0.02,
        "new-customer": 1.0 if as_of - start < 90 else 0.0,
        "reseller": 0.3 if industry.zh_cn in ("批发", "零售") else 0.0,
    }
    return tuple(sorted(tag for tag, chance in odds.items() if rng.random() < chance))


def _start_day(rng: random.Random, size: Size, window_start: int, as_of: int) -> int:
    if rng.random() < 0.08:  # won during the period
        return window_start + between(rng, 0, max(as_of - window_start, 0))
    return window_start + between(rng, 0, size.gap_days[1])


def draw_profile(rng: random.Random, serial: int, window_start: int, as_of: int) -> Profile:
    """Draw one customer: locale, industry, size, archetype and the dates that shape its history."""
    locale = pick(rng, names.LOCALES, LOCALE_WEIGHTS)
    industry = pick(rng, names.INDUSTRIES, INDUSTRY_WEIGHTS)
    size = pick(rng, SIZES, SIZE_WEIGHTS)
    archetype = pick(rng, ARCHETYPES, ARCHETYPE_WEIGHTS)
    currency = pick(rng, locale.currencies, locale.currency_weights)
    start = _start_day(rng, size, window_start, as_of)
    stop = _stop_day(rng, archetype, start, as_of)
    return Profile(
        serial=serial,
        locale=locale,
        industry=industry,
        archetype=archetype,
        size=size,
        currency=currency,
        unit=10 ** exponent(currency),
        typical=_log_uniform(rng, *size.yuan) / YUAN_PER_UNIT[currency],
        terms=pick(rng, TERMS, (50, 25, 25) if size is not LARGE else (20, 30, 50)),
        start=start,
        stop=stop,
        cutoff=stop + between(rng, 30, 90) if stop < NEVER else NEVER,
        as_of=as_of,
        lump_sums=rng.random() < (0.3 if size is LARGE else 0.05),
        grade=pick(rng, GRADES, archetype.grade_weights),
        tags=_tags(rng, size, industry, start, as_of),
    )


def _credit_limit(rng: random.Random, profile: Profile) -> int | None:
    """Exposure allowed: one to two and a half terms of typical invoicing, in round ten-thousands."""
    if rng.random() < 0.15:
        return None
    invoices_per_term = profile.terms / sum(profile.size.gap_days) * 2
    exposure = profile.typical * max(invoices_per_term, 1.0) * rng.uniform(1.0, 2.5)
    return math.ceil(exposure / 10_000) * 10_000 * profile.unit


def customer_row(rng: random.Random, profile: Profile, name: str) -> dict[str, object]:
    """The customers-frame row of a profile (without its external id, added as a column)."""
    limit = _credit_limit(rng, profile)
    owners = OWNERS[profile.locale.language]
    return {
        "name": name,
        "language": profile.locale.language,
        "timezone": profile.locale.timezone,
        "country": profile.locale.country,
        "grade": profile.grade,
        "tags": ";".join(profile.tags),
        "credit_limit_minor": limit,
        "credit_currency": profile.currency if limit is not None else None,
        "owner": choose(rng, owners) if rng.random() < 0.95 else None,
        "industry": profile.industry.label(profile.locale.language),
        "archetype": profile.archetype.name,
    }


def _contact(rng: random.Random, locale: names.Locale, domain: str, address: str) -> dict[str, object]:
    """A person, or in one case of five the finance department's shared mailbox."""
    desk = rng.random() < 0.2
    display, local = (locale.finance_desk, "finance") if desk else names.person(rng, locale)
    return {
        "name": display,
        "email": f"{local}@{domain}",
        "phone": names.phone(rng, locale),
        "address": address,
        "preferred_channel": pick(rng, CHANNELS, CHANNEL_WEIGHTS[locale.language]),
    }


def contact_rows(rng: random.Random, profile: Profile, slug: str, city: str) -> list[dict[str, object]]:
    """One to four contacts sharing the company's address and domain; the first is the primary one."""
    domain, address = f"{slug}.example.com", names.address(rng, profile.locale, city)
    count = between(rng, *profile.size.contacts)
    rows = [_contact(rng, profile.locale, domain, address) for _ in range(count)]
    return [{**row, "is_primary": position == 0} for position, row in enumerate(rows)]


def describe(rng: random.Random, profile: Profile) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The customer row and contact rows of a profile."""
    city = choose(rng, names.CITIES[profile.locale.country])
    name, slug = names.company_name(rng, profile.locale, profile.industry, city)
    return customer_row(rng, profile, name), contact_rows(rng, profile, slug, city)
