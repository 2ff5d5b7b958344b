"""No pending or rejected AI content reaches an employee, through any route, now or later.

The walker enumerates every route the app has (so routes others add are walked too), fills
path, query and body parameters with real ids from a seeded org, calls each as the employee
and searches every response for marker strings planted only in content the employee must
never see: pending drafts, rejected drafts, the AI original of an edited draft, and drafts
about someone else.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, get_args

import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep
from coach import drafts as drafts_module
from coach.auth import Principal
from coach.drafts import Provenance, create_draft, decide
from coach.errors import Forbidden
from coach.gating import approved_content
from coach.models import CheckIn, Draft, Metric, OfficialTarget, Role, User
from tests.factories import auth

KINDS = ("feedback", "development", "target")
MAX_CALLS_PER_ROUTE = 400


# --- seeding ----------------------------------------------------------------------------


@dataclass
class Seeded:
    ids: dict[str, list[str]] = field(default_factory=dict)
    leak_markers: dict[str, str] = field(default_factory=dict)  # marker -> what it marks
    approved_markers: dict[str, str] = field(default_factory=dict)

    def vocabulary(self) -> list[str]:
        return sorted({v for values in self.ids.values() for v in values})


def _marker(label: str) -> str:
    return f"MARK{label.upper()}{uuid.uuid4().hex[:10]}"


def _content(marker: str) -> dict[str, Any]:
    return {"summary": f"总结 {marker}", "points": [f"要点 {marker}"], "detail": {"text": marker}}


def _manager(session: Session, employee_id: str) -> Principal:
    user = session.exec(select(User).where(User.employee_id == employee_id)).first()
    assert user is not None and user.id is not None
    return Principal(user_id=user.id, name=user.name, role=user.role, employee_id=employee_id)


def seed_drafts(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """Pending, rejected, edited and approved drafts of every kind, with markers."""
    # Other capabilities' approval hooks and schemas are not under test here.
    monkeypatch.setattr(drafts_module, "_KINDS", {})
    seeded = Seeded()
    draft_ids: list[str] = []
    with Session(engine) as session:
        m1 = _manager(session, "M1")
        session.add(Metric(metric="revenue", name="销售回款"))
        for kind in KINDS:
            for state in ("pending", "rejected", "edited", "approved", "other_person"):
                subject = "A2" if state == "other_person" else "A1"
                marker = _marker(f"{state}{kind}")
                input_marker = _marker(f"input{state}{kind}")
                draft = create_draft(
                    session, kind=kind, employee_id=subject, requester=m1,
                    inputs={"notes": input_marker}, output=_content(marker),
                    provenance=Provenance(provider="offline"),
                )  # fmt: skip
                draft_ids.append(draft.id)
                if state == "pending":
                    seeded.leak_markers[marker] = f"pending {kind} draft output"
                elif state == "rejected":
                    decide(session, m1, draft.id, approve=False, reason="证据不足")
                    seeded.leak_markers[marker] = f"rejected {kind} draft output"
                elif state == "edited":
                    final = _marker(f"final{kind}")
                    decide(session, m1, draft.id, approve=True, content=_content(final))
                    seeded.leak_markers[marker] = f"AI original of an edited {kind} draft"
                    seeded.approved_markers[final] = f"edited {kind} final content"
                elif state == "approved":
                    decide(session, m1, draft.id, approve=True)
                    seeded.approved_markers[marker] = f"approved {kind} content"
                else:
                    decide(session, m1, draft.id, approve=True)
                    seeded.leak_markers[marker] = f"approved {kind} draft about someone else"
                # What a draft was made from is never shown to its subject.
                seeded.leak_markers[input_marker] = f"{state} {kind} draft inputs"
                if kind == "target" and state in ("approved", "edited"):
                    session.add(OfficialTarget(
                        employee_id="A1", metric="revenue", period=f"2026Q{len(draft_ids) % 4 + 1}",
                        commit=80, target=95, stretch=110, suggested={"note": _marker("suggested")},
                        draft_id=draft.id, approved_by=m1.name,
                    ))  # fmt: skip
        session.add(
            CheckIn(checkin_id="C-A1-1", employee_id="A1", manager_id="M1", date=date(2026, 10, 15))
        )
        session.commit()
        checkins = ["C-A1-1"]
    seeded.ids = {
        "draft": draft_ids,
        "employee": ["A1", "A2", "M1", "B1"],
        "checkin": checkins,
        "word": [*KINDS, "pending", "approved", "rejected", "latest", "2026-10", "revenue"],
    }
    return seeded


# --- the walker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    method: str
    path: str
    status: int
    markers: tuple[str, ...]


@dataclass
class WalkResult:
    leaks: list[Leak]
    calls: int
    routes: set[tuple[str, str]]
    approved_seen: set[str]


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every API route, whichever way it was included."""
    contexts: Any = (
        routing.iter_route_contexts(app.routes)  # type: ignore[attr-defined]
        if hasattr(routing, "iter_route_contexts")
        else app.routes
    )
    found = []
    for context in contexts:
        route = getattr(context, "route", context)
        if isinstance(route, APIRoute):
            found.extend((method, context.path, route) for method in sorted(context.methods))
    return found


def _flat(dependant: Any, attr: str) -> list[Any]:
    params = list(getattr(dependant, attr))
    for sub in dependant.dependencies:
        params.extend(_flat(sub, attr))
    return params


def _enum_values(annotation: Any) -> list[str] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return [str(m.value) for m in candidate]
    return None


def _is_text(annotation: Any) -> bool:
    return annotation is str or str in get_args(annotation)


def _example(schema: dict[str, Any], defs: dict[str, Any], id_value: str) -> Any:
    """A plausible value for a JSON schema; string fields named like ids get `id_value`."""
    if "$ref" in schema:
        return _example(defs[schema["$ref"].split("/")[-1]], defs, id_value)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], defs, id_value) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: (id_value if name.endswith("id") and sub.get("type") == "string"
                   else _example(sub, defs, id_value))
            for name, sub in props.items()
        }  # fmt: skip
    if kind == "array":
        return [_example(schema.get("items", {}), defs, id_value)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    if kind == "string":
        return "本月完成了客户回访,建议下次提前准备资料。"
    return {}


def _bodies(route: APIRoute, vocabulary: list[str]) -> list[dict[str, Any]]:
    params = _flat(route.dependant, "body_params")
    if not params:
        return [{}]
    if any(type(p.field_info).__name__ in ("File", "Form") for p in params):
        files = {p.name: (f"{p.name}.csv", b"employee_id\nA1\n", "text/csv") for p in params}
        return [{"files": files}]
    annotation = route.body_field.field_info.annotation if route.body_field else dict
    schema = TypeAdapter(annotation).json_schema()
    defs = schema.get("$defs", {})
    bodies = [{"json": {}}] + [{"json": _example(schema, defs, v)} for v in vocabulary]
    unique = {json.dumps(b, sort_keys=True, ensure_ascii=False): b for b in bodies}
    return list(unique.values())


def _path_values(route: APIRoute, name: str, vocabulary: list[str]) -> list[str]:
    for param in _flat(route.dependant, "path_params"):
        if param.name == name:
            return _enum_values(param.field_info.annotation) or vocabulary
    return vocabulary


def _query_variants(route: APIRoute, vocabulary: list[str]) -> list[dict[str, str]]:
    variants: list[dict[str, str]] = [{}]
    for param in _flat(route.dependant, "query_params"):
        values = _enum_values(param.field_info.annotation)
        if values is None and _is_text(param.field_info.annotation):
            values = vocabulary
        for value in values or []:
            variants.append({param.name: value})
    return variants


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _new_draft_text(engine: Engine, known: set[str], seeded: Seeded) -> None:
    """Treat AI prose of drafts a call just created (pending by birth) as leak markers too."""
    with Session(engine) as session:
        fresh = session.exec(select(Draft).where(col(Draft.id).not_in(known))).all()
        for draft in fresh:
            known.add(draft.id)
            for text in _strings(draft.output):
                if len(text) >= 12 and draft.status == "pending":
                    seeded.leak_markers.setdefault(
                        text, f"new pending {draft.kind} draft {draft.id}"
                    )


def walk(
    app: FastAPI, client: TestClient, token: str, seeded: Seeded, engine: Engine
) -> WalkResult:
    """Call every route as the holder of `token`, reporting unapproved content in any response."""
    vocabulary = seeded.vocabulary()
    known = set(seeded.ids["draft"])
    result = WalkResult(leaks=[], calls=0, routes=set(), approved_seen=set())
    for method, path, route in api_routes(app):
        result.routes.add((method, path))
        names = [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]
        choices = [_path_values(route, n, vocabulary) for n in names]
        calls = 0
        for values in itertools.product(*choices):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", value, 1)
            for query, body in itertools.product(
                _query_variants(route, vocabulary), _bodies(route, vocabulary)
            ):
                response = client.request(method, url, params=query, headers=auth(token), **body)
                text = response.text
                if response.is_success:
                    _new_draft_text(engine, known, seeded)
                found = tuple(sorted(m for m in seeded.leak_markers if m in text))
                if found:
                    result.leaks.append(Leak(method, url, response.status_code, found))
                result.approved_seen.update(m for m in seeded.approved_markers if m in text)
                calls += 1
                if calls >= MAX_CALLS_PER_ROUTE:
                    break
            if calls >= MAX_CALLS_PER_ROUTE:
                break
        result.calls += calls
    return result


def _report(leaks: list[Leak], seeded: Seeded) -> str:
    return "\n".join(
        f"{leak.method} {leak.path} -> {leak.status}: " + ", ".join(seeded.leak_markers[m] for m in leak.markers)
        for leak in leaks
    )  # fmt: skip


# --- tests ------------------------------------------------------------------------------


def test_no_route_shows_unapproved_content_to_an_employee(
    app: FastAPI, client: TestClient, engine: Engine, tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    seeded = seed_drafts(engine, monkeypatch)
    result = walk(app, client, tokens["employee"], seeded, engine)
    assert not result.leaks, "unapproved AI content reached the employee:\n" + _report(
        result.leaks, seeded
    )
    # The walk is not vacuous: it covered the employee routes, and approved content got through.
    assert {("GET", "/v1/me/feedback"), ("GET", "/v1/drafts/{draft_id}")} <= result.routes
    assert result.approved_seen == set(seeded.approved_markers)
    assert result.calls > len(result.routes)


def test_the_walker_catches_a_leaking_route(
    app: FastAPI, client: TestClient, engine: Engine, tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    seeded = seed_drafts(engine, monkeypatch)

    def leaky_summary(draft_id: str, session: SessionDep, _: CurrentUser) -> dict[str, Any]:
        draft = session.get(Draft, draft_id)
        return {"summary": draft.output if draft else None}  # forgot the gate

    app.add_api_route("/v1/summaries/{draft_id}", leaky_summary, methods=["GET"])
    leaks = walk(app, client, tokens["employee"], seeded, engine).leaks
    leaked_paths = {leak.path.rsplit("/", 1)[0] for leak in leaks}
    assert leaked_paths == {"/v1/summaries"}
    described = {seeded.leak_markers[m] for leak in leaks for m in leak.markers}
    assert {"pending feedback draft output", "rejected target draft output"} <= described
    assert "AI original of an edited development draft" in described


def test_the_walker_catches_fresh_ai_output_handed_straight_to_an_employee(
    app: FastAPI, client: TestClient, engine: Engine, tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    seeded = seed_drafts(engine, monkeypatch)

    def self_coach(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
        draft = create_draft(
            session, kind="development", employee_id=user.employee_id or "", requester=user,
            inputs={}, output={"plan": "AI 建议你下季度主导一次跨部门复盘并分享经验"},
            provenance=Provenance(provider="offline"),
        )  # fmt: skip
        return draft.output  # skipped the approval step

    app.add_api_route("/v1/self-coach", self_coach, methods=["POST"])
    leaks = walk(app, client, tokens["employee"], seeded, engine).leaks
    assert {leak.path for leak in leaks} == {"/v1/self-coach"}
    assert all(
        seeded.leak_markers[m].startswith("new pending development draft")
        for leak in leaks
        for m in leak.markers
    )


def test_approved_content_needs_an_approval(engine: Engine, tokens: dict[str, str]) -> None:
    with Session(engine) as session:
        m1 = _manager(session, "M1")
        employee = Principal(user_id=0, name="a1", role=Role.employee, employee_id="A1")
        draft = create_draft(session, kind="gating_test", employee_id="A1", requester=m1, inputs={},
                             output={"summary": "AI"}, provenance=Provenance(provider="offline"))  # fmt: skip
        with pytest.raises(Forbidden, match="pending"):
            approved_content(session, employee, draft)
        # A status flipped by hand without an approval record does not pass the gate either.
        draft.status = "approved"  # type: ignore[assignment]
        with pytest.raises(Forbidden, match="no approval record"):
            approved_content(session, employee, draft)
        draft.status = "pending"  # type: ignore[assignment]
        decide(session, m1, draft.id, approve=True, content={"summary": "经理改写"})
        approved = approved_content(session, employee, draft)
        assert approved.content == {"summary": "经理改写"} and approved.edited
        assert approved.approved_by == "user-manager"
        other = Principal(user_id=0, name="b1", role=Role.employee, employee_id="B1")
        with pytest.raises(Forbidden, match="scope"):
            approved_content(session, other, draft)


def test_me_routes_show_who_approved_and_when(
    client: TestClient, engine: Engine, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed_drafts(engine, monkeypatch)
    feedback = client.get("/v1/me/feedback", headers=auth(tokens["employee"])).json()
    assert len(feedback) == 2 and {f["approved_by"] for f in feedback} == {"user-manager"}
    assert all(f["approved_at"] and f["kind"] == "feedback" for f in feedback)
    assert sorted(f["edited"] for f in feedback) == [False, True]
    targets = client.get("/v1/me/targets", headers=auth(tokens["employee"])).json()
    assert len(targets["approved"]) == 2 and len(targets["official"]) == 2
    assert "suggested" not in targets["official"][0]
    assert client.get("/v1/me/development", headers=auth(tokens["hr"])).status_code == 403
    assert seeded.approved_markers


def test_manager_inbox_lists_pending_drafts_about_their_people(
    client: TestClient, engine: Engine, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_drafts(engine, monkeypatch)
    with Session(engine) as session:
        create_draft(session, kind="feedback", employee_id="B1", requester=None, inputs={},
                     output={"summary": "B1"}, provenance=Provenance(provider="offline"))  # fmt: skip
        session.commit()
    inbox = client.get("/v1/drafts", headers=auth(tokens["manager"])).json()
    assert inbox["count"] == 3 and {d["status"] for d in inbox["data"]} == {"pending"}
    assert {d["employee_id"] for d in inbox["data"]} == {"A1"}
    created = [d["created_at"] for d in inbox["data"]]
    assert created == sorted(created, reverse=True)
    page = client.get("/v1/drafts?kind=target&limit=1", headers=auth(tokens["manager"])).json()
    assert page["count"] == 1 and page["data"][0]["kind"] == "target"
    assert client.get("/v1/drafts", headers=auth(tokens["other_manager"])).json()["count"] == 1
    assert client.get("/v1/drafts", headers=auth(tokens["hr"])).json()["count"] == 4
    rejected = client.get(
        "/v1/drafts?status=rejected&employee_id=A1", headers=auth(tokens["hr"])
    ).json()
    assert rejected["count"] == 3
    assert client.get("/v1/drafts", headers=auth(tokens["employee"])).status_code == 403
