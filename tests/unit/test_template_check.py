"""`check_templates`: a good set has no problem; each kind of broken override is reported with its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunmore.delivery.check import (
    TemplateProblem,
    TemplateUse,
    check_templates,
    sample_notice,
    sample_views,
    uses_for_policies,
)
from dunmore.delivery.render import Templates
from dunmore.domain.money import Money
from dunmore.domain.policy import CHANNELS, load_policy_file

EXAMPLES = Path(__file__).parents[2] / "examples" / "dunning.yaml"
GOOD = """{% block subject %}Reminder {{ reference }}{% endblock %}
{% block text %}Please pay {{ total_due|money }}.{% endblock %}
{% block html %}<p>Please pay {{ total_due|money }}.</p>{% endblock %}
{% block sms %}{{ creditor.name }}: please pay {{ total_due|money }}.{% endblock %}
"""
GOOD_ZH = GOOD.replace("{{ creditor.name }}: please", "【{{ creditor.name }}】请").replace(
    "Please pay", "请付款"
)


def _set(tmp_path: Path, files: dict[str, str]) -> Templates:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Templates(tmp_path)


def _good(step: str, **replaced: str) -> dict[str, str]:
    files = {f"{step}/en.jinja": GOOD, f"{step}/zh-CN.jinja": GOOD_ZH, f"{step}/zh-TW.jinja": GOOD_ZH}
    return {**files, **replaced}


def _codes(problems: list[TemplateProblem]) -> list[tuple[str | None, str]]:
    return [(problem.language, problem.code) for problem in problems]


def test_the_default_set_passes_for_every_step_and_channel() -> None:
    templates = Templates()
    uses = [TemplateUse(step, CHANNELS) for step in templates.step_templates()]
    assert len(uses) == 7
    assert check_templates(templates, uses) == []


def test_uses_come_from_the_policy_steps_and_their_channels() -> None:
    uses = uses_for_policies(load_policy_file(EXAMPLES))
    assert uses == [
        TemplateUse("final-notice", ("email", "letter")),
        TemplateUse("instalment-reminder", ("email", "sms")),
        TemplateUse("legal-review", ("task",)),
        TemplateUse("overdue-1", ("email", "sms")),
        TemplateUse("overdue-2", ("call", "email")),
        TemplateUse("reminder-due", ("email",)),
        TemplateUse("reminder-pre-due", ("email",)),
    ]


def test_a_template_sent_by_sms_gets_the_smallest_budget_of_its_steps(tmp_path: Path) -> None:
    policy = tmp_path / "dunning.yaml"
    policy.write_text(
        "policies:\n  p:\n    levels:\n"
        "      - {name: a, at: 3, channels: [sms], template: overdue-1, sms_segments: 3}\n"
        "      - {name: b, at: 9, channels: [sms, email], template: overdue-1, sms_segments: 1}\n"
        "      - {name: c, at: 20, channels: [email], template: overdue-2}\n"
        "routes: [{policy: p}]\n",
        encoding="utf-8",
    )
    uses = uses_for_policies(load_policy_file(policy))
    assert uses == [
        TemplateUse("instalment-reminder", ("email", "sms"), sms_segments=2),
        TemplateUse("overdue-1", ("email", "sms"), sms_segments=1),
        TemplateUse("overdue-2", ("email",), sms_segments=2),
    ]


def test_a_good_override_passes(tmp_path: Path) -> None:
    templates = _set(tmp_path, _good("custom"))
    assert check_templates(templates, [TemplateUse("custom", ("email", "sms"))]) == []


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    broken = GOOD_ZH.replace("{% block text %}", "{% block text %}{% if total_due %}")
    templates = _set(tmp_path, _good("custom", **{"custom/zh-CN.jinja": broken}))
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert _codes(problems) == [("zh-CN", "syntax")]
    assert problems[0].line == 2
    assert problems[0].file.endswith("custom/zh-CN.jinja")
    assert str(problems[0]).startswith(f"{problems[0].file}:2: syntax: ")


def test_an_unknown_variable_is_reported_with_its_line(tmp_path: Path) -> None:
    broken = GOOD_ZH.replace("{% block text %}", "{% block text %}{{ creditor.fax }}{{ fax_number }}")
    templates = _set(tmp_path, _good("custom", **{"custom/zh-TW.jinja": broken}))
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert _codes(problems) == [("zh-TW", "unknown_variable")]
    assert (problems[0].line, problems[0].template) == (2, "custom")
    assert "'fax_number' is not a notice variable" in problems[0].message


def test_an_undefined_attribute_is_caught_when_rendering(tmp_path: Path) -> None:
    broken = GOOD.replace("{% block text %}", "{% block text %}{{ creditor.fax }}")
    templates = _set(tmp_path, _good("custom", **{"custom/en.jinja": broken}))
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert _codes(problems) == [("en", "undefined")]
    assert problems[0].line == 2
    assert "has no attribute 'fax'" in problems[0].message


def test_a_value_missing_in_some_notices_is_caught_with_the_sample(tmp_path: Path) -> None:
    broken = GOOD.replace("{% block text %}", "{% block text %}Fee {{ fee|money }}. ")
    templates = _set(tmp_path, _good("custom", **{"custom/en.jinja": broken}))
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert _codes(problems) == [("en", "render")]
    assert "sample: reminder" in problems[0].message


def test_forbidden_wording_is_reported_unless_the_step_allows_legal_action(tmp_path: Path) -> None:
    threatening = GOOD.replace("Please pay", "Final notice before legal action: please pay")
    templates = _set(tmp_path, _good("custom", **{"custom/en.jinja": threatening}))
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert {code for _, code in _codes(problems)} == {"wording"}
    assert "legal_action: «legal action» in the text" in problems[0].message
    assert problems[0].line == 2
    allowed = check_templates(templates, [TemplateUse("custom", ("email",), allow_legal_action=True)])
    assert allowed == []


def test_threats_are_reported_even_when_legal_action_is_allowed(tmp_path: Path) -> None:
    threatening = GOOD_ZH.replace("{% block sms %}", "{% block sms %}如不还款将通知您的家人。")
    templates = _set(tmp_path, _good("custom", **{"custom/zh-CN.jinja": threatening}))
    problems = check_templates(templates, [TemplateUse("custom", ("sms",), allow_legal_action=True)])
    assert _codes(problems) == [("zh-CN", "wording"), ("zh-CN", "sms_signature")]
    assert "shaming: «通知您的家人» in the sms" in problems[0].message


def test_an_sms_too_long_for_its_segments(tmp_path: Path) -> None:
    long = GOOD_ZH.replace("请付款", "请付款" + "，谢谢" * 40, 1).replace(
        "{% block sms %}【{{ creditor.name }}】请", "{% block sms %}【{{ creditor.name }}】" + "请尽快" * 40
    )
    templates = _set(tmp_path, _good("custom", **{"custom/zh-CN.jinja": long}))
    problems = check_templates(templates, [TemplateUse("custom", ("email", "sms"))])
    assert _codes(problems) == [("zh-CN", "sms_too_long")]
    assert "where 2 are allowed (134 units)" in problems[0].message
    assert problems[0].line == 4
    # the same text is fine when SMS is not among the channels, or three segments are allowed
    assert check_templates(templates, [TemplateUse("custom", ("email",))]) == []
    assert check_templates(templates, [TemplateUse("custom", ("sms",), sms_segments=3)]) == []


def test_a_chinese_sms_needs_its_signature_and_no_brackets_in_the_body(tmp_path: Path) -> None:
    unsigned = GOOD_ZH.replace("【{{ creditor.name }}】", "")
    inner = GOOD_ZH.replace("】请", "】【重要】请")
    templates = _set(
        tmp_path, _good("custom", **{"custom/zh-CN.jinja": unsigned, "custom/zh-TW.jinja": inner})
    )
    problems = check_templates(templates, [TemplateUse("custom", ("sms",))])
    assert _codes(problems) == [("zh-CN", "sms_signature"), ("zh-TW", "sms_signature")]


def test_a_missing_language_and_a_missing_block(tmp_path: Path) -> None:
    no_sms = GOOD.replace(
        "{% block sms %}{{ creditor.name }}: please pay {{ total_due|money }}.{% endblock %}", ""
    )
    files = _good("custom", **{"custom/en.jinja": no_sms})
    del files["custom/zh-TW.jinja"]
    templates = _set(tmp_path, files)
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert _codes(problems) == [("zh-TW", "missing"), ("en", "missing_block")]
    assert "no template custom/zh-TW.jinja" in problems[0].message
    assert "no block sms" in problems[1].message


def test_broken_shared_files_are_reported_once(tmp_path: Path) -> None:
    templates = _set(
        tmp_path, {**_good("custom"), "macros.jinja": "{% macro x() %}{{ who_knows }}{% endmacro %}"}
    )
    problems = check_templates(templates, [TemplateUse("custom", ("email",))])
    assert [(p.template, p.language, p.code, p.line) for p in problems] == [
        ("macros.jinja", None, "unknown_variable", 1)
    ]


def test_the_override_is_what_gets_checked(tmp_path: Path) -> None:
    broken = "{% block subject %}{% endif %}{% endblock %}"
    templates = _set(tmp_path, {"overdue-1/en.jinja": broken})
    problems = check_templates(templates, [TemplateUse("overdue-1", ("email",))])
    assert _codes(problems) == [("en", "syntax")]
    assert problems[0].file == str(tmp_path / "overdue-1" / "en.jinja")


@pytest.mark.parametrize("currency", ["CNY", "EUR", "JPY"])
def test_samples_exist_in_every_currency(currency: str) -> None:
    view = sample_notice("overdue-1", "en", currency)
    assert view.currency == currency
    assert view.total_due == view.total_open + (view.fee or Money.zero(currency)) + (
        view.interest_charge or Money.zero(currency)
    )
    assert len(sample_views("overdue-1", "zh-CN")) == 5
