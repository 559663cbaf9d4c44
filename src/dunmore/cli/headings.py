"""The command line's table headings in the reader's language: the column names of the frames it
prints (and the aging report's labels) mapped to their words. A name not listed, such as a currency
code or an aging bucket's range ("1-30"), is shown as it is."""

from __future__ import annotations

from typing import Final

from dunmore.cli.language import _
from dunmore.i18n import N_

HEADINGS: Final = {
    "id": N_("id"),
    "customer": N_("customer"),
    "name": N_("name"),
    "step": N_("step"),
    "items": N_("items"),
    "currency": N_("currency"),
    "open": N_("open"),
    "interest": N_("interest"),
    "fee": N_("fee"),
    "bucket": N_("bucket"),
    "not due": N_("not due"),
    "total": N_("total"),
    "overdue": N_("overdue"),
    "kind": N_("kind"),
    "status": N_("status"),
    "notices": N_("number of notices"),
}


def heading(name: str) -> str:
    """A column's heading in the reader's language."""
    return _(HEADINGS[name]) if name in HEADINGS else name


def word(vocabulary: str, code: str, language: str | None = None) -> str:
    """A stored code of `vocabulary` (`dunmore.i18n.words`) in the reader's language (or
    `language`), as the web's pages say it; a code without a word as it is."""
    from dunmore.cli.language import language as readers
    from dunmore.i18n import words

    return words.word(vocabulary, code, language or readers())
