"""Check-in topics: up to three ranked topics for the next 1:1, each resting on records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

from coach.chains.common import (
    TRAINING_WISH,
    Gap,
    bare,
    commitments,
    event_fields,
    json_block,
    kr_fields,
    longest_gap,
    prompt_data,
    pseudonymizer_for,
    recurring,
    variant,
    zh_punct,
)
from coach.chains.facts import extreme_word, kr_pace, new_in_role, rankings
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
# Check-ins are monthly: a stretch this long without one is worth raising.
LONG_GAP_DAYS = 45


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
    for text, group in recurring(snapshot.checkins, "obstacles"):
        if group[0] not in recent:
            continue  # an obstacle no longer raised is not pressing
        found.append(
            Candidate("obstacle", 70 + 8 * (len(group) - 1),
                      {"text": text, "dates": [c.date.isoformat() for c in reversed(group)],
                       "count": len(group)},
                      [c.id for c in group])
        )  # fmt: skip
    found += _promises(snapshot)
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
    if new_in_role(snapshot.profile):
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


def _promises(snapshot: Snapshot) -> list[Candidate]:
    """What the manager took on in a check-in, with whether a later record shows it done."""
    found = []
    for promise in commitments(snapshot.checkins):
        checkin = promise.checkin
        ev = {"source": "promise", "text": promise.text, "task": promise.task,
              "date": checkin.date.isoformat(),
              "who": checkin.manager_name or snapshot.profile.manager_name or "主管",
              "kept_date": promise.kept_in.date.isoformat() if promise.kept_in else "",
              "later": promise.later}  # fmt: skip
        ids = [checkin.id] + ([promise.kept_in.id] if promise.kept_in else [])
        # An unanswered promise costs the manager's word; one kept only needs a short look.
        found.append(Candidate("open_action", 68 if promise.kept_in is None else 52, ev, ids))
    return found


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
    ("development", {"source": "rhythm"}),
]


def _generic_fits(snapshot: Snapshot, extra: dict[str, Any], thin: bool) -> bool:
    """The check-in rhythm only without check-ins (a fact even on thin records); the others
    only where the records are not thin: they would be padding."""
    if extra.get("source") == "rhythm":
        return not snapshot.checkins
    return not thin


def compose_topics(snapshot: Snapshot, sufficiency: DataSufficiency | None = None) -> CheckinTopics:
    """The offline answer: candidates ranked by evidence, phrased by the offline template.

    On thin records the list stays as short as the evidence: no generic topic fills it.
    """
    sufficiency = sufficiency or assess(snapshot)
    thin = is_thin(sufficiency)
    chosen = pick(candidates(snapshot))
    profile = snapshot.profile
    for kind, extra in _GENERIC:
        if len(chosen) >= 3:
            break
        if kind == "goal_setting" and snapshot.key_results:
            continue
        if not _generic_fits(snapshot, extra, thin):
            continue
        if any(c.kind == kind and c.ev.get("source") == extra.get("source") for c in chosen):
            continue
        chosen.append(
            Candidate(kind, 0, {"role": profile.role, "team": profile.team,
                                "tenure": str(profile.tenure_months), "level": profile.level, **extra}, [profile.id])
        )  # fmt: skip
    topics = [_topic(snapshot, rank, c) for rank, c in enumerate(chosen[:3], start=1)]
    gap = longest_gap(snapshot.checkins, snapshot.as_of)
    if gap is not None and gap.days >= LONG_GAP_DAYS and snapshot.lang == "zh":
        topics[0] = _with_gap(snapshot, topics[0], gap)
    prep = _render(snapshot, "prep", {"thin": thin, "first": topics[0].title if topics else ""})
    return CheckinTopics(
        topics=topics, manager_prep=prep["manager_prep"], data_sufficiency=sufficiency
    )


def _render(snapshot: Snapshot, kind: str, ev: dict[str, Any]) -> dict[str, str]:
    parts = render_blocks(OFFLINE_TEMPLATE, lang=snapshot.lang, kind=kind, ev=ev)
    return {k: zh_punct(v) for k, v in parts.items()} if snapshot.lang == "zh" else parts


def _topic(snapshot: Snapshot, rank: int, candidate: Candidate) -> Topic:
    key = candidate.evidence_ids[0]
    ev = {"v": variant(snapshot.profile.id, candidate.kind, key, count=2), **candidate.ev}
    parts = _render(snapshot, candidate.kind, ev)
    return Topic(rank=rank, kind=candidate.kind, title=parts["title"], why_now=parts["why_now"],
                 questions=[parts["q1"], parts["q2"]], evidence_ids=candidate.evidence_ids,
                 manager_prep=parts.get("manager_prep", ""))  # fmt: skip


def _with_gap(snapshot: Snapshot, topic: Topic, gap: Gap) -> Topic:
    """The topic with the long stretch without a check-in said, citing the check-ins around it."""
    ev = {"days": str(gap.days), "since": gap.since.date.isoformat(),
          "until": gap.until.date.isoformat() if gap.until else ""}  # fmt: skip
    sentence = _render(snapshot, "gap", ev)["why_now"]
    ids = [gap.since.id] + ([gap.until.id] if gap.until else [])
    cited = list(dict.fromkeys([*topic.evidence_ids, *ids]))
    return topic.model_copy(update={"why_now": topic.why_now + sentence, "evidence_ids": cited})


def validate(grounder: Grounder, output: CheckinTopics) -> list[Violation]:
    """Grounding problems of every topic; counts of the cited check-ins and the days between
    them are facts a topic may state."""
    problems: list[Violation] = []
    for i, topic in enumerate(output.topics):
        problems.extend(
            grounder.check(
                f"topics.{i}",
                [topic.title, topic.why_now, *topic.questions, topic.manager_prep],
                topic.evidence_ids,
                strength=topic.kind == "achievement",
                extra_allowed=_derived(grounder.snapshot, topic.evidence_ids),
            )
        )
        problems += grounder.fit(
            f"topics.{i}", item_kind=topic.kind, claim=topic.title + topic.why_now,
            questions=topic.questions, evidence_ids=topic.evidence_ids,
        )  # fmt: skip
    if output.manager_prep.strip():
        # The preparation may name a topic, so it may state what the topics cite.
        cited = [grounder.snapshot.profile.id, *(i for t in output.topics for i in t.evidence_ids)]
        problems += grounder.check("manager_prep", [output.manager_prep], cited)
    return problems


def _derived(snapshot: Snapshot, ids: list[str]) -> list[str]:
    """Counts and day spans computed from the check-ins a topic cites and the snapshot."""
    cited = [c for c in snapshot.checkins if c.id in ids]
    days = [(snapshot.as_of - c.date).days for c in cited]
    days += [abs((a.date - b.date).days) for a in cited for b in cited if a is not b]
    later = [sum(o.date > c.date for o in snapshot.checkins) for c in cited]
    return [f"{len(cited)}次", *(f"{d}天" for d in days), *(f"{n}次" for n in later)]


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
