"""Every route × every role: 401 without a valid token, 403 outside scope, 2xx within."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from coach.drafts import Provenance, create_draft
from tests.factories import auth

ROLES = ("admin", "hr", "manager", "other_manager", "employee")
EMPLOYEES_CSV = (
    "employee_id,name,role,level,department,team,manager_id,hire_date\n"
    "N1,新人,销售代表,P1,销售部,华东,M1,2026-09-01\n"
)


def _new_draft(engine: Engine) -> str:
    with Session(engine) as session:
        draft = create_draft(
            session, kind="feedback", employee_id="A1", requester=None,
            inputs={"cycle": "2026H1"}, output={"summary": "草稿"},
            provenance=Provenance(provider="offline"),
        )  # fmt: skip
        session.commit()
        return draft.id


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    allowed: frozenset[str]
    body: Callable[[Engine], dict[str, object]] | None = None
    needs_draft: bool = False


def _files(_: Engine) -> dict[str, object]:
    return {"files": {"file": ("employees.csv", EMPLOYEES_CSV.encode(), "text/csv")}}


CASES = [
    Case("GET", "/v1/employees", frozenset(ROLES)),
    Case("GET", "/v1/employees/A1", frozenset({"admin", "hr", "manager", "employee"})),
    Case("GET", "/v1/employees/A2", frozenset({"admin", "hr", "manager"})),
    Case("GET", "/v1/employees/B1", frozenset({"admin", "hr", "other_manager"})),
    Case("POST", "/v1/imports/employees", frozenset({"admin"}), body=_files),
    Case("GET", "/v1/drafts/{draft}", frozenset({"hr", "manager"}), needs_draft=True),
    Case("POST", "/v1/drafts/{draft}/approve", frozenset({"manager"}), needs_draft=True,
         body=lambda _: {"json": {}}),
    Case("POST", "/v1/drafts/{draft}/reject", frozenset({"manager"}), needs_draft=True,
         body=lambda _: {"json": {"reason": "数据不全"}}),
    Case("POST", "/v1/comments/check", frozenset(ROLES), body=lambda _: {"json": {"text": "表现良好"}}),
    Case("POST", "/v1/comments/check-batch", frozenset(ROLES),
         body=lambda _: {"json": {"items": ["表现良好"]}}),
]  # fmt: skip

PUBLIC_ROUTES = {("GET", "/healthz")}


def _call(client: TestClient, engine: Engine, case: Case, headers: dict[str, str]) -> int:
    path = case.path.replace("{draft}", _new_draft(engine)) if case.needs_draft else case.path
    kwargs = case.body(engine) if case.body else {}
    return client.request(case.method, path, headers=headers, **kwargs).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_route_by_role(client: TestClient, engine: Engine, tokens: dict[str, str], case: Case) -> None:
    for role in ROLES:
        status = _call(client, engine, case, auth(tokens[role]))
        if role in case.allowed:
            assert 200 <= status < 300, f"{role} should be allowed on {case.path}, got {status}"
        else:
            assert status == 403, f"{role} should get 403 on {case.path}, got {status}"
    assert _call(client, engine, case, {}) == 401
    assert _call(client, engine, case, auth("coach_not-a-real-token")) == 401


def test_matrix_covers_every_route(app: FastAPI) -> None:
    documented = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path not in documented
        for method in route.methods
    }
    covered = {(c.method, c.path.replace("A1", "{employee_id}").replace("A2", "{employee_id}")
                .replace("B1", "{employee_id}").replace("{draft}", "{draft_id}")) for c in CASES}  # fmt: skip
    assert routes - covered - PUBLIC_ROUTES == set()
