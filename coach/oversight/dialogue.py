"""HR's monthly audit of check-in dialogue quality, per manager and over time.

Automatic figures (completion, effective feedback, the three required parts, vague phrases,
AI-draft decisions) cover *every* check-in of the calendar month, since they cost nothing to
compute. Two rules keep them from being gamed:

- Copy-paste. A manager's feedback that passed the vague-comment check is compared with their own earlier feedback of the month and
  the `COPY_LOOKBACK_MONTHS` before it, to anyone. After names and numbers are normalised away,
  two texts whose character-trigram Jaccard similarity is at least `COPY_SIMILARITY` are one
  text: a swapped four-character customer name in a fifty-character comment still scores about
  0.78, while two comments sharing one of their two sentences score 0.3 to 0.45 and unrelated
  comments on the same work below 0.1. The first occurrence counts; each copy is not effective
  feedback and gives no positive point. Two copies in a month flag the manager `copy_paste`:
  one reuse can be the same advice to two people on one project, two is a habit.
- Resource need. A need stated in the dialogue counts only when the manager answered it: a
  commitment to arrange support in the same check-in's feedback or in the person's next one.

The stratified sample is what HR reads by hand: `sample_rate` of the month's records exactly
(rounded half up), spread over managers by largest remainder, reproducible (seeded by the
month); `min_per_manager` records per manager first when asked for, which may enlarge it.
Figures with nothing to measure are None (n/a), never 0.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.core.audit import record_event
from coach.core.csv_export import write_csv
from coach.core.errors import InvalidInput, NotFound
from coach.core.models import CheckIn, DialogueNote, Employee, User
from coach.org.users import Principal
from coach.oversight.approvals import (
    READING_CHARS_PER_SECOND,
    DecisionCounts,
    count,
    decisions_in,
    month_bounds,
    stamps_in,
)
from coach.quality.parts import Parts, dialogue_parts, offers_support

TREND_MONTHS = 6
COPY_SIMILARITY = 0.6
COPY_LOOKBACK_MONTHS = 2
# Copying is how feedback looks specific without being so: vague feedback, and texts this short
# ("继续加油"), are stock phrases the vague-comment check already discounts.
COPY_MIN_CHARS = 12
COPY_FLAG_MIN = 2
# The feedback-check key under which an erased check-in keeps the ids it was a near copy of.
NEAR_COPIES = "near_copies"

DEFINITIONS: dict[str, str] = {
    "completion": "面谈完成率：当月在职的直属下属中，当月至少有一次面谈记录的人数占比。",
    "effective_share": (
        "有效反馈占比：经理反馈经空泛检测判定为具体（非空泛）、且不是复制粘贴的记录，占当月面谈记录的比例。"
    ),
    "positive_share": "正向反馈：反馈里至少有一处带具体内容（数字、日期、客户、交付物）的肯定，复制的反馈不计。",
    "improvement_share": "改进建议：反馈或下一步行动里至少有一条可执行的改进建议。",
    "resource_share": (
        "资源支持：记录里提出了资源或支持需求，且经理在本次或此人下一次面谈的反馈中承诺了安排（如“我来协调”）。"
    ),
    "complete_share": "三要素齐全：同时具备正向反馈、改进建议、资源支持三项的记录占比。",
    "copies": (
        f"复制粘贴：去掉人名和数字后，与该经理本月或前 {COPY_LOOKBACK_MONTHS} 个月写给任何人的一条更早反馈的"
        f"字符三元组 Jaccard 相似度 ≥ {COPY_SIMILARITY:.0%} 的反馈；只计第一次，其余不算有效反馈。"
        f"当月 ≥ {COPY_FLAG_MIN} 条即标记 copy_paste。"
    ),
    "sampled": "抽样：按抽样率精确抽取当月记录（四舍五入），按经理分层、最大余数法分配，以月份为种子可复现。",
    "na": "n/a：没有可衡量的记录（分母为 0），不是 0%。",
}


def _detect_parts(checkin: CheckIn, *, copied: bool, answered: bool) -> Parts:
    found = dialogue_parts(
        feedback=checkin.manager_feedback, next_actions=checkin.next_actions,
        support_needed=checkin.support_needed, employee_comment=checkin.employee_comment,
        obstacles=checkin.obstacles,
    )  # fmt: skip
    return Parts(
        positive=found.positive and not copied,
        improvement=found.improvement,
        resource=found.resource and answered,
    )


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
    copy_of: str | None = Field(
        default=None, description="The earlier check-in whose feedback this one copies."
    )
    parts: Parts
    vague_phrases: list[str]
    notes: list[DialogueNotePublic]


class DialogueFigures(BaseModel):
    expected: int = Field(
        description="Direct reports employed that month, each expected to check in."
    )
    checked_in: int = Field(description="Of those, how many had at least one check-in.")
    completion: float | None = Field(description=DEFINITIONS["completion"])
    checkins: int
    effective: int = Field(description="Check-ins whose feedback is neither vague nor a copy.")
    effective_share: float | None = Field(description=DEFINITIONS["effective_share"])
    copies: int = Field(description=DEFINITIONS["copies"])
    positive_share: float | None = Field(description=DEFINITIONS["positive_share"])
    improvement_share: float | None = Field(description=DEFINITIONS["improvement_share"])
    resource_share: float | None = Field(description=DEFINITIONS["resource_share"])
    complete_share: float | None = Field(description=DEFINITIONS["complete_share"])
    sampled: int
    drafts: DecisionCounts = Field(description="AI-draft decisions taken that month.")


class ManagerDialogues(DialogueFigures):
    manager_id: str
    manager_name: str
    flags: list[str] = Field(description="`copy_paste` when the month has enough copies.")
    top_vague_phrases: list[PhraseCount]


class TrendPoint(BaseModel):
    month: str
    checkins: int
    completion: float | None
    effective_share: float | None


class DialogueAudit(BaseModel):
    month: str
    sample_rate: float
    min_per_manager: int
    seed: int
    copy_similarity: float
    definitions: dict[str, str]
    overall: DialogueFigures
    managers: list[ManagerDialogues]
    top_vague_phrases: list[PhraseCount]
    sample: list[SampledDialogue]
    trend: list[TrendPoint]


# --- computing --------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def resolve_month(month: str, *, today: date | None = None) -> str:
    """A `YYYY-MM` month, with `latest` meaning the current calendar month (UTC)."""
    if month == "latest":
        return f"{today or datetime.now(UTC).date():%Y-%m}"
    month_bounds(month)
    return month


def _shift(month: str, back: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def sample_seed(month: str) -> int:
    """The fixed seed of a month's sample, so the same month always draws the same records."""
    return int.from_bytes(hashlib.sha256(f"coach-dialogue-audit:{month}".encode()).digest()[:8])


class _Normaliser:
    """Feedback text with names, numbers, case, spaces and punctuation taken out."""

    def __init__(self, names: Iterable[str]) -> None:
        kept = sorted({n for n in names if len(n) >= 2}, key=len, reverse=True)
        self._names = re.compile("|".join(map(re.escape, kept))) if kept else None

    def __call__(self, text: str) -> str:
        text = self._names.sub("某", text) if self._names else text
        return letters_and_digits(re.sub(r"\d+(?:\.\d+)?", "#", text))


def letters_and_digits(text: str) -> str:
    """Lower-case letters and digits only, so punctuation and spacing do not split a match."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def trigrams(text: str) -> frozenset[str]:
    """The character trigrams of an already normalised text."""
    return frozenset(text[i : i + 3] for i in range(len(text) - 2))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two trigram sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def _fingerprints(checkins: Iterable[CheckIn], normalise: _Normaliser) -> dict[str, frozenset[str]]:
    """The trigrams of each check-in whose feedback may be copied or be a copy."""
    found: dict[str, frozenset[str]] = {}
    for checkin in checkins:
        check = checkin.feedback_check or {}
        text = normalise(checkin.manager_feedback)
        if check.get("vague") is True:
            continue
        if len(text) >= COPY_MIN_CHARS or check.get(NEAR_COPIES):
            found[checkin.checkin_id] = trigrams(text)
    return found


def _near(a: CheckIn, b: CheckIn, grams: dict[str, frozenset[str]]) -> bool:
    # An erased record has no text left; what it was near is kept beside its verdict.
    kept = (a.feedback_check or {}).get(NEAR_COPIES, []) + (b.feedback_check or {}).get(
        NEAR_COPIES, []
    )
    if a.checkin_id in kept or b.checkin_id in kept:
        return True
    return similarity(grams[a.checkin_id], grams[b.checkin_id]) >= COPY_SIMILARITY


def find_copies(
    checkins: list[CheckIn], manager_of: dict[str, str], normalise: _Normaliser
) -> dict[str, str]:
    """checkin_id → the earlier check-in by the same manager whose feedback it copies."""
    grams = _fingerprints(checkins, normalise)
    ordered = sorted(
        (c for c in checkins if c.checkin_id in grams and c.checkin_id in manager_of),
        key=lambda c: (c.date, c.checkin_id),
    )
    seen: dict[str, list[CheckIn]] = defaultdict(list)
    copies: dict[str, str] = {}
    for checkin in ordered:
        manager = manager_of[checkin.checkin_id]
        oldest = _shift(_month_of(checkin.date), COPY_LOOKBACK_MONTHS)
        for earlier in seen[manager]:
            if _month_of(earlier.date) >= oldest and _near(checkin, earlier, grams):
                copies[checkin.checkin_id] = copies.get(earlier.checkin_id, earlier.checkin_id)
                break
        seen[manager].append(checkin)
    return copies


def near_copies(session: Session, checkins: list[CheckIn]) -> dict[str, list[str]]:
    """For each given check-in, the same manager's others whose feedback nearly equals it."""
    employees = {e.employee_id: e for e in session.exec(select(Employee)).all()}
    normalise = _Normaliser(e.name for e in employees.values())
    managers = {_manager(c, employees) for c in checkins} - {None}
    theirs = [
        c
        for c in session.exec(select(CheckIn).order_by(col(CheckIn.checkin_id))).all()
        if _manager(c, employees) in managers
    ]
    grams = _fingerprints(theirs, normalise)
    near: dict[str, list[str]] = {}
    for checkin in checkins:
        manager = _manager(checkin, employees)
        if checkin.checkin_id not in grams or manager is None:
            continue
        near[checkin.checkin_id] = [
            other.checkin_id
            for other in theirs
            if other.checkin_id != checkin.checkin_id
            and other.checkin_id in grams
            and _manager(other, employees) == manager
            and _near(checkin, other, grams)
        ]
    return near


def _manager(checkin: CheckIn, employees: dict[str, Employee]) -> str | None:
    subject = employees.get(checkin.employee_id)
    return checkin.manager_id or (subject.manager_id if subject else None)


def answered_support(checkins: list[CheckIn]) -> set[str]:
    """Check-ins whose manager took on support, in their own feedback or the person's next."""
    by_person: dict[str, list[CheckIn]] = defaultdict(list)
    for checkin in checkins:
        by_person[checkin.employee_id].append(checkin)
    answered: set[str] = set()
    for records in by_person.values():
        records.sort(key=lambda c: (c.date, c.checkin_id))
        for now, after in zip(records, [*records[1:], None], strict=True):
            if offers_support(now.manager_feedback) or (
                after is not None and offers_support(after.manager_feedback)
            ):
                answered.add(now.checkin_id)
    return answered


class _Ledger:
    """Check-ins from the trend's first month (and its copy lookback) on, judged once."""

    def __init__(self, session: Session, month: str, employees: dict[str, Employee]) -> None:
        first = _shift(month, TREND_MONTHS - 1 + COPY_LOOKBACK_MONTHS)
        start, _ = month_bounds(first)
        self.employees = employees
        # Later months too: a need raised this month may be answered in the next check-in.
        self.checkins = list(
            session.exec(
                select(CheckIn)
                .where(col(CheckIn.date) >= start.date())
                .order_by(col(CheckIn.checkin_id))
            ).all()
        )
        self.manager_of: dict[str, str] = {}
        for checkin in self.checkins:
            manager = _manager(checkin, employees)
            if manager:
                self.manager_of[checkin.checkin_id] = manager
        self.copies = find_copies(
            self.checkins, self.manager_of, _Normaliser(e.name for e in employees.values())
        )
        answered = answered_support(self.checkins)
        self.parts = {
            c.checkin_id: _detect_parts(
                c, copied=c.checkin_id in self.copies, answered=c.checkin_id in answered
            )
            for c in self.checkins
        }

    def is_effective(self, checkin: CheckIn) -> bool:
        check = checkin.feedback_check or {}
        return check.get("vague") is False and checkin.checkin_id not in self.copies

    def month(self, month: str) -> _Month:
        return _Month(self, month)


class _Month:
    """One month's check-ins and expectations, grouped by manager."""

    def __init__(self, ledger: _Ledger, month: str) -> None:
        start, end = month_bounds(month)
        self.checkins = [c for c in ledger.checkins if start.date() <= c.date < end.date()]
        self.by_manager: dict[str, list[CheckIn]] = defaultdict(list)
        for checkin in self.checkins:
            manager = ledger.manager_of.get(checkin.checkin_id)
            if manager:
                self.by_manager[manager].append(checkin)
        last_day = end.date()
        with_checkin = {c.employee_id for c in self.checkins}
        self.expected: dict[str, set[str]] = defaultdict(set)
        self.done: dict[str, set[str]] = defaultdict(set)
        for person in ledger.employees.values():
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


def _figures(
    ledger: _Ledger,
    checkins: list[CheckIn],
    expected: int,
    checked_in: int,
    sampled: int,
    drafts: DecisionCounts,
) -> dict[str, Any]:
    n = len(checkins)
    mine = [ledger.parts[c.checkin_id] for c in checkins]
    effective = sum(ledger.is_effective(c) for c in checkins)
    return {
        "expected": expected, "checked_in": checked_in, "completion": _share(checked_in, expected),
        "checkins": n, "effective": effective, "effective_share": _share(effective, n),
        "copies": sum(c.checkin_id in ledger.copies for c in checkins),
        "positive_share": _share(sum(p.positive for p in mine), n),
        "improvement_share": _share(sum(p.improvement for p in mine), n),
        "resource_share": _share(sum(p.resource for p in mine), n),
        "complete_share": _share(sum(p.complete for p in mine), n),
        "sampled": sampled, "drafts": drafts,
    }  # fmt: skip


def sample_sizes(sizes: dict[str, int], rate: float, minimum: int) -> dict[str, int]:
    """Records to sample per manager: `rate` of all, rounded half up, by largest remainder."""
    total = sum(sizes.values())
    # Rounded first so that 0.1 × 25 is 2.5, not 2.4999…, before rounding half up.
    target = math.floor(round(total * rate, 9) + 0.5)
    taken = {m: min(n, minimum) for m, n in sizes.items()}
    for _ in range(target - sum(taken.values())):
        open_ = [m for m in sorted(sizes) if taken[m] < sizes[m]]
        if not open_:
            break
        neediest = max(open_, key=lambda m: sizes[m] * rate - taken[m])
        taken[neediest] += 1
    return taken


def _draw(by_manager: dict[str, list[CheckIn]], sizes: dict[str, int], seed: int) -> list[CheckIn]:
    rng = random.Random(seed)
    picked: list[CheckIn] = []
    for manager in sorted(by_manager):
        pool = sorted(by_manager[manager], key=lambda c: c.checkin_id)
        picked.extend(sorted(rng.sample(pool, sizes[manager]), key=lambda c: c.checkin_id))
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


class _Decisions:
    """The month's AI-draft decisions, overall and by the manager who took them."""

    def __init__(self, session: Session, month: str) -> None:
        start, end = month_bounds(month)
        self.pairs = decisions_in(session, start=start, end=end)
        stamps = stamps_in(session, start=start, end=end, chars_per_second=READING_CHARS_PER_SECOND)
        self.stamped = set(stamps)
        reviewer_employee = {u.id: u.employee_id for u in session.exec(select(User)).all()}
        self.by_manager: dict[str, list[Any]] = defaultdict(list)
        for draft, record in self.pairs:
            employee_id = reviewer_employee.get(record.reviewer_id)
            if employee_id:
                self.by_manager[employee_id].append((draft, record))

    def counts(self, manager_id: str | None = None) -> DecisionCounts:
        pairs = self.pairs if manager_id is None else self.by_manager.get(manager_id, [])
        return count(pairs, self.stamped)


def dialogue_audit(
    session: Session,
    *,
    month: str,
    sample_rate: float = 0.1,
    min_per_manager: int = 0,
    today: date | None = None,
) -> DialogueAudit:
    """The month's dialogue-quality audit: figures overall and per manager, sample, trend."""
    if not 0 < sample_rate <= 1:
        raise InvalidInput("sample_rate", "must be greater than 0 and at most 1")
    if min_per_manager < 0:
        raise InvalidInput("min_per_manager", "must be 0 or more")
    month = resolve_month(month, today=today)
    employees = {e.employee_id: e for e in session.exec(select(Employee)).all()}
    ledger = _Ledger(session, month, employees)
    data = ledger.month(month)
    seed = sample_seed(month)
    sizes = sample_sizes(
        {m: len(c) for m, c in data.by_manager.items()}, sample_rate, min_per_manager
    )
    sample = _draw(data.by_manager, sizes, seed)
    decisions = _Decisions(session, month)

    managers = []
    for manager_id in data.managers():
        checkins = data.by_manager.get(manager_id, [])
        person = employees.get(manager_id)
        figures = _figures(
            ledger, checkins, len(data.expected[manager_id]), len(data.done[manager_id]),
            sizes.get(manager_id, 0), decisions.counts(manager_id),
        )  # fmt: skip
        managers.append(ManagerDialogues(
            manager_id=manager_id, manager_name=person.name if person else manager_id,
            flags=["copy_paste"] if figures["copies"] >= COPY_FLAG_MIN else [],
            top_vague_phrases=_top(_phrases(checkins), 3), **figures,
        ))  # fmt: skip
    totals = _figures(
        ledger, data.checkins, sum(m.expected for m in managers),
        sum(m.checked_in for m in managers), len(sample), decisions.counts(),
    )  # fmt: skip
    notes = _notes(session, [c.checkin_id for c in sample])
    return DialogueAudit(
        month=month,
        sample_rate=sample_rate,
        min_per_manager=min_per_manager,
        seed=seed,
        copy_similarity=COPY_SIMILARITY,
        definitions=DEFINITIONS,
        overall=DialogueFigures(**totals),
        managers=managers,
        top_vague_phrases=_top(_phrases(data.checkins), 10),
        sample=[_sampled(ledger, c, notes.get(c.checkin_id, [])) for c in sample],
        trend=[
            _trend_point(ledger, _shift(month, back)) for back in range(TREND_MONTHS - 1, -1, -1)
        ],
    )


def _sampled(ledger: _Ledger, checkin: CheckIn, notes: list[DialogueNotePublic]) -> SampledDialogue:
    check = checkin.feedback_check or {}
    return SampledDialogue(
        **checkin.model_dump(include=set(SampledDialogue.model_fields) & set(CheckIn.model_fields)),
        vague=check.get("vague") if check else None,
        copy_of=ledger.copies.get(checkin.checkin_id),
        parts=ledger.parts[checkin.checkin_id],
        vague_phrases=[str(f.get("text", "")) for f in check.get("findings", [])],
        notes=notes,
    )


def _trend_point(ledger: _Ledger, month: str) -> TrendPoint:
    data = ledger.month(month)
    expected = sum(len(v) for v in data.expected.values())
    done = sum(len(v) for v in data.done.values())
    effective = sum(ledger.is_effective(c) for c in data.checkins)
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


# (header, attribute): the manager rows, then the sampled records HR read, then definitions.
MANAGER_COLUMNS = (
    ("月份", "month"), ("经理编号", "manager_id"), ("经理", "manager_name"), ("标记", "flags"),
    ("应面谈人数", "expected"), ("已面谈人数", "checked_in"), ("面谈完成率", "completion"),
    ("面谈记录数", "checkins"), ("有效反馈数", "effective"), ("有效反馈占比", "effective_share"),
    ("复制粘贴数", "copies"), ("正向反馈占比", "positive_share"),
    ("改进建议占比", "improvement_share"), ("资源支持占比", "resource_share"),
    ("三要素齐全占比", "complete_share"), ("抽样数", "sampled"), ("AI草稿决定数", "drafts_decided"),
    ("原样通过占比", "drafts_as_is_share"), ("修改后通过占比", "drafts_edited_share"),
    ("驳回占比", "drafts_rejected_share"), ("高频空泛用语", "top_vague_phrases"),
)  # fmt: skip
SAMPLE_COLUMNS = (
    ("面谈记录编号", "checkin_id"), ("员工编号", "employee_id"), ("经理编号", "manager_id"),
    ("日期", "date"), ("经理反馈", "manager_feedback"), ("空泛", "vague"),
    ("复制自", "copy_of"), ("正向反馈", "positive"), ("改进建议", "improvement"),
    ("资源支持", "resource"), ("HR备注", "notes"),
)  # fmt: skip
_SHARES = {
    "completion", "effective_share", "positive_share", "improvement_share", "resource_share",
    "complete_share", "drafts_as_is_share", "drafts_edited_share", "drafts_rejected_share",
}  # fmt: skip


def percent(share: float | None) -> str:
    """A share as HR reads it: `33.3%`, or `n/a` when there was nothing to measure."""
    return "n/a" if share is None else f"{share * 100:.1f}%"


def _yes(flag: bool | None) -> str:
    return "—" if flag is None else ("是" if flag else "否")


def _manager_row(report: DialogueAudit, m: ManagerDialogues) -> dict[str, object]:
    drafted = m.drafts.decided > 0
    row: dict[str, object] = {
        **m.model_dump(), "month": report.month, "flags": ", ".join(m.flags),
        "drafts_decided": m.drafts.decided,
        "drafts_as_is_share": m.drafts.as_is_share if drafted else None,
        "drafts_edited_share": m.drafts.edited_share if drafted else None,
        "drafts_rejected_share": m.drafts.rejected_share if drafted else None,
        "top_vague_phrases": "; ".join(f"{p.phrase}×{p.count}" for p in m.top_vague_phrases),
    }  # fmt: skip
    return {
        header: percent(cast(float | None, row[key])) if key in _SHARES else row[key]
        for header, key in MANAGER_COLUMNS
    }


def _sample_row(s: SampledDialogue) -> dict[str, object]:
    row: dict[str, object] = {
        **s.model_dump(), "vague": _yes(s.vague), "copy_of": s.copy_of or "",
        "positive": _yes(s.parts.positive), "improvement": _yes(s.parts.improvement),
        "resource": _yes(s.parts.resource),
        "notes": "\n".join(f"{n.author}：{n.note}" for n in s.notes),
    }  # fmt: skip
    return {header: row[key] for header, key in SAMPLE_COLUMNS}


def to_csv(report: DialogueAudit) -> str:
    """The audit as CSV text: per-manager rows, the sampled records with HR notes, definitions."""
    managers = write_csv(
        [h for h, _ in MANAGER_COLUMNS], [_manager_row(report, m) for m in report.managers]
    )
    sample = write_csv([h for h, _ in SAMPLE_COLUMNS], [_sample_row(s) for s in report.sample])
    labels = {key: header for header, key in MANAGER_COLUMNS} | {"na": "n/a"}
    terms = write_csv(
        ("指标", "定义"),
        [{"指标": labels.get(k, k), "定义": v} for k, v in report.definitions.items()],
    )
    return "\r\n".join((managers, sample, terms))


def record_csv_export(session: Session, *, actor: str, report: DialogueAudit, path: str) -> None:
    """Audit the export of a dialogue audit to a file."""
    record_event(
        session, actor=actor, action="export", object_type="dialogue_audit",
        object_id=report.month, after=report.model_dump(mode="json"),
        detail={"path": path, "managers": len(report.managers)},
    )  # fmt: skip
