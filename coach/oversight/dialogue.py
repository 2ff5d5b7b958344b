"""HR's monthly audit of check-in dialogue quality, per manager and over time.

Automatic figures (completion, effective feedback, the three required parts, vague phrases,
AI-draft decisions) cover *every* check-in of the month, since they cost nothing to compute.
The stratified sample is what HR reads by hand: reproducible (seeded by the month), at least
one record per manager, and each sampled record can carry review notes.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from coach.core.audit import record_event
from coach.core.csv_export import write_csv
from coach.core.errors import InvalidInput, NotFound
from coach.core.models import CheckIn, DialogueNote, Employee, User
from coach.org.users import Principal
from coach.oversight.approvals import (
    RUBBER_STAMP_SECONDS,
    DecisionCounts,
    count,
    decisions_in,
    month_bounds,
)
from coach.quality.parts import Parts, dialogue_parts

TREND_MONTHS = 6


def detect_parts(checkin: CheckIn) -> Parts:
    """Detect the positive point, improvement suggestion and resource need of a check-in."""
    return dialogue_parts(
        feedback=checkin.manager_feedback, next_actions=checkin.next_actions,
        support_needed=checkin.support_needed, employee_comment=checkin.employee_comment,
        obstacles=checkin.obstacles,
    )  # fmt: skip


# --- report models ----------------------------------------------------------------------


class PhraseCount(BaseModel):
    phrase: str
    count: int


class DialogueNotePublic(BaseModel):
    id: int
    checkin_id: str
    author: str
    note: str
    created_at: datetime


class SampledDialogue(BaseModel):
    checkin_id: str
    employee_id: str
    manager_id: str | None
    date: date
    progress: str
    obstacles: str
    support_needed: str
    next_actions: str
    manager_feedback: str
    employee_comment: str
    vague: bool | None = Field(
        description="From the stored vague-comment check; None if no feedback."
    )
    parts: Parts
    vague_phrases: list[str]
    notes: list[DialogueNotePublic]


class DialogueFigures(BaseModel):
    expected: int = Field(
        description="Direct reports employed that month, each expected to check in."
    )
    checked_in: int = Field(description="Of those, how many had at least one check-in.")
    completion: float
    checkins: int
    effective: int = Field(description="Check-ins whose manager feedback is not vague.")
    effective_share: float
    positive_share: float
    improvement_share: float
    resource_share: float
    complete_share: float = Field(description="Share with all three required parts.")
    sampled: int
    drafts: DecisionCounts = Field(description="AI-draft decisions taken that month.")


class ManagerDialogues(DialogueFigures):
    manager_id: str
    manager_name: str
    top_vague_phrases: list[PhraseCount]


class TrendPoint(BaseModel):
    month: str
    checkins: int
    completion: float
    effective_share: float


class DialogueAudit(BaseModel):
    month: str
    sample_rate: float
    seed: int
    overall: DialogueFigures
    managers: list[ManagerDialogues]
    top_vague_phrases: list[PhraseCount]
    sample: list[SampledDialogue]
    trend: list[TrendPoint]


# --- computing --------------------------------------------------------------------------


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def latest_month(session: Session) -> str:
    """The newest month that has check-ins."""
    newest = session.exec(select(func.max(CheckIn.date))).one()
    if newest is None:
        raise NotFound("check-in month", "latest")
    return f"{newest:%Y-%m}"


def resolve_month(session: Session, month: str) -> str:
    """A `YYYY-MM` month, with `latest` meaning the newest month that has check-ins."""
    if month == "latest":
        return latest_month(session)
    month_bounds(month)
    return month


def _shift(month: str, back: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def sample_seed(month: str) -> int:
    """The fixed seed of a month's sample, so the same month always draws the same records."""
    return int.from_bytes(hashlib.sha256(f"coach-dialogue-audit:{month}".encode()).digest()[:8])


class _Month:
    """One month's check-ins and expectations, grouped by manager."""

    def __init__(self, session: Session, month: str, employees: dict[str, Employee]) -> None:
        start, end = month_bounds(month)
        self.checkins = list(
            session.exec(
                select(CheckIn)
                .where(col(CheckIn.date) >= start.date(), col(CheckIn.date) < end.date())
                .order_by(col(CheckIn.checkin_id))
            ).all()
        )
        self.by_manager: dict[str, list[CheckIn]] = defaultdict(list)
        for checkin in self.checkins:
            subject = employees.get(checkin.employee_id)
            manager = checkin.manager_id or (subject.manager_id if subject else None)
            if manager:
                self.by_manager[manager].append(checkin)
        last_day = end.date()
        with_checkin = {c.employee_id for c in self.checkins}
        self.expected: dict[str, set[str]] = defaultdict(set)
        self.done: dict[str, set[str]] = defaultdict(set)
        for person in employees.values():
            employed = person.hire_date is None or person.hire_date < last_day
            if person.manager_id and employed:
                self.expected[person.manager_id].add(person.employee_id)
                if person.employee_id in with_checkin:
                    self.done[person.manager_id].add(person.employee_id)

    def managers(self) -> list[str]:
        return sorted(set(self.by_manager) | set(self.expected))


def _phrases(checkins: list[CheckIn]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for checkin in checkins:
        for finding in (checkin.feedback_check or {}).get("findings", []):
            phrase = str(finding.get("text", "")).strip().lower()
            if phrase:
                counts[phrase] += 1
    return counts


def _top(counts: Counter[str], n: int) -> list[PhraseCount]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
    return [PhraseCount(phrase=p, count=c) for p, c in ranked]


def _is_effective(checkin: CheckIn) -> bool:
    check = checkin.feedback_check or {}
    return check.get("vague") is False


def _figures(
    checkins: list[CheckIn],
    parts: dict[str, Parts],
    expected: int,
    checked_in: int,
    sampled: int,
    drafts: DecisionCounts,
) -> dict[str, Any]:
    n = len(checkins)
    mine = [parts[c.checkin_id] for c in checkins]
    return {
        "expected": expected, "checked_in": checked_in, "completion": _share(checked_in, expected),
        "checkins": n, "effective": sum(_is_effective(c) for c in checkins),
        "effective_share": _share(sum(_is_effective(c) for c in checkins), n),
        "positive_share": _share(sum(p.positive for p in mine), n),
        "improvement_share": _share(sum(p.improvement for p in mine), n),
        "resource_share": _share(sum(p.resource for p in mine), n),
        "complete_share": _share(sum(p.complete for p in mine), n),
        "sampled": sampled, "drafts": drafts,
    }  # fmt: skip


def _draw(by_manager: dict[str, list[CheckIn]], rate: float, seed: int) -> list[CheckIn]:
    rng = random.Random(seed)
    picked: list[CheckIn] = []
    for manager in sorted(by_manager):
        pool = sorted(by_manager[manager], key=lambda c: c.checkin_id)
        size = min(len(pool), max(1, math.floor(len(pool) * rate + 0.5)))
        picked.extend(sorted(rng.sample(pool, size), key=lambda c: c.checkin_id))
    return picked


def _notes(session: Session, checkin_ids: list[str]) -> dict[str, list[DialogueNotePublic]]:
    notes: dict[str, list[DialogueNotePublic]] = defaultdict(list)
    if not checkin_ids:
        return notes
    rows = session.exec(
        select(DialogueNote)
        .where(col(DialogueNote.checkin_id).in_(checkin_ids))
        .order_by(col(DialogueNote.id))
    ).all()
    for row in rows:
        notes[row.checkin_id].append(DialogueNotePublic.model_validate(row, from_attributes=True))
    return notes


def dialogue_audit(session: Session, *, month: str, sample_rate: float = 0.1) -> DialogueAudit:
    """The month's dialogue-quality audit: figures overall and per manager, sample, trend."""
    if not 0 < sample_rate <= 1:
        raise InvalidInput("sample_rate", "must be greater than 0 and at most 1")
    month = resolve_month(session, month)
    employees = {e.employee_id: e for e in session.exec(select(Employee)).all()}
    data = _Month(session, month, employees)
    seed = sample_seed(month)
    sample = _draw(data.by_manager, sample_rate, seed)
    sampled_ids = {c.checkin_id for c in sample}
    sampled_by = {
        manager: sum(c.checkin_id in sampled_ids for c in checkins)
        for manager, checkins in data.by_manager.items()
    }
    parts = {c.checkin_id: detect_parts(c) for c in data.checkins}

    start, end = month_bounds(month)
    pairs = decisions_in(session, start=start, end=end)
    reviewer_employee = {u.id: u.employee_id for u in session.exec(select(User)).all()}
    decisions_by: dict[str, list[Any]] = defaultdict(list)
    for draft, record in pairs:
        employee_id = reviewer_employee.get(record.reviewer_id)
        if employee_id:
            decisions_by[employee_id].append((draft, record))

    managers = []
    for manager_id in data.managers():
        checkins = data.by_manager.get(manager_id, [])
        person = employees.get(manager_id)
        figures = _figures(
            checkins, parts, len(data.expected[manager_id]), len(data.done[manager_id]),
            sampled_by.get(manager_id, 0), count(decisions_by.get(manager_id, []), RUBBER_STAMP_SECONDS),
        )  # fmt: skip
        managers.append(ManagerDialogues(
            manager_id=manager_id, manager_name=person.name if person else manager_id,
            top_vague_phrases=_top(_phrases(checkins), 3), **figures,
        ))  # fmt: skip
    totals = _figures(
        data.checkins, parts, sum(m.expected for m in managers),
        sum(m.checked_in for m in managers), len(sample), count(pairs, RUBBER_STAMP_SECONDS),
    )  # fmt: skip
    overall = DialogueFigures(**totals)
    notes = _notes(session, [c.checkin_id for c in sample])
    return DialogueAudit(
        month=month,
        sample_rate=sample_rate,
        seed=seed,
        overall=overall,
        managers=managers,
        top_vague_phrases=_top(_phrases(data.checkins), 10),
        sample=[_sampled(c, parts[c.checkin_id], notes.get(c.checkin_id, [])) for c in sample],
        trend=[
            _trend_point(session, _shift(month, back), employees)
            for back in range(TREND_MONTHS - 1, -1, -1)
        ],
    )


def _sampled(checkin: CheckIn, parts: Parts, notes: list[DialogueNotePublic]) -> SampledDialogue:
    check = checkin.feedback_check or {}
    return SampledDialogue(
        **checkin.model_dump(include=set(SampledDialogue.model_fields) & set(CheckIn.model_fields)),
        vague=check.get("vague") if check else None,
        parts=parts,
        vague_phrases=[str(f.get("text", "")) for f in check.get("findings", [])],
        notes=notes,
    )


def _trend_point(session: Session, month: str, employees: dict[str, Employee]) -> TrendPoint:
    data = _Month(session, month, employees)
    expected = sum(len(v) for v in data.expected.values())
    done = sum(len(v) for v in data.done.values())
    effective = sum(_is_effective(c) for c in data.checkins)
    return TrendPoint(
        month=month,
        checkins=len(data.checkins),
        completion=_share(done, expected),
        effective_share=_share(effective, len(data.checkins)),
    )


# --- HR review notes and CSV ------------------------------------------------------------


def add_note(
    session: Session, principal: Principal, *, checkin_id: str, note: str
) -> DialogueNotePublic:
    """Attach an HR review note to a check-in."""
    if session.get(CheckIn, checkin_id) is None:
        raise NotFound("check-in", checkin_id)
    text = note.strip()
    if not text:
        raise InvalidInput("note", "must not be empty")
    row = DialogueNote(checkin_id=checkin_id, author=principal.label, note=text)
    session.add(row)
    session.flush()
    record_event(
        session, actor=principal.label, action="create", object_type="dialogue_note",
        object_id=str(row.id), after={"checkin_id": checkin_id, "note": text},
        detail={"checkin_id": checkin_id},
    )  # fmt: skip
    return DialogueNotePublic.model_validate(row, from_attributes=True)


CSV_COLUMNS = (
    "month", "manager_id", "manager_name", "expected", "checked_in", "completion", "checkins",
    "effective", "effective_share", "positive_share", "improvement_share", "resource_share",
    "complete_share", "sampled", "drafts_decided", "drafts_as_is_share", "drafts_edited_share",
    "drafts_rejected_share", "top_vague_phrases",
)  # fmt: skip


def to_csv(report: DialogueAudit) -> str:
    """Per-manager rows of a dialogue audit as CSV text."""
    rows = []
    for m in report.managers:
        row = m.model_dump(include=set(CSV_COLUMNS))
        row.update(
            month=report.month, drafts_decided=m.drafts.decided,
            drafts_as_is_share=m.drafts.as_is_share, drafts_edited_share=m.drafts.edited_share,
            drafts_rejected_share=m.drafts.rejected_share,
            top_vague_phrases="; ".join(f"{p.phrase}×{p.count}" for p in m.top_vague_phrases),
        )  # fmt: skip
        rows.append(row)
    return write_csv(CSV_COLUMNS, rows)


def record_csv_export(session: Session, *, actor: str, report: DialogueAudit, path: str) -> None:
    """Audit the export of a dialogue audit to a file."""
    record_event(
        session, actor=actor, action="export", object_type="dialogue_audit",
        object_id=report.month, after=report.model_dump(mode="json"),
        detail={"path": path, "managers": len(report.managers)},
    )  # fmt: skip
