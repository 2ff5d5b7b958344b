"""English mode: every label the page writes itself is English; only data (names, metric
names and units, key-result titles) and AI-written text stay as recorded."""

from __future__ import annotations

import re
from html import unescape

from fastapi import FastAPI
from sqlmodel import Session, select

from coach.core.models import Employee, Goal, KeyResult, Metric
from coach.demo import DemoTokens
from tests.web.conftest import WebClient, signed_in

WebApp = tuple[FastAPI, DemoTokens]
_LABELS = re.compile(
    r"<(h[1-4]|th|dt|legend|label|summary|button|span class=\"badge[^\"]*\")[^>]*>(.*?)</", re.S
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _recorded_words(app: FastAPI) -> set[str]:
    """Names, roles, teams, metric names, units and goal titles as the data records them."""
    with Session(app.state.engine) as session:
        people = session.exec(select(Employee)).all()
        metrics = session.exec(select(Metric)).all()
        titles = [*session.exec(select(Goal.title)), *session.exec(select(KeyResult.title))]
    words = {w for p in people for w in (p.name, p.role, p.team, p.department)}
    return words | {w for m in metrics for w in (m.name, m.unit)} | set(titles)


def _label_words(html: str) -> set[str]:
    texts = (unescape(re.sub(r"<[^>]+>", " ", inner)) for _, inner in _LABELS.findall(html))
    return {word for text in texts for word in _CJK.findall(text)}


def _generate(web: WebClient, kind: str) -> str:
    made = web.client.post(
        f"/team/E012/generate/{kind}", data={"csrf_token": web.csrf}, follow_redirects=False
    )
    return str(made.headers["location"])


def test_page_labels_are_english_in_english_mode(web_app: WebApp) -> None:
    app, tokens = web_app
    manager = signed_in(app, tokens.manager)
    manager.client.cookies.set("coach_lang", "en")
    pages = ["/team", "/team/E012", "/drafts", "/team/E012/checkin"]
    pages += [_generate(manager, kind) for kind in ("feedback", "development", "checkin_topics")]
    manager.client.post(
        "/team/E012/targets",
        data={"metric": "revenue", "period": "2026Q4", "csrf_token": manager.csrf},
    )
    pages += re.findall(r'href="(/drafts/[0-9a-f]{32})"', manager.client.get("/drafts").text)
    for draft in pages[-1:]:
        manager.client.post(f"{draft}/approve", data={"csrf_token": manager.csrf})
    employee, hr = signed_in(app, tokens.employee), signed_in(app, tokens.hr)
    recorded = _recorded_words(app) | {"中文"}  # the language switch names itself
    visits = [(manager, page) for page in pages]
    visits += [
        (employee, "/me"),
        (hr, "/hr/events"),
        (hr, "/hr/dialogues"),
        (hr, "/hr/calibration"),
    ]
    for web, page in visits:
        web.client.cookies.set("coach_lang", "en")
        response = web.client.get(page)
        assert response.status_code == 200, page
        left = {w for w in _label_words(response.text) if not any(w in r for r in recorded)}
        assert not left, (page, left)
