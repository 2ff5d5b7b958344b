"""Editing drafts before approval: items as fields, the approved version shown afterwards with
its diff, a target's rationale worded from the approved levels."""

from __future__ import annotations

import re

from fastapi import FastAPI
from sqlmodel import Session

from coach.core.models import Draft
from coach.demo import DemoTokens
from coach.drafts.gate import approved_content
from coach.org.users import authenticate
from tests.web.conftest import WebClient, signed_in

WebApp = tuple[FastAPI, DemoTokens]


def _suggest_revenue(web: WebClient) -> str:
    made = web.client.post(
        "/team/E012/targets",
        data={"metric": "revenue", "period": "2026Q4", "csrf_token": web.csrf},
    )
    assert made.status_code == 200, made.text[:300]
    ids = re.findall(r'href="/drafts/([0-9a-f]{32})"', web.client.get("/drafts").text)
    return ids[0]


def test_an_edited_target_is_explained_with_the_approved_levels(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _suggest_revenue(web)
    with Session(app.state.engine) as session:
        ai = dict(session.get(Draft, draft_id).output)  # type: ignore[union-attr]
    levels = {"commit": ai["commit"] - 7, "target": ai["target"] + 3, "stretch": ai["stretch"] + 9}
    form = {k: f"{v:g}" for k, v in levels.items()}
    done = web.client.post(f"/drafts/{draft_id}/approve", data={**form, "csrf_token": web.csrf})
    assert done.status_code == 200
    with Session(app.state.engine) as session:
        manager = authenticate(session, tokens.manager)
        assert manager is not None
        final = approved_content(session, manager, session.get(Draft, draft_id)).content  # type: ignore[arg-type]
    for key, value in levels.items():
        assert f"{value:g}" in final["rationale"], (key, final["rationale"])
        assert value in final["rationale_numbers"]
    assert f"目标值 {ai['target']:g}" not in final["rationale"]
    # Only the levels are new: the engine's account of the history is worded as before.
    assert final["rationale"].split("。")[1] == ai["rationale"].split("。")[1]
