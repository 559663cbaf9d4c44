"""The words of stored codes (`dunmore.i18n.words`): every code the product stores has its word, in
every language, and no page keeps a word map of its own beside them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dunmore.access.values import Role
from dunmore.credit import admission, contract_reads
from dunmore.delivery.statuses import STATUSES as DELIVERY_STATUSES
from dunmore.delivery.wording import GATEWAY_OUTCOMES
from dunmore.i18n.words import WORDS, word
from dunmore.statements.service import STATUSES as STATEMENT_STATUSES
from dunmore.workspace import disputes, plan_views, promises, timeline
from dunmore.workspace.kinds import ActivityKind, Channel

TEMPLATES = Path(__file__).parents[2] / "src" / "dunmore" / "web" / "templates"

STORED = {
    "role": {role.value for role in Role},
    "delivery_status": set(DELIVERY_STATUSES),
    "activity_kind": {kind.value for kind in ActivityKind},
    "activity_channel": {channel.value for channel in Channel},
    "dispute_reason": set(disputes.REASONS),
    "statement_status": set(STATEMENT_STATUSES),
    "application_status": set(admission.STATUSES),
    "application_kind": {admission.NEW, admission.INCREASE},
    "contract_status": set(contract_reads.STATUSES),
    "timeline_event": set(timeline.KINDS),
    "promise_status": set(promises.STATUSES),
    "plan_status": set(plan_views.STATUSES),
    "statement_status_for_debtor": set(STATEMENT_STATUSES),
    "delivery_event": set(GATEWAY_OUTCOMES),
}


@pytest.mark.parametrize("vocabulary", sorted(STORED))
def test_every_code_the_product_stores_has_its_word(vocabulary: str) -> None:
    assert STORED[vocabulary] - set(WORDS[vocabulary]) == set()


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW"])
def test_every_word_is_said_in_every_language(language: str) -> None:
    untranslated = [
        (vocabulary, code)
        for vocabulary, words in WORDS.items()
        for code, english in words.items()
        if word(vocabulary, code, language) == english  # a word the catalog lacks comes back in English
    ]
    assert untranslated == []


def test_a_word_is_said_in_the_language_asked_and_an_unknown_code_as_it_is() -> None:
    assert word("delivery_status", "dead", "zh-CN") == "重试已用尽"
    assert word("delivery_status", "dead", "en") == "Attempts used up"
    assert word("role", "collector", "zh-TW") == "催收專員"
    assert word("delivery_status", "lost-in-the-post", "zh-CN") == "lost-in-the-post"


def test_no_page_keeps_a_word_map_of_its_own() -> None:
    """A status said on two pages is said by one map: templates kept their own copies, as variables
    (`{% set x = {"code": _(…)} %}`) or inline — four of the contract statuses, four of the dispute
    reasons, and two wordings of a failed delivery."""
    own = re.compile(r'\{\s*"[\w-]+"\s*:\s*_\(')  # `{% set x = {"code": _(…)…} %}` or inline
    kept = [path.name for path in sorted(TEMPLATES.glob("*.html")) if own.search(path.read_text("utf-8"))]
    assert kept == []
