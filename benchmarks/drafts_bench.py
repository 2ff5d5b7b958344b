"""Concurrency benchmark: 50 coaching-draft requests against an LLM that takes 300 ms a call.

The real `OpenAIEngine` (the OpenAI SDK over httpx) talks to a respx mock whose async side
effect sleeps 300 ms, so the client, the chains and the app run exactly as in production.
Requests go through the ASGI app with `httpx.AsyncClient(transport=ASGITransport(app))`.
If the event loop were blocked anywhere, 50 calls would take 50 × 300 ms = 15 s; the bar
is 3 s. Run with `python -m benchmarks.drafts_bench [--requests 50] [--latency 0.3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import respx
from sqlmodel import Session

from api.main import create_app
from coach.chains import checkin_topics, development, feedback
from coach.chains.common import pseudonymizer_for
from coach.chains.records import CoachingKind, load_names, load_snapshot
from coach.core.db import engine_for, migrate
from coach.core.settings import Settings
from coach.demo import TODAY, seed_demo
from coach.knowledge import HashingEmbedder, ensure_shipped_library, open_knowledge_base
from coach.llm import DatabaseCallLog, OpenAIEngine

BASE_URL = "http://llm.bench/v1"
BAR_SECONDS = 3.0
EMPLOYEE = "E012"
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "CheckinTopics": ("/v1/checkins/topics", {"employee_id": EMPLOYEE, "date": TODAY.isoformat()}),
    "FeedbackDraft": ("/v1/feedback/drafts", {"employee_id": EMPLOYEE, "cycle": "latest", "date": TODAY.isoformat()}),
    "DevelopmentPlan": ("/v1/development/suggestions", {"employee_id": EMPLOYEE, "date": TODAY.isoformat()}),
}  # fmt: skip


def _answers(engine: Any, kb: Any) -> dict[str, dict[str, Any]]:
    """What a well-behaved LLM answers for each kind: the offline output with placeholders."""
    answers: dict[str, dict[str, Any]] = {}
    with Session(engine) as session:
        for tool, kind in (("CheckinTopics", "checkin_topics"), ("FeedbackDraft", "feedback"),
                           ("DevelopmentPlan", "development")):  # fmt: skip
            draft_kind: CoachingKind = kind  # type: ignore[assignment]
            snapshot = load_snapshot(session, employee_id=EMPLOYEE, draft_kind=draft_kind, as_of=TODAY,
                                     cycle="latest" if kind == "feedback" else None)  # fmt: skip
            directory = load_names(session, snapshot)
            if kind == "checkin_topics":
                output: Any = checkin_topics.compose_topics(snapshot)
            elif kind == "feedback":
                output = feedback.compose_feedback(snapshot)
            else:
                matches = development.retrieve(kb, development.find_gaps(snapshot))
                snapshot = development.with_practices(snapshot, matches)
                output = development.compose_plan(snapshot, matches)
            payload = output.model_dump(mode="json", exclude={"quality_flags"})
            answers[tool] = pseudonymizer_for(snapshot, directory).mask_value(payload)
    return answers


def _completion(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "bench", "object": "chat.completion", "created": 1, "model": "bench-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                     "tool_calls": [{"id": "c", "type": "function", "function": {
                         "name": tool, "arguments": json.dumps(arguments, ensure_ascii=False)}}]}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 400, "total_tokens": 1400},
    }  # fmt: skip


async def run(
    requests: int, latency: float, workdir: Path
) -> tuple[float, dict[str, int], dict[str, int]]:
    """Seconds for `requests` concurrent draft requests; status and provider counts."""
    settings = Settings(home=workdir / "home")
    kb = open_knowledge_base(chroma_path=workdir / "chroma", embedder=HashingEmbedder())
    ensure_shipped_library(kb)
    migrate(engine_for(settings))
    app = create_app(settings, knowledge=kb)
    db = app.state.engine
    with Session(db) as session:
        tokens = seed_demo(session)
        session.commit()
    app.state.chat_engine = OpenAIEngine(model="bench-model", api_key="sk-bench", base_url=BASE_URL,
                                         max_retries=0, call_log=DatabaseCallLog(db))  # fmt: skip
    answers = _answers(db, kb)

    async def slow_llm(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(latency)
        tool = json.loads(request.content)["tools"][0]["function"]["name"]
        return httpx.Response(200, json=_completion(tool, answers[tool]))

    kinds = list(REQUESTS)
    headers = {"Authorization": f"Bearer {tokens.manager}"}
    statuses: dict[str, int] = {}
    providers: dict[str, int] = {}
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        llm = router.post("/chat/completions").mock(side_effect=slow_llm)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://coach.bench", timeout=60
        ) as client:
            started = time.perf_counter()
            responses = await asyncio.gather(*(
                client.post(REQUESTS[kinds[i % 3]][0], json=REQUESTS[kinds[i % 3]][1], headers=headers)
                for i in range(requests)
            ))  # fmt: skip
            elapsed = time.perf_counter() - started
    for response in responses:
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        if response.status_code == 201:
            provider = response.json()["provenance"]["provider"]
            providers[provider] = providers.get(provider, 0) + 1
    providers["llm_calls"] = llm.call_count
    return elapsed, statuses, providers


def main() -> None:
    """Run the benchmark and print the figure beside the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3, help="Seconds per mocked LLM call.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        elapsed, statuses, providers = asyncio.run(run(args.requests, args.latency, Path(tmp)))
    serial = args.requests * args.latency
    print(f"{args.requests} concurrent draft requests (topics/feedback/development), "
          f"LLM latency {args.latency * 1000:.0f} ms per call")  # fmt: skip
    print(f"statuses: {statuses}; answered by: {providers}")
    print(f"wall time: {elapsed:.2f} s (bar < {BAR_SECONDS:.1f} s; serial would be {serial:.1f} s)")
    print(
        "result:",
        "bar met" if elapsed < BAR_SECONDS and statuses == {"201": args.requests} else "BAR MISSED",
    )


if __name__ == "__main__":
    main()
