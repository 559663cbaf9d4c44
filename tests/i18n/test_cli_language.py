"""The command line, its errors and the API's error messages in the reader's language (zh-CN, zh-TW,
en), and the catalog check over all of them."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunmore import i18n
from dunmore.cli.app import app
from dunmore.errors import ImportProblem, NotFound
from dunmore.i18n import _m
from dunmore.i18n.check import check_area
from dunmore.i18n.extract import cli_messages, error_messages
from tests.scenarios.story import EXAMPLE, Story, policy_file

runner = CliRunner()


@pytest.mark.parametrize(
    ("language", "root", "approve"),
    [
        ("zh-CN", "应收账款催收：台账、账龄、催收批次", "提交催收批次（不加此项则不写入任何内容）"),
        ("zh-TW", "應收帳款催收：帳務資料、帳齡、催收批次", "提交催收批次（不加此選項則不寫入任何資料）"),
        ("en", "accounts-receivable collections", "Commit the run (without it, nothing is written)."),
    ],
)
def test_the_help_is_in_the_language_of_the_environment(language: str, root: str, approve: str) -> None:
    env = {"DUNMORE_LANG": language, "COLUMNS": "200"}
    assert root in runner.invoke(app, ["--help"], env=env).output
    assert approve in runner.invoke(app, ["run", "--help"], env=env).output


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"DUNMORE_LANG": "zh-TW", "LANG": "en_US.UTF-8"}, "zh-TW"),
        ({"LANG": "zh_CN.GB18030"}, "zh-CN"),
        ({"LANG": "zh_TW.UTF-8"}, "zh-TW"),
        ({"LANG": "zh_HK.Big5"}, "zh-TW"),
        ({"LANG": "zh_SG.UTF-8"}, "zh-CN"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "zh_CN.UTF-8"}, "zh-TW"),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
    ],
)
def test_the_command_lines_language_comes_from_dunmore_lang_then_the_locale(
    environ: dict[str, str], language: str
) -> None:
    assert i18n.from_environment(environ) == language


BAD_CUSTOMERS = "customer_id,name,email\nC1,Acme,nope\n"


@pytest.mark.parametrize(
    ("language", "rejected", "said"),
    [
        (
            "zh-CN",
            "1 行有 1 个问题",
            "第 2 行，email 列：邮箱无效：请填写一个地址，例如 ar@example.com（读到 'nope'）",
        ),
        (
            "zh-TW",
            "1 列有 1 個問題",
            "第 2 列，email 欄：電子郵件無效：請填寫一個地址，例如 ar@example.com（讀到 'nope'）",
        ),
        (
            "en",
            "1 problem on 1 line",
            "line 2, column email: invalid email: write one address such as ar@example.com",
        ),
    ],
)
def test_an_import_problem_is_said_in_the_readers_language(
    tmp_path: Path, language: str, rejected: str, said: str
) -> None:
    file = tmp_path / "customers.csv"
    file.write_text(BAD_CUSTOMERS, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = runner.invoke(
        app, ["--db", url, "import", "customers", str(file)], env={"DUNMORE_LANG": language, "COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert rejected in result.stderr
    assert said in result.stderr


def test_a_reason_built_by_polars_is_read_back_with_its_values() -> None:
    problem = ImportProblem(4, "invoice_id", "duplicate invoice_id with different values (first on line 2): "
                            "keep one row per invoice_id", "INV-1")  # fmt: skip
    assert problem.render("zh-TW") == (
        "第 4 列，invoice_id 欄：invoice_id 重複且內容不同（首次出現在第 2 列）：每個 invoice_id 只保留一列"
        "（讀到 'INV-1'）"
    )
    unknown = ImportProblem(3, "x", "a reason no catalog knows")
    assert unknown.render("zh-CN") == "第 3 行，x 列：a reason no catalog knows"


def test_an_error_stays_english_as_a_string_and_is_said_in_any_language() -> None:
    error = NotFound(
        _m("no customer %(customer)s: use the customer_id of your import files", customer="'C9'")
    )
    assert str(error) == "no customer 'C9': use the customer_id of your import files"
    assert error.render("zh-CN") == "没有客户 'C9'：请使用导入文件中的 customer_id"
    assert error.render("zh-TW") == "沒有客戶 'C9'：請使用匯入檔案中的 customer_id"
    assert NotFound("plain").render("zh-CN") == "plain"


def test_a_command_line_error_is_said_in_the_readers_language(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ["--db", url, "aging", "--as-of", "2026-02-30"]
    assert "--as-of '2026-02-30' 不是日期" in runner.invoke(app, args, env={"DUNMORE_LANG": "zh-CN"}).stderr
    assert "錯誤：" in runner.invoke(app, args, env={"DUNMORE_LANG": "zh-TW"}).stderr
    assert "is not a date" in runner.invoke(app, args, env={"DUNMORE_LANG": "en"}).stderr


def test_every_cli_and_error_message_is_translated() -> None:
    assert check_area("cli") == []
    assert check_area("errors") == []


def test_the_cli_and_errors_use_messages_at_all() -> None:
    cli = {m.id for m in cli_messages() if m.id}
    assert "Commit the run (without it, nothing is written)." in cli  # an option's help=
    assert "Approve a notice waiting for approval: it applies as of its run date." in cli  # a docstring
    assert "notice %(notice)s approved" in cli  # a message printed
    errors = {m.id for m in error_messages() if m.id}
    assert "unknown invoice: import the invoice first, or leave invoice_id empty" in errors  # N_
    assert "no notice %(notice)s: `dunmore run --as-of DATE` lists notices with their ids" in errors  # _m


def test_a_help_text_missing_from_cli_po_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(i18n.LOCALES, tmp_path / "locales")
    po = tmp_path / "locales" / "zh_Hant" / "LC_MESSAGES" / "cli.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale="zh_Hant_TW")
    del catalog["Print the notices as JSON."]
    with po.open("wb") as file:
        write_po(file, catalog)
    monkeypatch.setattr(i18n, "LOCALES", tmp_path / "locales")
    i18n.forget()
    try:
        found = check_area("cli")
    finally:
        i18n.forget()
    assert found == [
        f"zh-TW: 'Print the notices as JSON.' has no translation: add it to a .po file of "
        f"{tmp_path / 'locales' / 'zh_Hant' / 'LC_MESSAGES'}"
    ]


def test_the_compiled_catalog_follows_its_po_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(i18n.LOCALES, tmp_path / "locales")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path / "locales")
    monkeypatch.setenv("DUNMORE_CACHE_DIR", str(tmp_path / "cache"))
    i18n.forget()
    try:
        assert i18n.translate("zh-CN", "Print the notices as JSON.") == "以 JSON 输出通知。"
        po = tmp_path / "locales" / "zh_Hans" / "LC_MESSAGES" / "cli.po"
        text = po.read_text(encoding="utf-8").replace("以 JSON 输出通知。", "用 JSON 格式输出通知。")
        po.write_text(text, encoding="utf-8")
        i18n.forget()
        assert i18n.translate("zh-CN", "Print the notices as JSON.") == "用 JSON 格式输出通知。"
        assert len(list((tmp_path / "cache" / "i18n").glob("zh_Hans-*.mo"))) == 2
    finally:
        i18n.forget()


def test_the_aging_and_run_tables_are_headed_in_the_readers_language(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The column names of the printed tables too, not only the sentences around them."""
    policy = (
        "policies:\n  p:\n    levels:\n"
        "      - {name: first-overdue, at: 3, channels: [email], template: overdue-1}\n"
        "routes:\n  - {policy: p}\n"
    )
    story = Story(sqlite_engine, policy_file(tmp_path, policy))
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="100.00")
    db = ["--db", str(sqlite_engine.url)]

    def said(language: str, *args: str) -> str:
        result = runner.invoke(app, [*db, *args], env={"DUNMORE_LANG": language, "COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    aging = said("zh-TW", "aging", "--as-of", "2026-09-10")
    assert all(word in aging for word in ("（依幣別）", "帳齡區間", "未到期", "總額")), aging
    run = said("zh-TW", "run", "--as-of", "2026-09-10")
    assert all(
        word in run for word in ("編號", "客戶", "步驟", "項目數", "幣別", "未結金額", "利息", "費用")
    ), run
    run = said("zh-CN", "run", "--as-of", "2026-09-10")
    assert all(
        word in run for word in ("编号", "客户", "步骤", "项目数", "币种", "未结金额", "利息", "费用")
    ), run
    run = said("en", "run", "--as-of", "2026-09-10")
    assert all(
        word in run for word in ("customer", "step", "items", "currency", "open", "interest", "fee")
    ), run


def test_what_a_command_says_when_it_is_done_is_in_the_readers_language(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Not only errors, help and tables: the warnings and the closing sentence of a command (a policy
    check's currency gap, a template check, an explanation's item line, a revert, the database)."""
    story = Story(sqlite_engine, EXAMPLE)
    story.customer("C1")
    story.invoice("INV-1", "C1", issued="2026-08-01", due="2026-09-01", amount="100.00")
    story.invoice("INV-2", "C1", issued="2026-08-01", due="2026-09-01", amount="800.00", currency="HKD")
    db = ["--db", str(sqlite_engine.url)]

    def said(language: str, *args: str) -> str:
        result = runner.invoke(app, [*db, *args], env={"DUNMORE_LANG": language, "COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    check = said("zh-TW", "policy", "check", str(EXAMPLE))
    assert "警告： 策略 standard 的等級 second-overdue：手續費未列出 HKD，但帳本的未結項目中有此幣別" in check
    assert "warning:" not in check
    assert "全部 7 个模板在 zh-CN, zh-TW, en 中通过检查（21 个文件）" in said("zh-CN", "templates", "check")
    assert "INV-1 發票 100.00 CNY，到期日 2026-09-01（+9 天），級別" in said(
        "en", "explain", "C1", "--as-of", "2026-09-10", "--lang", "zh-TW"
    )  # the sentences' language, as --lang asks, whatever the terminal's
    committed = said("en", "run", "--as-of", "2026-09-10", "--approve")
    run = re.search(r"committed as run (\d+)", committed)
    assert run is not None, committed
    reverted = said("zh-CN", "run", "revert", run.group(1))
    assert reverted.startswith(f"批次 {run.group(1)}（2026-09-10）已撤销：")
    assert "数据库：sqlite:///" in said("zh-CN", "db", "status")
    assert "資料庫：sqlite:///" in said("zh-TW", "db", "status")


def _printed_english(path: Path) -> list[str]:
    """The sentences `path` prints as written (a literal or an f-string as what is printed) rather
    than through `_`: two English words in a row, once values and markup are set aside; a command
    line shown to type (`dunmore …`) is not a sentence."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("print", "echo", "secho") or not node.args:
            continue
        first = node.args[0]
        if not isinstance(first, ast.Constant | ast.JoinedStr):
            continue
        text = re.sub(
            r"\{[^}]*\}|\[[^\]]*\]",
            "",
            ast.unparse(first)[2:-1] if isinstance(first, ast.JoinedStr) else str(first.value),
        )
        if re.search(r"\b[a-z]{2,} [a-z]{2,}\b", text) and not text.strip().startswith("dunmore "):
            found.append(f"{path.name}:{node.lineno}: {text.strip()}")
    return found


def test_the_command_line_prints_no_sentence_past_the_catalog() -> None:
    """Every sentence a command prints goes through `_` (or `_m`): one written into an f-string stays
    English for a reader in zh-CN or zh-TW (some thirty did, until they were found by reading the commands'
    output in Chinese)."""
    cli = Path(__file__).parents[2] / "src" / "dunmore" / "cli"
    assert [line for path in sorted(cli.glob("*.py")) for line in _printed_english(path)] == []


def test_the_check_for_english_sentences_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "said.py"
    module.write_text(
        'console.print(f"{count} letters written to {output}")\n'
        'console.print(_("%(count)s letters written to %(file)s", count=1, file="x"))\n'
        'console.print(f"      dunmore {db}aging --by customer")\n',
        encoding="utf-8",
    )
    assert _printed_english(module) == ["said.py:1: letters written to"]
