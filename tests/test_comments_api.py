from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from coach.core.models import AuditEvent
from tests.factories import auth


def test_check_flags_vague_and_points_at_the_span(
    client: TestClient, tokens: dict[str, str]
) -> None:
    text = "10月把华润的续约谈下来了,回款30万。其他方面表现良好。"
    body = client.post(
        "/v1/comments/check", headers=auth(tokens["employee"]), json={"text": text}
    ).json()
    assert body["vague"] is False
    assert set(body["elements"]) == {"behavior", "situation", "impact", "suggestion"}
    spans = [(f["start"], f["end"], f["text"]) for f in body["findings"]]
    assert any(text[s:e] == t and "表现良好" in t for s, e, t in spans)


def test_english_comment_gets_english_hints(client: TestClient, tokens: dict[str, str]) -> None:
    body = client.post(
        "/v1/comments/check", headers=auth(tokens["hr"]), json={"text": "good job"}
    ).json()
    assert body["vague"] is True and body["findings"]
    assert body["findings"][0]["hint"].isascii()


def test_every_role_may_check_and_nothing_is_stored(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    for role in ("admin", "hr", "manager", "employee"):
        response = client.post(
            "/v1/comments/check", headers=auth(tokens[role]), json={"text": "继续努力"}
        )
        assert response.status_code == 200 and response.json()["vague"] is True
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == before


def test_batch_keeps_order(client: TestClient, tokens: dict[str, str]) -> None:
    items = ["表现良好", "3月5日客户投诉当天闭环,客户追加了20万订单。", "同意"]
    results = client.post(
        "/v1/comments/check-batch", headers=auth(tokens["manager"]), json={"items": items}
    ).json()["results"]
    assert [r["vague"] for r in results] == [True, False, True]


def _error(client: TestClient, token: str, path: str, body: object) -> tuple[int, object]:
    response = client.post(path, headers=auth(token), json=body)
    return response.status_code, response.json()["detail"]


def test_bad_input_names_the_field(client: TestClient, tokens: dict[str, str]) -> None:
    token = tokens["manager"]
    for bad in ({"text": ""}, {"text": "   "}, {"text": "好" * 5001}, {"text": 42}, {}):
        status, detail = _error(client, token, "/v1/comments/check", bad)
        assert status == 422 and detail[0]["loc"][:2] == ["body", "text"], (bad, detail)  # type: ignore[index]
    status, detail = _error(client, token, "/v1/comments/check-batch", {"items": ["ok", ""]})
    assert status == 422 and detail[0]["loc"] == ["body", "items", 1]  # type: ignore[index]


def test_batch_over_the_limit_says_the_limit(client: TestClient, tokens: dict[str, str]) -> None:
    status, detail = _error(
        client, tokens["manager"], "/v1/comments/check-batch", {"items": ["表现良好"] * 1001}
    )
    assert status == 413 and "1000" in str(detail)
