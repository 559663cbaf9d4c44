"""Typer's own words — "Usage:", the panels' headings, the `--help` option's help, usage errors — in
the command line's language (issue 11), checked in a fresh interpreter as a person runs `dunmore`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import dunmore
from dunmore.cli import framework

SRC = str(Path(dunmore.__file__).resolve().parents[1])
TYPER = Path(typer.__file__).parent


def dunmore_says(language: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys\nsys.argv[0] = 'dunmore'\nfrom dunmore.cli.app import main\nmain()\n"
    env = {**os.environ, "PYTHONPATH": SRC, "DUNMORE_LANG": language, "COLUMNS": "120",
           "DUNMORE_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def _boxed(text: str) -> str:
    """The text with Rich's box lines in one spelling: under a legacy locale's encoding (GB18030 in
    CI's moved-clock pass) Rich draws its panels in ASCII ('-', '+') instead of '─'."""
    return text.replace("─", "-")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-CN", ["用法： dunmore [OPTIONS] COMMAND", "─ 选项 ─", "─ 命令 ─", "显示此帮助信息并退出。"]),
        ("zh-TW", ["用法： dunmore [OPTIONS] COMMAND", "─ 選項 ─", "─ 指令 ─", "顯示此說明並結束。"]),
        (
            "en",
            [
                "Usage: dunmore [OPTIONS] COMMAND",
                "─ Options ─",
                "─ Commands ─",
                "Show this message and exit.",
            ],
        ),
    ],
)
def test_the_help_pages_headings_follow_the_language(language: str, words: list[str], tmp_path: Path) -> None:
    done = dunmore_says(language, "--help", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    for word in words:
        assert _boxed(word) in _boxed(done.stdout)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-CN", ["─ 错误 ─", "没有这个选项：--nope", "运行 'dunmore run --help' 查看帮助。"]),
        ("zh-TW", ["─ 錯誤 ─", "沒有這個選項：--nope", "執行 'dunmore run --help' 查看說明。"]),
        ("en", ["─ Error ─", "No such option: --nope", "Try 'dunmore run --help' for help."]),
    ],
)
def test_a_usage_error_is_said_in_the_language(language: str, words: list[str], tmp_path: Path) -> None:
    done = dunmore_says(language, "run", "--nope", tmp_path=tmp_path)
    assert done.returncode == 2
    for word in words:
        assert _boxed(word) in _boxed(done.stderr)


def test_a_mistyped_command_is_answered_with_its_near_names_in_the_language(tmp_path: Path) -> None:
    done = dunmore_says("zh-CN", "contracts", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "没有命令 'contracts'。你是不是要输入 'contract'" in done.stderr
    assert "Did you mean" not in done.stderr
    english = dunmore_says("en", "contracts", tmp_path=tmp_path)
    assert "No such command 'contracts'. Did you mean 'contract'" in english.stderr


def test_a_missing_argument_is_named_in_traditional_chinese(tmp_path: Path) -> None:
    done = dunmore_says("zh-TW", "users", "add", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "缺少引數 'login'。" in done.stderr
    assert "用法： dunmore users add" in done.stderr


def test_typer_speaks_english_again_after_the_command(tmp_path: Path) -> None:
    from typer._click.core import Command
    from typer._click.formatting import HelpFormatter

    before = (vars(HelpFormatter)["write_usage"], vars(Command)["get_help_option"])
    with framework.speaking("zh-CN"):
        import typer.rich_utils as rich_utils  # imported inside: its headings are set as it loads

        assert rich_utils.OPTIONS_PANEL_TITLE == "选项"
        assert vars(HelpFormatter)["write_usage"] is not before[0]
    assert (vars(HelpFormatter)["write_usage"], vars(Command)["get_help_option"]) == before
    assert rich_utils.OPTIONS_PANEL_TITLE == "Options"
    assert framework._AfterImport not in {type(finder) for finder in sys.meta_path}


def test_every_text_translated_is_still_one_typer_writes() -> None:
    """A new Typer that rewords a text would leave its translation unused: this says which."""
    from babel.messages.extract import extract_from_dir

    marked = {message for *_, message, _comments, _context in extract_from_dir(TYPER, [("**.py", "python")])}
    assert [m for m in (*framework.RICH_CONSTANTS.values(), *framework.GETTEXT) if m not in marked] == []
    source = "\n".join(path.read_text(encoding="utf-8") for path in sorted((TYPER / "_click").glob("*.py")))
    assert "Usage: " in source
    assert framework.HELP_OPTION in source
    written = ("Got unexpected extra argument(s) (", "does not take a value.", "an argument.",
               "Possible options: ", "Choose from:", "Did you mean {suggestions}?")  # fmt: skip
    assert [piece for piece in written if piece not in source + (TYPER / "core.py").read_text()] == []


def test_typers_error_messages_are_read_back_against_the_catalog() -> None:
    from typer._click import exceptions as errors

    raised = [
        errors.MissingParameter(param_type="argument", param_hint="'login'"),
        errors.MissingParameter(param_type="option", param_hint="'--role'"),
        errors.NoSuchOption("--rol", possibilities=["--role"]),
        errors.BadParameter("'x' is not one of 'a', 'b'.", param_hint="'--role'"),
        errors.BadParameter("nope"),
        errors.FileError("f.csv", hint="gone"),
        errors.UsageError("Got unexpected extra argument(s) (a b)"),
    ]
    english = [error.format_message() for error in raised]
    with framework.speaking("zh-CN"):
        said = [error.format_message() for error in raised]
    assert english[0] == "Missing argument 'login'."
    assert said == [
        "缺少参数 'login'。",
        "缺少选项 '--role'。",
        "没有这个选项：--rol（可能的选项：--role）",
        "'--role' 的值无效：'x' 不是 'a', 'b' 之一。",
        "无效的值：nope",
        "无法打开文件 'f.csv'：gone",
        "多出了意外的参数（a b）",
    ]
