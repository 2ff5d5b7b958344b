"""Check-in topics: up to three ranked topics for the next 1:1, each resting on records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

from coach.chains.common import (
    TRAINING_WISH,
    bare,
    event_fields,
    json_block,
    kr_fields,
    prompt_data,
    pseudonymizer_for,
    recurring,
)
from coach.chains.facts import NEW_IN_ROLE_MONTHS, extreme_word, kr_pace, rankings
from coach.chains.grounding import Grounder, Violation
from coach.chains.records import Directory, Snapshot, fmt_num
from coach.chains.runner import ChainResult, ChainSpec, run_chain
from coach.chains.schemas import CheckinTopics, DataSufficiency, Topic, TopicKind
from coach.chains.sufficiency import assess, is_thin
from coach.core.prompts import render_blocks
from coach.llm import ChatEngine, Deadline

KIND: Final = "checkin_topics"
TEMPLATE = "coaching/checkin_topics.j2"
OFFLINE_TEMPLATE = "coaching/offline/checkin_topics.j2"


@dataclass(frozen=True)
class Candidate:
    """A possible topic, scored by how pressing its evidence is."""

    kind: TopicKind
    score: float
    ev: dict[str, Any]
    evidence_ids: list[str]


def candidates(snapshot: Snapshot) -> list[Candidate]:
    """Every topic the records support, most pressing first."""
    found: list[Candidate] = []
    for kr in snapshot.key_results:
        fields = kr_fields(kr, snapshot.lang)
        if kr.status == "off_track":
            found.append(
                Candidate("off_track_kr", 100 + kr.expected_pct - kr.progress_pct, fields, [kr.id])
            )
        elif kr.status == "on_track":
            found.append(Candidate("kr_checkpoint", 35, fields, [kr.id]))
        elif kr.status in ("ahead", "done") and not kr_pace(kr).declining:
            found.append(
                Candidate("achievement", 56 + min(10, kr.progress_pct - kr.expected_pct) / 2,
                          {**fields, "source": "kr"}, [kr.id])
            )  # fmt: skip
    recent = snapshot.checkins[:3]
    for text, group in recurring(recent, "obstacles"):
        found.append(
            Candidate("obstacle", 70 + 8 * (len(group) - 1),
                      {"text": text, "dates": [c.date.isoformat() for c in reversed(group)]},
                      [c.id for c in group])
        )  # fmt: skip
    if snapshot.checkins:
        last = snapshot.checkins[0]
        if last.support_needed.strip():
            found.append(
                Candidate("support_request", 66,
                          {"text": last.support_needed.strip(), "date": last.date.isoformat()}, [last.id])
            )  # fmt: skip
        if last.next_actions.strip():
            found.append(
                Candidate("open_action", 60,
                          {"text": last.next_actions.strip(), "date": last.date.isoformat()}, [last.id])
            )  # fmt: skip
        wish = next((c for c in recent if TRAINING_WISH.search(c.employee_comment)), None)
        if wish is not None:
            found.append(
                Candidate("development", 50,
                          {"source": "comment", "text": bare(wish.employee_comment),
                           "date": wish.date.isoformat()}, [wish.id])
            )  # fmt: skip
    for age_rank, event in enumerate(snapshot.events):
        fields = event_fields(event)
        if event.polarity == "positive":
            found.append(
                Candidate(
                    "achievement", 62 - 3 * age_rank, {**fields, "source": "event"}, [event.id]
                )
            )
        elif event.polarity == "negative":
            found.append(
                Candidate(
                    "development", 64 - 3 * age_rank, {**fields, "source": "event"}, [event.id]
                )
            )
    if snapshot.reviews:
        low = min(snapshot.reviews, key=lambda r: (r.score, r.dimension))
        if low.score < 3.5:
            found.append(
                Candidate("development", 48 + (3.5 - low.score) * 10,
                          {"source": "review", "cycle": low.cycle, "label": low.dimension_label,
                           "score": fmt_num(low.score), "comment": low.comment,
                           "extreme": extreme_word(rankings(snapshot)[low.cycle], low)}, [low.id])
            )  # fmt: skip
    profile = snapshot.profile
    if profile.tenure_months < NEW_IN_ROLE_MONTHS:
        found.append(
            Candidate("development", 45,
                      {"source": "profile", "role": profile.role, "tenure": str(profile.tenure_months)},
                      [profile.id])
        )  # fmt: skip
    if not snapshot.key_results:
        found.append(
            Candidate("goal_setting", 40 if snapshot.evidence_count() else 80,
                      {"role": profile.role, "team": profile.team}, [profile.id])
        )  # fmt: skip
    return sorted(found, key=lambda c: -c.score)


def _on_a_key_result(candidate: Candidate) -> bool:
    return candidate.kind in ("off_track_kr", "kr_checkpoint") or candidate.ev.get("source") == "kr"


def pick(found: list[Candidate]) -> list[Candidate]:
    """Three topics: the best of each kind first, so one kind of evidence cannot crowd out the rest.

    A check-in is about the person's goals first: when they have a key result, the most
    pressing topic on one is always among the three.
    """
    on_goals = next((c for c in found if _on_a_key_result(c)), None)
    chosen: list[Candidate] = [] if on_goals is None else [on_goals]
    for candidate in found:
        if len(chosen) < 3 and all(c.kind != candidate.kind for c in chosen):
            chosen.append(candidate)
    for candidate in found:
        if len(chosen) < 3 and candidate not in chosen:
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: -c.score)


# A settling-in topic is never padding: `candidates` proposes it when the tenure is short.
_GENERIC: list[tuple[TopicKind, dict[str, Any]]] = [
    ("goal_setting", {}),
    ("development", {"source": "career"}),
]


def compose_topics(snapshot: Snapshot, sufficiency: DataSufficiency | None = None) -> CheckinTopics:
    """The offline answer: candidates ranked by evidence, phrased by the offline template.

    On thin records the list stays as short as the evidence: no generic topic fills it.
    """
    sufficiency = sufficiency or assess(snapshot)
    thin = is_thin(sufficiency)
    chosen = pick(candidates(snapshot))
    profile = snapshot.profile
    for kind, extra in _GENERIC:
        if len(chosen) >= 3 or thin:
            break
        if kind == "goal_setting" and snapshot.key_results:
            continue
        if any(c.kind == kind and c.ev.get("source") == extra.get("source") for c in chosen):
            continue
        if extra.get("source") == "profile" and profile.tenure_months >= NEW_IN_ROLE_MONTHS:
            extra = {"source": "reflection"}
        chosen.append(
            Candidate(kind, 0, {"role": profile.role, "team": profile.team,
                                "tenure": str(profile.tenure_months), "level": profile.level, **extra}, [profile.id])
        )  # fmt: skip
    topics = []
    for rank, candidate in enumerate(chosen[:3], start=1):
        parts = render_blocks(
            OFFLINE_TEMPLATE, lang=snapshot.lang, kind=candidate.kind, ev=candidate.ev
        )
        topics.append(
            Topic(rank=rank, kind=candidate.kind, title=parts["title"], why_now=parts["why_now"],
                  questions=[parts["q1"], parts["q2"]], evidence_ids=candidate.evidence_ids,
                  manager_prep=parts.get("manager_prep", ""))
        )  # fmt: skip
    prep = render_blocks(OFFLINE_TEMPLATE, lang=snapshot.lang, kind="prep", ev={"thin": thin})
    return CheckinTopics(
        topics=topics, manager_prep=prep["manager_prep"], data_sufficiency=sufficiency
    )


def validate(grounder: Grounder, output: CheckinTopics) -> list[Violation]:
    """Grounding problems of every topic."""
    problems: list[Violation] = []
    for i, topic in enumerate(output.topics):
        problems.extend(
            grounder.check(
                f"topics.{i}",
                [topic.title, topic.why_now, *topic.questions, topic.manager_prep],
                topic.evidence_ids,
                strength=topic.kind == "achievement",
            )
        )
    if output.manager_prep.strip():
        problems += grounder.check(
            "manager_prep", [output.manager_prep], [grounder.snapshot.profile.id]
        )
    return problems


def quality_items(output: CheckinTopics) -> list[tuple[str, str]]:
    """The text of each topic the vague-comment check reads (questions are meant to be open)."""
    return [(f"topics.{i}", f"{t.title}。{t.why_now}") for i, t in enumerate(output.topics)]


def spec(snapshot: Snapshot, directory: Directory) -> ChainSpec[CheckinTopics]:
    """The chain description for the runner."""
    grounder = Grounder(snapshot, directory)
    sufficiency = assess(snapshot)
    return ChainSpec(
        kind=KIND,
        purpose="coaching.checkin_topics",
        template_id=TEMPLATE,
        schema=CheckinTopics,
        variables={
            "lang": snapshot.lang,
            "as_of": snapshot.as_of.isoformat(),
            "data": json_block(prompt_data(snapshot)),
            "flagged_ids": snapshot.flagged_ids,
        },
        compose=lambda: compose_topics(snapshot, sufficiency),
        validate=lambda out: validate(grounder, out),
        quality_items=quality_items,
        lang=snapshot.lang,
        sufficiency=sufficiency,
    )


async def suggest_topics(
    snapshot: Snapshot,
    directory: Directory,
    *,
    engine: ChatEngine,
    policy_reason: str | None = None,
    deadline: Deadline | None = None,
    draft_id: str | None = None,
) -> ChainResult[CheckinTopics]:
    """Three check-in topics for one person, grounded and checked."""
    chain, mask = await asyncio.to_thread(
        lambda: (spec(snapshot, directory), pseudonymizer_for(snapshot, directory))
    )
    return await run_chain(
        chain, engine=engine, pseudonymizer=mask, policy_reason=policy_reason, deadline=deadline,
        draft_id=draft_id,
    )  # fmt: skip
