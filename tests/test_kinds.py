"""The explicit registry of draft kinds: no kind is decided without its schema and hook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from coach.core.models import ApprovalRecord, Draft, DraftStatus, OfficialTarget
from coach.demo import DemoTokens
from coach.drafts.decisions import decide
from coach.drafts.registry import UnknownDraftKind
from coach.drafts.store import begin_draft
from coach.kinds import draft_kinds
from coach.org.users import authenticate
from tests.factories import auth

ROOT = Path(__file__).resolve().parents[1]
TARGET_REQUEST = {"employee_id": "E012", "metric": "revenue", "period": "2026Q4"}

# A script that knows only the drafts package (and the plain modules it needs) approves a draft.
APPROVE_WITH_DRAFTS_ALONE = """
import json, sys
from sqlmodel import Session
from coach.drafts import decisions, registry
from coach.org.users import authenticate
from coach.core.db import engine_for
from coach.core.settings import Settings

with Session(engine_for(Settings())) as session:
    manager = authenticate(session, sys.argv[1])
    try:
        decisions.decide(session, manager, sys.argv[2], approve=True)
        session.commit()
        outcome = "approved"
    except Exception as exc:
        outcome = type(exc).__name__
print(json.dumps({"outcome": outcome, "registered": sorted(registry._KINDS)}))
"""


def _target_draft(client: TestClient, demo: DemoTokens) -> str:
    response = client.post("/v1/targets/suggest", headers=auth(demo.manager), json=TARGET_REQUEST)
    assert response.status_code == 200, response.text
    return str(response.json()["draft_id"])


def test_importing_capabilities_registers_no_kind() -> None:
    code = (
        "import coach.drafts.decisions, coach.chains, coach.targets.service as t; "
        "import coach.drafts.registry as r; print(len(r._KINDS))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_the_registry_holds_every_kind_a_batch_or_endpoint_makes() -> None:
    assert set(draft_kinds()) == {"checkin_topics", "feedback", "development", "target"}
    assert draft_kinds()["target"].on_approved is not None


def test_approving_a_target_with_only_coach_drafts_imported_never_skips_the_official_target(
    client: TestClient, engine: Engine, demo: DemoTokens
) -> None:
    draft_id = _target_draft(client, demo)
    run = subprocess.run(
        [sys.executable, "-c", APPROVE_WITH_DRAFTS_ALONE, demo.manager, draft_id],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        official = session.exec(select(OfficialTarget)).all()
        records = session.exec(select(ApprovalRecord)).all()
    if result["outcome"] == "approved":
        assert draft.status == DraftStatus.approved and len(official) == 1
    else:
        assert result["outcome"] == "UnknownDraftKind" and result["registered"] == []
        assert draft.status == DraftStatus.pending and official == [] and records == []


def test_a_draft_of_an_unknown_kind_in_the_database_is_refused_not_decided(
    client: TestClient, engine: Engine, demo: DemoTokens
) -> None:
    draft_id = _target_draft(client, demo)
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        draft.kind = "retired_kind"
        session.add(draft)
        session.commit()
        manager = authenticate(session, demo.manager)
        assert manager is not None
        with pytest.raises(UnknownDraftKind, match="retired_kind"):
            decide(session, manager, draft_id, approve=False, reason="不再使用")
        session.rollback()
        assert session.exec(select(ApprovalRecord)).all() == []
    response = client.post(f"/v1/drafts/{draft_id}/approve", headers=auth(demo.manager))
    assert response.status_code == 409 and "retired_kind" in response.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(ApprovalRecord)).all() == []
        assert session.exec(select(OfficialTarget)).all() == []


def test_a_draft_of_an_unknown_kind_is_not_begun(engine: Engine, tokens: dict[str, str]) -> None:
    with Session(engine) as session:
        with pytest.raises(UnknownDraftKind, match="no_such_kind"):
            begin_draft(session, kind="no_such_kind", employee_id="A1", requester=None, inputs={})
        session.rollback()
        assert session.exec(select(Draft)).all() == []


def test_every_kind_has_the_name_people_read_in_both_languages(engine: Engine) -> None:
    from coach.drafts.registry import kind_label

    for name, kind in draft_kinds().items():
        assert kind.label is not None and all(kind.label), name
        assert kind_label(name, "zh") == kind.label[0] and kind_label(name, "en") == kind.label[1]
    assert kind_label("not_a_kind", "en") == "not_a_kind"
