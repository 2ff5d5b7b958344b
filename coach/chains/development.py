"""Development suggestions: find a person's gaps, retrieve practices, propose a short plan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final, Literal

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
from coach.chains.facts import NEW_IN_ROLE_MONTHS, extreme_word, rankings
from coach.chains.grounding import Grounder, Violation
from coach.chains.records import Directory, PracticeRecord, Snapshot, fmt_num
from coach.chains.runner import ChainResult, ChainSpec, run_chain
from coach.chains.schemas import (
    DataSufficiency,
    DevelopmentPlan,
    DevelopmentSuggestion,
    Milestones,
)
from coach.chains.sufficiency import assess, is_thin
from coach.core.errors import Conflict
from coach.core.prompts import render_blocks
from coach.knowledge import KnowledgeBase
from coach.llm import ChatEngine, Deadline

KIND: Final = "development"
TEMPLATE = "coaching/development.j2"
OFFLINE_TEMPLATE = "coaching/offline/development.j2"
MAX_SUGGESTIONS = 4
THIN_SUGGESTIONS = 2
"""The fewest a plan holds: on thin records it holds no more."""

GapKind = Literal["review", "kr", "obstacle", "event", "comment", "profile"]

_DIMENSION_QUERIES = {
    "results": "业绩目标达成落后 诊断 根因 改进",
    "behavior": "行为表现 具体反馈 行为改进",
    "team": "团队协作 跨部门配合 知识分享 贡献",
    "innovation": "创新 改进建议 经验总结 最佳实践",
}


# How an obstacle gap is named, by the number of check-ins that state it.
_OBSTACLE_LABELS = {1: "沟通中提到的障碍", 2: "多次提到的障碍", 3: "反复出现的障碍"}


@dataclass(frozen=True)
class Gap:
    """Something the person could develop, the evidence for it and how to search for help."""

    kind: GapKind
    label: str
    query: str
    ev: dict[str, Any]
    evidence_ids: list[str]
    score: float


def find_gaps(snapshot: Snapshot) -> list[Gap]:
    """The person's gaps, most important first: low review dimensions, recurring obstacles, …"""
    gaps: list[Gap] = []
    latest = [r for r in snapshot.reviews if r.cycle == snapshot.review_cycle]
    ranked = rankings(snapshot)
    for review in sorted(latest, key=lambda r: (r.score, r.dimension))[:2]:
        if review.score < 3.5 or review is min(latest, key=lambda r: (r.score, r.dimension)):
            extreme = extreme_word(ranked[review.cycle], review)
            gaps.append(
                Gap("review", f"{review.dimension_label}",
                    _DIMENSION_QUERIES.get(review.dimension, review.dimension_label),
                    {"cycle": review.cycle, "dim": review.dimension_label,
                     "score": fmt_num(review.score), "comment": review.comment,
                     "extreme": extreme if "最低" in extreme else ""},
                    [review.id], 60 + (3.5 - review.score) * 10)
            )  # fmt: skip
    for kr in snapshot.key_results:
        if kr.status == "off_track":
            gaps.append(
                Gap("kr", "目标进度管理", "关键结果进度落后 预警 追赶 诊断", kr_fields(kr), [kr.id],
                    55 + (kr.expected_pct - kr.progress_pct) / 2)
            )  # fmt: skip
            break
    for text, group in recurring(snapshot.checkins, "obstacles"):
        if len(group) >= 2 or not gaps:
            gaps.append(
                Gap("obstacle", _OBSTACLE_LABELS[min(len(group), 3)], f"{text} 障碍 根因 解决",
                    {"text": text, "dates": [c.date.isoformat() for c in reversed(group)]},
                    [c.id for c in group], 40 + 5 * len(group))
            )  # fmt: skip
            break
    for event in snapshot.events:
        if event.polarity == "negative":
            fields = event_fields(event)
            gaps.append(
                Gap(
                    "event",
                    "工作质量与复盘",
                    f"{event.description} 失误 复盘 预防",
                    fields,
                    [event.id],
                    52,
                )
            )
            break
    wish = next((c for c in snapshot.checkins if TRAINING_WISH.search(c.employee_comment)), None)
    if wish is not None:
        gaps.append(
            Gap("comment", "技能提升诉求", "培训 学习 能力提升 个人发展计划",
                {"date": wish.date.isoformat(), "text": bare(wish.employee_comment)},
                [wish.id], 45)
        )  # fmt: skip
    profile = snapshot.profile
    if profile.tenure_months < NEW_IN_ROLE_MONTHS:
        gaps.append(
            Gap("profile", "新岗位适应", "新员工 入职 适应 目标设定",
                {"role": profile.role, "tenure": str(profile.tenure_months)}, [profile.id], 58)
        )  # fmt: skip
    return sorted(gaps, key=lambda g: -g.score)


def retrieve(kb: KnowledgeBase, gaps: list[Gap]) -> list[tuple[Gap, PracticeRecord]]:
    """One distinct practice per gap (blocking: Chroma and the embedder); a second if only one gap."""
    used: set[str] = set()
    matches: list[tuple[Gap, PracticeRecord]] = []
    rounds = 2 if len(gaps) == 1 else 1
    for _ in range(rounds):
        for gap in gaps:
            if len(matches) >= MAX_SUGGESTIONS:
                break
            hits = kb.search(gap.query, k=6, applies_to=["个人"]) or kb.search(gap.query, k=6)
            for hit in hits:
                if hit.id not in used:
                    used.add(hit.id)
                    matches.append(
                        (
                            gap,
                            PracticeRecord(
                                id=hit.id, title=hit.title, snippet=hit.snippet, tags=hit.tags
                            ),
                        )
                    )
                    break
    return matches


def with_practices(snapshot: Snapshot, matches: list[tuple[Gap, PracticeRecord]]) -> Snapshot:
    """The snapshot with the retrieved practices, so they are stored with the draft."""
    practices = list({p.id: p for _, p in matches}.values())
    return snapshot.model_copy(update={"practices": practices})


def compose_plan(
    snapshot: Snapshot,
    matches: list[tuple[Gap, PracticeRecord]],
    sufficiency: DataSufficiency | None = None,
) -> DevelopmentPlan:
    """The offline answer: one suggestion per (gap, practice), phrased by the offline template."""
    sufficiency = sufficiency or assess(snapshot)
    thin = is_thin(sufficiency)
    suggestions = []
    for gap, practice in matches[: THIN_SUGGESTIONS if thin else MAX_SUGGESTIONS]:
        parts = render_blocks(
            OFFLINE_TEMPLATE,
            part="suggestion",
            gap={"kind": gap.kind, "label": gap.label, **gap.ev},
            practice={"id": practice.id, "title": practice.title},
            next_checkin=snapshot.calendar.next_checkin.isoformat(),
        )
        suggestions.append(
            DevelopmentSuggestion(
                practice_id=practice.id, practice_title=practice.title, gap=gap.label,
                why=parts["why"], first_step=parts["first_step"],
                milestones=Milestones(day_30=parts["day_30"], day_60=parts["day_60"], day_90=parts["day_90"]),
                evidence_ids=gap.evidence_ids, manager_prep=parts["manager_prep"],
            )
        )  # fmt: skip
    prep = render_blocks(OFFLINE_TEMPLATE, part="prep", thin=thin)["manager_prep"]
    return DevelopmentPlan(suggestions=suggestions, manager_prep=prep, data_sufficiency=sufficiency)


def validate(grounder: Grounder, snapshot: Snapshot, output: DevelopmentPlan) -> list[Violation]:
    """Grounding problems of every suggestion, and practices that were not retrieved."""
    practices = {p.id: p for p in snapshot.practices}
    problems: list[Violation] = []
    for i, s in enumerate(output.suggestions):
        path = f"suggestions.{i}"
        practice = practices.get(s.practice_id)
        if practice is None:
            problems.append(
                Violation(path, "practice", f"{s.practice_id!r} is not a retrieved practice")
            )
            extra: list[str] = []
        else:
            extra = [practice.title]
            if s.practice_title.strip() != practice.title:
                problems.append(
                    Violation(
                        path,
                        "practice",
                        f"title {s.practice_title!r} does not match {practice.title!r}",
                    )
                )
        m = s.milestones
        texts = [s.gap, s.why, s.first_step, m.day_30, m.day_60, m.day_90, s.manager_prep]
        problems += grounder.check(path, texts, s.evidence_ids, extra_allowed=extra)
    if output.manager_prep.strip():
        problems += grounder.check("manager_prep", [output.manager_prep], [snapshot.profile.id])
    return problems


def quality_items(output: DevelopmentPlan) -> list[tuple[str, str]]:
    """The text of each suggestion the vague-comment check reads."""
    return [
        (f"suggestions.{i}", f"{s.why}{s.first_step}") for i, s in enumerate(output.suggestions)
    ]


def spec(
    snapshot: Snapshot, directory: Directory, matches: list[tuple[Gap, PracticeRecord]]
) -> ChainSpec[DevelopmentPlan]:
    """The chain description for the runner."""
    grounder = Grounder(snapshot, directory)
    sufficiency = assess(snapshot)
    distinct: list[Gap] = []
    for gap, _ in matches:
        if gap not in distinct:
            distinct.append(gap)
    gaps = [{"gap": g.label, "kind": g.kind, "evidence_ids": g.evidence_ids} for g in distinct]
    practices = [
        p.model_dump(include={"id", "title", "snippet", "tags"}) for p in snapshot.practices
    ]
    return ChainSpec(
        kind=KIND,
        purpose="coaching.development",
        template_id=TEMPLATE,
        schema=DevelopmentPlan,
        variables={
            "as_of": snapshot.as_of.isoformat(),
            "gaps": json_block(gaps),
            "practices": json_block(practices),
            "data": json_block(prompt_data(snapshot)),
            "flagged_ids": snapshot.flagged_ids,
        },
        compose=lambda: compose_plan(snapshot, matches, sufficiency),
        validate=lambda out: validate(grounder, snapshot, out),
        quality_items=quality_items,
        lang=snapshot.lang,
        retrieved_ids=[p.id for p in snapshot.practices],
        sufficiency=sufficiency,
    )


def ensure_enough(matches: list[tuple[Gap, PracticeRecord]]) -> None:
    """Two distinct practices are the least a plan needs."""
    if len({p.id for _, p in matches}) < 2:
        raise Conflict(
            "not enough evidence or practices for a development plan: need at least two "
            "retrieved practices (is the practice library loaded?)"
        )


async def suggest_development(
    snapshot: Snapshot,
    directory: Directory,
    matches: list[tuple[Gap, PracticeRecord]],
    *,
    engine: ChatEngine,
    policy_reason: str | None = None,
    deadline: Deadline | None = None,
    draft_id: str | None = None,
) -> ChainResult[DevelopmentPlan]:
    """Two to four development suggestions for one person, grounded and checked."""
    ensure_enough(matches)
    snapshot = with_practices(snapshot, matches)
    chain, mask = await asyncio.to_thread(
        lambda: (spec(snapshot, directory, matches), pseudonymizer_for(snapshot, directory))
    )
    return await run_chain(
        chain, engine=engine, pseudonymizer=mask, policy_reason=policy_reason, deadline=deadline,
        draft_id=draft_id,
    )  # fmt: skip
