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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args

import pytest
from fastapi import FastAPI, routing
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep
from api.main import create_app
from coach.chains import development
from coach.core.errors import Forbidden
from coach.core.models import BatchJob, CheckIn, Draft, Employee, Metric, OfficialTarget, Role, User
from coach.core.settings import Settings, get_settings
from coach.demo import seed_demo
from coach.drafts import registry, store
from coach.drafts.decisions import decide
from coach.drafts.gate import approved_content
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from coach.knowledge import HashingEmbedder, open_knowledge_base
from coach.org.users import Principal, authenticate, create_user
from tests.factories import auth, upgraded
from tests.web.conftest import WebClient, signed_in
from tests.web.conftest import demo_app as web_demo_app

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
    monkeypatch.setattr(registry, "_KINDS", {kind: DraftKind(kind) for kind in KINDS})
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
    register_kinds([DraftKind("gating_test")])
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
    page = client.get("/v1/me/feedback", headers=auth(tokens["employee"])).json()
    feedback = page["data"]
    assert page["count"] == 2
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


# --- creation and pending content, every role -------------------------------------------
#
# The second walker covers every route of the app, JSON API and web pages alike, as each role:
# admin, HR, the deciding manager, another manager, the employee the drafts are about and
# another employee. It calls each route with valid inputs (routes that create drafts do
# create them), and after each call searches the response for the AI-made content of every
# draft still waiting for a decision: text and figures in the draft's output that were not
# copied from its inputs. A role may see such content only if it decides on the draft: HR,
# or a manager above the draft's subject.

SUBJECT = "E012"  # the demo employee; E011 (the demo manager) decides on their drafts
DAY = "2026-11-16"  # the demo company's "today"
WALK_ROLES = ("admin", "hr", "manager", "other_manager", "employee", "other_employee")
# Signing in and out is how a walker gets its session, not a route that handles drafts.
SESSION_ROUTES = {("POST", "/signin"), ("POST", "/signout")}
CREATION_ROUTES = {
    ("POST", "/v1/checkins/topics"), ("POST", "/v1/feedback/drafts"),
    ("POST", "/v1/development/suggestions"), ("POST", "/v1/targets/suggest"),
    ("POST", "/v1/targets/suggest-batch"), ("POST", "/team/{employee_id}/targets"),
    ("POST", "/team/{employee_id}/generate/{kind}"),
}  # fmt: skip
FIELD_VALUES: dict[str, Any] = {
    "metric": "revenue", "period": "2026Q4", "date": DAY, "cycle": "latest", "lang": "zh",
    "month": "latest", "reason": "证据不足", "query": "复盘", "text": "本月表现良好",
}  # fmt: skip


@dataclass
class Actor:
    """One role in the walk: its principal, an API token and a signed-in browser session."""

    role: str
    principal: Principal
    token: str
    web: WebClient


@dataclass(frozen=True)
class RoleLeak:
    route: tuple[str, str]
    url: str
    status: int
    about: tuple[str, ...]  # the subjects of the drafts whose content it was
    marker: str

    def __str__(self) -> str:
        return (
            f"{self.route[0]} {self.url} -> {self.status}: about {self.about}: {self.marker[:60]}"
        )


@dataclass
class Seen:
    """What a role received: pending content it may see, and content it must not."""

    leaks: list[RoleLeak] = field(default_factory=list)
    visible: set[tuple[str, str]] = field(default_factory=set)
    status: dict[tuple[str, str], set[int]] = field(default_factory=dict)


def _ancestors(session: Session) -> dict[str, set[str]]:
    """Each employee's managers, direct and indirect."""
    boss = {e.employee_id: e.manager_id for e in session.exec(select(Employee)).all()}
    above: dict[str, set[str]] = {}
    for employee_id in boss:
        chain, cursor = set(), boss[employee_id]
        while cursor and cursor not in chain:
            chain.add(cursor)
            cursor = boss.get(cursor)
        above[employee_id] = chain
    return above


def _decides(principal: Principal, employee_id: str, above: dict[str, set[str]]) -> bool:
    if principal.role == Role.hr:
        return True
    return principal.role == Role.manager and principal.employee_id in above.get(employee_id, set())


def _ai_strings(output: Any, inputs: Any) -> set[str]:
    """Prose and precise figures of an output that were not copied from the draft's inputs."""
    copied = json.dumps(inputs, ensure_ascii=False)
    found = {s for s in _strings(output) if len(s) >= 12 and s not in copied}
    found |= {repr(n) for n in _numbers(output) if len(repr(n)) >= 8 and repr(n) not in copied}
    return found


def _numbers(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


class Markers:
    """AI content of the drafts in the database, by who may see it, refreshed after each call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[str, str, set[str]]] = {}  # id -> status, subject, strings

    def refresh(self) -> tuple[dict[str, set[str]], set[str]]:
        """Pending markers -> the subjects of the drafts holding them; approved content."""
        with Session(self.engine) as session:
            rows = session.exec(select(Draft.id, Draft.status)).all()
            for draft_id, status in rows:
                if draft_id in self._cache and self._cache[draft_id][0] == status:
                    continue
                draft = session.get(Draft, draft_id)
                assert draft is not None
                strings = _ai_strings(draft.output, draft.inputs)
                for record in store.decisions_for(session, draft_id):
                    strings |= _ai_strings(record.final_content or {}, draft.inputs)
                self._cache[draft_id] = (str(status), draft.employee_id, strings)
        pending: dict[str, set[str]] = {}
        approved: set[str] = set()
        for status, subject, strings in self._cache.values():
            if status in ("pending", "generating"):
                for marker in strings:
                    pending.setdefault(marker, set()).add(subject)
            elif status == "approved":
                approved |= strings
        return pending, approved


def _literal_values(annotation: Any) -> list[str] | None:
    values = _enum_values(annotation)
    if values is None and getattr(annotation, "__origin__", None) is Literal:
        values = [str(v) for v in get_args(annotation)]
    return values


def _valid_json(schema: dict[str, Any], defs: dict[str, Any], employee_id: str) -> Any:
    """A valid value for a request schema, ids pointing at `employee_id`."""
    if "$ref" in schema:
        return _valid_json(defs[schema["$ref"].split("/")[-1]], defs, employee_id)
    if schema.get("type") == "object":
        body = {}
        for name, sub in schema.get("properties", {}).items():
            if name in FIELD_VALUES:
                body[name] = FIELD_VALUES[name]
            elif name == "employee_ids":
                body[name] = [employee_id]
            elif name.endswith("_id") or name == "id":
                body[name] = employee_id
            elif name in schema.get("required", []) or sub.get("type") == "array":
                body[name] = _valid_json(sub, defs, employee_id)
        return body
    if schema.get("type") == "array":
        return [_valid_json(schema.get("items", {}), defs, employee_id)]
    return _example(schema, defs, employee_id)


def _json_bodies(route: APIRoute, employee_id: str) -> list[dict[str, Any]]:
    if route.body_field is None:
        return [{}]
    schema = TypeAdapter(route.body_field.field_info.annotation).json_schema()
    defs = schema.get("$defs", {})
    body = _valid_json(schema, defs, employee_id)
    # One call per value of a top-level choice such as a batch's kind.
    for name, sub in schema.get("properties", {}).items():
        sub = defs[sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
        if "enum" in sub and name != "lang":
            return [{"json": {**body, name: value}} for value in sub["enum"]]
    return [{"json": body}]


def _form_body(route: APIRoute, employee_id: str) -> dict[str, Any]:
    data, files = {}, {}
    for param in _flat(route.dependant, "body_params"):
        if type(param.field_info).__name__ == "File":
            files[param.name] = (
                "walk.md",
                "---\nid: walk\ntitle: 走查\n---\n正文\n".encode(),
                "text/markdown",
            )
        elif param.name in FIELD_VALUES:
            data[param.name] = FIELD_VALUES[param.name]
        elif param.name.endswith("_id"):
            data[param.name] = employee_id
        elif param.field_info.is_required() or param.name in ("manager_feedback", "progress"):
            data[param.name] = "本月完成了客户回访,建议下次提前准备资料。"
    return {"data": data, **({"files": files} if files else {})}


def _planted(engine: Engine, actor: Actor, employee_id: str) -> str:
    """A pending draft with unique content about `employee_id`, requested by `actor`."""
    with Session(engine) as session:
        draft = create_draft(
            session, kind="feedback", employee_id=employee_id, requester=None,
            inputs={"request": {"employee_id": employee_id}},
            output={"summary": f"AI 草稿 {_marker('planted')}", "score": 0.123456789},
            provenance=Provenance(provider="offline"),
        )  # fmt: skip
        draft.requester_id = actor.principal.user_id  # asked by the caller, past any bound
        session.commit()
        return draft.id


def _valid_path_values(
    engine: Engine, actor: Actor, route: APIRoute, name: str, subjects: list[str]
) -> list[str]:
    for param in _flat(route.dependant, "path_params"):
        if param.name == name and (values := _literal_values(param.field_info.annotation)):
            return values
    if name == "draft_id":
        return [_planted(engine, actor, s) for s in subjects]
    with Session(engine) as session:
        if name == "job_id":
            return list(session.exec(select(BatchJob.id)).all())[-2:] or ["no-such-batch"]
        if name == "checkin_id":
            return list(
                session.exec(select(CheckIn.checkin_id).where(CheckIn.employee_id == SUBJECT)).all()
            )[:1]
    return subjects if name == "employee_id" else ["no-such-" + name]


def _calls(
    engine: Engine, actor: Actor, method: str, path: str, route: APIRoute
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(url, request kwargs) for valid calls of a route, about the subject and the caller."""
    own = actor.principal.employee_id
    subjects = [SUBJECT] + ([own] if own and own != SUBJECT else [])
    names = [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]
    for employee_id in subjects:
        choices = [_valid_path_values(engine, actor, route, n, [employee_id]) for n in names]
        for values in itertools.product(*choices):
            url = path
            for name, value in zip(names, values, strict=True):
                url = url.replace("{" + name + "}", value, 1)
            if path.startswith("/v1/") or path == "/healthz":
                for body in _json_bodies(route, employee_id):
                    yield url, {"headers": auth(actor.token), **body}
            else:
                kwargs: dict[str, Any] = {
                    "headers": {"accept": "text/html", "x-csrf-token": actor.web.csrf}
                }
                if method == "POST":
                    kwargs.update(_form_body(route, employee_id))
                yield url, kwargs


def walk_all(app: FastAPI, engine: Engine, actors: list[Actor]) -> dict[str, Seen]:
    """Call every route as every actor; what each received."""
    markers = Markers(engine)
    with Session(engine) as session:
        above = _ancestors(session)
    seen = {actor.role: Seen() for actor in actors}
    with TestClient(app) as api:
        for method, path, route in api_routes(app):
            if (method, path) in SESSION_ROUTES:
                continue
            for actor in actors:
                client = api if path.startswith("/v1/") or path == "/healthz" else actor.web.client
                for url, kwargs in _calls(engine, actor, method, path, route):
                    response = client.request(method, url, **kwargs)
                    seen[actor.role].status.setdefault((method, path), set()).add(
                        response.status_code
                    )
                    pending, approved = markers.refresh()
                    for marker, subjects in pending.items():
                        if marker not in response.text or marker in approved:
                            continue
                        if any(_decides(actor.principal, s, above) for s in subjects):
                            seen[actor.role].visible.add((method, path))
                        else:
                            leak = RoleLeak(
                                (method, path), url, response.status_code,
                                tuple(sorted(subjects)), marker,
                            )  # fmt: skip
                            seen[actor.role].leaks.append(leak)
    return seen


@pytest.fixture
def demo_world(tmp_path: Path) -> tuple[FastAPI, list[Actor]]:
    """The demo company with a practice library, and one signed-in actor per walked role."""
    app, tokens = web_demo_app(tmp_path / "walk")
    with Session(app.state.engine) as session:
        extra = {
            "other_manager": create_user(session, name="walk-m-e015", role=Role.manager, employee_id="E015")[1],
            "other_employee": create_user(session, name="walk-e-e016", role=Role.employee, employee_id="E016")[1],
        }  # fmt: skip
        session.commit()
    by_role = {"admin": tokens.admin, "hr": tokens.hr, "manager": tokens.manager,
               "employee": tokens.employee, **extra}  # fmt: skip
    actors = []
    with Session(app.state.engine) as session:
        for role in WALK_ROLES:
            principal = authenticate(session, by_role[role])
            assert principal is not None
            actors.append(Actor(role, principal, by_role[role], signed_in(app, by_role[role])))
    # Inboxes and lists have something pending before the walk creates more.
    for actor in actors:
        if actor.principal.employee_id:
            _planted(app.state.engine, actor, actor.principal.employee_id)
    return app, actors


def _report_leaks(seen: dict[str, Seen]) -> str:
    return "\n".join(f"{role}: {leak}" for role, s in seen.items() for leak in s.leaks[:20])


def test_no_route_hands_pending_content_to_anyone_but_its_deciders(
    demo_world: tuple[FastAPI, list[Actor]],
) -> None:
    app, actors = demo_world
    seen = walk_all(app, app.state.engine, actors)
    assert not any(s.leaks for s in seen.values()), (
        "pending AI content reached a role that does not decide on it:\n" + _report_leaks(seen)
    )
    routes = {(m, p) for m, p, _ in api_routes(app)} - SESSION_ROUTES
    assert routes >= CREATION_ROUTES and routes <= set(seen["employee"].status)
    # Not vacuous: the deciding manager and HR do get the content, from every creating route.
    for role in ("manager", "hr"):
        assert CREATION_ROUTES - {("POST", "/team/{employee_id}/targets")} <= seen[role].visible, (
            role
        )
    assert {("GET", "/v1/drafts"), ("GET", "/drafts/{draft_id}")} <= seen["manager"].visible
    # The employee's own requests were taken (a receipt), not refused.
    assert seen["employee"].status[("POST", "/v1/development/suggestions")] == {201}
    assert 200 in seen["employee"].status[("POST", "/v1/targets/suggest")]


def test_the_role_walker_catches_a_route_that_leaks_to_the_requester(
    demo_world: tuple[FastAPI, list[Actor]],
) -> None:
    app, actors = demo_world

    def ask(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
        draft = create_draft(
            session, kind="development", employee_id=user.employee_id or SUBJECT, requester=None,
            inputs={}, output={"plan": f"AI 建议 {_marker('fresh')}"},
            provenance=Provenance(provider="offline"),
        )  # fmt: skip
        return {"draft_id": draft.id, "output": draft.output}  # no gate

    def peek(draft_id: str, session: SessionDep) -> str:
        draft = session.get(Draft, draft_id)
        return f"<p>{draft.output if draft else ''}</p>"  # a page that forgot the gate

    app.add_api_route("/v1/ask-ai", ask, methods=["POST"])
    app.add_api_route("/peek/{draft_id}", peek, methods=["GET"], response_class=HTMLResponse)
    seen = walk_all(app, app.state.engine, [a for a in actors if a.role in ("employee", "manager")])
    leaking = {("POST", "/v1/ask-ai"), ("GET", "/peek/{draft_id}")}
    assert {leak.route for leak in seen["employee"].leaks} == leaking
    # The manager asking about themselves is not their own decider either.
    assert {leak.route for leak in seen["manager"].leaks} == leaking
    assert {leak.about for leak in seen["manager"].leaks} == {("E011",)}


@pytest.fixture
def open_request_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """COACH_MAX_OPEN_REQUESTS=2 for an app built after this fixture."""
    monkeypatch.setenv("COACH_MAX_OPEN_REQUESTS", "2")
    get_settings.cache_clear()
    yield 2
    get_settings.cache_clear()


def test_requests_waiting_for_the_manager_are_bounded_per_person_and_kind(
    open_request_limit: int, demo_world: tuple[FastAPI, list[Actor]]
) -> None:
    # The limit is set before the app is built: the app's settings carry it to every route.
    app, actors = demo_world
    by_role = {a.role: a for a in actors}
    employee, manager = by_role["employee"], by_role["manager"]
    ask = {"employee_id": SUBJECT, "date": DAY}
    with TestClient(app) as client:
        taken = [
            client.post("/v1/development/suggestions", json=ask, headers=auth(employee.token))
            for _ in range(open_request_limit)
        ]
        assert [r.status_code for r in taken] == [201] * open_request_limit
        assert len({r.json()["draft_id"] for r in taken}) == open_request_limit
        refused = client.post("/v1/development/suggestions", json=ask, headers=auth(employee.token))
        assert refused.status_code == 429
        assert (
            "等待经理决定" in refused.json()["detail"]
            and "COACH_MAX_OPEN_REQUESTS=2" in refused.json()["detail"]
        )
        with Session(app.state.engine) as session:
            asked = session.exec(
                select(Draft).where(
                    Draft.requester_id == employee.principal.user_id, Draft.kind == "development"
                )
            ).all()
            assert len(asked) == open_request_limit  # the refused request left nothing behind
        # The same page form is refused the same way, as a page.
        page = employee.web.client.post(
            f"/team/{SUBJECT}/generate/development", headers={"x-csrf-token": employee.web.csrf}
        )
        assert page.status_code == 429 and "等待经理决定" in page.text
        # Another kind is counted apart.
        target = {"employee_id": SUBJECT, "metric": "revenue", "period": "2026Q4"}
        assert (
            client.post(
                "/v1/targets/suggest", json=target, headers=auth(employee.token)
            ).status_code
            == 200
        )
        # Once the manager decides, the employee may ask again.
        decided = client.post(f"/v1/drafts/{taken[0].json()['draft_id']}/reject",
                              json={"reason": "先完成当前计划"}, headers=auth(manager.token))  # fmt: skip
        assert decided.status_code == 200
        again = client.post("/v1/development/suggestions", json=ask, headers=auth(employee.token))
        assert again.status_code == 201
        # The manager who decides is not bounded: the drafts land in their own inbox.
        mine = [
            client.post(
                "/v1/development/suggestions", json=ask, headers=auth(manager.token)
            ).status_code
            for _ in range(open_request_limit + 1)
        ]
        assert mine == [201] * (open_request_limit + 1)


def test_the_open_request_limit_is_the_one_the_app_was_built_with(tmp_path: Path) -> None:
    home = tmp_path / "limit-one"
    knowledge = open_knowledge_base(chroma_path=home / "chroma", embedder=HashingEmbedder())
    app = create_app(upgraded(Settings(home=home, max_open_requests=1)), knowledge=knowledge)
    with Session(app.state.engine) as session:
        tokens = seed_demo(session)
        session.commit()
    target = {"employee_id": SUBJECT, "metric": "revenue", "period": "2026Q4"}
    with TestClient(app) as client:
        first = client.post("/v1/targets/suggest", json=target, headers=auth(tokens.employee))
        second = client.post("/v1/targets/suggest", json=target, headers=auth(tokens.employee))
    assert (first.status_code, second.status_code) == (200, 429), second.text
    assert "COACH_MAX_OPEN_REQUESTS=1" in second.json()["detail"]


def test_the_open_request_limit_defaults_to_three() -> None:
    assert Settings().max_open_requests == 3


def test_a_failed_request_tells_the_employee_nothing_the_chain_made(
    demo_world: tuple[FastAPI, list[Actor]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, actors = demo_world
    by_role = {a.role: a for a in actors}

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("half-made plan: 建议你主导一次跨部门复盘")

    monkeypatch.setattr(development, "suggest_development", broken)
    ask = {"employee_id": SUBJECT, "date": DAY}
    with TestClient(app) as client:
        failed = client.post(
            "/v1/development/suggestions", json=ask, headers=auth(by_role["employee"].token)
        )
        assert failed.status_code == 503 and failed.json()["status"] == "failed"
        assert "half-made plan" not in failed.text and "原因已记录在草稿上" in failed.text
        for_manager = client.post(
            "/v1/development/suggestions", json=ask, headers=auth(by_role["manager"].token)
        )
        assert for_manager.status_code == 503 and "half-made plan" in for_manager.json()["detail"]
