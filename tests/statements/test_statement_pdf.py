"""The statement's PDF in each language, on the letter's layout and fonts: the title, the balances and
a line printed in real glyphs (read back with poppler's `pdftotext` and `pdffonts`), and a receipt
that names who confirmed. `render_pdf` refuses any character no font can draw, so text read back is
text printed."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from dunmore.statements.compute import Applied, Document, compute
from dunmore.statements.render import Heading, canonical, content_of, statement_html, statement_pdf
from dunmore.statements.service import Receipt

TITLE = {"zh-CN": "对账单", "zh-TW": "對帳單", "en": "Statement of account"}
CLOSING = {"zh-CN": "期末余额", "zh-TW": "期末餘額", "en": "Closing balance"}
FONT = {"zh-CN": "Noto-Sans-CJK-SC", "zh-TW": "Noto-Sans-CJK-TC", "en": "Noto-Sans-CJK-SC"}


def _content() -> tuple[dict[str, object], str]:
    docs = [
        Document("invoice", 1, "INV-1", date(2026, 10, 20), 1_000_000, date(2026, 11, 5)),
        Document("fee", 2, "FEE-7", date(2026, 11, 25), 5_000, date(2026, 11, 25)),
        Document("payment", 1, "PAY-1", date(2026, 11, 10), 150_000),
    ]
    applied = [Applied(1, ("payment", 1), date(2026, 11, 10), 150_000)]
    statement = compute("CNY", docs, applied, period_from=date(2026, 11, 1), period_to=date(2026, 11, 30))
    heading = Heading("C1", "杭州瑞丰贸易有限公司", 1, date(2026, 12, 1), date(2026, 12, 15),
                      "上海明远精密机械有限公司", ("上海市浦东新区世纪大道 100 号",))  # fmt: skip
    content = content_of(statement, heading)
    return content, canonical(content)[1]


def _text(pdf: bytes, folder: Path) -> str:
    path = folder / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
        encoding="utf-8",
    ).stdout


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_the_statement_prints_in_the_customers_language(language: str, tmp_path: Path) -> None:
    content, sha256 = _content()
    pdf = statement_pdf(statement_html(content, sha256, language=language))
    text = _text(pdf, tmp_path)
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "statement.pdf")], capture_output=True, check=True, text=True
    )
    assert TITLE[language] in text
    assert CLOSING[language] in text
    assert "8,550.00" not in text
    assert "8550.00" in text
    assert "FEE-7" in text
    assert sha256 in text.replace("\n", "").replace(" ", "")
    assert FONT[language] in fonts.stdout


def test_the_receipt_names_who_confirmed_and_what(tmp_path: Path) -> None:
    content, sha256 = _content()
    receipt = Receipt(
        "李娜", "财务经理", "2026-12-10T08:00:00+00:00", "2026-12-10T07:59:00+00:00", "203.0.113.9", "UA"
    )
    text = _text(statement_pdf(statement_html(content, sha256, language="zh-CN", receipt=receipt)), tmp_path)
    assert "对账确认回执" in text
    assert "李娜" in text
    assert "203.0.113.9" in text
