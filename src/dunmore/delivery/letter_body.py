"""A step's HTML body as the Typst letter reads it: a tree of the few elements the letter knows.

Step templates write their body once, as HTML, for the e-mail and the letter. The Typst letter
(`layouts/letter.typ`) does not read HTML: this module turns the body into a tree of plain values —
a node is a text (`str`) or `{"tag": …, "children": […]}` with a few attributes — which the layout
walks. Texts stay values from end to end (the layout prints them as strings, never evaluates them
as markup), so no escaping is needed and a debtor called `#eval("…")` or `*bold*` prints as written.

Only the elements the shipped templates and macros use are known: p, br, strong/b, em/i, span, a,
ul/ol/li, table/thead/tbody/tfoot/tr/th/td. Of their attributes only what changes the print is
kept: a cell's right alignment (class `num` or `money`, or `text-align:right`), bold
(`font-weight:bold`), no wrapping (`white-space:nowrap`) and `colspan`; the rest (colours,
paddings, borders) is the layout's business, as letter.css overrides them for WeasyPrint.

Anything else (another element, a `style` or `script` element, an image) makes `body_tree` return
None: the letter is then printed from its HTML by WeasyPrint, as before, so a user's template is
never printed with parts left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

__all__ = ["Node", "body_tree"]

Node = str | dict[str, object]

_INLINE: Final = frozenset({"strong", "b", "em", "i", "span", "a"})
_BLOCK: Final = frozenset({"p", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td"})
_VOID: Final = frozenset({"br"})
_SPACES: Final = re.compile(r"[ \t\n\r\f]+")
_RIGHT: Final = re.compile(r"text-align\s*:\s*right")
_BOLD: Final = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)")
_NOWRAP: Final = re.compile(r"white-space\s*:\s*nowrap")
# Where white space between elements means nothing (HTML drops it from the table's layout), and
# text is not allowed; and the only parents some elements may have (a browser would repair the rest).
_STRUCTURE: Final = frozenset({"ul", "ol", "table", "thead", "tbody", "tfoot", "tr"})
_PARENTS: Final = {
    "li": {"ul", "ol"},
    "thead": {"table"},
    "tbody": {"table"},
    "tfoot": {"table"},
    "tr": {"table", "thead", "tbody", "tfoot"},
    "td": {"tr"},
    "th": {"tr"},
}
_CHILDREN: Final = {
    "ul": {"li"},
    "ol": {"li"},
    "table": {"thead", "tbody", "tfoot", "tr"},
    "thead": {"tr"},
    "tbody": {"tr"},
    "tfoot": {"tr"},
    "tr": {"td", "th"},
}


class _Unknown(Exception):
    """An element or markup the letter cannot print as the HTML would."""


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, object] = {"tag": "body", "children": []}
        self.stack: list[dict[str, object]] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if self.stack[-1]["tag"] in _STRUCTURE:
                raise _Unknown(f"{tag} in {self.stack[-1]['tag']}")
            self._children().append({"tag": tag, "children": []})
            return
        if tag not in _INLINE and tag not in _BLOCK:
            raise _Unknown(tag)
        parent = str(self.stack[-1]["tag"])
        if parent in _CHILDREN and tag not in _CHILDREN[parent]:
            raise _Unknown(f"{tag} in {parent}")
        if tag in _PARENTS and parent not in _PARENTS[tag]:
            raise _Unknown(f"{tag} in {parent}")
        node: dict[str, object] = {"tag": tag, "children": []}
        values = {name: value or "" for name, value in attrs}
        if tag in ("td", "th"):
            style = values.get("style", "").lower()
            classes = values.get("class", "").split()
            if _RIGHT.search(style) or {"num", "money"} & set(classes):
                node["align"] = "right"
            if _BOLD.search(style):
                node["bold"] = True
            if _NOWRAP.search(style):
                node["nowrap"] = True
            if values.get("colspan", "").isdigit() and int(values["colspan"]) > 1:
                node["colspan"] = int(values["colspan"])
        self._children().append(node)
        self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            raise _Unknown(tag)
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if len(self.stack) < 2 or self.stack[-1]["tag"] != tag:
            raise _Unknown(f"/{tag}")  # unbalanced: the HTML's own repair is not ours to guess
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        text = _SPACES.sub(" ", data)
        if self.stack[-1]["tag"] in _STRUCTURE:
            if text.strip():
                raise _Unknown(f"text in {self.stack[-1]['tag']}")  # a browser moves it out
            return
        if text:
            self._children().append(text)

    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        raise _Unknown("<!" + decl + ">")

    def handle_pi(self, data: str) -> None:
        raise _Unknown("<?" + data + ">")

    def unknown_decl(self, data: str) -> None:
        raise _Unknown(data)

    def _children(self) -> list[Node]:
        children = self.stack[-1]["children"]
        assert isinstance(children, list)
        return children


def body_tree(html: str) -> list[Node] | None:
    """The body's nodes, or None when it holds anything the Typst letter does not print."""
    builder = _Builder()
    try:
        builder.feed(html)
        builder.close()
    except _Unknown:
        return None
    if len(builder.stack) != 1:
        return None
    children = builder.root["children"]
    assert isinstance(children, list)
    return _trim(children, block=True)


def _trim(nodes: list[Node], *, block: bool) -> list[Node]:
    """White space as HTML shows it: none at the start and end of a block, none between blocks."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, dict):
            tag = node["tag"]
            children = node["children"]
            assert isinstance(children, list)
            node["children"] = _trim(children, block=tag in _BLOCK)
            if tag in _BLOCK and out and isinstance(out[-1], str) and not out[-1].strip():
                out.pop()
        elif out and isinstance(out[-1], dict) and out[-1]["tag"] in _BLOCK and not node.strip():
            continue
        out.append(node)
    if block:
        while out and isinstance(out[0], str) and not out[0].strip():
            out.pop(0)
        while out and isinstance(out[-1], str) and not out[-1].strip():
            out.pop()
        if out and isinstance(out[0], str):
            out[0] = out[0].lstrip()
        if out and isinstance(out[-1], str):
            out[-1] = out[-1].rstrip()
    return out
