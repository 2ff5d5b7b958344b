from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.main import create_app
from coach.core.models import Draft, LLMCall, Metric, OfficialTarget
from coach.core.settings import Settings
from coach.demo import DemoTokens
from coach.llm import DatabaseCallLog, OpenAIEngine
from coach.targets import TargetData, service
from tests.factories import auth, upgraded

REQUEST = {"employee_id": "E012", "metric": "revenue", "period": "2026Q4"}


def test_suggest_stores_a_pending_draft(
    client: TestClient, engine: Engine, demo: DemoTokens
) -> None:
    response = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["commit"] < body["target"] < body["stretch"]
    assert set(body["quantiles"]) >= {"0.2", "0.5", "0.8"}
    assert body["unit"] == "万元" and body["basis"]["own_periods"] >= 8
    assert body["provenance"]["provider"] == "offline" and body["rationale"]
    with Session(engine) as session:
        draft = session.get(Draft, body["draft_id"])
        assert draft is not None and draft.status == "pending" and draft.kind == "target"
        assert len(draft.inputs["own_history"]) == body["basis"]["own_periods"]


def test_the_demo_revenue_target_carries_the_built_in_fourth_quarter_peak(
    client: TestClient, demo: DemoTokens
) -> None:
    body = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
    assert REQUEST["period"].endswith("Q4")
    assert body["basis"]["seasonality"] and body["basis"]["seasonal_factor"] > 1.1


def test_lower_is_better_commit_is_the_higher_value(
    client: TestClient, demo: DemoTokens, engine: Engine
) -> None:
    body = client.post(
        "/v1/targets/suggest", headers=auth(demo.hr),
        json={"employee_id": "E042", "metric": "defect_rate", "period": "2026Q4"},
    ).json()  # fmt: skip
    assert body["commit"] > body["target"] > body["stretch"]


def test_approval_with_edits_makes_the_official_target(
    client: TestClient, engine: Engine, demo: DemoTokens
) -> None:
    body = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
    edited = {
        "commit": round(body["commit"]),
        "target": round(body["target"]) + 5,
        "stretch": round(body["stretch"]) + 10,
    }
    response = client.post(
        f"/v1/drafts/{body['draft_id']}/approve",
        headers=auth(demo.manager),
        json={"content": edited},
    )
    assert response.status_code == 200, response.text
    assert response.json()["decisions"][0]["decision"] == "edit"
    with Session(engine) as session:
        official = session.exec(select(OfficialTarget)).one()
    assert (official.commit, official.target, official.stretch) == (
        edited["commit"],
        edited["target"],
        edited["stretch"],
    )
    assert official.suggested["target"] == body["target"]
    assert abs(official.difference["target"] - (edited["target"] - body["target"])) < 1e-6


def test_edited_range_must_be_ordered(client: TestClient, demo: DemoTokens) -> None:
    body = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
    response = client.post(f"/v1/drafts/{body['draft_id']}/approve", headers=auth(demo.manager),
                           json={"content": {"commit": 100, "target": 50, "stretch": 120}})  # fmt: skip
    assert response.status_code == 422


def test_errors_name_the_problem(client: TestClient, demo: DemoTokens) -> None:
    def post(**changes: object) -> httpx.Response:
        return client.post(
            "/v1/targets/suggest", headers=auth(demo.hr), json={**REQUEST, **changes}
        )

    unknown = post(employee_id="E999")
    assert unknown.status_code == 404 and "E999" in unknown.json()["detail"]
    assert post(metric="nps").status_code == 404 and "nps" in post(metric="nps").json()["detail"]
    assert post(period="2025Q1").status_code == 422
    assert post(period="2026-12").status_code == 422
    assert post(commit_probability=0.3).status_code == 422


def test_metric_without_any_history_is_422(client: TestClient, demo: DemoTokens) -> None:
    csv = "metric,name,unit,direction,period_type\nnps,推荐值,分,higher_is_better,quarter\n"
    client.post(
        "/v1/imports/metrics",
        headers=auth(demo.admin),
        files={"file": ("m.csv", csv.encode(), "text/csv")},
    )
    response = client.post(
        "/v1/targets/suggest", headers=auth(demo.hr), json={**REQUEST, "metric": "nps"}
    )
    assert response.status_code == 422 and "history" in response.json()["detail"]


def test_scope(client: TestClient, demo: DemoTokens) -> None:
    assert (
        client.post("/v1/targets/suggest", headers=auth(demo.employee), json=REQUEST).status_code
        == 200
    )
    other = {**REQUEST, "employee_id": "E013"}
    assert (
        client.post("/v1/targets/suggest", headers=auth(demo.employee), json=other).status_code
        == 403
    )
    outside = {**REQUEST, "employee_id": "E016"}
    assert (
        client.post("/v1/targets/suggest", headers=auth(demo.manager), json=outside).status_code
        == 403
    )


def test_batch_keeps_order_and_reports_errors_in_place(
    client: TestClient, demo: DemoTokens
) -> None:
    items = [REQUEST, {**REQUEST, "employee_id": "E999"}, {**REQUEST, "employee_id": "E016"},
             {"employee_id": "E013", "metric": "new_customers", "period": "2026Q4"}]  # fmt: skip
    results = client.post(
        "/v1/targets/suggest-batch", headers=auth(demo.manager), json={"items": items}
    ).json()["results"]
    assert results[0]["employee_id"] == "E012" and results[0]["draft_id"]
    assert results[1]["error"]["status"] == 404 and results[2]["error"]["status"] == 403
    assert results[3]["metric"] == "new_customers"


def test_batch_item_errors_keep_their_code_and_message(
    client: TestClient, demo: DemoTokens
) -> None:
    items = [{**REQUEST, "employee_id": "E999"}, {**REQUEST, "employee_id": "E016"}]
    results = client.post(
        "/v1/targets/suggest-batch", headers=auth(demo.manager), json={"items": items}
    ).json()["results"]
    assert results == [
        {"error": {"status": 404, "code": "unknown_employee",
                   "message": "employee 'E999' not found"}},
        {"error": {"status": 403, "code": "forbidden",
                   "message": "employee 'E016' is outside your scope"}},
    ]  # fmt: skip
    single = client.post("/v1/targets/suggest", headers=auth(demo.manager),
                         json={**REQUEST, "employee_id": "E999"})  # fmt: skip
    assert single.status_code == 404
    assert single.json() == {"detail": "employee 'E999' not found", "code": "unknown_employee"}


def test_batch_limit(client: TestClient, demo: DemoTokens) -> None:
    response = client.post(
        "/v1/targets/suggest-batch", headers=auth(demo.hr), json={"items": [REQUEST] * 5001}
    )
    assert response.status_code == 413 and "5000" in response.json()["detail"]


def _llm_answer(text: str) -> dict[str, object]:
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "Rationale", "arguments": json.dumps({"text": text}, ensure_ascii=False)}}]}}]}  # fmt: skip


@respx.mock
def test_llm_rephrase_is_kept_only_when_its_numbers_are_grounded(
    settings: Settings, demo: DemoTokens
) -> None:
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1", max_retries=0)
    app = create_app(upgraded(settings), chat_engine=llm)
    route = respx.post("http://llm.test/v1/chat/completions")
    with TestClient(app) as client:
        # An endpoint failure keeps the template text and records why.
        route.mock(return_value=httpx.Response(500, json={"error": {"message": "down"}}))
        offline = client.post(
            "/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST
        ).json()
        assert "500" in offline["provenance"]["fallback_reason"] and offline["rationale"]
        # A faithful rephrase uses only the engine's numbers.
        route.mock(
            return_value=httpx.Response(200, json=_llm_answer("改写:" + offline["rationale"]))
        )
        good = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
        assert (
            good["rationale"].startswith("改写:") and good["provenance"]["fallback_reason"] is None
        )
        # An invented number sends the template text instead, and says why.
        route.mock(return_value=httpx.Response(200, json=_llm_answer("建议目标定为 999 万元。")))
        bad = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
    assert "999" not in bad["rationale"] and "999" in bad["provenance"]["fallback_reason"]
    assert bad["provenance"]["provider"] == "offline"  # the template text was kept


@respx.mock
def test_the_rephrase_call_is_logged_under_the_target_draft_id(
    settings: Settings, demo: DemoTokens, engine: Engine
) -> None:
    call_log = DatabaseCallLog(engine)
    llm = OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1",
                       max_retries=0, call_log=call_log)  # fmt: skip
    app = create_app(upgraded(settings), chat_engine=llm)
    respx.post("http://llm.test/v1/chat/completions").mock(
        return_value=httpx.Response(200, json=_llm_answer("按历史趋势给出区间。"))
    )
    with TestClient(app) as client:
        body = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=REQUEST).json()
    call_log.flush()
    with Session(engine) as session:
        calls = session.exec(select(LLMCall)).all()
    assert [(c.purpose, c.outcome, c.draft_id) for c in calls] == [
        ("targets.rationale", "ok", body["draft_id"])
    ]


def _count_loads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record every full history load the suggestion path makes."""
    loads: list[list[str]] = []
    real = service.load_target_data

    def counting(session: Session, metrics: Iterable[str], **options: Any) -> TargetData:
        loads.append(sorted(metrics))
        return real(session, metrics, **options)

    monkeypatch.setattr(service, "load_target_data", counting)
    return loads


def test_a_second_suggestion_on_unchanged_data_reuses_the_fit(
    client: TestClient, demo: DemoTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _count_loads(monkeypatch)
    first = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=REQUEST)
    other = {**REQUEST, "employee_id": "E013"}
    second = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=other)
    again = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=REQUEST)
    assert first.status_code == second.status_code == again.status_code == 200
    assert loads == [["revenue"]]
    assert again.json()["quantiles"] == first.json()["quantiles"]


def test_an_import_that_changes_one_value_in_place_refits(
    client: TestClient, demo: DemoTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _count_loads(monkeypatch)
    before = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=REQUEST).json()
    last = before["basis"]["last_period"]
    changed = round(before["basis"]["last_value"] * 1.5, 1)
    csv = f"employee_id,period,metric,value\nE012,{last},revenue,{changed}\n"
    report = client.post(
        "/v1/imports/history", headers=auth(demo.admin),
        files={"file": ("h.csv", csv.encode(), "text/csv")},
    )  # fmt: skip
    assert report.status_code == 200 and report.json()["updated"] == 1, report.text
    after = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=REQUEST).json()
    assert after["basis"]["last_value"] == changed
    assert after["target"] > before["target"]
    assert len(loads) == 2


def test_an_annual_metric_is_imported_and_suggested_by_year(
    client: TestClient, demo: DemoTokens
) -> None:
    metrics = "metric,name,unit,direction,period_type\nannual_sales,年度销售额,万元,higher_is_better,annual\n"
    rows = ["employee_id,period,metric,value"]
    for k, person in enumerate(("E012", "E013", "E016", "E017", "E018", "E014")):
        rows += [f"{person},{year},annual_sales,{300 + 20 * k + 10 * (year - 2019) + 7.3 * (year % 3)}"
                 for year in range(2019, 2026)]  # fmt: skip
    for kind, text in (("metrics", metrics), ("history", "\n".join(rows) + "\n")):
        imported = client.post(
            f"/v1/imports/{kind}", headers=auth(demo.admin),
            files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
        )  # fmt: skip
        assert imported.status_code == 200, imported.text
    ask = {"employee_id": "E012", "metric": "annual_sales", "period": "2026"}
    response = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=ask)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "2026" and body["basis"]["last_period"] == "2025"
    assert body["commit"] < body["target"] < body["stretch"]
    assert not body["basis"]["seasonality"]
    assert body["provenance"]["fallback_reason"] is None
    wrong = client.post(
        "/v1/targets/suggest", headers=auth(demo.hr), json={**ask, "period": "2026Q1"}
    )
    assert wrong.status_code == 422 and "annual period" in wrong.json()["detail"]


def test_a_metric_declared_a_count_gets_whole_numbers_whatever_its_unit(
    client: TestClient, demo: DemoTokens, engine: Engine
) -> None:
    metrics = (
        "metric,name,unit,direction,period_type,unit_kind\n"
        "households,新开户数,户,higher_is_better,quarter,count\n"
        "visits,拜访,家,higher_is_better,quarter,\n"
    )
    rows = ["employee_id,period,metric,value"]
    for k, person in enumerate(("E012", "E013", "E016", "E017", "E018")):
        rows += [f"{person},{2024 + q // 4}Q{q % 4 + 1},households,{4.3 + 0.37 * k + 0.11 * (q % 3)}"
                 for q in range(8)]  # fmt: skip
    for kind, text in (("metrics", metrics), ("history", "\n".join(rows) + "\n")):
        imported = client.post(
            f"/v1/imports/{kind}", headers=auth(demo.admin),
            files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
        )  # fmt: skip
        assert imported.status_code == 200, imported.text
    with Session(engine) as session:
        kinds = {m: session.get(Metric, m).unit_kind for m in ("households", "visits")}  # type: ignore[union-attr]
    assert kinds == {"households": "count", "visits": "count"}
    ask = {"employee_id": "E012", "metric": "households", "period": "2026Q1"}
    body = client.post("/v1/targets/suggest", headers=auth(demo.hr), json=ask).json()
    assert all(body[k] == int(body[k]) for k in ("commit", "target", "stretch")), body
