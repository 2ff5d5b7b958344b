"""Feedback drafts before a review: strengths, improvements, next actions, resource needs."""

from __future__ import annotations

import asyncio
from datetime import date
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
from coach.chains.grounding import Grounder, Violation
from coach.chains.privacy import Pseudonymizer
from coach.chains.records import Directory, ReviewRecord, Snapshot, fmt_num
from coach.chains.runner import ChainResult, ChainSpec, run_chain
from coach.chains.schemas import FeedbackDraft, Improvement, NextAction, ResourceNeed, Strength
from coach.errors import Conflict
from coach.llm import ChatEngine, Deadline
from coach.prompts import render_blocks

KIND: Final = "feedback"
TEMPLATE = "coaching/feedback.j2"
OFFLINE_TEMPLATE = "coaching/offline/feedback.j2"


def _blocks(part: str, source: str, ev: dict[str, Any]) -> dict[str, str]:
    return render_blocks(OFFLINE_TEMPLATE, part=part, source=source, ev=ev)


def _review_fields(review: ReviewRecord, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "cycle": review.cycle,
        "label": review.dimension_label,
        "score": fmt_num(review.score),
        "comment": review.comment,
        "next_checkin": snapshot.calendar.next_checkin.isoformat(),
    }


def compose_feedback(snapshot: Snapshot) -> FeedbackDraft:
    """The offline answer: each item phrased from one record by the offline template."""
    cal = snapshot.calendar
    next_checkin = cal.next_checkin.isoformat()
    reviews = sorted(snapshot.reviews, key=lambda r: (r.score, r.dimension))
    top = reviews[-1] if reviews else None
    low = reviews[0] if len(reviews) > 1 and reviews[0].score < reviews[-1].score else None

    strengths: list[Strength] = []
    for event in snapshot.events:
        if event.polarity == "positive" and len(strengths) < 2:
            text = _blocks("strength", "event", event_fields(event))["text"]
            strengths.append(Strength(text=text, evidence_ids=[event.id]))
    for kr in snapshot.key_results:
        if kr.status in ("ahead", "done") and len(strengths) < 3:
            text = _blocks("strength", "kr", kr_fields(kr))["text"]
            strengths.append(Strength(text=text, evidence_ids=[kr.id]))
    if top is not None and top.score >= 3.5 and len(strengths) < 3:
        text = _blocks("strength", "review", _review_fields(top, snapshot))["text"]
        strengths.append(Strength(text=text, evidence_ids=[top.id]))
    if not strengths:
        progress = next((c for c in snapshot.checkins if c.progress.strip()), None)
        if progress is not None:
            ev: dict[str, Any] = {
                "date": progress.date.isoformat(),
                "progress": progress.progress.strip(),
            }
            strengths.append(
                Strength(
                    text=_blocks("strength", "checkin", ev)["text"], evidence_ids=[progress.id]
                )
            )
        elif top is not None:
            text = _blocks("strength", "review", _review_fields(top, snapshot))["text"]
            strengths.append(Strength(text=text, evidence_ids=[top.id]))

    # (improvement, action source, action fields, evidence ids)
    improvements: list[tuple[Improvement, str, dict[str, Any]]] = []

    def add(source: str, ev: dict[str, Any], ids: list[str], action_ev: dict[str, Any]) -> None:
        parts = _blocks("improvement", source, {**ev, "next_checkin": next_checkin})
        improvements.append(
            (Improvement(behavior=parts["behavior"], impact=parts["impact"],
                         suggestion=parts["suggestion"], evidence_ids=ids), source, action_ev)
        )  # fmt: skip

    for event in snapshot.events:
        if event.polarity == "negative" and len(improvements) < 2:
            fields = event_fields(event)
            add("event", fields, [event.id], fields)
    for kr in sorted(snapshot.key_results, key=lambda k: k.progress_pct - k.expected_pct):
        if kr.status == "off_track" and len(improvements) < 3:
            add("kr", kr_fields(kr), [kr.id], kr_fields(kr))
    if low is not None and low.score < 3.5 and len(improvements) < 3:
        fields = _review_fields(low, snapshot)
        add("review", fields, [low.id], fields)
    for text, group in recurring(snapshot.checkins, "obstacles"):
        if len(group) >= 2 and len(improvements) < 3:
            ev = {"text": text, "dates": [c.date.isoformat() for c in reversed(group)]}
            add("obstacle", ev, [c.id for c in group], ev)
    if not improvements:
        fallback = low or top
        if fallback is not None:
            fields = _review_fields(fallback, snapshot)
            add("review", fields, [fallback.id], fields)
        else:
            obstacle = next((c for c in snapshot.checkins if c.obstacles.strip()), None)
            if obstacle is None:
                raise Conflict(
                    "the records hold nothing to base an improvement on "
                    "(no review score, key event, key result or obstacle in this cycle)"
                )
            ev = {"text": obstacle.obstacles.strip(), "dates": [obstacle.date.isoformat()]}
            add("obstacle", ev, [obstacle.id], ev)

    next_actions: list[NextAction] = []
    for improvement, source, action_ev in improvements[:3]:
        due = cal.next_checkin if source in ("event", "obstacle") else cal.month_end
        text = _blocks("action", source, {**action_ev, "due": due.isoformat()})["text"]
        next_actions.append(
            NextAction(
                action=text, owner="employee", due_date=due, evidence_ids=improvement.evidence_ids
            )
        )

    resource_needs: list[ResourceNeed] = []
    for text, group in recurring(snapshot.checkins, "support_needed"):
        if len(resource_needs) < 2:
            ev = {"date": group[0].date.isoformat(), "text": text, "due": cal.month_end.isoformat()}
            resource_needs.append(
                ResourceNeed(
                    need=_blocks("resource", "support", ev)["text"], evidence_ids=[group[0].id]
                )
            )
    wish = next((c for c in snapshot.checkins if TRAINING_WISH.search(c.employee_comment)), None)
    if wish is not None and len(resource_needs) < 3:
        ev = {
            "date": wish.date.isoformat(),
            "text": bare(wish.employee_comment),
            "due": cal.month_end.isoformat(),
        }
        resource_needs.append(
            ResourceNeed(need=_blocks("resource", "comment", ev)["text"], evidence_ids=[wish.id])
        )
    if not resource_needs:
        first = improvements[0][0]
        focus = _focus(improvements[0])
        ev = {"focus": focus, "due": cal.month_end.isoformat()}
        resource_needs.append(
            ResourceNeed(
                need=_blocks("resource", "coaching", ev)["text"], evidence_ids=first.evidence_ids
            )
        )
    if resource_needs and next_actions:
        first_need = resource_needs[0]
        need_text = _need_text(snapshot, first_need)
        if need_text:
            ev = {"need": need_text, "due": cal.month_end.isoformat()}
            next_actions.append(
                NextAction(action=_blocks("action", "resource", ev)["text"], owner="manager",
                           due_date=cal.month_end, evidence_ids=first_need.evidence_ids)
            )  # fmt: skip

    if not strengths:
        raise Conflict(
            f"the records of {snapshot.profile.id} hold nothing to base a strength on in this cycle"
        )
    summary_ev: dict[str, Any] = {
        "name": snapshot.profile.name,
        "cycle": snapshot.cycle or snapshot.review_cycle or "",
        "review_cycle": snapshot.review_cycle or "",
        "top": {"label": top.dimension_label, "score": fmt_num(top.score)} if top else None,
        "low": {"label": low.dimension_label, "score": fmt_num(low.score)} if low else None,
        "kr": kr_fields(snapshot.key_results[0]) if snapshot.key_results else None,
        "checkin_date": snapshot.checkins[0].date.isoformat() if snapshot.checkins else "",
    }
    summary_ids = [snapshot.profile.id]
    summary_ids += [r.id for r in (top, low) if r is not None]
    summary_ids += [snapshot.key_results[0].id] if snapshot.key_results else []
    summary_ids += [snapshot.checkins[0].id] if snapshot.checkins else []
    return FeedbackDraft(
        summary=_blocks("summary", "", summary_ev)["text"],
        summary_evidence_ids=summary_ids,
        strengths=strengths[:4],
        improvements=[i for i, _, _ in improvements[:4]],
        next_actions=next_actions[:5],
        resource_needs=resource_needs[:3],
    )


def _focus(entry: tuple[Improvement, str, dict[str, Any]]) -> str:
    _, source, ev = entry
    return {"event": ev.get("short", ""), "kr": ev.get("title", ""), "review": ev.get("label", ""),
            "obstacle": ev.get("text", "")}.get(source, "")  # fmt: skip


def _need_text(snapshot: Snapshot, need: ResourceNeed) -> str:
    record = snapshot.records().get(need.evidence_ids[0])
    support = getattr(record, "support_needed", "")
    return support.strip() if isinstance(support, str) else ""


def validate(grounder: Grounder, snapshot: Snapshot, output: FeedbackDraft) -> list[Violation]:
    """Grounding problems of every item, and due dates outside the allowed calendar."""
    problems = grounder.check("summary", [output.summary], output.summary_evidence_ids)
    for i, s in enumerate(output.strengths):
        problems += grounder.check(f"strengths.{i}", [s.text], s.evidence_ids)
    for i, m in enumerate(output.improvements):
        problems += grounder.check(
            f"improvements.{i}", [m.behavior, m.impact, m.suggestion], m.evidence_ids
        )
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
        problems += grounder.check(f"resource_needs.{i}", [r.need], r.evidence_ids)
    return problems


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
    """The chain description for the runner."""
    grounder = Grounder(snapshot, directory)
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
        compose=lambda: compose_feedback(snapshot),
        validate=lambda out: validate(grounder, snapshot, out),
        quality_items=quality_items,
        lang=snapshot.lang,
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
) -> ChainResult[FeedbackDraft]:
    """A feedback draft for one person and cycle, grounded and checked."""

    def prepared() -> tuple[ChainSpec[FeedbackDraft], Pseudonymizer]:
        ensure_enough(snapshot)
        compose_feedback(snapshot)  # fails early (409) when the records cannot support a draft
        return spec(snapshot, directory), pseudonymizer_for(snapshot, directory)

    chain, mask = await asyncio.to_thread(prepared)
    return await run_chain(
        chain, engine=engine, pseudonymizer=mask, policy_reason=policy_reason, deadline=deadline
    )
