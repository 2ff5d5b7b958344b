"""The data model: organisation, performance records, AI drafts, decisions and the audit log.

Tables follow one pattern: `XBase` holds the fields people provide, `X(table=True)` adds
keys and bookkeeping, `XPublic` is what the API returns. Where other shapes of an entity
(an import row, a forecast input, a chain record) carry only part of it, that part is a class
of its own here (`EmployeeProfile`, `CheckInNotes`) that they extend, so a field is declared once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from coach.core.units import UnitKind, unit_kind_default


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


def _enum(enum: type[StrEnum], length: int) -> SAEnum:
    """A VARCHAR column that loads as the enum; no database type, so new members need no migration."""
    return SAEnum(
        enum, native_enum=False, create_constraint=False, length=length,
        values_callable=lambda members: [m.value for m in members],
    )  # fmt: skip


def new_id() -> str:
    """A random identifier for records the service creates itself."""
    return uuid.uuid4().hex


# --- organisation -----------------------------------------------------------------------


class EmployeeKey(SQLModel):
    employee_id: str = Field(primary_key=True, max_length=64)


class EmployeeProfile(SQLModel):
    """Who a person is at work: the part that every shape of an employee carries."""

    name: str = Field(max_length=200)
    role: str = Field(default="", max_length=200)
    level: str = Field(default="", max_length=50)
    department: str = Field(default="", max_length=200)
    team: str = Field(default="", max_length=200)


# Pydantic orders inherited fields by the reversed MRO: the key first, then the profile.
class EmployeeBase(EmployeeProfile, EmployeeKey):
    manager_id: str | None = Field(default=None, index=True, max_length=64)
    hire_date: date | None = None


class Employee(EmployeeBase, table=True):
    __tablename__ = "employees"

    # Indexed: the newest stamp is the version of the organisation's name index.
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class EmployeePublic(EmployeeBase):
    pass


class Role(StrEnum):
    admin = "admin"
    hr = "hr"
    manager = "manager"
    employee = "employee"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    role: Role = Field(sa_type=_enum(Role, 20))
    employee_id: str | None = Field(default=None, max_length=64)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    disabled: bool = False
    token_rotated_at: datetime | None = None
    # Where `coach remind` reaches this person: their e-mail, and their own group bot (a
    # group only they read) instead of COACH_WEBHOOK_URL.
    email: str | None = Field(default=None, max_length=320)
    webhook_url: str | None = Field(default=None, max_length=1000)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The signed cookie carries a random id whose hash keys this row,
    so deleting the row ends the session for every copy of the cookie, on every worker."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class SessionKey(SQLModel, table=True):
    """The key signing web session cookies when COACH_SECRET_KEY is unset: one row, so that
    every worker on every machine using this database signs and verifies with the same key."""

    __tablename__ = "session_key"
    __table_args__ = (CheckConstraint("id = 1", name="ck_session_key_one_row"),)

    id: int = Field(default=1, primary_key=True)
    value: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


# --- metrics and goals ------------------------------------------------------------------


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class PeriodType(StrEnum):
    annual = "annual"
    quarter = "quarter"
    month = "month"


class Metric(SQLModel, table=True):
    __tablename__ = "metrics"

    metric: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=50)
    direction: Direction = Field(default=Direction.higher_is_better, sa_type=_enum(Direction, 20))
    period_type: PeriodType = Field(default=PeriodType.quarter, sa_type=_enum(PeriodType, 10))
    # Left out, it is guessed from the unit when the row is inserted.
    unit_kind: UnitKind | None = Field(
        default=None, nullable=False, sa_type=_enum(UnitKind, 12),
        sa_column_kwargs={"default": unit_kind_default},
    )  # fmt: skip


class MetricValue(SQLModel, table=True):
    __tablename__ = "metric_values"
    __table_args__ = (
        UniqueConstraint("employee_id", "metric", "period"),
        # The newest stamp per metric, with the count and the highest id, is the version of
        # that metric's data a cached target fit is keyed by.
        Index("ix_metric_values_metric_updated_at", "metric", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    metric: str = Field(foreign_key="metrics.metric", index=True, max_length=64)
    period: str = Field(max_length=10)
    value: float
    # Rows written before revision 0016 have none; every insert and update stamps it.
    updated_at: datetime | None = Field(
        default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow}
    )


class GoalKind(StrEnum):
    okr = "okr"
    kpi = "kpi"


class GoalBase(SQLModel):
    goal_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    cycle: str = Field(max_length=10)
    title: str
    kind: GoalKind = Field(default=GoalKind.okr, sa_type=_enum(GoalKind, 10))
    status: str = Field(default="active", max_length=20)


class Goal(GoalBase, table=True):
    __tablename__ = "goals"

    goal_id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class GoalPublic(GoalBase):
    pass


class KeyResultFields(SQLModel):
    """A key result as written inside its goal: everything but the goal it belongs to."""

    kr_id: str = Field(primary_key=True, max_length=64)
    title: str
    metric: str | None = Field(default=None, max_length=64)
    unit: str = Field(default="", max_length=50)
    direction: Direction = Field(default=Direction.higher_is_better, sa_type=_enum(Direction, 20))
    baseline: float = 0.0
    target: float
    due_date: date | None = None


class KeyResultBase(KeyResultFields):
    goal_id: str = Field(foreign_key="goals.goal_id", index=True, max_length=64)


class KeyResult(KeyResultBase, table=True):
    __tablename__ = "key_results"

    kr_id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    # The latest progress value, kept beside the updates so a goal reads without them.
    current: float = 0.0


class KeyResultPublic(KeyResultBase):
    current: float


class ProgressReading(SQLModel):
    """What a progress update says: the part every shape of one carries."""

    date: date
    value: float
    note: str = ""
    author_id: str | None = Field(default=None, max_length=64)


class ProgressUpdateBase(ProgressReading):
    kr_id: str = Field(foreign_key="key_results.kr_id", index=True, max_length=64)


class ProgressUpdate(ProgressUpdateBase, table=True):
    """One reading of a key result; a key result has at most one per day."""

    __tablename__ = "progress_updates"
    __table_args__ = (UniqueConstraint("kr_id", "date", name="uq_progress_updates_kr_id_date"),)

    id: int | None = Field(default=None, primary_key=True)


class ProgressUpdatePublic(ProgressUpdateBase):
    id: int


# --- dialogue and evidence --------------------------------------------------------------


class CheckInKey(SQLModel):
    """Which conversation: whose, with which manager, on which day."""

    checkin_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    manager_id: str | None = Field(default=None, index=True, max_length=64)
    date: date


class CheckInNotes(SQLModel):
    """What the conversation covered: the part that every shape of a check-in carries."""

    progress: str = ""
    obstacles: str = ""
    support_needed: str = ""
    next_actions: str = ""
    manager_feedback: str = ""
    employee_comment: str = ""


# The key first, then the notes (see EmployeeBase).
class CheckInBase(CheckInNotes, CheckInKey):
    pass


class CheckIn(CheckInBase, table=True):
    __tablename__ = "checkins"

    feedback_check: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CheckInPublic(CheckInBase):
    feedback_check: dict[str, Any] | None = None
    created_at: datetime


class ReviewScoreBase(SQLModel):
    """One reviewer's score of one person on one dimension in one cycle."""

    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    cycle: str = Field(max_length=10)
    dimension: str = Field(max_length=50)
    score: float
    reviewer_id: str | None = Field(default=None, max_length=64)
    comment: str = ""


class ReviewScore(ReviewScoreBase, table=True):
    __tablename__ = "review_scores"
    # Several reviewers may score the same person on the same dimension (a 360 review).
    __table_args__ = (
        UniqueConstraint(
            "cycle", "employee_id", "dimension", "reviewer_id", name="uq_review_scores_natural_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)


class ReviewScorePublic(ReviewScoreBase):
    id: int


class KeyEventKind(StrEnum):
    positive = "positive"
    negative = "negative"
    neutral = "neutral"


class KeyEventBase(SQLModel):
    """关键事件: something that happened, its impact, and who wrote it down."""

    event_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    date: date
    description: str
    impact: str = ""
    kind: KeyEventKind = Field(default=KeyEventKind.neutral, sa_type=_enum(KeyEventKind, 20))
    author_id: str | None = Field(default=None, max_length=64)


class KeyEvent(KeyEventBase, table=True):
    __tablename__ = "key_events"

    event_id: str = Field(default_factory=new_id, primary_key=True, max_length=64)


class KeyEventPublic(KeyEventBase):
    pass


# --- AI drafts and human decisions ------------------------------------------------------


class DraftStatus(StrEnum):
    """generating -> pending (awaiting a decision) -> approved | rejected; or generating -> failed."""

    generating = "generating"
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    failed = "failed"


class Decision(StrEnum):
    approve = "approve"
    edit = "edit"
    reject = "reject"


class Draft(SQLModel, table=True):
    """AI output that stays a draft until a named person decides on it."""

    __tablename__ = "drafts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    kind: str = Field(index=True, max_length=50)
    employee_id: str = Field(index=True, max_length=64)
    requester_id: int | None = Field(default=None, index=True)
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    output: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    template_id: str = Field(default="", max_length=200)
    template_hash: str = Field(default="", max_length=64)
    provider: str = Field(default="", max_length=50)
    model: str = Field(default="", max_length=200)
    fallback_reason: str | None = None
    status: DraftStatus = Field(
        default=DraftStatus.pending, index=True, sa_type=_enum(DraftStatus, 20)
    )
    failure_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class ApprovalRecord(SQLModel, table=True):
    __tablename__ = "approval_records"

    id: int | None = Field(default=None, primary_key=True)
    # Unique: a draft is decided once, and the database refuses a second decision.
    draft_id: str = Field(foreign_key="drafts.id", unique=True, index=True, max_length=64)
    reviewer_id: int = Field(foreign_key="users.id")
    reviewer_name: str = Field(max_length=200)
    decision: Decision = Field(sa_type=_enum(Decision, 20))
    final_content: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    # How much the reviewer changed the AI version (0 = as is, 1 = fully rewritten).
    diff: str = ""
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    edit_ratio: float = 0.0


class ResponseKind(StrEnum):
    comment = "comment"
    objection = "objection"


class DraftResponse(SQLModel, table=True):
    """An employee's comment on, or objection to, approved AI content about them.

    PIPL Art. 24 gives a person the right to an explanation of, and to refuse, decisions made
    with automated means: the response reaches the approving manager and HR.
    """

    __tablename__ = "draft_responses"

    id: int | None = Field(default=None, primary_key=True)
    draft_id: str = Field(foreign_key="drafts.id", index=True, max_length=64)
    employee_id: str = Field(index=True, max_length=64)
    author_id: int = Field(foreign_key="users.id")
    kind: ResponseKind = Field(sa_type=_enum(ResponseKind, 20))
    text: str
    created_at: datetime = Field(default_factory=utcnow)


# --- review-cycle batches ---------------------------------------------------------------


class BatchStatus(StrEnum):
    running = "running"
    done = "done"


class BatchItemStatus(StrEnum):
    """queued -> running (its draft exists, generating) -> done | failed."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class BatchJob(SQLModel, table=True):
    """Many drafts of one kind asked for at once; its items carry the progress."""

    __tablename__ = "batch_jobs"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    kind: str = Field(max_length=50)
    requester_id: int = Field(foreign_key="users.id", index=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: BatchStatus = Field(
        default=BatchStatus.running, index=True, sa_type=_enum(BatchStatus, 20)
    )
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class BatchItem(SQLModel, table=True):
    """One employee's draft within a batch; `draft_id` is set in the transaction that creates it.

    A worker runs an item while it holds the item's lease (`lease_owner` until
    `lease_expires_at`, renewed as it works); a running item whose lease expired is free to
    be claimed again, and its existing draft is the one filled.
    """

    __tablename__ = "batch_items"
    __table_args__ = (
        UniqueConstraint("job_id", "employee_id"),
        Index("ix_batch_items_claimable", "status", "lease_expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="batch_jobs.id", index=True, max_length=64)
    employee_id: str = Field(max_length=64)
    status: BatchItemStatus = Field(
        default=BatchItemStatus.queued, index=True, sa_type=_enum(BatchItemStatus, 20)
    )
    draft_id: str | None = Field(default=None, max_length=64)
    error: str | None = None
    attempts: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = None


# --- logs -------------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """Append-only log; each event carries the hash of the one before it in its chain."""

    __tablename__ = "audit_events"
    # Unique: two events can never extend a chain from the same predecessor (no forks), nor
    # take the same place in it.
    __table_args__ = (
        Index("ux_audit_events_chain_prev_hash", "chain", "prev_hash", unique=True),
        Index("ux_audit_events_chain_seq", "chain", "seq", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(index=True, max_length=50)
    object_type: str = Field(max_length=50)
    object_id: str = Field(index=True, max_length=200)
    before_hash: str | None = Field(default=None, max_length=64)
    after_hash: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # "object_type:object_id"; "" for the events written before chains were per object
    # (revision 0010), which form one legacy chain in id order and have no seq or witness.
    chain: str = Field(default="", max_length=260)
    seq: int | None = Field(default=None, description="Place in its chain, from 1.")
    prev_hash: str = Field(max_length=64)
    # The newest event this one's writer could see, in any chain: links the chains together
    # without making their writers wait for each other.
    witness_id: int | None = None
    witness_hash: str | None = Field(default=None, max_length=64)
    hash: str = Field(max_length=64)


class AuditSeal(SQLModel, table=True):
    """An anchor of every chain's tip: the chains that changed up to `through_id`, and where.

    Seals chain to each other one after another; a chain cut short after its sealed tip
    shows as that tip missing.
    """

    __tablename__ = "audit_seals"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(default_factory=utcnow)
    through_id: int = Field(description="Every event with an id up to this one is covered.")
    tips: dict[str, list[Any]] = Field(default_factory=dict, sa_column=Column(JSON))
    prev_hash: str = Field(unique=True, index=True, max_length=64)
    hash: str = Field(max_length=64)


class DialogueNote(SQLModel, table=True):
    """An HR reviewer's note on a check-in drawn in the dialogue-quality sample."""

    __tablename__ = "dialogue_notes"

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: str = Field(foreign_key="checkins.checkin_id", index=True, max_length=64)
    author: str = Field(max_length=200)
    note: str
    created_at: datetime = Field(default_factory=utcnow)


class LLMCall(SQLModel, table=True):
    """One model call: who was asked, with which prompt, how long it took, how it ended."""

    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(default_factory=utcnow, index=True)
    provider: str = Field(max_length=50)
    model: str = Field(max_length=200)
    template_id: str = Field(default="", max_length=200)
    template_hash: str = Field(default="", max_length=64)
    purpose: str = Field(default="", max_length=100)
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    outcome: str = Field(max_length=20)
    error: str | None = None
    retrieved_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # No foreign key: a target's rephrase is logged before its draft is stored.
    draft_id: str | None = Field(default=None, index=True, max_length=64)


# --- official targets -------------------------------------------------------------------


class OfficialTarget(SQLModel, table=True):
    """A target range a manager approved; the suggested numbers are kept beside the final ones."""

    __tablename__ = "official_targets"
    __table_args__ = (UniqueConstraint("employee_id", "metric", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employees.employee_id", index=True, max_length=64)
    metric: str = Field(foreign_key="metrics.metric", max_length=64)
    period: str = Field(max_length=10)
    commit: float
    target: float
    stretch: float
    suggested: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    difference: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    draft_id: str = Field(foreign_key="drafts.id", max_length=64)
    approved_by: str = Field(max_length=200)
    approved_at: datetime = Field(default_factory=utcnow)


# --- reminders --------------------------------------------------------------------------


class DeliveryStatus(StrEnum):
    """sending (claimed by one process) -> sent | failed; a failed one may be claimed again."""

    sending = "sending"
    sent = "sent"
    failed = "failed"


class ReminderDelivery(SQLModel, table=True):
    """One digest to one account on one channel for one day, and how sending it went."""

    __tablename__ = "reminder_deliveries"
    # The per-day key: of several processes sending the same day's reminders, one inserts it
    # and sends; the others find it taken.
    __table_args__ = (
        UniqueConstraint(
            "day", "user_id", "channel", name="uq_reminder_deliveries_day_user_channel"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(max_length=20)
    destination: str = Field(max_length=320, description="The address, or the bot's host, shown.")
    title: str = Field(max_length=200)
    body: str
    status: DeliveryStatus = Field(sa_type=_enum(DeliveryStatus, 20), index=True)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


# --- HR-only attributes -----------------------------------------------------------------


class EmployeeAttributes(SQLModel, table=True):
    """Optional attributes HR imports for fairness monitoring; read by HR insight alone.

    A table of its own, not columns of `employees`, so that no employee shape a manager,
    an employee or a prompt sees can carry them.
    """

    __tablename__ = "employee_attributes"

    employee_id: str = Field(foreign_key="employees.employee_id", primary_key=True, max_length=64)
    gender: str | None = Field(default=None, max_length=10)
    age_band: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class PotentialRating(SQLModel, table=True):
    """HR's potential rating of a person in a review cycle (1 低, 2 中, 3 高), for the nine-box."""

    __tablename__ = "potential_ratings"

    employee_id: str = Field(foreign_key="employees.employee_id", primary_key=True, max_length=64)
    cycle: str = Field(primary_key=True, max_length=10)
    potential: int
