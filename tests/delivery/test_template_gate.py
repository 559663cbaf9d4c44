"""The run's template gate checks once per change: an unchanged template set and policy are not
compiled and rendered again on every run, and any edit is checked before the next run commits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from dunmore.delivery import check
from dunmore.delivery.check import TemplateProblem, TemplateUse, uses_for_policies
from dunmore.delivery.render import Templates
from dunmore.delivery.template_gate import FACT, fingerprint, remember_passed, template_verdict
from dunmore.domain.policy import load_policy_file
from dunmore.store.meta import read_fact

DEFAULTS = Path(__file__).parents[2] / "src" / "dunmore" / "delivery" / "templates" / "default"
EXAMPLE = Path(__file__).parents[2] / "examples" / "dunning.yaml"
THREAT = "如不还款将通知您的家人和单位。"


@pytest.fixture
def uses() -> list[TemplateUse]:
    return uses_for_policies(load_policy_file(EXAMPLE))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the full check ran (each call appends the number of uses it checked)."""
    calls: list[int] = []
    real = check.check_templates

    def counted(templates: Templates, wanted: list[TemplateUse]) -> list[TemplateProblem]:
        calls.append(len(wanted))
        return real(templates, wanted)

    monkeypatch.setattr(check, "check_templates", counted)
    return calls


def gate(conn: Connection, folder: Path | None, uses: list[TemplateUse]) -> list[TemplateProblem]:
    """What a run does: check (unless known), then keep a new passing verdict after its writes."""
    verdict = template_verdict(conn, folder, uses)
    remember_passed(conn, verdict)
    return verdict.problems


def _override(folder: Path, text_prefix: str = "") -> Path:
    """An override folder whose overdue-1 zh-CN template is the default one, with `text_prefix`."""
    (folder / "overdue-1").mkdir(parents=True, exist_ok=True)
    source = (DEFAULTS / "overdue-1" / "zh-CN.jinja").read_text(encoding="utf-8")
    changed = source.replace("{% block text %}", "{% block text %}" + text_prefix, 1)
    (folder / "overdue-1" / "zh-CN.jinja").write_text(changed, encoding="utf-8")
    return folder


def test_an_unchanged_template_set_is_checked_once_not_on_every_run(
    engine: Engine, uses: list[TemplateUse], checks: list[int]
) -> None:
    with engine.begin() as conn:
        assert gate(conn, None, uses) == []
        assert gate(conn, None, uses) == []
    with engine.begin() as conn:
        assert gate(conn, None, uses) == []
        assert read_fact(conn, FACT) == fingerprint(None, uses)
    assert checks == [len(uses)]


def test_a_template_edited_after_a_passing_check_is_checked_again_and_refused(
    engine: Engine, uses: list[TemplateUse], checks: list[int], tmp_path: Path
) -> None:
    folder = _override(tmp_path / "templates")
    with engine.begin() as conn:
        assert gate(conn, folder, uses) == []
    _override(folder, THREAT)
    with engine.begin() as conn:
        problems = gate(conn, folder, uses)
    assert any(problem.template == "overdue-1" for problem in problems)
    assert len(checks) == 2
    with engine.begin() as conn:  # a failing check is not remembered: the next run checks again
        assert gate(conn, folder, uses) != []
    assert len(checks) == 3


def test_a_policy_that_uses_the_templates_differently_is_checked_again(
    engine: Engine, uses: list[TemplateUse], checks: list[int]
) -> None:
    tighter = [replace(use, sms_segments=1) if "sms" in use.channels else use for use in uses]
    assert tighter != uses
    assert fingerprint(None, tighter) != fingerprint(None, uses)
    with engine.begin() as conn:
        gate(conn, None, uses)
        gate(conn, None, tighter)
    assert len(checks) == 2


def test_a_new_file_in_the_override_folder_changes_the_fingerprint(
    uses: list[TemplateUse], tmp_path: Path
) -> None:
    folder = _override(tmp_path / "templates")
    before = fingerprint(folder, uses)
    (folder / "layouts").mkdir()
    (folder / "layouts" / "email.html.jinja").write_text("<html>{{ body }}</html>", encoding="utf-8")
    assert fingerprint(folder, uses) != before
