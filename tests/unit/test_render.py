"""Rendering notices: every default template in every language, escaping, overrides, sandbox, errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dunmore.delivery.check import sample_notice
from dunmore.delivery.formatting import long_date, money
from dunmore.delivery.render import LETTER_LAYOUT, Message, TemplateError, Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES, Language
from dunmore.errors import DunmoreError

STEPS = ("reminder-pre-due", "reminder-due", "overdue-1", "overdue-2", "final-notice", "legal-review")
BLOCKS = """{% block subject %}S{% endblock %}{% block text %}T{% endblock %}
{% block html %}<p>H</p>{% endblock %}{% block sms %}M{% endblock %}"""


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


def _override(tmp_path: Path, files: dict[str, str]) -> Templates:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Templates(tmp_path)


def test_the_default_set_has_the_six_steps(templates: Templates) -> None:
    # and the instalment reminder, which announces one instalment rather than items (its own tests:
    # tests/scenarios/test_run_instalment_reminders.py)
    assert templates.step_templates() == sorted([*STEPS, "instalment-reminder"])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", STEPS)
def test_every_default_template_renders_with_amounts_and_dates(
    templates: Templates, step: str, language: Language
) -> None:
    view = sample_notice(step, language, reminder=step.startswith("reminder"))
    message = templates.render(step, view)
    first = view.items[0]
    for part in (message.text, message.html):
        assert money(view.total_open, language) in part
        assert money(first.open_amount, language) in part
        assert long_date(first.due_date, language) in part
        assert first.reference in part
        assert view.creditor.name in part
    assert message.subject
    assert "\n" not in message.subject
    assert view.reference in message.subject
    assert message.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in message.html
    assert message.sms
    assert "\n" not in message.sms
    assert "  " not in message.sms
    if language == "en":
        assert message.sms.startswith(view.creditor.name)
    else:
        assert message.sms.startswith(f"【{view.creditor.name}】")
        assert "2026年" in message.text
    assert view.portal_link in message.sms


def test_the_final_notice_states_fee_interest_total_deadline_and_next_step(templates: Templates) -> None:
    message = templates.render("final-notice", sample_view("zh-CN"))
    assert message.subject == "最后付款通知：请于2026年12月3日前付清¥15,741.51（DN-000042）"
    assert "催款费用¥100.00" in message.text
    assert "按年利率3.65%计算的逾期利息¥46.01" in message.text
    assert "应付总额为¥15,741.51" in message.text
    assert "提交内部法务审核（该步骤须经我司管理层批准）" in message.text
    english = templates.render("final-notice", sample_view("en"))
    assert english.subject == "Final notice: please pay CN¥15,741.51 by 3 December 2026 (DN-000042)"
    assert "we will refer your account for internal legal review" in english.text
    taiwan = templates.render("final-notice", sample_view("zh-TW", currency="EUR"))
    assert "應付總額為€15,741.51" in taiwan.text
    assert "提交內部法務單位審查" in taiwan.text


def test_a_template_handles_a_notice_without_charges_deadline_or_next_step(templates: Templates) -> None:
    view = dataclasses.replace(
        sample_view("en", with_charges=False, deadline_days=None), next_step=None, interest_rate=None
    )
    message = templates.render("final-notice", view)
    assert "late payment fee" not in message.text
    assert "Please pay the total due of CN¥15,545.50 immediately." in message.text
    assert "legal review" not in message.text


def test_the_legal_review_has_an_internal_brief(templates: Templates) -> None:
    message = templates.render("legal-review", sample_view("zh-CN", level=4))
    assert message.brief.startswith("内部任务：账户法务审核 — 杭州瑞丰贸易有限公司")
    assert "最长逾期 34 天" in message.brief
    assert "尚未作出任何决定" in message.text
    assert templates.render("overdue-1", sample_view("zh-CN")).brief == ""


def test_html_is_escaped_and_plain_text_is_not(templates: Templates) -> None:
    view = sample_view("en")
    view = dataclasses.replace(view, debtor=dataclasses.replace(view.debtor, name="Smith & Sons <UK>"))
    message = templates.render("overdue-1", view)
    assert "Smith &amp; Sons &lt;UK&gt;" in message.html
    assert "Smith & Sons <UK>" not in message.html
    assert "&amp;amp;" not in message.html  # escaped once, in the body and in the layout alike
    assert message.text.startswith("Smith & Sons <UK>\n")
    assert "Smith & Sons <UK>" in message.sms


def test_the_letter_wraps_the_html_body(templates: Templates) -> None:
    if not templates.exists(LETTER_LAYOUT):
        pytest.skip("no letter layout yet")
    message = templates.render("final-notice", sample_view("zh-TW"))
    assert message.letter_html.startswith("<!DOCTYPE html>")
    assert "本通知即為本公司就上述款項向貴公司提出之書面付款請求" in message.letter_html
    assert message.subject in message.letter_html


def test_an_override_comes_first_and_the_rest_falls_back(tmp_path: Path) -> None:
    templates = _override(tmp_path, {"overdue-1/en.jinja": BLOCKS})
    english = templates.render("overdue-1", sample_view("en"))
    assert (english.subject, english.text, english.sms) == ("S", "T\n", "M")
    assert "<p>H</p>" in english.html
    chinese = templates.render("overdue-1", sample_view("zh-CN"))
    assert chinese.subject == "付款提醒：发票已逾期（DN-000042）"
    assert "overdue-1" in templates.step_templates()


def test_a_file_edited_in_place_renders_its_new_text_in_a_new_template_set(tmp_path: Path) -> None:
    """Compiled templates are kept for the process (one compile per file, not per set), but never
    for a file whose text changed: the same path edited renders the edit, in both flavours."""
    first = _override(tmp_path, {"overdue-1/en.jinja": BLOCKS})
    assert first.render("overdue-1", sample_view("en")).subject == "S"
    edited = BLOCKS.replace("{% block subject %}S", "{% block subject %}Edited").replace(
        "<p>H</p>", "<p>E</p>"
    )
    second = _override(tmp_path, {"overdue-1/en.jinja": edited})
    message = second.render("overdue-1", sample_view("en"))
    assert message.subject == "Edited"
    assert "<p>E</p>" in message.html
    assert (
        _override(tmp_path, {"overdue-1/en.jinja": BLOCKS}).render("overdue-1", sample_view("en")).subject
        == "S"
    )


def test_an_override_can_extend_a_default_file(tmp_path: Path) -> None:
    templates = _override(
        tmp_path,
        {
            "overdue-1/en.jinja": '{% extends "default/overdue-1/en.jinja" %}'
            "{% block sms %}Pay {{ total_due|money }} now, {{ reference }}{% endblock %}"
        },
    )
    message = templates.render("overdue-1", sample_view("en"))
    assert message.sms == "Pay CN¥15,741.51 now, DN-000042"
    assert message.text == Templates().render("overdue-1", sample_view("en")).text


def test_subject_and_sms_are_one_line(tmp_path: Path) -> None:
    templates = _override(
        tmp_path,
        {
            "x/en.jinja": "{% block subject %}\n  Line one\n  line two\n{% endblock %}"
            "{% block text %}T{% endblock %}{% block html %}H{% endblock %}"
            "{% block sms %}  a\n\n b  {% endblock %}"
        },
    )
    message = templates.render("x", sample_view("en"))
    assert (message.subject, message.sms) == ("Line one line two", "a b")


@pytest.mark.parametrize(
    ("source", "kind", "line", "words"),
    [
        ("{% block subject %}{{ nonsense }}{% endblock %}", "undefined", 1, "'nonsense' is undefined"),
        ("\n\n{% block subject %}{{ creditor.fax }}{% endblock %}", "undefined", 3, "has no attribute 'fax'"),
        ("{% block subject %}{{ creditor.__class__.__mro__ }}{% endblock %}", "unsafe", 1, "unsafe"),
        (
            "{% block subject %}{{ ''.__class__.__base__.__subclasses__() }}{% endblock %}",
            "unsafe",
            1,
            "unsafe",
        ),
        ("\n{% block subject %}{% if %}{% endblock %}", "syntax", 2, "syntax error"),
        ("{% block subject %}{{ fee|money }}{% endblock %}", "render", 1, "cannot render"),
    ],
)
def test_template_errors_name_the_file_and_line(
    tmp_path: Path, source: str, kind: str, line: int, words: str
) -> None:
    templates = _override(
        tmp_path, {"bad/en.jinja": source + BLOCKS.replace("{% block subject %}S{% endblock %}", "")}
    )
    view = sample_view("en", with_charges=False)  # fee is None: `fee|money` cannot render
    with pytest.raises(TemplateError) as caught:
        templates.render("bad", view)
    error = caught.value
    assert isinstance(error, DunmoreError)
    assert (error.kind, error.line) == (kind, line)
    assert error.file.endswith("bad/en.jinja")
    assert words in str(error)
    assert f"bad/en.jinja, line {line}" in str(error)


def test_a_missing_language_or_block_is_an_error(tmp_path: Path) -> None:
    templates = _override(
        tmp_path, {"only-en/en.jinja": BLOCKS.replace("{% block sms %}M{% endblock %}", "")}
    )
    with pytest.raises(TemplateError, match=r"no template only-en/zh-CN\.jinja") as missing:
        templates.render("only-en", sample_view("zh-CN"))
    assert missing.value.kind == "missing"
    with pytest.raises(TemplateError, match="the block sms is missing") as block:
        templates.render("only-en", sample_view("en"))
    assert block.value.kind == "missing_block"


def test_a_message_is_frozen(templates: Templates) -> None:
    message = templates.render("overdue-1", sample_view("en"))
    assert isinstance(message, Message)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.sms = "changed"  # type: ignore[misc]


def test_a_chinese_sms_signs_with_the_registered_signature_when_there_is_one() -> None:
    view = sample_view("zh-CN")
    signed = dataclasses.replace(view, creditor=dataclasses.replace(view.creditor, sms_signature="明远精密"))
    assert Templates().render("overdue-1", view).sms.startswith("【上海明远精密机械有限公司】")
    assert Templates().render("overdue-1", signed).sms.startswith("【明远精密】")


PORTAL_WORDS = {"zh-CN": ("详情", "在线"), "zh-TW": ("詳情", "線上"), "en": ("Details", "online")}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", STEPS)
def test_without_a_portal_no_part_of_a_notice_links_or_points_to_one(
    templates: Templates, step: str, language: Language
) -> None:
    view = dataclasses.replace(
        sample_notice(step, language, reminder=step.startswith("reminder")), portal_link=""
    )
    message = templates.render(step, view)
    for part in (message.subject, message.text, message.html, message.sms, message.letter_html):
        assert "portal" not in part
        for word in PORTAL_WORDS[language]:
            assert word not in part
    assert message.sms.endswith(("。", "."))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", STEPS)
def test_with_a_portal_every_channel_carries_the_link(
    templates: Templates, step: str, language: Language
) -> None:
    view = sample_notice(step, language, reminder=step.startswith("reminder"))
    message = templates.render(step, view)
    for part in (message.text, message.html, message.sms, message.letter_html):
        assert view.portal_link in part
