from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import ApprovalRecord, Draft, utcnow
from coach.drafts.edits import measure_edit
from coach.drafts.registry import DraftKind, register_kinds
from coach.drafts.store import Provenance, create_draft
from tests.factories import auth


class _Plan(BaseModel):
    summary: str
    points: list[str]


@pytest.fixture(autouse=True)
def _plan_kind() -> None:
    register_kinds([DraftKind("approval_test_plan", schema=_Plan)])


AI = {"summary": "本季度重点提升客户回访质量", "points": ["每周回访五家客户", "整理回访记录"]}


def test_as_is_is_no_edit() -> None:
    measure = measure_edit(AI, dict(AI))
    assert (measure.edit_ratio, measure.diff, measure.changed_fields) == (0.0, "", [])


def test_a_small_edit_is_small_and_named() -> None:
    final = {**AI, "points": ["每周回访六家客户", "整理回访记录"]}
    measure = measure_edit(AI, final)
    assert 0 < measure.edit_ratio < 0.2
    assert measure.changed_fields == ["points[0]"]
    assert (
        "-points[0]: 每周回访五家客户" in measure.diff
        and "+points[0]: 每周回访六家客户" in measure.diff
    )


def test_a_rewrite_is_close_to_one() -> None:
    final = {"summary": "Lead the onboarding of two new hires", "points": ["pair weekly"]}
    assert measure_edit(AI, final).edit_ratio > 0.7
    assert measure_edit(AI, None).edit_ratio == 0.0  # a rejection is not an edit


def _draft(engine: Engine, age: timedelta = timedelta(0)) -> str:
    with Session(engine) as session:
        draft = create_draft(session, kind="approval_test_plan", employee_id="A1", requester=None,
                             inputs={}, output=AI, provenance=Provenance(provider="offline"))  # fmt: skip
        draft.created_at = utcnow() - age
        session.commit()
        return draft.id


def _decided_at(engine: Engine, draft_id: str, moment: datetime) -> None:
    with Session(engine) as session:
        record = session.exec(
            select(ApprovalRecord).where(ApprovalRecord.draft_id == draft_id)
        ).one()
        record.created_at = moment
        session.commit()


def test_report_per_manager_and_kind_with_rubber_stamps(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    quick, considered, edited, rejected = (_draft(engine), _draft(engine, timedelta(hours=2)),
                                           _draft(engine), _draft(engine))  # fmt: skip
    manager = auth(tokens["manager"])
    assert client.post(f"/v1/drafts/{quick}/approve", headers=manager).status_code == 200
    assert client.post(f"/v1/drafts/{considered}/approve", headers=manager).status_code == 200
    # A minute with the second draft after deciding the first: enough to read 27 characters.
    with Session(engine) as session:
        first = session.exec(select(ApprovalRecord).where(ApprovalRecord.draft_id == quick)).one()
        _decided_at(engine, considered, first.created_at + timedelta(minutes=1))
    body = client.post(f"/v1/drafts/{edited}/approve", headers=manager,
                       json={"content": {**AI, "points": ["每周回访六家客户"]}}).json()  # fmt: skip
    decision = body["decisions"][0]
    assert decision["decision"] == "edit" and decision["changed_fields"] == [
        "points[0]",
        "points[1]",
    ]
    assert 0 < decision["edit_ratio"] < 1 and decision["diff"].startswith("--- ai")
    assert body["output"] == AI  # the AI version stays beside the final one
    assert (
        client.post(
            f"/v1/drafts/{rejected}/reject", headers=manager, json={"reason": "不符合实际"}
        ).status_code
        == 200
    )

    month = f"{utcnow():%Y-%m}"
    report = client.get(f"/v1/audit/approvals?month={month}", headers=auth(tokens["hr"])).json()
    (row,) = report["by_manager"]
    assert (row["reviewer"], row["account"], row["employee_id"]) == ("陈经理", "user-manager", "M1")
    assert row["decided"] == 4
    assert (row["as_is"], row["edited"], row["rejected"]) == (2, 1, 1)
    assert (row["as_is_share"], row["edited_share"], row["rejected_share"]) == (0.5, 0.25, 0.25)
    assert row["kinds"][0]["kind"] == "approval_test_plan" and row["rubber_stamped"] == 1
    assert [s["draft_id"] for s in report["rubber_stamps"]] == [quick]
    assert report["rubber_stamps"][0]["reviewer"] == "陈经理" and not report["streaks"]
    assert report["overall"]["mean_edit_ratio"] == decision["edit_ratio"]
    empty = client.get("/v1/audit/approvals?month=2001-01", headers=auth(tokens["hr"])).json()
    assert empty["overall"]["decided"] == 0
    assert client.get("/v1/audit/approvals", headers=auth(tokens["manager"])).status_code == 403
    with Session(engine) as session:
        assert session.get(Draft, quick) is not None


def test_a_run_of_approvals_seconds_apart_is_a_streak_of_rubber_stamps(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    # Sixteen drafts made minutes before, approved as is two seconds apart: each had two
    # seconds, while its 27 characters need three at skimming speed.
    drafts = [_draft(engine, timedelta(minutes=10)) for _ in range(16)]
    manager = auth(tokens["manager"])
    start = utcnow() - timedelta(minutes=5)
    for n, draft_id in enumerate(drafts):
        assert client.post(f"/v1/drafts/{draft_id}/approve", headers=manager).status_code == 200
        _decided_at(engine, draft_id, start + timedelta(seconds=2 * n))
    month = f"{utcnow():%Y-%m}"
    report = client.get(f"/v1/audit/approvals?month={month}", headers=auth(tokens["hr"])).json()
    # The first had ten minutes since it was made; the fifteen after it, two seconds each.
    assert [s["draft_id"] for s in report["rubber_stamps"]] == drafts[1:]
    assert all(s["seconds"] == 2.0 and s["needed_seconds"] == 3.0 for s in report["rubber_stamps"])
    (streak,) = report["streaks"]
    assert streak["draft_ids"] == drafts[1:] and streak["reviewer"] == "陈经理"
    assert report["by_manager"][0]["streaks"] == 1
    assert {s["chars"] for s in report["rubber_stamps"]} == {27}
    # At a careful 5 characters a second each of them needs 5.4 seconds.
    slow = client.get(
        f"/v1/audit/approvals?month={month}&chars_per_second=5", headers=auth(tokens["hr"])
    ).json()
    assert [s["needed_seconds"] for s in slow["rubber_stamps"]] == [5.4] * 15
