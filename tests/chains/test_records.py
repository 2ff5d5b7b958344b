"""The records a snapshot holds, in the shape the prompts show them."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from coach.chains.common import prompt_data
from coach.chains.records import load_snapshot
from tests.chains.conftest import AS_OF


def test_records_keep_their_id_and_kind_first_and_every_stored_note(demo_engine: Engine) -> None:
    # The prompt carries the records as JSON in this order; a reordering changes every prompt.
    with Session(demo_engine) as session:
        snapshot = load_snapshot(session, employee_id="E012", draft_kind="feedback", as_of=AS_OF)
    data = prompt_data(snapshot)
    assert list(data["profile"]) == [
        "id", "kind", "name", "role", "level", "department", "team",
        "tenure_months", "manager_id", "manager_name",
    ]  # fmt: skip
    assert data["checkins"], "the demo person has check-ins in the cycle"
    assert all(
        list(c) == [
            "id", "kind", "date", "manager_name", "progress", "obstacles", "support_needed",
            "next_actions", "manager_feedback", "employee_comment",
        ]
        for c in data["checkins"]
    )  # fmt: skip
