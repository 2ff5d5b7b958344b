"""Coaching-draft eval: schema validity, grounding, invented facts, vague wording, relevance.

Run with `coach eval drafts` or `python -m evals.drafts`. Three runs:

1. the offline engine on the typed scenarios in `evals/draft_scenarios.py`;
2. the offline engine on the demo company (data the chains were not written against);
3. the real OpenAI client against a respx-mocked endpoint whose every answer carries one
   planted ungrounded fact (an invented number, record id, person, date, rating, company,
   promotion recommendation or attributed opinion);
   the validators must catch each one before it reaches a stored draft.

Then `evals/companies.py` drafts for everyone in the demo company and in a second company
imported from files, and prints claim truth, repetition, evidence use and audience beside
the figures before (measured, no bars).

Uses a temporary SQLite database and a temporary practice library with the hashing
embedder, so it needs no network and no model download.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from coach.chains import checkin_topics, development, feedback
from coach.chains.common import pseudonymizer_for
from coach.chains.grounding import Grounder, Violation
from coach.chains.records import CoachingKind, Directory, Snapshot, load_names, load_snapshot
from coach.chains.runner import ChainResult
from coach.core.db import make_engine, migrate
from coach.core.errors import Conflict
from coach.core.models import Employee
from coach.demo import TODAY as DEMO_TODAY
from coach.demo import seed_demo
from coach.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from coach.llm import ChatEngine, OfflineEngine, OpenAIEngine
from coach.quality import check_comments

from . import companies
from .draft_scenarios import AS_OF, SCENARIOS, DraftScenario, seed

CHAINS: tuple[CoachingKind, ...] = ("checkin_topics", "feedback", "development")
BASE_URL = "http://llm.eval/v1"
TOOL_NAMES = {
    "checkin_topics": "CheckinTopics",
    "feedback": "FeedbackDraft",
    "development": "DevelopmentPlan",
}
BYSTANDER = ("X99", "冯大海")  # in the directory, in nobody's records
BARS = {"schema": 1.0, "invented": 0, "vague": 0.95}


@dataclass
class ChainStats:
    """Figures for one chain over one set of people."""

    runs: int = 0
    refused: int = 0
    schema_valid: int = 0
    items: int = 0
    grounded_items: int = 0
    invented: int = 0
    vague_ok: int = 0
    topics: int = 0
    relevant_topics: int = 0
    must_not_hits: int = 0
    planted: int = 0
    caught: int = 0
    examples: list[str] = field(default_factory=list)


def _validate(
    kind: CoachingKind, snapshot: Snapshot, directory: Directory, output: Any
) -> list[Violation]:
    grounder = Grounder(snapshot, directory)
    if kind == "checkin_topics":
        return checkin_topics.validate(grounder, output)
    if kind == "feedback":
        return feedback.validate(grounder, snapshot, output)
    return development.validate(grounder, snapshot, output)


def _items(kind: CoachingKind, output: Any) -> list[tuple[str, str]]:
    module = {"checkin_topics": checkin_topics, "feedback": feedback, "development": development}[
        kind
    ]
    return module.quality_items(output)  # type: ignore[no-any-return]


async def _run(
    kind: CoachingKind,
    snapshot: Snapshot,
    directory: Directory,
    kb: KnowledgeBase,
    engine: ChatEngine,
) -> tuple[Snapshot, ChainResult[Any]]:
    if kind == "checkin_topics":
        return snapshot, await checkin_topics.suggest_topics(snapshot, directory, engine=engine)
    if kind == "feedback":
        return snapshot, await feedback.draft_feedback(snapshot, directory, engine=engine)
    matches = development.retrieve(kb, development.find_gaps(snapshot))
    snapshot = development.with_practices(snapshot, matches)
    return snapshot, await development.suggest_development(
        snapshot, directory, matches, engine=engine
    )


def _measure(
    stats: ChainStats,
    kind: CoachingKind,
    snapshot: Snapshot,
    directory: Directory,
    output: BaseModel,
    scenario: DraftScenario | None,
    review_ids: dict[str, str],
) -> None:
    stats.runs += 1
    try:
        type(output).model_validate(output.model_dump(mode="json"))
        stats.schema_valid += 1
    except ValueError:
        pass
    items = _items(kind, output)
    problems = _validate(kind, snapshot, directory, output)
    bad_paths = {p.path for p in problems}
    stats.items += len(items)
    stats.grounded_items += sum(path not in bad_paths for path, _ in items)
    stats.invented += len(problems)
    stats.examples += [f"{snapshot.profile.id} {p.message()}" for p in problems[:2]]
    checks = check_comments([text for _, text in items], snapshot.lang)
    stats.vague_ok += sum(not c.vague for c in checks)
    text = json.dumps(output.model_dump(mode="json"), ensure_ascii=False)
    if scenario is not None:
        stats.must_not_hits += sum(
            s in text for s in scenario.must_not_contain if s not in _record_text(snapshot)
        )
        if kind == "checkin_topics":
            known = {review_ids.get(i, i) for i in scenario.known_issue_ids}
            for topic in output.topics:  # type: ignore[attr-defined]
                stats.topics += 1
                stats.relevant_topics += bool(known & set(topic.evidence_ids))


def _record_text(snapshot: Snapshot) -> str:
    return json.dumps(snapshot.model_dump(mode="json"), ensure_ascii=False)


# --- planted facts -----------------------------------------------------------------------

_MAIN_TEXT = {"checkin_topics": ("topics", "why_now"), "feedback": ("strengths", "text"),
              "development": ("suggestions", "why")}  # fmt: skip


def _append(text: str) -> Callable[[dict[str, Any], CoachingKind], None]:
    def plant(payload: dict[str, Any], kind: CoachingKind) -> None:
        group, key = _MAIN_TEXT[kind]
        payload[group][0][key] += text

    return plant


def _unknown_id(payload: dict[str, Any], kind: CoachingKind) -> None:
    group, _ = _MAIN_TEXT[kind]
    payload[group][0]["evidence_ids"] = ["K-ZZ-404"]


PLANTS: list[tuple[str, str, Callable[[dict[str, Any], CoachingKind], None]]] = [
    ("number", "321.5", _append("本季度回款达到 321.5 万元。")),
    ("record id", "K-ZZ-404", _unknown_id),
    ("person", BYSTANDER[1], _append(f"{BYSTANDER[1]}对此给予了高度评价。")),
    ("date", "2026-03-17", _append("2026-03-17 也发生过类似情况。")),
    ("rating", "满分", _append("建议本期给予满分。")),
    ("company", "凤凰科技", _append("这与凤凰科技项目的经验一致。")),
    ("promotion", "晋升", _append("建议本期尽快晋升。")),
    ("attribution", "张经理", _append("张经理认为他的态度很差,建议辞退。")),
]


async def _planted_run(
    stats: ChainStats,
    kind: CoachingKind,
    snapshot: Snapshot,
    directory: Directory,
    kb: KnowledgeBase,
    plant_index: int,
) -> None:
    offline_snapshot, offline = await _run(kind, snapshot, directory, kb, OfflineEngine())
    payload = offline.output.model_dump(mode="json", exclude={"quality_flags"})
    label, token, plant = PLANTS[plant_index % len(PLANTS)]
    plant(payload, kind)
    masked = pseudonymizer_for(offline_snapshot, directory).mask_value(payload)
    answer = {
        "id": "x", "object": "chat.completion", "created": 1, "model": "planted",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                     "tool_calls": [{"id": "c", "type": "function", "function": {
                         "name": TOOL_NAMES[kind], "arguments": json.dumps(masked, ensure_ascii=False)}}]}}],
    }  # fmt: skip
    engine = OpenAIEngine(model="planted", api_key="sk-eval", base_url=BASE_URL, max_retries=0)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.post("/chat/completions").mock(return_value=httpx.Response(200, json=answer))
        final_snapshot, result = await _run(kind, snapshot, directory, kb, engine)
    stats.planted += 1
    flagged_first = bool(result.attempts and result.attempts[0].violations)
    text = json.dumps(result.output.model_dump(mode="json"), ensure_ascii=False)
    clean = token not in text and not _validate(kind, final_snapshot, directory, result.output)
    if flagged_first and clean:
        stats.caught += 1
    else:
        stats.examples.append(f"{snapshot.profile.id} missed planted {label} {token!r}")


# --- datasets ----------------------------------------------------------------------------


def _database(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def scenario_database(path: Path) -> tuple[Engine, dict[str, str]]:
    """A database holding every scenario (and the bystander); review ids by hint."""
    engine = _database(path)
    review_ids: dict[str, str] = {}
    with Session(engine) as session:
        session.add(Employee(employee_id=BYSTANDER[0], name=BYSTANDER[1], role="顾问"))
        for scenario in SCENARIOS:
            review_ids.update(seed(session, scenario))
        session.commit()
    return engine, review_ids


def _snapshot(
    session: Session, kind: CoachingKind, employee_id: str, lang: str, as_of: Any
) -> tuple[Snapshot, Directory]:
    snapshot = load_snapshot(session, employee_id=employee_id, draft_kind=kind, as_of=as_of,
                             cycle="latest" if kind == "feedback" else None, lang=lang)  # type: ignore[arg-type]  # fmt: skip
    return snapshot, load_names(session, snapshot)


async def evaluate(workdir: Path, kb: KnowledgeBase) -> dict[str, dict[str, ChainStats]]:
    """Run all three evaluations; figures by run name and chain."""
    runs: dict[str, dict[str, ChainStats]] = {
        name: {kind: ChainStats() for kind in CHAINS}
        for name in ("offline/scenarios", "offline/demo", "planted-llm")
    }
    engine, review_ids = scenario_database(workdir / "scenarios.db")
    with Session(engine) as session:
        loaded = {
            (s.id, kind): _snapshot(session, kind, s.id, s.lang, AS_OF)
            for s in SCENARIOS
            for kind in CHAINS
        }
    for n, scenario in enumerate(SCENARIOS):
        for kind in CHAINS:
            snapshot, directory = loaded[(scenario.id, kind)]
            stats = runs["offline/scenarios"][kind]
            try:
                final, result = await _run(kind, snapshot, directory, kb, OfflineEngine())
            except Conflict:
                stats.refused += 1
                continue
            _measure(stats, kind, final, directory, result.output, scenario, review_ids)
            await _planted_run(
                runs["planted-llm"][kind], kind, snapshot, directory, kb, n + CHAINS.index(kind)
            )

    demo = _database(workdir / "demo.db")
    with Session(demo) as session:
        seed_demo(session)
        session.commit()
        people = session.exec(select(Employee).where(col(Employee.manager_id).is_not(None))).all()
        demo_snapshots = [
            (kind, *_snapshot(session, kind, p.employee_id, "zh", DEMO_TODAY))
            for p in people
            for kind in CHAINS
        ]
    for kind, snapshot, directory in demo_snapshots:
        stats = runs["offline/demo"][kind]
        try:
            final, result = await _run(kind, snapshot, directory, kb, OfflineEngine())
        except Conflict:
            stats.refused += 1
            continue
        _measure(stats, kind, final, directory, result.output, None, {})
    return runs


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}%" if d else "   - "


def report(runs: dict[str, dict[str, ChainStats]]) -> bool:
    """Print the figures beside the bars; True when every bar is met."""
    ok = True
    header = f"{'run':<18}{'chain':<16}{'runs':>5}{'refused':>8}{'schema':>8}{'grounded':>9}{'invented':>9}{'vague-ok':>9}{'relevance':>10}{'caught':>10}"
    print(header)
    print("-" * len(header))
    for name, chains in runs.items():
        for kind, s in chains.items():
            caught = f"{s.caught}/{s.planted}" if s.planted else "-"
            relevance = _pct(s.relevant_topics, s.topics) if s.topics else "   - "
            print(f"{name:<18}{kind:<16}{s.runs:>5}{s.refused:>8}{_pct(s.schema_valid, s.runs):>8}"
                  f"{_pct(s.grounded_items, s.items):>9}{s.invented:>9}{_pct(s.vague_ok, s.items):>9}"
                  f"{relevance:>10}{caught:>10}")  # fmt: skip
            if name.startswith("offline"):
                ok &= s.schema_valid == s.runs and s.invented == 0 and s.must_not_hits == 0
                ok &= not s.items or s.vague_ok / s.items >= BARS["vague"]
            else:
                ok &= s.caught == s.planted
            for example in s.examples[:3]:
                print(f"    ! {example}")
    print()
    print(
        "bars: offline schema 100%, invented facts 0, vague-ok >= 95%; planted facts caught = planted"
    )
    print("relevance: share of topics citing one of the scenario's known issues")
    print("result:", "all bars met" if ok else "BARS MISSED")
    return ok


def main() -> None:
    """Run the eval and print the figures; exits 1 when a bar is missed or a run failed."""
    with tempfile.TemporaryDirectory(prefix="coach-eval-drafts-") as tmp:
        workdir = Path(tmp)
        kb = open_knowledge_base(chroma_path=workdir / "chroma", embedder=HashingEmbedder())
        ensure_shipped_library(kb)
        ok = report(asyncio.run(evaluate(workdir, kb)))
        print()
        # Measured, not barred: these figures show progress and never fail the run by themselves.
        print("Two companies, every person, every draft kind (zh and en): now (before)")
        ran = companies.report(asyncio.run(companies.measure_companies(workdir / "companies", kb)))
    if not (ok and ran):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
