"""`templates check`: every problem of a template set, found before a notice is ever sent.

For each use of a template (its step's channels, its SMS budget, whether the step is approved for
legal action) and each notice language: the file exists, parses, reads only notice variables,
defines every block, renders against the sample notices (CNY, EUR, JPY; a reminder; a level with
no charges, no deadline and no next step), says nothing the wording lint forbids, and its SMS fits
its segments and, in Chinese, starts with a 【signature】 and has no 【】 in its body. The shared
files (macros, layouts) are checked once. Problems are returned as values with their file and
line; nothing is raised for a bad template.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

from jinja2 import TemplateSyntaxError, meta, nodes

from dunmore.delivery.lint import LintHit, lint
from dunmore.delivery.render import (
    BLOCKS,
    EMAIL_LAYOUT,
    LAYOUT_VARIABLES,
    LETTER_LAYOUT,
    NOTICE_VARIABLES,
    Message,
    TemplateError,
    Templates,
    template_file,
)
from dunmore.delivery.samples import sample_view
from dunmore.delivery.segments import LIMITS, count_segments
from dunmore.delivery.uses import TemplateUse, uses_for_policies
from dunmore.delivery.view import LANGUAGES, Language, NoticeView, totals
from dunmore.domain.money import Money, round_half_up
from dunmore.errors import AmountError

__all__ = [
    "SAMPLE_CURRENCIES",
    "TemplateProblem",
    "TemplateUse",
    "check_templates",
    "sample_notice",
    "sample_views",
    "uses_for_policies",
]

SAMPLE_CURRENCIES: Final = ("CNY", "EUR", "JPY")
MACROS: Final = "macros.jinja"
_TAG = re.compile(r"<[^>]+>")
_SIGNATURE = re.compile(r"【[^【】]+】")


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem: `code` is stable (missing, syntax, unknown_variable, missing_block, undefined,
    unsafe, render, wording, sms_too_long, sms_signature); `template` is the step, or the shared file."""

    template: str
    language: Language | None  # None for the shared files (macros, layouts)
    file: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.code}: {self.message}"


def check_templates(templates: Templates, uses: Sequence[TemplateUse]) -> list[TemplateProblem]:
    """Every problem of the templates that `uses` names, in every language; [] when all is well."""
    needs_letter = any("letter" in use.channels for use in uses)
    problems = list(_check_shared(templates, needs_letter=needs_letter))
    for use in uses:
        for language in LANGUAGES:
            problems.extend(_FileCheck(templates, use, language).problems())
    return problems


# -- samples ---------------------------------------------------------------------------------------


def sample_views(template: str, language: Language) -> list[tuple[str, NoticeView]]:
    """The notices every template must render: each currency, a reminder, and a bare last level."""
    views = [
        (f"level notice in {code}", sample_notice(template, language, code)) for code in SAMPLE_CURRENCIES
    ]
    reminder = sample_notice(template, language, reminder=True)
    bare = sample_view(language, step=template, with_charges=False, deadline_days=None)
    bare = replace(bare, next_step=None, interest_rate=None)
    return [*views, ("reminder", reminder), ("level notice without charges, deadline or next step", bare)]


def sample_notice(
    template: str, language: Language, currency: str = "CNY", *, reminder: bool = False
) -> NoticeView:
    """The sample notice of `dunmore.delivery.samples` for a step, in any currency."""
    kind, level = ("reminder", None) if reminder else ("level", 3)
    try:
        return sample_view(language, step=template, kind=kind, level=level, currency=currency)
    except AmountError:  # sample amounts finer than the currency allows (JPY): the CNY figures, rounded
        cny = sample_view(language, step=template, kind=kind, level=level)
        return _in_currency(cny, currency)


def _in_currency(view: NoticeView, currency: str) -> NoticeView:
    def convert(money: Money) -> Money:
        return Money(round_half_up(money.amount, currency), currency)

    lines = tuple(
        replace(line, open_amount=convert(line.open_amount), interest=convert(line.interest))
        for line in view.items
    )
    fee = convert(view.fee) if view.fee is not None else None
    accrued = Money(sum(line.interest.minor for line in lines), currency)
    charge = accrued if view.interest_charge is not None else None
    total_open, total_interest, total_due = totals(lines, fee, charge, currency)
    return replace(
        view,
        currency=currency,
        items=lines,
        total_open=total_open,
        total_interest=total_interest,
        fee=fee,
        interest_charge=charge,
        total_due=total_due,
    )


# -- reading and static checks ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    source: str
    filename: str
    ast: nodes.Template


def _parse(templates: Templates, name: str) -> _Parsed | tuple[str, int | None, str, str]:
    """The parsed file, or the problem that prevents it: (file, line, code, message)."""
    try:
        source, filename = templates.source(name)
    except TemplateError as exc:
        return name, None, "missing", exc.detail
    try:
        ast = templates.plain_env.parse(source, name, filename)
    except TemplateSyntaxError as exc:
        return filename, exc.lineno, "syntax", f"{exc.message}; fix the tag or expression on that line"
    return _Parsed(source, filename, ast)


def _declared(ast: nodes.Template) -> set[str]:
    """Names the file defines itself: sets, loop variables, imports, macros (its blocks read them)."""
    declared = {name.name for name in ast.find_all(nodes.Name) if name.ctx in ("store", "param")}
    declared |= {node.target for node in ast.find_all(nodes.Import)}
    for node in ast.find_all(nodes.FromImport):
        declared |= {name if isinstance(name, str) else name[1] for name in node.names}
    return declared | {macro.name for macro in ast.find_all(nodes.Macro)}


def _unknown_variables(
    templates: Templates, parsed: _Parsed, known: frozenset[str]
) -> Iterator[tuple[int | None, str]]:
    """(line, message) for each name the file reads that is neither a notice variable nor its own."""
    allowed = known | set(templates.plain_env.globals) | _declared(parsed.ast)
    for name in sorted(meta.find_undeclared_variables(parsed.ast) - allowed):
        line = next((node.lineno for node in parsed.ast.find_all(nodes.Name) if node.name == name), None)
        yield (
            line,
            (
                f"{name!r} is not a notice variable: use one of {', '.join(sorted(known))}, "
                "or define it with {% set %}"
            ),
        )


def _check_shared(templates: Templates, *, needs_letter: bool) -> Iterator[TemplateProblem]:
    """The macros (if any) and the layouts: they parse and read only what they are given."""
    shared = ((MACROS, NOTICE_VARIABLES, False), (EMAIL_LAYOUT, LAYOUT_VARIABLES, True))
    for name, known, required in (*shared, (LETTER_LAYOUT, LAYOUT_VARIABLES, needs_letter)):
        if not required and not templates.exists(name):
            continue
        parsed = _parse(templates, name)
        if not isinstance(parsed, _Parsed):
            yield TemplateProblem(name, None, *parsed)
            continue
        for line, message in _unknown_variables(templates, parsed, known):
            yield TemplateProblem(name, None, parsed.filename, line, "unknown_variable", message)


# -- one step template in one language -------------------------------------------------------------


class _FileCheck:
    def __init__(self, templates: Templates, use: TemplateUse, language: Language) -> None:
        self.templates = templates
        self.use = use
        self.language = language
        self.file = template_file(use.template, language)

    def problem(self, code: str, message: str, line: int | None = None, file: str = "") -> TemplateProblem:
        return TemplateProblem(self.use.template, self.language, file or self.file, line, code, message)

    def problems(self) -> Iterator[TemplateProblem]:
        parsed = _parse(self.templates, self.file)
        if not isinstance(parsed, _Parsed):
            file, line, code, message = parsed
            yield self.problem(code, message, line, file)
            return
        self.file = parsed.filename
        static = [*self._static(parsed)]
        if static:  # rendering would only repeat them
            yield from static
            return
        rendered: list[tuple[str, Message]] = []
        for label, view in sample_views(self.use.template, self.language):
            try:
                rendered.append((label, self.templates.render(self.use.template, view)))
            except TemplateError as exc:
                yield self.problem(exc.kind, f"{exc.detail} (sample: {label})", exc.line, exc.file)
                return
        yield from self._wording(parsed, rendered)
        if "sms" in self.use.channels:
            yield from self._sms(parsed, rendered)

    def _static(self, parsed: _Parsed) -> Iterator[TemplateProblem]:
        for line, message in _unknown_variables(self.templates, parsed, NOTICE_VARIABLES):
            yield self.problem("unknown_variable", message, line)
        if any(isinstance(node, nodes.Extends) for node in parsed.ast.body):
            return  # its blocks may come from the parent: rendering tells
        defined = {block.name for block in parsed.ast.find_all(nodes.Block)}
        if missing := [block for block in BLOCKS if block not in defined]:
            yield self.problem(
                "missing_block",
                f"no block {', '.join(missing)}: every step template defines {', '.join(BLOCKS)}, "
                "e.g. {% block sms %}…{% endblock %}",
            )

    def _wording(self, parsed: _Parsed, rendered: list[tuple[str, Message]]) -> Iterator[TemplateProblem]:
        seen: set[tuple[str, str]] = set()
        for label, message in rendered:
            for part, hit in _lint_message(message, self.language, self.use.allow_legal_action):
                if (hit.code, hit.excerpt) in seen:
                    continue
                seen.add((hit.code, hit.excerpt))
                text = f"{hit.code}: «{hit.excerpt}» in the {part} (sample: {label}): {hit.message}"
                yield self.problem("wording", text, _line_of(parsed.source, hit.excerpt))

    def _sms(self, parsed: _Parsed, rendered: list[tuple[str, Message]]) -> Iterator[TemplateProblem]:
        line = next((b.lineno for b in parsed.ast.find_all(nodes.Block) if b.name == "sms"), None)
        label, longest = max(rendered, key=lambda pair: count_segments(pair[1].sms).units)
        counted = count_segments(longest.sms)
        allowed = self.use.sms_segments
        if counted.segments > allowed:
            single, per_part = LIMITS[counted.encoding]
            room = single if allowed == 1 else per_part * allowed
            yield self.problem(
                "sms_too_long",
                f"the SMS takes {counted.segments} segments ({counted.encoding}, {counted.units} units; "
                f"sample: {label}) where {allowed} are allowed ({room} units): shorten it",
                line,
            )
        if self.language != "en" and not all(_signed(message.sms) for _, message in rendered):
            yield self.problem(
                "sms_signature",
                "a Chinese SMS starts with the sender's signature in 【】 and has no 【】 in its body: "
                "begin it with 【{{ creditor.name }}】",
                line,
            )


def _lint_message(message: Message, language: Language, allow_legal: bool) -> Iterator[tuple[str, LintHit]]:
    parts = {
        "subject": message.subject,
        "text": message.text,
        "html": _html_text(message.html),
        "sms": message.sms,
        "letter": _html_text(message.letter_html),
    }
    for part, text in parts.items():
        for hit in lint(text, language, allow_legal_action=allow_legal):
            yield part, hit
    # the brief stays with staff, who may weigh lawyers and court; every other rule still applies
    for hit in lint(message.brief, language, allow_legal_action=True):
        yield "brief", hit


def _signed(sms: str) -> bool:
    signature = _SIGNATURE.match(sms)
    return signature is not None and not any(c in sms[signature.end() :] for c in "【】")


def _html_text(document: str) -> str:
    """The words of an HTML document as a reader sees them: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub(" ", document))


def _line_of(source: str, excerpt: str) -> int | None:
    """The first line of the template that holds the words found, if they are written there."""
    return next((number for number, text in enumerate(source.splitlines(), 1) if excerpt in text), None)
