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
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from coach.approvals import RUBBER_STAMP_SECONDS, DecisionCounts, count, decisions_in, month_bounds
from coach.audit import record_event
from coach.auth import Principal
from coach.csv_export import write_csv
from coach.errors import InvalidInput, NotFound
from coach.models import CheckIn, DialogueNote, Employee, User

TREND_MONTHS = 6

# --- the three required parts, detected in the text ---------------------------------------

_SENTENCE_END = re.compile(r"[。!?!?;;\n]+|(?<=[a-z0-9])\.\s+", re.IGNORECASE)
_NEGATION = re.compile(r"(?:不|没|未|缺|无|难以)$|(?:\bnot|n't|\bno|\bnever)\s+$", re.IGNORECASE)

# Praise or achievement that only counts next to something concrete (a number, a date, a
# customer, a deliverable): "表现良好" has no cue here at all, "做得好" alone is not enough.
_POSITIVE_CUES = re.compile(
    r"做得(?:很|非常|特别)?好|值得(?:肯定|表扬)|表现突出|感谢|谢谢|出色|亮点|点赞|及时|主动|提前|按时|成功"
    r"|避免了?|拦截|闭环|缩短|降到|降低了|提升了|提高了|达标|超额|补齐|补了|拿下|签下|解决了|修复了"
    r"|\bwell done\b|\bthanks?\b|\bthank you\b|\bappreciate|\bimpressive\b|\bkudos\b|\bdelivered\b"
    r"|\bimproved\b|\breduced\b|\bshipped\b|\bresolved\b|\bon time\b|\bahead of\b",
    re.IGNORECASE,
)
_CONCRETE = re.compile(
    r"\d|[一二两三四五六七八九十半]+(?:个|次|周|天|条|批|台|家|项|小时|分钟)"
    r"|月|日|周|季度|迭代|版本|上线|客户|项目|会议|工单|投诉|方案|报价|合同|测试|用例|订单|页面|首屏|缺陷"
    r"|回款|续签|知识库|流程|文档|检验|返工|拜访"
    r"|\b(?:customer|client|project|release|meeting|ticket|sprint|deadline|report|demo)\b",
    re.IGNORECASE,
)
_IMPROVEMENT_CUES = re.compile(
    r"建议|下次|下个|需要改进|可以尝试|不妨|请(?=在|把|补|先|用|提前|每)|希望你|要注意|应当|应该|改进"
    r"|\bnext time\b|\bsuggest|\brecommend|\btry to\b|\bconsider\b|\bshould\b|\bcould\b"
    r"|\bgoing forward\b|\bplease\b",
    re.IGNORECASE,
)
# What follows an improvement cue must say what to do, not only "do better".
_EMPTY_ADVICE = re.compile(
    r"^[\s,,、]*(?:继续|再接再厉|加强|提高|提升|努力|加油|保持|多沟通|改进|注意)*[\s,,、。.!!]*$"
    r"|^\s*(?:work harder|keep it up|do better|improve)\W*$",
    re.IGNORECASE,
)
_NO_NEED = re.compile(
    r"^(?:无|没有|暂无|暂时没有|不需要|暂不需要|没|none|no|n/?a|nothing|nil|-+|/|—+)[。.!!]?$",
    re.IGNORECASE,
)
_RESOURCE = re.compile(
    r"(?:需要|希望|申请|缺少?|请求).{0,12}?(?:支持|培训|资源|协调|设备|预算|人手|指导|帮助|对接|机会)"
    r"|(?:我来|我会|我帮你|帮你|为你|给你)(?:去)?(?:协调|安排|对接|申请|争取)"
    r"|\bneeds?\b.{0,20}\b(?:support|training|resources?|help|budget|headcount|coaching)\b"
    r"|\bI(?:'ll| will)\s+(?:arrange|set up|coordinate|get you|organi[sz]e)\b",
    re.IGNORECASE,
)


class Parts(BaseModel):
    """Which of the three required parts a check-in contains."""

    positive: bool = Field(description="≥1 positive point with concrete content.")
    improvement: bool = Field(description="≥1 actionable improvement suggestion.")
    resource: bool = Field(description="≥1 meaningful resource or support need.")

    @property
    def complete(self) -> bool:
        """All three parts are present."""
        return self.positive and self.improvement and self.resource


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _affirmed(pattern: re.Pattern[str], sentence: str) -> list[re.Match[str]]:
    return [
        m for m in pattern.finditer(sentence) if not _NEGATION.search(sentence[: m.start()][-4:])
    ]


def has_positive_point(text: str) -> bool:
    """A praise or achievement cue, not negated, in a sentence with concrete content."""
    return any(_affirmed(_POSITIVE_CUES, s) and _CONCRETE.search(s) for s in _sentences(text))


def has_improvement(text: str) -> bool:
    """A suggestion cue followed by something to actually do."""
    for sentence in _sentences(text):
        for match in _affirmed(_IMPROVEMENT_CUES, sentence):
            rest = sentence[match.end() :]
            words = len(re.findall(r"[A-Za-z]+", rest))
            chars = len(re.findall(r"[\u4e00-\u9fff]", rest))
            if (chars >= 6 or words >= 3) and not _EMPTY_ADVICE.match(rest):
                return True
    return False


def has_resource_need(support_needed: str, *texts: str) -> bool:
    """A meaningful support_needed field, or a resource need stated in the dialogue."""
    need = support_needed.strip()
    if need and not _NO_NEED.match(need) and len(need) >= 4:
        return True
    return any(_RESOURCE.search(t) for t in (need, *texts) if t)


def detect_parts(checkin: CheckIn) -> Parts:
    """Detect the positive point, improvement suggestion and resource need of a check-in."""
    feedback = checkin.manager_feedback
    return Parts(
        positive=has_positive_point(feedback),
        improvement=has_improvement(feedback) or has_improvement(checkin.next_actions),
        resource=has_resource_need(
            checkin.support_needed, checkin.employee_comment, feedback, checkin.obstacles
        ),
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
