"""`dunmore templates check` and `templates show`, through a small app that registers the sub-app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dunmore.cli.templates import register
from dunmore.delivery import check
from dunmore.delivery.check import TemplateProblem, TemplateUse
from dunmore.delivery.render import Templates
from dunmore.domain.policy import CHANNELS

EXAMPLES = Path(__file__).parents[2] / "examples" / "dunning.yaml"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Stands in for the real `dunmore` root."""

    register(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_with_the_example_policy_passes(app: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(app, ["templates", "check", "--policy", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "all 7 templates pass in zh-CN, zh-TW, en (21 files)" in result.output


def test_check_reports_a_broken_override_and_exits_1(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "overdue-1").mkdir()
    (tmp_path / "overdue-1" / "en.jinja").write_text("{% block subject %}{% if %}{% endblock %}\n", "utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "policies:\n  p:\n    levels:\n"
        "      - {name: one, at: 3, channels: [email, sms], template: overdue-1}\n"
        "routes:\n  - {policy: p}\n",
        "utf-8",
    )
    result = runner.invoke(app, ["templates", "check", "--dir", str(tmp_path), "--policy", str(policy)])
    assert result.exit_code == 1, result.output
    assert "syntax" in result.output
    assert "overdue-1" in result.output
    assert "1 problem(s) in 2 templates" in result.output  # overdue-1, and the instalment reminder


def test_check_without_a_policy_covers_every_step_folder_with_every_channel(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "en.jinja").write_text("{% block subject %}x{% endblock %}", "utf-8")
    checked: list[TemplateUse] = []
    problem = TemplateProblem("custom", "zh-CN", "custom/zh-CN.jinja", None, "missing", "no [b]template[/b]")

    def fake_check(templates: Templates, uses: Sequence[TemplateUse]) -> list[TemplateProblem]:
        assert templates.override_dir == tmp_path
        checked.extend(uses)
        return [problem]

    monkeypatch.setattr(check, "check_templates", fake_check)  # the command imports it when run
    result = runner.invoke(app, ["templates", "check", "--dir", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert [use.template for use in checked] == [
        "custom",
        "final-notice",
        "instalment-reminder",
        "legal-review",
        "overdue-1",
        "overdue-2",
        "reminder-due",
        "reminder-pre-due",
    ]
    assert all(use.channels == CHANNELS for use in checked)
    assert "no [b]template[/b]" in result.output  # problems are shown as text, not as markup
    assert "1 problem(s) in 8 templates" in result.output


def test_show_prints_each_channel(app: typer.Typer, runner: CliRunner) -> None:
    text = runner.invoke(app, ["templates", "show", "final-notice", "--lang", "zh-CN", "--channel", "text"])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("最后付款通知：请于2026年12月3日前付清¥15,741.51（DN-000042）\n")
    sms = runner.invoke(app, ["templates", "show", "overdue-1", "--lang", "zh-TW", "--channel", "sms"])
    assert sms.output.startswith("【台灣宏達精密工業股份有限公司】")
    assert "UCS-2" in sms.output
    email = runner.invoke(app, ["templates", "show", "reminder-due", "--lang", "en", "--currency", "JPY"])
    assert email.output.startswith("<!DOCTYPE html>")
    assert "JP¥" in email.output
    brief = runner.invoke(app, ["templates", "show", "legal-review", "--lang", "en", "--channel", "brief"])
    assert brief.output.startswith("Internal task: legal review of Northwind Trading Ltd")


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["overdue-1", "--lang", "fr"], 2, "--lang 'fr' is not one of zh-CN, zh-TW, en"),
        (["overdue-1", "--channel", "fax"], 2, "--channel 'fax' is not one of"),
        (["no-such-step", "--lang", "en"], 2, "there is no template no-such-step/en.jinja"),
        (["overdue-1", "--currency", "XYZ"], 1, "unknown currency 'XYZ'"),
    ],
)
def test_show_refuses_bad_arguments(
    app: typer.Typer, runner: CliRunner, arguments: list[str], exit_code: int, message: str
) -> None:
    result = runner.invoke(app, ["templates", "show", *arguments])
    assert result.exit_code == exit_code
    assert message in result.output
