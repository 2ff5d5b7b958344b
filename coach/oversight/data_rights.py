"""Data-subject rights: export everything held about a person, or erase it.

Erasure keeps what the organisation may keep without knowing who it was (numbers: metric
values, scores, potential ratings, target ranges, decision statistics) under the same key
with a pseudonymous name, deletes HR's attributes (gender, age band), blanks free text,
scrubs AI drafts about the person, and replaces the person's name where others' records
mention it. Audit events are never rewritten: they hold hashes, not
content, so the chain still verifies afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, or_, select

from coach.core.audit import record_event
from coach.core.errors import NotFound
from coach.core.models import (
    ApprovalRecord,
    AuditEvent,
    CheckIn,
    DialogueNote,
    Draft,
    DraftResponse,
    Employee,
    EmployeeAttributes,
    Goal,
    KeyEvent,
    KeyResult,
    MetricValue,
    OfficialTarget,
    PotentialRating,
    ProgressUpdate,
    ReminderDelivery,
    ReviewScore,
    User,
    utcnow,
)
from coach.drafts.gate import APPROVING, AiLabel, ai_label
from coach.org.users import hash_token
from coach.oversight.dialogue import NEAR_COPIES, near_copies

ERASED = {"erased": True}
PSEUDONYM_PREFIX = "匿名-"
_CHECKIN_TEXT = (
    "progress", "obstacles", "support_needed", "next_actions", "manager_feedback",
    "employee_comment",
)  # fmt: skip


class PersonalData(BaseModel):
    """Everything Coach holds about one person."""

    exported_at: datetime
    employee: dict[str, Any]
    users: list[dict[str, Any]]
    metric_values: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    key_results: list[dict[str, Any]]
    progress_updates: list[dict[str, Any]]
    checkins: list[dict[str, Any]]
    dialogue_notes: list[dict[str, Any]]
    review_scores: list[dict[str, Any]]
    key_events: list[dict[str, Any]]
    drafts: list[dict[str, Any]]
    approval_records: list[dict[str, Any]]
    draft_responses: list[dict[str, Any]]
    official_targets: list[dict[str, Any]]
    audit_events: list[dict[str, Any]]
    attributes: dict[str, Any] | None = None
    potential_ratings: list[dict[str, Any]] = []


class ErasureReport(BaseModel):
    employee_id: str
    pseudonym: str
    changed: dict[str, int]


def _dump(rows: Any, exclude: set[str] | None = None) -> list[dict[str, Any]]:
    # Enum columns come back from the database as plain strings, which is what we want here.
    return [row.model_dump(mode="json", exclude=exclude, warnings=False) for row in rows]


class _Held:
    """The rows about one person."""

    def __init__(self, session: Session, employee: Employee) -> None:
        eid = employee.employee_id
        self.employee = employee
        self.users = list(session.exec(select(User).where(User.employee_id == eid)).all())
        self.metric_values = list(
            session.exec(select(MetricValue).where(MetricValue.employee_id == eid)).all()
        )
        self.goals = list(session.exec(select(Goal).where(Goal.employee_id == eid)).all())
        goal_ids = [g.goal_id for g in self.goals]
        self.key_results = list(
            session.exec(select(KeyResult).where(col(KeyResult.goal_id).in_(goal_ids))).all()
        )
        kr_ids = [k.kr_id for k in self.key_results]
        self.progress_updates = list(
            session.exec(select(ProgressUpdate).where(col(ProgressUpdate.kr_id).in_(kr_ids))).all()
        )
        self.checkins = list(session.exec(select(CheckIn).where(CheckIn.employee_id == eid)).all())
        checkin_ids = [c.checkin_id for c in self.checkins]
        self.notes = list(
            session.exec(
                select(DialogueNote).where(col(DialogueNote.checkin_id).in_(checkin_ids))
            ).all()
        )
        self.reviews = list(
            session.exec(select(ReviewScore).where(ReviewScore.employee_id == eid)).all()
        )
        self.key_events = list(
            session.exec(select(KeyEvent).where(KeyEvent.employee_id == eid)).all()
        )
        self.drafts = list(session.exec(select(Draft).where(Draft.employee_id == eid)).all())
        draft_ids = [d.id for d in self.drafts]
        self.approvals = list(
            session.exec(
                select(ApprovalRecord).where(col(ApprovalRecord.draft_id).in_(draft_ids))
            ).all()
        )
        self.attributes = session.get(EmployeeAttributes, eid)
        self.potential = list(
            session.exec(select(PotentialRating).where(PotentialRating.employee_id == eid)).all()
        )
        self.responses = list(
            session.exec(
                select(DraftResponse)
                .where(DraftResponse.employee_id == eid)
                .order_by(col(DraftResponse.id))
            ).all()
        )
        self.labels = _labels(session, self.drafts, self.approvals)
        self.targets = list(
            session.exec(select(OfficialTarget).where(OfficialTarget.employee_id == eid)).all()
        )
        self.events = list(
            session.exec(
                select(AuditEvent)
                .where(
                    or_(
                        col(AuditEvent.object_id) == eid,
                        col(AuditEvent.object_id).in_(draft_ids + checkin_ids),
                    )
                )
                .order_by(col(AuditEvent.id))
            ).all()
        )

    def export(self, now: datetime) -> PersonalData:
        return PersonalData(
            exported_at=now,
            employee=_dump([self.employee])[0],
            # A bot's address holds its key: a secret of the account, not data about the person.
            users=_dump(self.users, exclude={"token_hash", "webhook_url"}),
            metric_values=_dump(self.metric_values),
            goals=_dump(self.goals),
            key_results=_dump(self.key_results),
            progress_updates=_dump(self.progress_updates),
            checkins=_dump(self.checkins),
            dialogue_notes=_dump(self.notes),
            review_scores=_dump(self.reviews),
            key_events=_dump(self.key_events),
            drafts=[
                draft | {"ai_label": label.model_dump(mode="json") if label else None}
                for draft, label in zip(
                    _dump(self.drafts), (self.labels.get(d.id) for d in self.drafts), strict=True
                )
            ],
            approval_records=_dump(self.approvals),
            draft_responses=_dump(self.responses),
            official_targets=_dump(self.targets),
            audit_events=_dump(self.events),
            attributes=_dump([self.attributes])[0] if self.attributes else None,
            potential_ratings=_dump(self.potential),
        )


def _labels(
    session: Session, drafts: Sequence[Draft], approvals: Sequence[ApprovalRecord]
) -> dict[str, AiLabel]:
    """The AI label of each approved draft, as the employee's pages show it."""
    approving = {r.draft_id: r for r in approvals if r.decision in APPROVING}
    return {d.id: ai_label(session, d, approving[d.id]) for d in drafts if d.id in approving}


def _load(session: Session, employee_id: str) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound("employee", employee_id)
    return employee


def export_person(session: Session, *, employee_id: str, actor: str) -> PersonalData:
    """Everything held about a person, recording that it was exported."""
    data = _Held(session, _load(session, employee_id)).export(utcnow())
    record_event(
        session, actor=actor, action="export", object_type="employee", object_id=employee_id,
        after=data.model_dump(mode="json"), detail={"purpose": "data subject access"},
    )  # fmt: skip
    return data


def _replace(value: Any, name: str, pseudonym: str) -> Any:
    if isinstance(value, str):
        return value.replace(name, pseudonym)
    if isinstance(value, dict):
        return {k: _replace(v, name, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, name, pseudonym) for v in value]
    return value


def _mentions(session: Session, name: str, pseudonym: str) -> int:
    """Replace the person's name in other people's free text and drafts."""
    changed = 0
    pattern = f"%{name}%"
    for model, fields in (
        (CheckIn, _CHECKIN_TEXT),
        (KeyEvent, ("description", "impact")),
        (ReviewScore, ("comment",)),
        (DialogueNote, ("note",)),
        (Goal, ("title",)),
        (KeyResult, ("title",)),
        (ProgressUpdate, ("note",)),
        # A digest that has not gone out yet keeps its text, which names the people in it.
        (ReminderDelivery, ("body",)),
        (DraftResponse, ("text",)),
    ):
        clauses = [col(getattr(model, f)).like(pattern) for f in fields]
        for row in session.exec(select(model).where(or_(*clauses))).all():
            for field in fields:
                setattr(row, field, getattr(row, field).replace(name, pseudonym))
            if isinstance(row, CheckIn) and row.feedback_check:
                row.feedback_check = _replace(row.feedback_check, name, pseudonym)  # quoted spans
            session.add(row)
            changed += 1
    for draft in session.exec(select(Draft)).all():
        inputs, output = (
            _replace(draft.inputs, name, pseudonym),
            _replace(draft.output, name, pseudonym),
        )
        if (inputs, output) != (draft.inputs, draft.output):
            draft.inputs, draft.output = inputs, output
            session.add(draft)
            changed += 1
    for record in session.exec(select(ApprovalRecord)).all():
        final = _replace(record.final_content, name, pseudonym)
        if final != record.final_content or name in record.reason or name in record.diff:
            record.final_content = final
            record.reason = record.reason.replace(name, pseudonym)
            record.diff = record.diff.replace(name, pseudonym)
            session.add(record)
            changed += 1
    return changed


def _blank(rows: Sequence[SQLModel], fields: tuple[str, ...]) -> int:
    for row in rows:
        for field in fields:
            setattr(row, field, "")
    return len(rows)


def erase_person(session: Session, *, employee_id: str, actor: str) -> ErasureReport:
    """Remove a person's personal data, keeping anonymised figures; the erasure is audited."""
    held = _Held(session, _load(session, employee_id))
    before = held.export(held.employee.updated_at).model_dump(mode="json")
    copies = near_copies(session, held.checkins)  # while the texts and the name are still there
    name = held.employee.name
    pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(4)
    changed: dict[str, int] = {}

    held.employee.name = pseudonym
    held.employee.hire_date = None
    held.employee.updated_at = utcnow()
    for user in held.users:
        user.name = f"{pseudonym}-{user.id}"
        user.disabled = True
        user.token_hash = hash_token(secrets.token_urlsafe(32))  # the old token stops working
        user.email = None
        user.webhook_url = None
    changed["users"] = len(held.users)
    # Digests addressed to the person are about their team; none is kept once they are erased.
    user_ids = [u.id for u in held.users if u.id is not None]
    deliveries = session.exec(
        select(ReminderDelivery).where(col(ReminderDelivery.user_id).in_(user_ids))
    ).all()
    for delivery in deliveries:
        session.delete(delivery)
    changed["reminder_deliveries"] = len(deliveries)
    changed["checkins"] = _blank(held.checkins, _CHECKIN_TEXT)
    for checkin in held.checkins:
        if checkin.feedback_check:
            # Keep the verdict for the statistics; the findings quote the text. Which records
            # the feedback nearly equalled keeps the copy-paste figures without the words.
            checkin.feedback_check = {
                k: v for k, v in checkin.feedback_check.items() if k != "findings"
            } | (
                {NEAR_COPIES: copies[checkin.checkin_id]} if copies.get(checkin.checkin_id) else {}
            )
    changed["dialogue_notes"] = _blank(held.notes, ("note",))
    changed["key_events"] = _blank(held.key_events, ("description", "impact"))
    changed["review_comments"] = _blank(held.reviews, ("comment",))
    changed["goals"] = _blank(held.goals, ("title",))
    changed["key_results"] = _blank(held.key_results, ("title",))
    changed["progress_notes"] = _blank(held.progress_updates, ("note",))
    for draft in held.drafts:
        draft.inputs, draft.output = {}, dict(ERASED)
    changed["drafts"] = len(held.drafts)
    # Gender and age band identify a person among few; unlike scores they are not kept.
    changed["attributes"] = int(held.attributes is not None)
    if held.attributes is not None:
        session.delete(held.attributes)
    for record in held.approvals:
        record.final_content = dict(ERASED) if record.final_content is not None else None
        record.reason = ""
        record.diff = ""
    changed["approval_records"] = len(held.approvals)
    changed["draft_responses"] = _blank(held.responses, ("text",))
    session.add_all(
        [held.employee, *held.users, *held.checkins, *held.notes, *held.key_events,
         *held.reviews, *held.goals, *held.key_results, *held.progress_updates, *held.drafts,
         *held.approvals, *held.responses]
    )  # fmt: skip
    session.flush()
    changed["mentions"] = _mentions(session, name, pseudonym) if name else 0
    session.flush()
    record_event(
        session, actor=actor, action="delete", object_type="employee", object_id=employee_id,
        before=before, after=None, detail={"purpose": "data subject erasure", "changed": changed},
    )  # fmt: skip
    return ErasureReport(employee_id=employee_id, pseudonym=pseudonym, changed=changed)
