"""The interactive API docs need nothing from the internet."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.offline_docs import assert_docs_offline


def test_doc_pages_load_only_assets_this_app_serves(client: TestClient) -> None:
    assert_docs_offline(client)


def test_swagger_ui_sends_the_schema_to_no_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text
