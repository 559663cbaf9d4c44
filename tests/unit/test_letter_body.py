"""The Typst letter's input: a step's HTML body as a tree of plain values, texts printed as written
(never read as Typst markup), and the WeasyPrint fallback for a body or layout Typst does not know."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from dunmore.delivery.check import sample_views
from dunmore.delivery.letter import print_letter
from dunmore.delivery.letter_body import body_tree
from dunmore.delivery.render import LETTER_LAYOUT, Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES, Language


def pdf_info(pdf: bytes, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", path, "-"], check=True, capture_output=True, encoding="utf-8").stdout
    info = subprocess.run(["pdfinfo", path], check=True, capture_output=True, encoding="utf-8").stdout
    made_by = [
        line.split(":", 1)[1].strip()
        for line in info.splitlines()
        if line.startswith(("Creator", "Producer"))
    ]
    return text, " ".join(made_by)


def test_the_subset_becomes_a_tree_of_texts() -> None:
    html = """
    <p>Dear <strong>Ms &amp; Mr</strong>   Lee,<br>
       see <a href="https://x.example">the   portal</a>.</p>
    <table class="items"><thead><tr><th>A</th><th class="money">B</th></tr></thead>
      <tbody><tr><td style="text-align:right;white-space:nowrap">1</td>
      <td style="font-weight:bold" colspan="2">&lt;2&gt;</td></tr></tbody></table>
    <ul><li>one</li> <li><em>two</em></li></ul>
    """
    assert body_tree(html) == [
        {
            "tag": "p",
            "children": [
                "Dear ",
                {"tag": "strong", "children": ["Ms & Mr"]},
                " Lee,",
                {"tag": "br", "children": []},
                " see ",
                {"tag": "a", "children": ["the portal"]},
                ".",
            ],
        },
        {
            "tag": "table",
            "children": [
                {
                    "tag": "thead",
                    "children": [
                        {
                            "tag": "tr",
                            "children": [
                                {"tag": "th", "children": ["A"]},
                                {"tag": "th", "children": ["B"], "align": "right"},
                            ],
                        }
                    ],
                },
                {
                    "tag": "tbody",
                    "children": [
                        {
                            "tag": "tr",
                            "children": [
                                {"tag": "td", "children": ["1"], "align": "right", "nowrap": True},
                                {"tag": "td", "children": ["<2>"], "bold": True, "colspan": 2},
                            ],
                        }
                    ],
                },
            ],
        },
        {
            "tag": "ul",
            "children": [
                {"tag": "li", "children": ["one"]},
                {"tag": "li", "children": [{"tag": "em", "children": ["two"]}]},
            ],
        },
    ]


@pytest.mark.parametrize(
    "html",
    [
        "<div>a</div>",
        "<p>a <img src='x.png'></p>",
        "<style>p { color: red }</style><p>a</p>",
        "<script>alert(1)</script>",
        "<p><strong>a</p></strong>",  # unbalanced: a browser's repair is not guessed
        "<p>a",
        "<h1>title</h1>",
        "<table><td>a cell without its row</td></table>",
        "<table>text the browser moves out<tr><td>a</td></tr></table>",
        "<ul><p>not an item</p></ul>",
        "<p><li>an item without its list</li></p>",
        "<table><caption>c</caption><tr><td>a</td></tr></table>",
    ],
)
def test_html_outside_the_subset_gives_no_tree(html: str) -> None:
    assert body_tree(html) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_step_prints_with_typst(language: Language) -> None:
    templates = Templates()
    for step in templates.step_templates():
        for label, view in sample_views(step, language):
            message = templates.render(step, view)
            assert message.letter_data, (step, label)
            assert json.loads(message.letter_data)["body"], (step, label)


MARKUP = "#set page(width: 1cm) *bold* _em_ $x^2$ \\ ] [ <l> @ref `raw` // not a comment"


def test_texts_are_printed_as_written_never_read_as_markup(tmp_path: Path) -> None:
    view = sample_view("en")
    view = replace(
        view,
        debtor=replace(view.debtor, name=MARKUP),
        contact=replace(view.contact, name="#panic()"),
        reference="DN-#1*",
    )
    message = Templates().render("final-notice", view)
    assert "#panic()" in json.dumps(json.loads(message.letter_data)["body"])  # the greeting in the body
    text, creator = pdf_info(print_letter(message.letter), tmp_path)
    assert "Typst" in creator
    flat = " ".join(text.split())
    assert MARKUP in flat
    assert "Dear #panic()," in flat
    assert "DN-#1*" in flat


def test_a_body_outside_the_subset_is_printed_by_weasyprint(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "overdue-1").mkdir(parents=True)
    (folder / "overdue-1" / "en.jinja").write_text(
        '{% extends "default/overdue-1/en.jinja" %}'
        '{% block html %}<div class="note">Please pay {{ total_due|money }}.</div>{% endblock %}',
        encoding="utf-8",
    )
    message = Templates(folder).render("overdue-1", sample_view("en", step="overdue-1"))
    assert message.letter_data == ""
    assert 'class="note"' in message.letter.html
    text, creator = pdf_info(print_letter(message.letter), tmp_path)
    assert "WeasyPrint" in creator
    assert "Please pay CN¥15,741.51." in text


def test_a_letter_layout_of_the_override_folder_is_printed_by_weasyprint(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "layouts").mkdir(parents=True)
    (folder / LETTER_LAYOUT).write_text(
        "<!DOCTYPE html><html><body><h1>{{ subject }}</h1>{{ body }}<p>Own layout</p></body></html>",
        encoding="utf-8",
    )
    message = Templates(folder).render("final-notice", sample_view("en"))
    assert message.letter_data == ""
    text, creator = pdf_info(print_letter(message.letter), tmp_path)
    assert "WeasyPrint" in creator
    assert "Own layout" in text
    assert Templates().render("final-notice", sample_view("en")).letter_data  # the default set: Typst
