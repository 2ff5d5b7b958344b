"""JSON bodies Python parses but JSON forbids: a clear 422 naming the field, never a 500."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.json_body import MAX_DEPTH, MAX_ERRORS
from coach.core.models import Draft
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from tests.factories import auth

# Raw JSON text, as a client could send it; each is what json.loads accepts and json.dumps
# (with allow_nan=False) or UTF-8 cannot give back.
BAD_VALUES = {
    "lone surrogate": '"\\ud800"',
    "NaN": "NaN",
    "Infinity": "Infinity",
    "minus Infinity": "-Infinity",
    "overflowing number": "1e999999",
}


def _post(client: TestClient, token: str, path: str, raw: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        path, content=raw.encode(), headers={**auth(token), "content-type": "application/json"}
    )
    return response.status_code, response.json()


def _only_error(body: dict[str, object]) -> dict[str, object]:
    detail = body["detail"]
    assert isinstance(detail, list) and len(detail) == 1, detail
    error = detail[0]
    assert isinstance(error, dict)
    return error


@pytest.fixture
def safe_client(app: FastAPI) -> TestClient:
    """A client that answers a server error with a 500 instead of raising it."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("raw", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_comment_check_names_the_field(
    safe_client: TestClient, tokens: dict[str, str], raw: str
) -> None:
    status, body = _post(safe_client, tokens["manager"], "/v1/comments/check", f'{{"text": {raw}}}')
    assert status == 422
    error = _only_error(body)
    assert error["loc"] == ["body", "text"]
    assert "surrogate" in str(error["msg"]) or "finite number" in str(error["msg"])


@pytest.mark.parametrize("raw", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_batch_check_names_the_item(
    safe_client: TestClient, tokens: dict[str, str], raw: str
) -> None:
    status, body = _post(
        safe_client, tokens["hr"], "/v1/comments/check-batch", f'{{"items": ["同意", {raw}]}}'
    )
    assert status == 422 and _only_error(body)["loc"] == ["body", "items", 1]


def test_a_surrogate_in_a_key_is_named_too(safe_client: TestClient, tokens: dict[str, str]) -> None:
    status, body = _post(
        safe_client, tokens["hr"], "/v1/comments/check", '{"text": "ok", "\\udfff": 1}'
    )
    assert status == 422
    error = _only_error(body)
    assert error["loc"] == ["body", "\\udfff"] and "key" in str(error["msg"])


def _free_draft(engine: Engine) -> str:
    # A kind without a schema: its edited content reaches the database unchecked.
    register_kinds([DraftKind("free_text")])
    with Session(engine) as session:
        draft = create_draft(
            session, kind="free_text", employee_id="A1", requester=None, inputs={},
            output={"summary": "AI 摘要"},
            provenance=Provenance(provider="offline", model="coach-offline-1",
                                  template_id="feedback/draft.j2", template_hash="abc123"),
        )  # fmt: skip
        session.commit()
        return draft.id


@pytest.mark.parametrize("raw", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_approving_with_a_bad_value_decides_nothing(
    safe_client: TestClient, engine: Engine, tokens: dict[str, str], raw: str
) -> None:
    draft_id = _free_draft(engine)
    status, body = _post(
        safe_client, tokens["manager"], f"/v1/drafts/{draft_id}/approve",
        f'{{"content": {{"summary": "好", "scores": [1, {raw}]}}}}',
    )  # fmt: skip
    assert status == 422
    assert _only_error(body)["loc"] == ["body", "content", "scores", 1]
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == "pending"


@pytest.mark.parametrize("raw", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_reject_reason_names_the_field(
    safe_client: TestClient, engine: Engine, tokens: dict[str, str], raw: str
) -> None:
    draft_id = _free_draft(engine)
    status, body = _post(
        safe_client, tokens["manager"], f"/v1/drafts/{draft_id}/reject", f'{{"reason": {raw}}}'
    )
    assert status == 422 and _only_error(body)["loc"] == ["body", "reason"]


@pytest.mark.parametrize("depth", [40, 500, 900])
def test_content_nested_too_deep_is_refused_where_it_goes_deep(
    safe_client: TestClient, engine: Engine, tokens: dict[str, str], depth: int
) -> None:
    draft_id = _free_draft(engine)
    nested = "[" * depth + "1" + "]" * depth
    status, body = _post(
        safe_client, tokens["manager"], f"/v1/drafts/{draft_id}/approve",
        f'{{"content": {{"summary": {nested}}}}}',
    )  # fmt: skip
    assert status == 422
    error = _only_error(body)
    assert error["loc"] == ["body", "content", "summary", *[0] * (MAX_DEPTH - 2)]
    assert "nested more than" in str(error["msg"])


def test_many_bad_values_give_a_bounded_list(
    safe_client: TestClient, tokens: dict[str, str]
) -> None:
    items = ", ".join(["NaN"] * 5000)
    status, body = _post(
        safe_client, tokens["hr"], "/v1/comments/check-batch", f'{{"items": [{items}]}}'
    )
    assert status == 422
    detail = body["detail"]
    assert isinstance(detail, list) and len(detail) == MAX_ERRORS
    assert detail[0]["loc"] == ["body", "items", 0]


def test_a_body_that_is_not_text_is_echoed_safely(
    safe_client: TestClient, tokens: dict[str, str]
) -> None:
    # Not JSON, so never parsed: the validation error echoes raw bytes that are not UTF-8.
    response = safe_client.post(
        "/v1/comments/check", content=b'\xff\xfe{"text"', headers=auth(tokens["manager"])
    )
    assert response.status_code == 422
    error = _only_error(response.json())
    assert error["loc"] == ["body"] and error["input"] == '\\xff\\xfe{"text"'


def _not_json(name: str) -> None:
    raise AssertionError(f"the answer holds {name}, which is not JSON")


def _json_body_routes(app: FastAPI) -> list[tuple[str, str]]:
    # The OpenAPI schema lists every route taking a JSON body, wherever its router lives.
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "X1", path)))
    return routes


def test_every_json_route_refuses_every_bad_value(
    safe_client: TestClient, app: FastAPI, tokens: dict[str, str]
) -> None:
    routes = _json_body_routes(app)
    assert len(routes) >= 8  # the walk finds the API's JSON routes, not an empty list
    failures = []
    for method, path in routes:
        for name, raw in BAD_VALUES.items():
            for body in (raw, f'{{"value": {raw}}}', f'[{{"nested": [{raw}]}}]'):
                response = safe_client.request(
                    method, path, content=body.encode(),
                    headers={**auth(tokens["hr"]), "content-type": "application/json"},
                )  # fmt: skip
                json.loads(response.content, parse_constant=_not_json)
                if response.status_code != 422:
                    failures.append((method, path, name, body, response.status_code))
    assert failures == []
