"""The optional LLM rerank of the top practices, against a mocked OpenAI-compatible endpoint."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from coach.knowledge.rerank import PURPOSE, merged_order, rerank_hits
from coach.knowledge.search import SearchHit
from coach.llm import CallRecord, OfflineEngine, OpenAIEngine

URL = "http://llm.test/v1/chat/completions"
QUERY = "下属每次遇到问题都跑来问我怎么办"
HITS = [
    SearchHit(id=doc_id, title=title, score=score, snippet=f"{title}的做法。")
    for doc_id, title, score in [
        ("one-on-one", "一对一面谈", 2.1),
        ("delegation", "分级授权", 1.7),
        ("grow-coaching", "GROW 教练式提问", 1.5),
        ("five-whys", "5 Why", 0.4),
    ]
]


class RecordingLog:
    """Keeps every call record, as the database log would store them."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def record(self, entry: CallRecord) -> None:
        self.records.append(entry)


def _answer(ranking: list[str]) -> dict[str, object]:
    arguments = json.dumps({"ranking": ranking}, ensure_ascii=False)
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "Ranking", "arguments": arguments}}]}}]}  # fmt: skip


def _engine(log: RecordingLog) -> OpenAIEngine:
    return OpenAIEngine(model="m", api_key="sk-test", base_url="http://llm.test/v1",
                        max_retries=0, call_log=log)  # fmt: skip


@respx.mock
def test_the_models_order_replaces_the_top_candidates_and_the_call_is_logged() -> None:
    log = RecordingLog()
    route = respx.post(URL).mock(
        return_value=httpx.Response(200, json=_answer(["grow-coaching", "delegation"]))
    )
    hits, rerank = rerank_hits(QUERY, HITS, _engine(log), top=3)
    assert [h.id for h in hits] == ["grow-coaching", "delegation", "one-on-one", "five-whys"]
    assert rerank.used and rerank.offline_ids == ["one-on-one", "delegation", "grow-coaching"]
    sent = json.loads(route.calls[0].request.content)
    prompt = " ".join(str(m["content"]) for m in sent["messages"])
    assert QUERY in prompt and "[grow-coaching] GROW 教练式提问" in prompt
    assert "five-whys" not in prompt, "only the top candidates are sent"
    (record,) = log.records
    assert record.purpose == PURPOSE and record.outcome == "ok"
    assert record.template_id == "knowledge/rerank.j2"
    assert record.retrieved_ids == ["one-on-one", "delegation", "grow-coaching"]


@respx.mock
def test_a_failed_call_keeps_the_offline_order_and_says_why() -> None:
    log = RecordingLog()
    respx.post(URL).mock(return_value=httpx.Response(500, json={"error": {"message": "down"}}))
    hits, rerank = rerank_hits(QUERY, HITS, _engine(log))
    assert hits == HITS
    assert not rerank.used and "call failed" in rerank.reason
    assert [r.outcome for r in log.records] == ["server_error"]


@respx.mock
def test_an_answer_naming_a_practice_not_offered_keeps_the_offline_order() -> None:
    respx.post(URL).mock(return_value=httpx.Response(200, json=_answer(["pomodoro", "delegation"])))
    hits, rerank = rerank_hits(QUERY, HITS, _engine(RecordingLog()))
    assert hits == HITS
    assert not rerank.used and "not among the candidates" in rerank.reason


@respx.mock
def test_without_a_model_the_offline_order_stands_and_nothing_is_sent() -> None:
    route = respx.post(URL)
    hits, rerank = rerank_hits(QUERY, HITS, OfflineEngine())
    assert hits == HITS and route.call_count == 0
    assert not rerank.used and rerank.provider == "offline"


@pytest.mark.parametrize(
    ("answered", "merged"),
    [
        (["c", "a"], ["c", "a", "b"]),
        (["b", "b", "a"], ["b", "a", "c"]),
        ([], ["a", "b", "c"]),
        (["a", "z"], None),
    ],
)
def test_merged_order_puts_left_out_candidates_after_and_refuses_strays(
    answered: list[str], merged: list[str] | None
) -> None:
    assert merged_order(["a", "b", "c"], answered) == merged
