"""Feedback drafts before a review: strengths, improvements, next actions, resource needs."""

from __future__ import annotations

import asyncio
import difflib
from datetime import date
from typing import Any, Final, NamedTuple

from coach.chains.common import (
    TRAINING_WISH,
    ManagerFeedback,
    bare,
    event_fields,
    json_block,
    kr_fields,
    prompt_data,
    pseudonymizer_for,
    recurring,
    specific_feedback,
    variant,
    zh_punct,
)
from coach.chains.facts import extreme_word, kr_pace, rankings
from coach.chains.grounding import Grounder, Violation
from coach.chains.privacy import Pseudonymizer
from coach.chains.records import CheckInRecord, Directory, ReviewRecord, Snapshot, fmt_num
from coach.chains.runner import ChainResult, ChainSpec, run_chain
from coach.chains.schemas import (
    DataSufficiency,
    FeedbackDraft,
    Improvement,
    NextAction,
    ResourceNeed,
    Strength,
)
from coach.chains.sufficiency import assess, is_thin
from coach.core.errors import Conflict
from coach.core.prompts import render_blocks
from coach.llm import ChatEngine, Deadline

KIND: Final = "feedback"
_PREP_PLANS: Final = 3
TEMPLATE = "coaching/feedback.j2"
OFFLINE_TEMPLATE = "coaching/offline/feedback.j2"


def _blocks(part: str, source: str, ev: dict[str, Any]) -> dict[str, str]:
    blocks = render_blocks(OFFLINE_TEMPLATE, part=part, source=source, ev=ev)
    return {name: zh_punct(text) for name, text in blocks.items()}


def _plan(snapshot: Snapshot, slot: str, record_id: str, count: int) -> int:
    """Which sentence plan an item uses, so people with like records read unlike text."""
    return variant(snapshot.profile.id, slot, record_id, count=count)


def _plans(snapshot: Snapshot, slot: str, record_id: str, count: int) -> dict[str, int]:
    """The plan of an item's text (`v`) and, chosen apart, of its manager preparation (`p`)."""
    return {
        "v": _plan(snapshot, slot, record_id, count),
        "p": _plan(snapshot, f"{slot}/prep", record_id, _PREP_PLANS),
    }


def _manager_of(snapshot: Snapshot, feedback: ManagerFeedback) -> str:
    return feedback.checkin.manager_name or snapshot.profile.manager_name or "主管"


def _feedback_fields(snapshot: Snapshot, feedback: ManagerFeedback, v: int) -> dict[str, Any]:
    return {
        "date": feedback.checkin.date.isoformat(),
        "who": _manager_of(snapshot, feedback),
        "observation": feedback.observation,
        "advice": feedback.advice,
        "v": v,
    }


def _review_fields(review: ReviewRecord, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "cycle": review.cycle,
        "label": review.dimension_label,
        "score": fmt_num(review.score),
        "extreme": _extreme(snapshot, review),
        "comment": review.comment,
        "joined_mid_cycle": review.joined_mid_cycle,
        "next_checkin": snapshot.calendar.next_checkin.isoformat(),
    }


def _extreme(snapshot: Snapshot, review: ReviewRecord) -> str:
    """最低 / 最高 (or 并列…) when the dimension is one in its cycle, else nothing."""
    return extreme_word(rankings(snapshot)[review.cycle], review)


class _Finding(NamedTuple):
    """An improvement with the record it came from, which its next action is phrased from."""

    improvement: Improvement
    source: str
    action_ev: dict[str, Any]


_THIN_ITEMS = 2
"""At most this many items per list when the records are thin: say less rather than pad."""


def compose_feedback(
    snapshot: Snapshot, sufficiency: DataSufficiency | None = None
) -> FeedbackDraft:
    """The offline answer: each item phrased from one record by the offline template."""
    sufficiency = sufficiency or assess(snapshot)
    most = _THIN_ITEMS if is_thin(sufficiency) else 4
    top, low = _top_and_low(snapshot)
    said = specific_feedback(snapshot.checkins, snapshot.lang)
    strengths = _strengths(snapshot, top, said)
    findings = _findings(snapshot, top, low, said)[:most]
    next_actions = _employee_actions(snapshot, findings)
    resource_needs = _resource_needs(snapshot, findings)
    manager_action = _manager_action(snapshot, resource_needs[0])
    if manager_action is not None:
        next_actions.append(manager_action)
    if not strengths:
        raise Conflict(
            f"the records of {snapshot.profile.id} hold nothing to base a strength on in this cycle"
        )
    summary, summary_ids = _summary(snapshot, top, low, said)
    return FeedbackDraft(
        summary=summary,
        summary_evidence_ids=summary_ids,
        strengths=strengths[:most],
        improvements=[f.improvement for f in findings],
        next_actions=next_actions[:5],
        resource_needs=resource_needs[: min(most, 3)],
        manager_prep=_blocks("prep", "", _prep_fields(snapshot, findings, is_thin(sufficiency)))[
            "text"
        ],
        data_sufficiency=sufficiency,
    )


def _top_and_low(snapshot: Snapshot) -> tuple[ReviewRecord | None, ReviewRecord | None]:
    """The best-scored review dimension, and the worst one when it scores lower."""
    reviews = sorted(snapshot.reviews, key=lambda r: (r.score, r.dimension))
    top = reviews[-1] if reviews else None
    low = reviews[0] if len(reviews) > 1 and reviews[0].score < reviews[-1].score else None
    return top, low


def _strength(
    snapshot: Snapshot, source: str, ev: dict[str, Any], evidence_id: str, plans: int = 1
) -> Strength:
    parts = _blocks("strength", source, {**ev, **_plans(snapshot, "strength", evidence_id, plans)})
    return Strength(
        text=parts["text"], evidence_ids=[evidence_id], manager_prep=parts.get("manager_prep", "")
    )


def _strengths(
    snapshot: Snapshot, top: ReviewRecord | None, said: list[ManagerFeedback]
) -> list[Strength]:
    """The manager's own specific praise, positive events, key results ahead of plan and a
    high review score, in that order: what the manager wrote down is the strongest evidence."""
    strengths: list[Strength] = []
    for feedback in _distinct([f for f in said if not f.shortfall])[:2]:
        plans = _plans(snapshot, "praise", feedback.checkin.id, 3)
        ev = {**_feedback_fields(snapshot, feedback, plans["v"]), "p": plans["p"]}
        parts = _blocks("strength", "manager", ev)
        strengths.append(
            Strength(text=parts["text"], evidence_ids=[feedback.checkin.id],
                     manager_prep=parts.get("manager_prep", ""))
        )  # fmt: skip
    for event in snapshot.events:
        if event.polarity == "positive" and len(strengths) < 3:
            strengths.append(_strength(snapshot, "event", event_fields(event), event.id, 3))
    for kr in snapshot.key_results:
        if kr.status in ("ahead", "done") and not kr_pace(kr).declining and len(strengths) < 4:
            strengths.append(_strength(snapshot, "kr", kr_fields(kr), kr.id, 2))
    if top is not None and top.score >= 3.5 and len(strengths) < 3:
        strengths.append(_strength(snapshot, "review", _review_fields(top, snapshot), top.id, 3))
    return strengths or _fallback_strengths(snapshot, top)


def _fallback_strengths(snapshot: Snapshot, top: ReviewRecord | None) -> list[Strength]:
    """With nothing outstanding: the first reported progress, else the best review score."""
    progress = next((c for c in snapshot.checkins if c.progress.strip()), None)
    if progress is not None:
        ev = {"date": progress.date.isoformat(), "progress": progress.progress.strip()}
        return [_strength(snapshot, "checkin", ev, progress.id)]
    if top is not None:
        return [_strength(snapshot, "review", _review_fields(top, snapshot), top.id, 3)]
    return []


def _finding(
    snapshot: Snapshot, source: str, ev: dict[str, Any], ids: list[str], action_ev: dict[str, Any]
) -> _Finding:
    next_checkin = snapshot.calendar.next_checkin.isoformat()
    plans = _plans(snapshot, "improvement", ids[0], 3)
    parts = _blocks("improvement", source, {**plans, **ev, "next_checkin": next_checkin})
    improvement = Improvement(
        behavior=parts["behavior"], impact=parts["impact"], suggestion=parts["suggestion"],
        evidence_ids=ids, manager_prep=parts.get("manager_prep", ""),
    )  # fmt: skip
    return _Finding(improvement, source, action_ev)


def _findings(
    snapshot: Snapshot,
    top: ReviewRecord | None,
    low: ReviewRecord | None,
    said: list[ManagerFeedback],
) -> list[_Finding]:
    """What to improve: the shortfall the manager named first, then the other records that
    call for it, else from what there is."""
    named = [_manager_finding(snapshot, f) for f in said if f.shortfall][:1]
    found = named + _findings_from_problems(snapshot, low)
    return found or [_fallback_finding(snapshot, top, low)]


def _distinct(said: list[ManagerFeedback]) -> list[ManagerFeedback]:
    """Newest first, without feedback that repeats an earlier one with other numbers."""
    kept: list[ManagerFeedback] = []
    for feedback in said:
        if all(_similar(feedback.observation, k.observation) < 0.7 for k in kept):
            kept.append(feedback)
    return kept


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _manager_finding(snapshot: Snapshot, feedback: ManagerFeedback) -> _Finding:
    v = _plan(snapshot, "shortfall", feedback.checkin.id, 2)
    ev = _feedback_fields(snapshot, feedback, v)
    return _finding(snapshot, "manager", ev, [feedback.checkin.id], ev)


def _findings_from_problems(snapshot: Snapshot, low: ReviewRecord | None) -> list[_Finding]:
    """Negative events, key results most behind plan, a low score, recurring obstacles."""
    found: list[_Finding] = []
    for event in snapshot.events:
        if event.polarity == "negative" and len(found) < 2:
            fields = event_fields(event)
            found.append(_finding(snapshot, "event", fields, [event.id], fields))
    for kr in sorted(snapshot.key_results, key=lambda k: k.progress_pct - k.expected_pct):
        if kr.status == "off_track" and len(found) < 3:
            found.append(_finding(snapshot, "kr", kr_fields(kr), [kr.id], kr_fields(kr)))
    if low is not None and low.score < 3.5 and len(found) < 3:
        fields = _review_fields(low, snapshot)
        found.append(_finding(snapshot, "review", fields, [low.id], fields))
    for text, group in recurring(snapshot.checkins, "obstacles"):
        if len(group) >= 2 and len(found) < 3:
            ev = _obstacle_fields(text, group)
            found.append(_finding(snapshot, "obstacle", ev, [c.id for c in group], ev))
    return found


def _fallback_finding(
    snapshot: Snapshot, top: ReviewRecord | None, low: ReviewRecord | None
) -> _Finding:
    """The lowest review score, else the first obstacle; with neither, no draft at all."""
    review = low or top
    if review is not None:
        fields = _review_fields(review, snapshot)
        return _finding(snapshot, "review", fields, [review.id], fields)
    obstacle = next((c for c in snapshot.checkins if c.obstacles.strip()), None)
    if obstacle is None:
        raise Conflict(
            "the records hold nothing to base an improvement on "
            "(no review score, key event, key result or obstacle in this cycle)"
        )
    ev = _obstacle_fields(obstacle.obstacles.strip(), [obstacle])
    return _finding(snapshot, "obstacle", ev, [obstacle.id], ev)


def _obstacle_fields(text: str, group: list[CheckInRecord]) -> dict[str, Any]:
    """An obstacle, the dates it was named on and their count."""
    return {"text": text, "dates": [c.date.isoformat() for c in reversed(group)],
            "count": len(group)}  # fmt: skip


def _employee_actions(snapshot: Snapshot, findings: list[_Finding]) -> list[NextAction]:
    """One action per finding: due at the next check-in for events and obstacles."""
    cal = snapshot.calendar
    actions: list[NextAction] = []
    for improvement, source, action_ev in findings[:3]:
        due = cal.next_checkin if source in ("event", "obstacle", "manager") else cal.month_end
        text = _blocks("action", source, {**action_ev, "due": due.isoformat()})["text"]
        actions.append(
            NextAction(
                action=text, owner="employee", due_date=due, evidence_ids=improvement.evidence_ids
            )
        )
    return actions


def _resource_needs(snapshot: Snapshot, findings: list[_Finding]) -> list[ResourceNeed]:
    """Support asked for, else coaching on the first finding."""
    return _requested_support(snapshot, findings[0]) or [_coaching_need(snapshot, findings[0])]


def _requested_support(snapshot: Snapshot, finding: _Finding) -> list[ResourceNeed]:
    """Support asked for in more than one check-in, and a wish for training."""
    month_end = snapshot.calendar.month_end.isoformat()
    needs: list[ResourceNeed] = []
    for text, group in recurring(snapshot.checkins, "support_needed"):
        if len(needs) < 2:
            ev = {"date": group[0].date.isoformat(), "text": text, "due": month_end,
                  **_plans(snapshot, "support", group[0].id, 3)}  # fmt: skip
            needs.append(_need("support", ev, [group[0].id]))
    wish = next((c for c in snapshot.checkins if TRAINING_WISH.search(c.employee_comment)), None)
    if wish is not None and len(needs) < 3:
        ev = {"date": wish.date.isoformat(), "text": bare(wish.employee_comment), "due": month_end,
              "focus": _focus(finding), **_plans(snapshot, "wish", wish.id, 2)}  # fmt: skip
        cited = [wish.id, *(i for i in finding.improvement.evidence_ids if i != wish.id)]
        needs.append(_need("comment", ev, cited))
    return needs


def _need(source: str, ev: dict[str, Any], ids: list[str]) -> ResourceNeed:
    parts = _blocks("resource", source, ev)
    return ResourceNeed(
        need=parts["text"], evidence_ids=ids, manager_prep=parts.get("manager_prep", "")
    )


def _coaching_need(snapshot: Snapshot, finding: _Finding) -> ResourceNeed:
    ids = finding.improvement.evidence_ids
    ev = {"focus": _focus(finding), "due": snapshot.calendar.month_end.isoformat(),
          **_plans(snapshot, "coaching", ids[0], 1)}  # fmt: skip
    return _need("coaching", ev, ids)


def _manager_action(snapshot: Snapshot, need: ResourceNeed) -> NextAction | None:
    """The manager's action of arranging the support a check-in asked for, if it asked."""
    need_text = _need_text(snapshot, need)
    if not need_text:
        return None
    month_end = snapshot.calendar.month_end
    record = snapshot.records()[need.evidence_ids[0]]
    asked_on = record.date.isoformat() if isinstance(record, CheckInRecord) else ""
    ev = {"need": need_text, "date": asked_on, "due": month_end.isoformat(),
          "v": _plan(snapshot, "arrange", record.id, 3)}  # fmt: skip
    return NextAction(
        action=_blocks("action", "resource", ev)["text"], owner="manager", due_date=month_end,
        evidence_ids=need.evidence_ids,
    )  # fmt: skip


def _summary(
    snapshot: Snapshot,
    top: ReviewRecord | None,
    low: ReviewRecord | None,
    said: list[ManagerFeedback],
) -> tuple[str, list[str]]:
    """The summary sentence and the records it cites."""
    kr = snapshot.key_results[0] if snapshot.key_results else None
    checkin = snapshot.checkins[0] if snapshot.checkins else None
    praise = next((f for f in said if not f.shortfall), None)
    ev: dict[str, Any] = {
        "v": _plan(snapshot, "summary", snapshot.profile.id, 2),
        "praise": praise.checkin.date.isoformat() if praise else "",
        "who": _manager_of(snapshot, praise) if praise else "",
        "name": snapshot.profile.name,
        "cycle": snapshot.cycle or snapshot.review_cycle or "",
        "review_cycle": snapshot.review_cycle or "",
        "top": _ranked(snapshot, top),
        "low": _ranked(snapshot, low),
        "kr": kr_fields(kr) if kr is not None else None,
        "checkin_date": checkin.date.isoformat() if checkin is not None else "",
    }
    ids = [snapshot.profile.id]
    ids += [r.id for r in (top, low) if r is not None]
    ids += [kr.id] if kr is not None else []
    ids += [checkin.id] if checkin is not None else []
    ids += [praise.checkin.id] if praise is not None and praise.checkin is not checkin else []
    return _blocks("summary", "", ev)["text"], ids


def _ranked(snapshot: Snapshot, review: ReviewRecord | None) -> dict[str, str] | None:
    if review is None:
        return None
    return {"label": review.dimension_label, "score": fmt_num(review.score),
            "extreme": _extreme(snapshot, review)}  # fmt: skip


def _prep_fields(snapshot: Snapshot, findings: list[_Finding], thin: bool) -> dict[str, Any]:
    """What the manager's preparation names: the latest check-in and the first improvement."""
    latest = snapshot.checkins[0].date.isoformat() if snapshot.checkins else ""
    return {"thin": thin, "latest": latest, "focus": _focus(findings[0]) if findings else ""}


def _focus(finding: _Finding) -> str:
    """What a finding is about, with the fact that tells it apart from another person's."""
    _, source, ev = finding
    if source == "event":
        return f"{ev['date']}的「{ev['short']}」"
    if source == "kr":
        return f"「{ev['title']}」({ev['progress_pct']}%)"
    if source == "review":
        return f"「{ev['label']}」({ev['score']}分)"
    if source == "obstacle":
        return f"障碍「{ev['text']}」"
    return f"{ev.get('date', '')}面谈中指出的问题"


def _need_text(snapshot: Snapshot, need: ResourceNeed) -> str:
    record = snapshot.records().get(need.evidence_ids[0])
    support = getattr(record, "support_needed", "")
    return support.strip() if isinstance(support, str) else ""


def validate(grounder: Grounder, snapshot: Snapshot, output: FeedbackDraft) -> list[Violation]:
    """Grounding problems of every item, and due dates outside the allowed calendar."""
    problems = grounder.check("summary", [output.summary], output.summary_evidence_ids)
    # The preparation points at any item's records: it may name what the items cite.
    cited = {i for part in (output.strengths, output.improvements) for item in part
             for i in item.evidence_ids}  # fmt: skip
    problems += grounder.check(
        "manager_prep", [output.manager_prep], sorted({*output.summary_evidence_ids, *cited})
    )
    for i, s in enumerate(output.strengths):
        problems += grounder.check(
            f"strengths.{i}", [s.text, s.manager_prep], s.evidence_ids, strength=True
        )
    for i, m in enumerate(output.improvements):
        problems += grounder.check(
            f"improvements.{i}", [m.behavior, m.impact, m.suggestion, m.manager_prep],
            m.evidence_ids, extra_allowed=[_checkin_count(snapshot, m.evidence_ids)],
        )  # fmt: skip
    allowed_due = _allowed_due_dates(snapshot)
    for i, a in enumerate(output.next_actions):
        path = f"next_actions.{i}"
        problems += grounder.check(path, [a.action], a.evidence_ids)
        if a.due_date not in allowed_due:
            problems.append(
                Violation(
                    path, "due_date", f"{a.due_date.isoformat()} is not one of the given due dates"
                )
            )
    for i, r in enumerate(output.resource_needs):
        problems += grounder.check(f"resource_needs.{i}", [r.need, r.manager_prep], r.evidence_ids)
    return problems


def _checkin_count(snapshot: Snapshot, ids: list[str]) -> str:
    """How many check-ins an item cites, as "3次": a count the item may state."""
    records = snapshot.records()
    return f"{sum(isinstance(records.get(i), CheckInRecord) for i in ids)}次"


def _allowed_due_dates(snapshot: Snapshot) -> set[date]:
    dates = set(snapshot.calendar.due_dates())
    dates |= {
        kr.due_date for kr in snapshot.key_results if kr.due_date and kr.due_date > snapshot.as_of
    }
    return dates


def quality_items(output: FeedbackDraft) -> list[tuple[str, str]]:
    """The text of each item the vague-comment check reads."""
    items = [("summary", output.summary)]
    items += [(f"strengths.{i}", s.text) for i, s in enumerate(output.strengths)]
    items += [
        (f"improvements.{i}", f"{m.behavior},{m.impact}。{m.suggestion}")
        for i, m in enumerate(output.improvements)
    ]
    items += [(f"next_actions.{i}", a.action) for i, a in enumerate(output.next_actions)]
    items += [(f"resource_needs.{i}", r.need) for i, r in enumerate(output.resource_needs)]
    return items


def spec(snapshot: Snapshot, directory: Directory) -> ChainSpec[FeedbackDraft]:
    """The chain description for the runner; Conflict (409) when the records support no draft."""
    grounder = Grounder(snapshot, directory)
    sufficiency = assess(snapshot)
    offline = compose_feedback(snapshot, sufficiency)  # built once, early: also the 409 check
    return ChainSpec(
        kind=KIND,
        purpose="coaching.feedback",
        template_id=TEMPLATE,
        schema=FeedbackDraft,
        variables={
            "cycle": snapshot.cycle or "",
            "as_of": snapshot.as_of.isoformat(),
            "due_dates": [d.isoformat() for d in sorted(_allowed_due_dates(snapshot))],
            "data": json_block(prompt_data(snapshot)),
            "flagged_ids": snapshot.flagged_ids,
        },
        compose=lambda: offline,
        validate=lambda out: validate(grounder, snapshot, out),
        quality_items=quality_items,
        lang=snapshot.lang,
        sufficiency=sufficiency,
    )


def ensure_enough(snapshot: Snapshot) -> None:
    """Refuse to draft feedback from no records at all."""
    if snapshot.evidence_count() == 0:
        raise Conflict(
            f"no records for {snapshot.profile.id} in {snapshot.cycle}: nothing to ground a draft on"
        )


async def draft_feedback(
    snapshot: Snapshot,
    directory: Directory,
    *,
    engine: ChatEngine,
    policy_reason: str | None = None,
    deadline: Deadline | None = None,
    draft_id: str | None = None,
) -> ChainResult[FeedbackDraft]:
    """A feedback draft for one person and cycle, grounded and checked."""

    def prepared() -> tuple[ChainSpec[FeedbackDraft], Pseudonymizer]:
        ensure_enough(snapshot)
        return spec(snapshot, directory), pseudonymizer_for(snapshot, directory)

    chain, mask = await asyncio.to_thread(prepared)
    return await run_chain(
        chain, engine=engine, pseudonymizer=mask, policy_reason=policy_reason, deadline=deadline,
        draft_id=draft_id,
    )  # fmt: skip
