"""The OpenAPI schema is one contract: every error declared, short ids, one paging convention.

A client generated from `/openapi.json` gets typed answers only for what the schema declares;
these checks read the schema itself, and call the app where a declared body must be true.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from api.errors import Error, ImportRejected, InvalidRequest
from coach.drafts.registry import kind_schemas
from tests.factories import auth
from tests.test_access_matrix import CASES, ROLES, _covers

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _missing(op: dict[str, Any], *statuses: int) -> list[int]:
    return [s for s in statuses if str(s) not in op["responses"]]


def _names_a_record(schema: dict[str, Any]) -> bool:
    # An id is a free string; a path segment from a fixed set (an enum) is refused with 422.
    return schema.get("type") == "string" and "enum" not in schema


def test_every_operation_declares_the_errors_it_can_answer(openapi: dict[str, Any]) -> None:
    missing = {}
    for method, path, op in _operations(openapi):
        params = op.get("parameters", [])
        wanted = set()
        if op.get("security"):
            wanted.add(401)
        if params or "requestBody" in op:
            wanted.add(422)
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            wanted.add(400)  # a body that is not JSON at all
        if any(p["in"] == "path" and _names_a_record(p["schema"]) for p in params):
            wanted.add(404)
        if any(_covers(case, method, path) and case.allowed != frozenset(ROLES) for case in CASES):
            wanted.add(403)  # the access matrix refuses some role here
        if gaps := _missing(op, *sorted(wanted)):
            missing[f"{method} {path}"] = gaps
    assert not missing, f"undeclared error statuses: {missing}"


def test_every_error_response_has_a_body_model(openapi: dict[str, Any]) -> None:
    untyped = [
        f"{method} {path} {status}"
        for method, path, op in _operations(openapi)
        for status, response in op["responses"].items()
        if status.startswith(("4", "5"))
        and "schema" not in response.get("content", {}).get("application/json", {})
    ]
    assert not untyped, f"error responses without a schema: {untyped}"


def test_operation_ids_are_short_and_unique(openapi: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(openapi)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    long = [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]{2,29}", i) or "_v1_" in i]
    assert not long, f"operationIds that are not short snake_case names: {long}"


def test_the_title_is_ascii_and_the_chinese_name_is_kept(
    openapi: dict[str, Any], app: FastAPI
) -> None:
    info = openapi["info"]
    assert info["title"].isascii() and info["title"]
    assert "绩效教练" in info["description"] and "绩效教练" in app.title  # the HTML docs


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]


def test_every_list_pages_the_same_way(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    pagings = {}
    for method, path, op in _operations(openapi):
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        body = ok.get("schema", {})
        assert body.get("type") != "array", f"{method} {path} answers a bare array"
        model = components.get(_ref_name(body), {})
        if method != "GET" or set(model.get("properties", {})) != {"data", "count"}:
            continue
        params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
        assert {"offset", "limit"} <= set(params), f"{path} lists without offset and limit"
        pagings[path] = (
            params["limit"].get("default"),
            params["limit"].get("maximum"),
            params["offset"].get("default"),
        )
    assert {"/v1/me/feedback", "/v1/knowledge/documents", "/v1/users"} <= set(pagings)
    assert len(set(pagings.values())) == 1, f"lists page differently: {pagings}"


def test_draft_content_is_one_of_the_kinds_schemas(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    kinds = {model.__name__ for model in kind_schemas()}
    assert {"CheckinTopics", "FeedbackDraft", "DevelopmentPlan", "TargetRange"} <= kinds
    declared = {
        "DraftPublic.output": components["DraftPublic"]["properties"]["output"],
        "StoredDraft.output": components["StoredDraft"]["properties"]["output"],
        "ApprovedContent.content": components["ApprovedContent"]["properties"]["content"],
    }
    for where, schema in declared.items():
        names = {_ref_name(choice) for choice in schema["oneOf"]}
        assert kinds <= names, f"{where} declares {names}"
    assert "description" in components["AuditEventPublic"]["properties"]["detail"]


def _declared_model(openapi: dict[str, Any], path: str, method: str, status: int) -> set[str]:
    schema = openapi["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"
    ]["schema"]
    return {_ref_name(s) for s in schema.get("anyOf", [schema])}


def test_the_declared_error_bodies_are_what_the_app_answers(
    client: TestClient, tokens: dict[str, str], openapi: dict[str, Any]
) -> None:
    answers = [
        ("/v1/employees/{employee_id}", "get", 401, client.get("/v1/employees/A1")),
        ("/v1/users", "get", 403, client.get("/v1/users", headers=auth(tokens["hr"]))),
        ("/v1/drafts/{draft_id}", "get", 404,
         client.get("/v1/drafts/nope", headers=auth(tokens["hr"]))),
        ("/v1/employees", "get", 422,
         client.get("/v1/employees", params={"limit": 0}, headers=auth(tokens["hr"]))),
        ("/v1/comments/check-batch", "post", 413,
         client.post("/v1/comments/check-batch", json={"items": ["好"] * 1001},
                     headers=auth(tokens["hr"]))),
        ("/v1/imports/{kind}", "post", 422,
         client.post("/v1/imports/employees", files={"file": ("e.csv", b"employee_id\n")},
                     headers=auth(tokens["admin"]))),
    ]  # fmt: skip
    models: dict[str, type[BaseModel]] = {
        "Error": Error, "InvalidRequest": InvalidRequest, "ImportRejected": ImportRejected,
    }  # fmt: skip
    for path, method, status, response in answers:
        assert response.status_code == status, (path, response.text)
        declared = _declared_model(openapi, path, method, status)
        assert any(name in models and _valid(models[name], response.json()) for name in declared), (
            f"{method} {path} {status}: {response.json()} fits none of {declared}"
        )


def _valid(model: type[BaseModel], body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True
