"""An API error's `detail` is said in the language of the token's user."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunmore.access import service
from tests.web.conftest import NOW


def test_an_api_error_is_said_in_the_language_of_the_tokens_user(client: TestClient, ledger: Engine) -> None:
    with ledger.begin() as conn:  # boss reads Dunmore in zh-CN (the default), tom in English
        boss = service.create_token(conn, login="boss", name="erp", actor="test", at=NOW).secret
        tom = service.create_token(conn, login="tom", name="erp", actor="test", at=NOW).secret
    chinese = client.get("/api/v1/customers/NOPE", headers={"Authorization": f"Bearer {boss}"})
    english = client.get("/api/v1/customers/NOPE", headers={"Authorization": f"Bearer {tom}"})
    assert (chinese.status_code, english.status_code) == (404, 404)
    assert chinese.json()["detail"] == "在您可查看的客户中没有 'NOPE'：请核对列表中的编号"
    assert english.json()["detail"] == (
        "no customer 'NOPE' among the customers you can see: check the code in the list"
    )
