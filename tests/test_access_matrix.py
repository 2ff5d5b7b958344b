"""Every route × every role: 401 without a valid token, 403 outside scope, 2xx within."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import (
    ApprovalRecord,
    BatchJob,
    BatchStatus,
    CheckIn,
    Decision,
    Draft,
    DraftStatus,
    Goal,
    KeyResult,
    Metric,
    MetricValue,
    Role,
    User,
    new_id,
)
from coach.drafts.store import Provenance, create_draft
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
    ok: frozenset[int] = frozenset(range(200, 300))


def _with_history(engine: Engine) -> None:
    with Session(engine) as session:
        if session.get(Metric, "revenue") is None:
            session.add(Metric(metric="revenue", name="回款", unit="万元"))
            for employee_id, base in (("A1", 80.0), ("A2", 60.0), ("B1", 50.0)):
                for i, period in enumerate(("2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")):
                    session.add(
                        MetricValue(
                            employee_id=employee_id, metric="revenue", period=period, value=base + i
                        )
                    )
            session.commit()


def _target(employee_id: str) -> Callable[[Engine], dict[str, object]]:
    def body(engine: Engine) -> dict[str, object]:
        _with_history(engine)
        return {"json": {"employee_id": employee_id, "metric": "revenue", "period": "2026Q4"}}

    return body


def _target_batch(engine: Engine) -> dict[str, object]:
    _with_history(engine)
    return {"json": {"items": [{"employee_id": "A1", "metric": "revenue", "period": "2026Q4"}]}}


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
    Case("POST", "/v1/targets/suggest", frozenset({"admin", "hr", "manager", "employee"}), body=_target("A1")),
    Case("POST", "/v1/targets/suggest", frozenset({"admin", "hr", "manager"}), body=_target("A2")),
    # Per-item scope: out-of-scope items come back as errors inside a 200 answer.
    Case("POST", "/v1/targets/suggest-batch", frozenset(ROLES), body=_target_batch),
    Case("GET", "/v1/knowledge/documents", frozenset(ROLES)),
    Case("POST", "/v1/knowledge/documents", frozenset({"admin", "hr"}),
         body=lambda _: {"json": {"id": "pair-review", "title": "结对复盘", "body": "两人一组复盘。"}}),
    Case("DELETE", "/v1/knowledge/documents/no-such-doc", frozenset({"admin", "hr"}), ok=frozenset({404})),
    Case("POST", "/v1/practices/search", frozenset(ROLES), body=lambda _: {"json": {"query": "复盘"}}),
]  # fmt: skip


def _checkin_note(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        session.merge(
            CheckIn(
                checkin_id="C-MATRIX", employee_id="A1", manager_id="M1", date=date(2026, 10, 9)
            )
        )
        session.commit()
    return {"json": {"note": "反馈具体,可作示范"}}


LINKED = frozenset({"manager", "other_manager", "employee"})  # users who are an employee
APPROVED_DRAFT = "D-MATRIX-APPROVED"


def _approved_draft(engine: Engine) -> None:
    """Feedback about A1 approved by M1's user, so A1 may answer it."""
    with Session(engine) as session:
        if session.get(Draft, APPROVED_DRAFT) is None:
            reviewer = session.exec(select(User).where(User.employee_id == "M1")).one()
            content = {"summary": "已批准"}
            session.add(Draft(id=APPROVED_DRAFT, kind="feedback", employee_id="A1",
                              output=content, status=DraftStatus.approved))  # fmt: skip
            session.flush()
            session.add(ApprovalRecord(draft_id=APPROVED_DRAFT, reviewer_id=reviewer.id or 0,
                                       reviewer_name=reviewer.name, decision=Decision.approve,
                                       final_content=content))  # fmt: skip
            session.commit()


def _answer(engine: Engine) -> dict[str, object]:
    _approved_draft(engine)
    return {"json": {"kind": "comment", "text": "我补充一点背景"}}


def _answers(engine: Engine) -> dict[str, object]:
    _approved_draft(engine)
    return {}


CASES += [
    Case("GET", "/v1/drafts", frozenset({"hr", "manager", "other_manager"})),
    Case("GET", "/v1/me/feedback", LINKED),
    Case("GET", "/v1/me/development", LINKED),
    Case("GET", "/v1/me/targets", LINKED),
    # Only the person the approved content is about may answer it or read their answers.
    Case("POST", f"/v1/me/drafts/{APPROVED_DRAFT}/responses", frozenset({"employee"}), body=_answer),
    Case("GET", f"/v1/me/drafts/{APPROVED_DRAFT}/responses", frozenset({"employee"}), body=_answers),
    Case("GET", "/v1/audit/events", frozenset({"admin", "hr"})),
    Case("GET", "/v1/audit/events/export", frozenset({"admin", "hr"})),
    Case("GET", "/v1/audit/approvals", frozenset({"hr"})),
    Case("GET", "/v1/audit/dialogues", frozenset({"hr"}), body=lambda _: {"params": {"month": "2026-10"}}),
    Case("POST", "/v1/audit/dialogues/C-MATRIX/notes", frozenset({"hr"}), body=_checkin_note),
    Case("GET", "/v1/insights/calibration", frozenset({"hr"}), body=lambda _: {"params": {"cycle": "2026H1"}}),
    Case("GET", "/v1/insights/warnings", frozenset({"hr", "manager", "other_manager"})),
    Case("GET", "/v1/insights/fairness", frozenset({"hr"}), body=lambda _: {"params": {"attribute": "gender"}}),
    Case("GET", "/v1/insights/themes", frozenset({"hr", "manager", "other_manager"})),
]  # fmt: skip


def _coaching(path_body: dict[str, object]) -> Callable[[Engine], dict[str, object]]:
    def body(engine: Engine) -> dict[str, object]:
        with Session(engine) as session:
            session.merge(
                CheckIn(
                    checkin_id="C-A1-COACH",
                    employee_id="A1",
                    manager_id="M1",
                    date=date(2026, 10, 9),
                    progress="完成华东区客户回访",
                    obstacles="客户预算冻结",
                    support_needed="需要一次产品培训",
                )
            )
            session.commit()
        return {"json": {"employee_id": "A1", "date": "2026-11-16", **path_body}}

    return body


# Coaching chains: managers above the person and HR; employees only for their own development.
# Development answers 409 when the practice library is empty, as it is in this bare app.
CASES += [
    Case("POST", "/v1/checkins/topics", frozenset({"hr", "manager"}), body=_coaching({})),
    Case("POST", "/v1/feedback/drafts", frozenset({"hr", "manager"}), body=_coaching({"cycle": "latest"})),
    Case("POST", "/v1/development/suggestions", frozenset({"hr", "manager", "employee"}),
         body=_coaching({}), ok=frozenset({201, 409})),
]  # fmt: skip


def _hr_batch(engine: Engine) -> dict[str, object]:
    """A finished batch HR asked for: only HR (any HR, or its requester) may read it."""
    with Session(engine) as session:
        if session.get(BatchJob, "B-MATRIX") is None:
            hr = session.exec(select(User).where(User.role == Role.hr)).first()
            assert hr is not None and hr.id is not None
            session.add(
                BatchJob(
                    id="B-MATRIX", kind="feedback", requester_id=hr.id, status=BatchStatus.done
                )
            )
            session.commit()
    return {}


# Batches: HR for anyone, managers for their reports; a batch is visible to HR and its requester.
CASES += [
    Case("POST", "/v1/batches", frozenset({"hr", "manager"}),
         body=lambda _: {"json": {"kind": "checkin_topics", "employee_ids": ["A1"], "date": "2026-11-16"}}),
    Case("GET", "/v1/batches/B-MATRIX", frozenset({"hr"}), body=_hr_batch),
]  # fmt: skip

# Users: admins only. The target is outside ROLES, so its changes never hit a caller's token.
CASES += [
    Case("GET", "/v1/users", frozenset({"admin"})),
    Case("POST", "/v1/users/user-top_manager/disable", frozenset({"admin"})),
    Case("POST", "/v1/users/user-top_manager/enable", frozenset({"admin"})),
    Case("POST", "/v1/users/user-top_manager/rotate-token", frozenset({"admin"})),
]


def _of_a1(_: Engine) -> dict[str, object]:
    return {"params": {"employee_id": "A1"}}


def _goal(_: Engine) -> dict[str, object]:
    goal_id = f"G-{new_id()[:8]}"
    return {"json": {"goal_id": goal_id, "employee_id": "A1", "cycle": "2026H1", "title": "目标",
                     "kind": "okr", "key_results": [{"kr_id": f"{goal_id}-1", "title": "t", "target": 1}]}}  # fmt: skip


def _progress(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        if session.get(KeyResult, "K-MATRIX") is None:
            session.add(Goal(goal_id="G-MATRIX", employee_id="A1", cycle="2026H1", title="t"))
            session.flush()
            session.add(KeyResult(kr_id="K-MATRIX", goal_id="G-MATRIX", title="t", target=1))
            session.commit()
    return {"json": {"date": "2026-03-01", "value": 0.5}}


# Records: writes by admin, HR and managers above the person (goals and progress also by the
# person); reads within scope. A check-in is recorded by a manager above the person only.
CASES += [
    Case("POST", "/v1/checkins", frozenset({"manager"}),
         body=lambda _: {"json": {"employee_id": "A1", "date": "2026-10-09", "progress": "顺利"}}),
    Case("GET", "/v1/checkins", frozenset({"admin", "hr", "manager", "employee"}), body=_of_a1),
    Case("GET", "/v1/metrics", frozenset(ROLES)),
    Case("GET", "/v1/employees/A1/history", frozenset({"admin", "hr", "manager", "employee"})),
    Case("POST", "/v1/goals", frozenset({"admin", "hr", "manager", "employee"}), body=_goal),
    Case("GET", "/v1/goals", frozenset({"admin", "hr", "manager", "employee"}), body=_of_a1),
    Case("POST", "/v1/key-results/K-MATRIX/progress", frozenset({"admin", "hr", "manager", "employee"}),
         body=_progress),
    Case("POST", "/v1/reviews", frozenset({"admin", "hr", "manager"}),
         body=lambda _: {"json": {"cycle": "2026H1", "employee_id": "A1", "dimension": "results",
                                  "score": 4, "reviewer_id": "M1"}}),
    Case("GET", "/v1/reviews", frozenset({"admin", "hr", "manager", "employee"}), body=_of_a1),
    Case("POST", "/v1/key-events", frozenset({"admin", "hr", "manager"}),
         body=lambda _: {"json": {"event_id": f"KE-{new_id()[:8]}", "employee_id": "A1",
                                  "date": "2026-04-02", "description": "事件", "kind": "positive"}}),
    Case("GET", "/v1/key-events", frozenset({"admin", "hr", "manager", "employee"}), body=_of_a1),
]  # fmt: skip

PUBLIC_ROUTES = {("GET", "/healthz")}


def _call(client: TestClient, engine: Engine, case: Case, headers: dict[str, str]) -> int:
    path = case.path.replace("{draft}", _new_draft(engine)) if case.needs_draft else case.path
    kwargs = case.body(engine) if case.body else {}
    return client.request(case.method, path, headers=headers, **kwargs).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_route_by_role(
    client: TestClient, engine: Engine, tokens: dict[str, str], case: Case
) -> None:
    for role in ROLES:
        status = _call(client, engine, case, auth(tokens[role]))
        if role in case.allowed:
            assert status in case.ok, f"{role} should be allowed on {case.path}, got {status}"
        else:
            assert status == 403, f"{role} should get 403 on {case.path}, got {status}"
    assert _call(client, engine, case, {}) == 401
    assert _call(client, engine, case, auth("coach_not-a-real-token")) == 401


def _covers(case: Case, method: str, template: str) -> bool:
    """Whether a case calls this route: same method, and every non-parameter segment equal."""
    want, got = template.split("/"), case.path.split("?")[0].split("/")
    return (
        case.method == method
        and len(want) == len(got)
        and all(
            w == g or (w.startswith("{") and w.endswith("}"))
            for w, g in zip(want, got, strict=True)
        )
    )


def test_matrix_covers_every_route(app: FastAPI) -> None:
    documented = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    # Since FastAPI 0.12x `app.routes` holds included routers, not their routes: flatten them.
    contexts = (
        routing.iter_route_contexts(app.routes)
        if hasattr(routing, "iter_route_contexts")
        else app.routes
    )
    routes = {
        (method, context.path)
        for context in contexts
        if isinstance(getattr(context, "route", context), APIRoute)
        and context.path not in documented
        # Only the JSON API: the web pages (api/web) use session cookies and have their own
        # auth tests in tests/web.
        and (context.path.startswith("/v1/") or context.path == "/healthz")
        for method in context.methods
    }
    assert ("GET", "/v1/employees/{employee_id}") in routes  # the enumeration itself works
    uncovered = {(m, t) for m, t in routes if not any(_covers(c, m, t) for c in CASES)}
    assert uncovered - PUBLIC_ROUTES == set()
