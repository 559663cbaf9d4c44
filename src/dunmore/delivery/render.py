"""Notices rendered from templates: one `NoticeView` in, a `Message` (subject, text, HTML, SMS, letter) out.

A template set is a folder with one file per step and language, `{step}/{language}.jinja`, each
defining the blocks `subject`, `text`, `html` and `sms` (and optionally `brief`, an internal note for
staff), plus `macros.jinja` and `layouts/email.html.jinja` / `layouts/letter.html.jinja`, which wrap
the `html` block (given to them as `body`) into whole documents. A user's override folder is searched
first, then the default set shipped here; an override may extend a default file as
`{% extends "default/overdue-1/en.jinja" %}` and replace only the blocks it changes.

Escaping: each file is compiled twice, by two sandboxed environments that differ only in autoescape.
The `html` block and the layouts are rendered by the escaping one, the `subject`, `text`, `sms` and
`brief` blocks by the other, so a debtor called "Smith & Sons <UK>" is escaped in HTML and left
as is in the plain parts, whatever the template author remembers to do.

Templates are sandboxed (no attribute starting with `_`, no calling of unsafe methods) and strict:
an undefined name raises. Every problem raises `TemplateError` naming the file, the line and a fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from jinja2 import (
    BaseLoader,
    BytecodeCache,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2 import TemplateError as JinjaError
from jinja2.bccache import Bucket
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import concat
from markupsafe import Markup

from dunmore.delivery import formatting
from dunmore.delivery.letter import Letter
from dunmore.delivery.view import Language, NoticeView
from dunmore.domain.money import Money
from dunmore.errors import InputFileError
from dunmore.i18n import Text, _m

__all__ = [
    "BLOCKS",
    "EMAIL_LAYOUT",
    "LETTER_LAYOUT",
    "NOTICE_VARIABLES",
    "Message",
    "TemplateError",
    "Templates",
    "notice_variables",
    "template_file",
]

BLOCKS: Final = ("subject", "text", "html", "sms")  # every step file defines these
OPTIONAL_BLOCKS: Final = ("brief",)
NOTICE_VARIABLES: Final = frozenset(f.name for f in fields(NoticeView))
LAYOUT_VARIABLES: Final = NOTICE_VARIABLES | {"body", "subject"}
EMAIL_LAYOUT: Final = "layouts/email.html.jinja"
LETTER_LAYOUT: Final = "layouts/letter.html.jinja"
_LANGUAGE: ContextVar[Language] = ContextVar("notice_language")
# What the money and date filters wrote for the notice being rendered, by value (see `_once`).
_FORMATTED: ContextVar[dict[tuple[str, Money | date], str]] = ContextVar("notice_formatted")
_SPACES = re.compile(r"\s+")


class TemplateError(InputFileError):
    """A template that is missing, does not parse, or fails while rendering (undefined, unsafe)."""

    code = "template"

    def __init__(self, message: Text, *, kind: str, file: str, line: int | None = None) -> None:
        self.where = _m("%(file)s, line %(line)s", file=file, line=line) if line else file
        super().__init__(f"{self.where}: {message}")
        self.message = message
        self.kind = kind  # missing, syntax, undefined, unsafe, missing_block, render
        self.file = file
        self.line = line
        self.detail = str(message)  # English, for the check's report; `render` says it all translated

    def render(self, language: str) -> str:
        """Where (file, line) and what, in `language`; Jinja's own words stay as Jinja wrote them."""
        where = self.where if isinstance(self.where, str) else self.where.render(language)
        return f"{where}: {self.message.render(language)}"


@dataclass(frozen=True, slots=True)
class Message:
    """One notice in every form a channel may send it."""

    subject: str  # one line
    text: str  # plain-text email body
    html: str  # the whole HTML email document
    sms: str  # one line, spaces collapsed
    letter_html: str  # the whole letter document, "" while no letter layout exists
    brief: str = ""  # internal note for staff (task channel), "" when the template has none
    # The letter as layouts/letter.typ prints it (JSON, see dunmore.delivery.typst_letter); "" when
    # the letter is printed from `letter_html` by WeasyPrint: a letter layout of the override
    # folder's own, or a body with HTML the Typst letter does not know (dunmore.delivery.letter_body).
    letter_data: str = ""

    @property
    def letter(self) -> Letter:
        """What `dunmore.delivery.letter.print_letter` prints."""
        return Letter(self.letter_html, self.letter_data)


def template_file(template: str, language: Language) -> str:
    """The file name of a step's template in one language: `overdue-1/zh-CN.jinja`."""
    return f"{template}/{language}.jinja"


# Filters read the language of the notice being rendered, so that macros imported without context
# format amounts the same way as the file that calls them.
def _money(value: Money) -> str:
    if not isinstance(value, Money):
        return formatting.money(value, _LANGUAGE.get())
    return _once(("money", value), lambda language: formatting.money(value, language))


def _date(value: date) -> str:
    if not isinstance(value, date):
        return formatting.long_date(value, _LANGUAGE.get())
    return _once(("date", value), lambda language: formatting.long_date(value, language))


def _once(key: tuple[str, Money | date], format_in: Callable[[Language], str]) -> str:
    """A value formatted once per notice rendered: a notice writes its total and each amount in the
    subject, the text, the HTML and the SMS, and Babel takes ≈0.1 ms for each."""
    formatted = _FORMATTED.get()
    text = formatted.get(key)
    if text is None:
        text = formatted[key] = format_in(_LANGUAGE.get())
    return text


def _number(value: int | Decimal) -> str:
    return formatting.number(value, _LANGUAGE.get())


def _percent(value: Decimal) -> str:
    return formatting.percent(value, _LANGUAGE.get())


FILTERS: Final = {"money": _money, "date": _date, "number": _number, "percent": _percent}


@contextmanager
def _language(language: Language) -> Iterator[None]:
    token, formatted = _LANGUAGE.set(language), _FORMATTED.set({})
    try:
        yield
    finally:
        _FORMATTED.reset(formatted)
        _LANGUAGE.reset(token)


class _Compiled(BytecodeCache):
    """Compiled templates kept for the life of the process, so that a new template set (each
    preview, each check of the set, each worker batch) does not compile every file again: compiling
    was most of a template check's time. Jinja keys each entry by the template's name and file and
    keeps it only while the file's source is unchanged (a checksum), so an edited file is compiled
    afresh. One per environment flavour: the escaping and the plain environment compile the same
    file differently."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED: Final = {True: _Compiled(), False: _Compiled()}


def _environment(loader: BaseLoader, *, autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=loader,
        bytecode_cache=_COMPILED[autoescape],
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters.update(FILTERS)
    return env


def _loaders(override_dir: Path | None) -> list[BaseLoader]:
    """The folders searched, first match wins: the override folder, then the default set."""
    default = PackageLoader("dunmore.delivery", "templates/default")
    return [FileSystemLoader(override_dir), default] if override_dir is not None else [default]


def notice_variables(view: NoticeView) -> dict[str, Any]:
    """What a template sees: every field of the view as a top-level name."""
    return {name: getattr(view, name) for name in NOTICE_VARIABLES}


class Templates:
    """A template set: the override folder (if any) in front of the default templates."""

    def __init__(self, override_dir: Path | None = None) -> None:
        self.override_dir = override_dir
        self._search = _loaders(override_dir)
        # "default/…" reaches the default set even when an override of the same name exists
        loader = ChoiceLoader([*self._search, PrefixLoader({"default": self._search[-1]})])
        self.loader = loader
        self.html_env = _environment(loader, autoescape=True)
        self.plain_env = _environment(loader, autoescape=False)
        self._own_letter_layout: bool | None = None  # found on the first letter

    # -- finding files -------------------------------------------------------------------------

    def source(self, name: str) -> tuple[str, str]:
        """The text of a template file and where it was found; `TemplateError` when there is none."""
        try:
            text, filename, _ = self.loader.get_source(self.plain_env, name)
        except TemplateNotFound:
            raise self._missing(name) from None
        return text, filename or name

    def exists(self, name: str) -> bool:
        try:
            self.source(name)
        except TemplateError:
            return False
        return True

    def step_templates(self) -> list[str]:
        """The step folders of the set (default and override): those holding `.jinja` files."""
        names = {name for loader in self._search for name in loader.list_templates()}
        steps = {name.split("/")[0] for name in names if name.endswith(".jinja") and name.count("/") == 1}
        return sorted(steps - {"layouts"})

    def _missing(self, name: str) -> TemplateError:
        places = (
            _m("%(folder)s or the default set", folder=str(self.override_dir))
            if self.override_dir
            else _m("the default set")
        )
        return TemplateError(
            _m(
                "there is no template %(name)s in %(places)s: create it (copy one of the other languages "
                "and translate it) or choose a template that exists",
                name=name,
                places=places,
            ),
            kind="missing",
            file=name,
        )

    # -- rendering ----------------------------------------------------------------------------

    def render(self, template: str, view: NoticeView, *, letter: bool = True) -> Message:
        """Every part of the notice `view` from the step template `template` in the view's language;
        without `letter`, the letter's HTML is left empty (it costs as much as the rest together)."""
        name = template_file(template, view.language)
        variables = notice_variables(view)
        with _language(view.language):
            plain = self._blocks(
                self.plain_env, name, variables, ("subject", "text", "sms", *OPTIONAL_BLOCKS)
            )
            body = Markup(self._blocks(self.html_env, name, variables, ("html",))["html"].strip())
            subject = _SPACES.sub(" ", plain["subject"]).strip()
            wrapped = {**variables, "body": body, "subject": subject}
            html = self._document(EMAIL_LAYOUT, wrapped, required=True)
            letter_html = self._document(LETTER_LAYOUT, wrapped, required=False) if letter else ""
            letter_data = self._letter_data(view, subject, body) if letter_html else ""
        return Message(
            subject=subject,
            text=plain["text"].strip() + "\n",
            html=html,
            sms=_SPACES.sub(" ", plain["sms"]).strip(),
            letter_html=letter_html,
            brief=plain.get("brief", "").strip(),
            letter_data=letter_data,
        )

    def _letter_data(self, view: NoticeView, subject: str, body: str) -> str:
        """The Typst letter's data, or "" when the letter must be printed from its HTML."""
        from dunmore.delivery.letter_body import body_tree
        from dunmore.delivery.typst_letter import letter_data

        if self._own_letter_layout is None:
            _, found = self.source(LETTER_LAYOUT)
            own = self.override_dir is not None and Path(found).resolve().is_relative_to(
                self.override_dir.resolve()
            )
            self._own_letter_layout = own
        tree = None if self._own_letter_layout else body_tree(body)
        return "" if tree is None else letter_data(view, subject, tree)

    def _blocks(
        self, env: SandboxedEnvironment, name: str, variables: Mapping[str, Any], wanted: tuple[str, ...]
    ) -> dict[str, str]:
        """The named blocks of one file; the file's top level runs first (imports, sets, extends).

        The top level yields every block where it stands, and this runs it only for the names it
        sets: each block is stood in for by one that writes nothing, then rendered once below by the
        environment whose escaping it needs. Run as a whole, the top level rendered every block of
        the file in both environments, each but once for nothing (two thirds of a notice's
        rendering). A block only a parent file (`extends`) defines is still rendered there."""
        with self._reported(name):
            template = env.get_template(name)
            context = template.new_context(dict(variables))
            for chain in context.blocks.values():
                chain.insert(0, _nothing)
            for _ in template.root_render_func(context):
                pass
            for chain in context.blocks.values():
                if chain and chain[0] is _nothing:
                    del chain[0]
            missing = [block for block in wanted if block in BLOCKS and block not in context.blocks]
            if missing:
                raise TemplateError(
                    _m(
                        "the block %(missing)s is missing: every step template defines %(blocks)s "
                        "({%% block sms %%}…{%% endblock %%})",
                        missing=", ".join(missing),
                        blocks=", ".join(BLOCKS),
                    ),
                    kind="missing_block",
                    file=template.filename or name,
                )
            return {
                block: concat(context.blocks[block][0](context))
                for block in wanted
                if block in context.blocks
            }

    def _document(self, layout: str, variables: Mapping[str, Any], *, required: bool) -> str:
        with self._reported(layout):
            try:
                document = self.html_env.get_template(layout)
            except TemplateNotFound as exc:
                if required or exc.name != layout:
                    raise
                return ""
            return document.render(variables)

    @contextmanager
    def _reported(self, name: str) -> Iterator[None]:
        """Jinja's errors as `TemplateError`, with the template file and line where they happened."""
        try:
            yield
        except TemplateError:
            raise
        except TemplateNotFound as exc:
            raise self._missing(exc.name if isinstance(exc.name, str) else name) from None
        except TemplateSyntaxError as exc:
            raise TemplateError(
                _m("syntax error: %(why)s; fix the tag or expression on that line", why=exc.message),
                kind="syntax",
                file=exc.filename or exc.name or name,
                line=exc.lineno,
            ) from None
        except SecurityError as exc:
            file, line = _template_frame(exc.__traceback__, name)
            raise TemplateError(
                _m("unsafe: %(why)s; templates may only read the notice's values", why=str(exc)),
                kind="unsafe",
                file=file,
                line=line,
            ) from None
        except UndefinedError as exc:
            file, line = _template_frame(exc.__traceback__, name)
            known = ", ".join(sorted(NOTICE_VARIABLES))
            raise TemplateError(
                _m(
                    "%(why)s; use one of the notice's variables (%(known)s) or define it with {%% set %%}",
                    why=exc.message,
                    known=known,
                ),
                kind="undefined",
                file=file,
                line=line,
            ) from None
        except (JinjaError, AttributeError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            file, line = _template_frame(exc.__traceback__, name)
            raise TemplateError(
                _m("cannot render: %(why)s; check the values and filters used on that line", why=str(exc)),
                kind="render",
                file=file,
                line=line,
            ) from None


def _nothing(_context: Context) -> Iterator[str]:
    """A block that writes nothing: what the top level renders in place of each block (`_blocks`)."""
    return iter(())


def _template_frame(tb: TracebackType | None, fallback: str) -> tuple[str, int | None]:
    """The innermost template frame of a traceback: its file and its line in the template source."""
    found: tuple[str, int | None] = (fallback, None)
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template):
            found = (
                template.filename or template.name or fallback,
                template.get_corresponding_lineno(tb.tb_lineno),
            )
        tb = tb.tb_next
    return found
