"""Editing drafts before approval: items as fields, the approved version shown afterwards with
its diff, a target's rationale worded from the approved levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from coach.core.models import Decision, Draft, DraftStatus
from coach.demo import DemoTokens
from coach.drafts.gate import approved_content
from coach.drafts.store import DecisionPublic, to_public
from coach.org.users import authenticate
from tests.web.conftest import WebClient, signed_in

WebApp = tuple[FastAPI, DemoTokens]


def to_public_decisions(app: FastAPI, draft_id: str) -> list[DecisionPublic]:
    with Session(app.state.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return to_public(session, draft).decisions


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


class _FormReader(HTMLParser):
    """The name/value pairs a browser would post from one form of a page."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside = action, False
        self.pairs: list[tuple[str, str]] = []
        self.open: tuple[str, list[str]] | None = None  # a textarea or select being read
        self.selected: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "").split("#")[0] == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag in ("textarea", "select") and a.get("name"):
            self.open, self.selected, self.first_option = (a["name"], []), None, None
        elif tag == "option" and self.open is not None:
            value = a.get("value", "")
            self.first_option = self.first_option if self.first_option is not None else value
            if "selected" in a:
                self.selected = value

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.open is not None:
            self.pairs.append((self.open[0], unescape("".join(self.open[1])).removeprefix("\n")))
            self.open = None
        elif tag == "select" and self.open is not None:
            self.pairs.append((self.open[0], self.selected or self.first_option or ""))
            self.open = None


def edit_fields(html: str, draft_id: str) -> list[tuple[str, str]]:
    reader = _FormReader(f"/drafts/{draft_id}/edit")
    reader.feed(html)
    return reader.pairs


def _generated(web: WebClient, kind: str) -> str:
    made = web.client.post(
        f"/team/E012/generate/{kind}", data={"csrf_token": web.csrf}, follow_redirects=False
    )
    return str(made.headers["location"]).rsplit("/", 1)[-1]


def _feedback_draft(web: WebClient) -> str:
    return _generated(web, "feedback")


@dataclass(frozen=True)
class Answer:
    status: int
    html: str


def _post(
    web: WebClient, draft_id: str, pairs: list[tuple[str, str]], op: str = "approve"
) -> Answer:
    body = [(k, v) for k, v in pairs if k != "csrf_token"] + [("csrf_token", web.csrf), ("op", op)]
    answer = web.client.post(
        f"/drafts/{draft_id}/edit", content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    return Answer(answer.status_code, answer.text)


def _stored(app: FastAPI, draft_id: str) -> Draft:
    with Session(app.state.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


def test_every_item_of_a_feedback_draft_is_a_field_with_its_citations(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    page = web.client.get(f"/drafts/{draft_id}").text
    ai = _stored(app, draft_id).output
    assert "<textarea" in page and 'name="content"' not in page and "JSON" not in page
    names = dict(edit_fields(page, draft_id))
    for key in ("strengths", "improvements", "next_actions", "resource_needs"):
        for n, item in enumerate(ai[key]):
            for field, value in item.items():
                if field != "evidence_ids":
                    assert names[f"{key}.{n}.{field}"] == str(value), (key, n, field)
            for cited in item["evidence_ids"]:
                assert (f"{key}.{n}.evidence_ids", cited) in edit_fields(page, draft_id)
    assert names["summary"] == ai["summary"]
    # The cited records say what they are in words: 关键结果, not key_result.
    assert '<span class="badge">关键结果</span>' in page and ">key_result<" not in page


def test_the_form_posted_unchanged_approves_the_draft_as_is(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    assert _post(web, draft_id, pairs).status == 200
    decision = to_public_decisions(app, draft_id)[0]
    assert (
        decision.decision == Decision.approve
        and decision.final_content == _stored(app, draft_id).output
    )


@pytest.mark.parametrize("kind", ["checkin_topics", "development"])
def test_every_kind_round_trips_through_its_form(web_app: WebApp, kind: str) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _generated(web, kind)
    page = web.client.get(f"/drafts/{draft_id}").text
    assert 'name="content"' not in page
    assert _post(web, draft_id, edit_fields(page, draft_id)).status == 200
    decision = to_public_decisions(app, draft_id)[0]
    assert decision.decision == Decision.approve, decision.diff


def test_removing_a_topic_ranks_the_others_again(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _generated(web, "checkin_topics")
    ai = _stored(app, draft_id).output
    assert len(ai["topics"]) >= 2
    page = web.client.get(f"/drafts/{draft_id}").text
    removed = _post(web, draft_id, edit_fields(page, draft_id), op="remove:topics.0")
    assert _post(web, draft_id, edit_fields(removed.html, draft_id)).status == 200
    final = to_public_decisions(app, draft_id)[0].final_content
    assert final is not None
    assert [t["title"] for t in final["topics"]] == [t["title"] for t in ai["topics"][1:]]
    assert [t["rank"] for t in final["topics"]] == list(range(1, len(ai["topics"])))


def test_edited_fields_are_approved_as_the_new_content(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    ai = _stored(app, draft_id).output
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    new_text = "十一月你把客户投诉的处理时间从三天缩短到一天,团队都看到了。"
    pairs = [(k, new_text if k == "strengths.0.text" else v) for k, v in pairs]
    assert _post(web, draft_id, pairs).status == 200
    decision = to_public_decisions(app, draft_id)[0]
    final = decision.final_content
    assert decision.decision == Decision.edit and final is not None
    assert final["strengths"][0]["text"] == new_text
    assert {**final, "strengths": ai["strengths"]} == ai  # nothing else moved
    assert final["strengths"][1:] == ai["strengths"][1:]


def test_a_refused_field_is_marked_beside_it_and_the_input_is_kept(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    kept = "这一条改成了我自己的话,比原来的更具体一些。"
    pairs = [
        (k, "太短" if k == "improvements.0.behavior" else kept if k == "summary" else v)
        for k, v in pairs
        if k != "strengths.0.evidence_ids"
    ]
    refused = _post(web, draft_id, pairs)
    assert refused.status == 422
    page = refused.html
    assert re.search(
        r'id="f-improvements-0-behavior"[^>]*aria-invalid="true"[^>]*>太短</textarea>\s*'
        r'<p class="field-error" id="f-improvements-0-behavior-error">太短:至少 4 个字</p>',
        page,
    ), page[page.find("f-improvements-0-behavior") - 200 :][:800]
    assert 'id="c-strengths-0-evidence_ids-error">请至少引用一条记录' in page
    assert f">{kept}</textarea>" in page and '<details id="edit" open>' in page
    assert _stored(app, draft_id).status == DraftStatus.pending


def test_items_are_added_and_removed_in_the_form(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    ai = _stored(app, draft_id).output
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    count = len(ai["strengths"])
    added = _post(web, draft_id, pairs, op="add:strengths")
    assert added.status == 200 and f'name="strengths.{count}.text"' in added.html
    pairs = edit_fields(added.html, draft_id)
    new = "十一月你主动整理了新人上手文档,三位新同事当周就能独立处理工单。"
    record = next(v for k, v in pairs if k == "summary_evidence_ids")
    pairs = [(k, new if k == f"strengths.{count}.text" else v) for k, v in pairs]
    pairs.append((f"strengths.{count}.evidence_ids", record))
    removed = _post(web, draft_id, pairs, op="remove:strengths.0")
    assert removed.status == 200
    assert f'name="strengths.{count}.text"' not in removed.html
    assert _stored(app, draft_id).status == DraftStatus.pending
    assert _post(web, draft_id, edit_fields(removed.html, draft_id)).status == 200
    final = to_public_decisions(app, draft_id)[0].final_content
    assert final is not None
    assert [s["text"] for s in final["strengths"]] == [
        *(s["text"] for s in ai["strengths"][1:]),
        new,
    ]
    assert final["strengths"][-1]["evidence_ids"] == [record]


def _outside_history(html: str) -> str:
    """The page without its decision history, where the AI version is quoted in the diff."""
    return html.split('id="changes-title"')[0]


def test_after_an_edit_every_view_shows_the_approved_version(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    ai = _stored(app, draft_id).output
    old_text = ai["strengths"][0]["text"]
    new_text = "十一月你把客户投诉的处理时间从三天缩短到一天,团队都看到了。"
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    pairs = [(k, new_text if k == "strengths.0.text" else v) for k, v in pairs]
    assert _post(web, draft_id, pairs).status == 200

    page = web.client.get(f"/drafts/{draft_id}").text
    assert new_text in _outside_history(page) and old_text not in _outside_history(page)
    assert 'id="approved-version"' in page and "与 AI 原稿相比改了 1 处" in page
    change = page.split('id="change-strengths-1-changed"')[1].split("</li>")[0]
    assert "<del>" in change and "<ins>" in change and "缩短到一天" in change

    api = {"Authorization": f"Bearer {tokens.manager}"}
    body = web.client.get(f"/v1/drafts/{draft_id}", headers=api).json()
    assert body["output"] == ai and body["approved"]["strengths"][0]["text"] == new_text
    mine = web.client.get("/v1/me/feedback", headers={"Authorization": f"Bearer {tokens.employee}"})
    assert mine.json()["data"][0]["content"]["strengths"][0]["text"] == new_text
    me = signed_in(app, tokens.employee).client.get("/me").text
    assert new_text in me and old_text not in me


def test_an_edited_target_page_shows_the_approved_levels(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _suggest_revenue(web)
    ai = _stored(app, draft_id).output
    levels = {"commit": ai["commit"] - 7, "target": ai["target"] + 3, "stretch": ai["stretch"] + 9}
    form = {k: f"{v:g}" for k, v in levels.items()}
    web.client.post(f"/drafts/{draft_id}/approve", data={**form, "csrf_token": web.csrf})
    page = web.client.get(f"/drafts/{draft_id}").text
    shown = _outside_history(page)
    for key, value in levels.items():
        assert re.search(rf'id="level-{key}">.*?<strong>{value:g}万元</strong>', shown, re.S), key
        assert f"<strong>{ai[key]:g}万元</strong>" not in shown
    assert 'id="change-summary-1-changed"' in page


def test_an_overlong_field_is_refused_and_nothing_is_decided(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _feedback_draft(web)
    pairs = edit_fields(web.client.get(f"/drafts/{draft_id}").text, draft_id)
    pairs = [(k, "长" * 5001 if k == "summary" else v) for k, v in pairs]
    refused = _post(web, draft_id, pairs)
    assert refused.status == 422 and "summary" in refused.html
    assert _stored(app, draft_id).status == DraftStatus.pending
