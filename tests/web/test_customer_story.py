"""The customer page's story through the web: Ann (collector, east) logs a call on E001 with its
reason and a scanned receipt, sees it on the timeline with the file's SHA-256 and the latest reason
near the top, exports the timeline; the same through the API; a customer of the west is not found."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access import service
from tests.web.conftest import NOW, csrf_of, sign_in

PDF = b"%PDF-1.4\n%%EOF\n"
ZIP = b"PK\x03\x04" + b"\x00" * 26


def _log(client: TestClient, code: str, files: list[tuple[str, bytes]], *, htmx: bool = False,
         **fields: str) -> object:  # fmt: skip
    token = csrf_of(client.get("/customers/E001").text)
    data = {"csrf_token": token, "kind": "call", "channel": "phone", "outcome": "reached"} | fields
    uploads = [("files", (name, content, "application/octet-stream")) for name, content in files]
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/customers/{code}/activities", data=data, files=uploads or None, headers=headers,
                       follow_redirects=False)  # fmt: skip


def test_a_collector_logs_a_call_with_a_receipt_and_reads_it_on_the_timeline(client: TestClient) -> None:
    sign_in(client, "ann")
    answer = _log(
        client, "E001", [("receipt.pdf", PDF)], reason="cash_flow", contact="E001 财务", note="下周付"
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    html = client.get("/customers/E001").text
    story = html[html.index('id="activities"') :]
    assert "资金周转困难" in story[: story.index('id="timeline"')]  # the latest reason, above the timeline
    assert "已联系上" in story
    form = story[: story.index('id="timeline"')]
    assert all(
        f'value="{code}" >{word}</option>' in form for code, word in (("meeting", "会议"), ("wechat", "微信"))
    )
    assert "receipt.pdf" in story
    assert hashlib.sha256(PDF).hexdigest() in story
    assert "下周付" in story
    link = story[story.index("/customers/E001/attachments/") :].split('"')[0]
    file = client.get(link)
    assert file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"].startswith("attachment")


def test_with_htmx_a_refused_file_is_said_beside_the_form_and_nothing_is_logged(client: TestClient) -> None:
    sign_in(client, "tom")
    answer = _log(client, "E001", [("contract.pdf", ZIP)], htmx=True, note="kept")
    text = answer.text  # type: ignore[attr-defined]
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "only PDF, PNG, JPEG and WebP files are kept" in text
    assert ">kept</textarea>" in text  # what was typed stays
    assert "Nothing on the timeline yet." in text
    done = _log(client, "E001", [], htmx=True, outcome="call_back", follow_up="2026-03-18")
    assert "Contact logged." in done.text  # type: ignore[attr-defined]
    assert "follow up on 2026-03-18" in done.text  # type: ignore[attr-defined]


def test_the_timeline_filters_and_exports_as_csv_with_bom_and_escaped_text(client: TestClient) -> None:
    sign_in(client, "boss")
    _log(client, "E001", [], note='=HYPERLINK("http://evil.example")')
    csv = client.get("/customers/E001/timeline.csv", params={"kind": "activity"})
    assert csv.content.startswith("\ufeff".encode())
    assert "'=HYPERLINK" in csv.content.decode("utf-8-sig")
    assert "attachment" in csv.headers["content-disposition"]
    only_payments = client.get("/customers/E001", params={"kind": "payment"}).text
    assert "HYPERLINK" not in only_payments[only_payments.index('id="timeline"') :]


def test_a_collector_cannot_log_on_or_read_a_customer_of_another_portfolio(client: TestClient) -> None:
    sign_in(client, "ann")
    assert _log(client, "W001", []).status_code == 404  # type: ignore[attr-defined]
    assert client.get("/customers/W001/timeline.csv").status_code == 404


@pytest.fixture
def api(client: TestClient, ledger: Engine) -> tuple[TestClient, dict[str, str]]:
    with ledger.begin() as conn:
        token = service.create_token(conn, login="ann", name="erp", actor="test", at=NOW).secret
    return client, {"Authorization": f"Bearer {token}"}


def test_the_api_refuses_a_zip_named_pdf_and_logs_a_png(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    zipped = base64.b64encode(ZIP).decode()
    body = {"kind": "visit", "channel": "in_person", "outcome": "reached", "reason": "not_received",
            "attachments": [{"filename": "a.pdf", "content_base64": zipped}]}  # fmt: skip
    refused = client.post("/api/v1/customers/E001/activities", json=body, headers=auth)
    assert refused.status_code == 400
    assert refused.json()["code"] == "bad_argument"
    body["attachments"] = [{"filename": "door.png", "content_base64": base64.b64encode(png).decode()}]
    logged = client.post("/api/v1/customers/E001/activities", json=body, headers=auth)
    assert logged.status_code == 201
    assert logged.json()["attachments"][0]["sha256"] == hashlib.sha256(png).hexdigest()
    rows = client.get("/api/v1/customers/E001/activities", headers=auth).json()["rows"]
    assert [r["reason"] for r in rows] == ["not_received"]
    events = client.get("/api/v1/customers/E001/timeline", params={"kind": "activity"}, headers=auth).json()
    assert [(e["kind"], e["status"]) for e in events["events"]] == [("activity", "reached")]
    assert client.get("/api/v1/customers/W001/timeline", headers=auth).status_code == 404
    codes = client.get("/api/v1/codes", headers=auth).json()
    assert {"kind": "reason", "code": "cash_flow", "built_in": True}.items() <= codes[12].items()


def test_the_timeline_prints_as_a_pdf_table_with_chinese_fonts_embedded(
    client: TestClient, tmp_path: Path
) -> None:
    sign_in(client, "ann")
    _log(client, "E001", [], reason="not_received", note="发票寄错地址")
    answer = client.get("/customers/E001/timeline.pdf")
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "timeline.pdf"
    pdf.write_bytes(answer.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, encoding="utf-8"
    ).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, encoding="utf-8").stdout
    assert "E001 的时间线" in text
    assert "未收到发票" in text
    assert "发票寄错地址" in text
    assert "Noto-Sans-CJK-SC" in fonts
