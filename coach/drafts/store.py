"""AI output stored as drafts: the one lifecycle every kind goes through, and reading drafts back.

Every draft has one lifecycle: `begin_draft` records the request as `generating`, then
`finish_draft` fills it (`pending`) or `fail_draft` says why it failed; `create_draft` is
both steps at once for output computed before anything is stored. Nothing becomes official
or reaches an employee until `coach.drafts.decisions.decide` records a named person's approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from coach.core.audit import record_event
from coach.core.errors import CoachError, Conflict, Forbidden, NotFound
from coach.core.models import ApprovalRecord, Decision, Draft, DraftStatus, Role, new_id
from coach.core.settings import DEFAULT_MAX_OPEN_REQUESTS
from coach.drafts.content import DraftContent, DraftOutput
from coach.drafts.gate import DraftReceipt, check_open_requests, receipt, sees_pending
from coach.drafts.registry import draft_kind
from coach.org.access import reports_query
from coach.org.users import Principal


class Provenance(BaseModel):
    """Where a draft came from: which engine, which model, which prompt."""

    provider: str = Field(description="offline or openai")
    model: str = ""
    template_id: str = ""
    template_hash: str = ""
    fallback_reason: str | None = Field(
        default=None, description="Why the offline engine answered instead of the configured one."
    )


class StoredDraft(BaseModel):
    """What a coaching endpoint answers: the pending draft and its content."""

    draft_id: str
    status: DraftStatus
    provenance: Provenance
    output: DraftContent


class GenerationFailed(CoachError):
    """A draft could not be generated even offline; it is stored as failed."""

    def __init__(self, draft_id: str, reason: str) -> None:
        super().__init__(f"draft {draft_id} failed: {reason}")
        self.draft_id = draft_id
        self.reason = reason


class DecisionPublic(BaseModel):
    decision: Decision
    reviewer: str
    final_content: DraftContent | None
    reason: str
    created_at: datetime
    diff: str = Field(default="", description="Unified diff from the AI version to the final one.")
    changed_fields: list[str] = Field(default_factory=list)
    edit_ratio: float = Field(default=0.0, description="0 = approved as is, 1 = fully rewritten.")


class DraftPublic(BaseModel):
    id: str
    kind: str
    status: DraftStatus
    employee_id: str
    inputs: dict[str, Any] = Field(
        description="What the draft was made from: the request and the evidence it was given."
    )
    output: DraftOutput = Field(description="The AI version, as the model or engine made it.")
    approved: DraftContent | None = Field(
        default=None,
        description="The content a named person approved (edited or as is): what pages, exports"
        " and employees are shown; null until the draft is approved.",
    )
    provenance: Provenance
    decisions: list[DecisionPublic]
    created_at: datetime
    decided_at: datetime | None
    failure_reason: str | None = None


class DraftsPublic(BaseModel):
    data: list[DraftPublic]
    count: int


def create_draft(
    session: Session,
    *,
    kind: str,
    employee_id: str,
    requester: Principal | None,
    inputs: dict[str, Any],
    output: BaseModel | dict[str, Any],
    provenance: Provenance,
    draft_id: str | None = None,
    open_limit: int = DEFAULT_MAX_OPEN_REQUESTS,
) -> Draft:
    """Begin and finish a draft in the caller's transaction, for output computed beforehand.

    `draft_id` is the id chosen before the model was asked, when its calls were logged under it.
    """
    draft = begin_draft(
        session, kind=kind, employee_id=employee_id, requester=requester, inputs=inputs,
        draft_id=draft_id, open_limit=open_limit,
    )  # fmt: skip
    # The row was inserted in this very transaction: nobody else can hold or change it.
    return _fill(session, draft, inputs=inputs, output=output, provenance=provenance)


def begin_draft(
    session: Session,
    *,
    kind: str,
    employee_id: str,
    requester: Principal | None,
    inputs: dict[str, Any],
    draft_id: str | None = None,
    open_limit: int = DEFAULT_MAX_OPEN_REQUESTS,
) -> Draft:
    """Record a requested draft before any model is asked, so the request is never lost.

    `open_limit` bounds the drafts a requester who cannot read them may have waiting
    (`COACH_MAX_OPEN_REQUESTS`, which callers with the app's settings pass on).
    """
    draft_kind(kind)  # a draft nobody could decide on is refused before it is stored
    draft = Draft(
        id=draft_id or new_id(),
        kind=kind,
        employee_id=employee_id,
        requester_id=requester.user_id if requester else None,
        inputs=inputs,
        status=DraftStatus.generating,
    )
    if requester is not None:
        check_open_requests(
            session, requester, kind=kind, employee_id=employee_id, limit=open_limit
        )
    session.add(draft)
    session.flush()
    record_event(
        session,
        actor=requester.label if requester else "system",
        action="create",
        object_type="draft",
        object_id=draft.id,
        detail={"kind": kind, "employee_id": employee_id, "status": DraftStatus.generating.value},
    )
    return draft


def _generating(session: Session, draft_id: str) -> Draft:
    draft = session.get(Draft, draft_id, with_for_update=True)
    if draft is None:
        raise NotFound("draft", draft_id)
    if draft.status != DraftStatus.generating:
        raise Conflict(f"draft {draft_id!r} is {draft.status}, not generating")
    return draft


def finish_draft(
    session: Session,
    draft_id: str,
    *,
    inputs: dict[str, Any],
    output: BaseModel | dict[str, Any],
    provenance: Provenance,
) -> Draft:
    """Fill a generating draft with its output and provenance; it now awaits a decision."""
    draft = _generating(session, draft_id)
    return _fill(session, draft, inputs=inputs, output=output, provenance=provenance)


def _fill(
    session: Session,
    draft: Draft,
    *,
    inputs: dict[str, Any],
    output: BaseModel | dict[str, Any],
    provenance: Provenance,
) -> Draft:
    body = output.model_dump(mode="json") if isinstance(output, BaseModel) else output
    draft.inputs, draft.output, draft.status = inputs, body, DraftStatus.pending
    draft.template_id, draft.template_hash = provenance.template_id, provenance.template_hash
    draft.provider, draft.model = provenance.provider, provenance.model
    draft.fallback_reason = provenance.fallback_reason
    session.add(draft)
    session.flush()
    record_event(
        session, actor="system", action="draft.ready", object_type="draft", object_id=draft.id,
        after=body, detail={"kind": draft.kind, "employee_id": draft.employee_id,
                            "provider": provenance.provider},
    )  # fmt: skip
    return draft


def fail_draft(session: Session, draft_id: str, *, reason: str) -> Draft:
    """Mark a generating draft as failed, saying why; it can never be approved."""
    draft = _generating(session, draft_id)
    draft.status, draft.failure_reason = DraftStatus.failed, reason
    session.add(draft)
    session.flush()
    record_event(
        session, actor="system", action="draft.failed", object_type="draft", object_id=draft.id,
        detail={"kind": draft.kind, "employee_id": draft.employee_id},
    )  # fmt: skip
    return draft


def load_draft(session: Session, draft_id: str) -> Draft:
    """A draft by id, unchecked: callers decide who may see or change it."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("draft", draft_id)
    return draft


def get_draft(session: Session, principal: Principal, draft_id: str) -> Draft:
    """A draft with its AI content, for HR or a manager above its subject."""
    draft = load_draft(session, draft_id)
    if sees_pending(session, principal, draft.employee_id):
        return draft
    raise Forbidden(f"draft {draft_id!r} is not visible to a {principal.role.value}")


def read_draft(session: Session, principal: Principal, draft_id: str) -> DraftPublic | DraftReceipt:
    """The whole draft for those who decide on it (and HR); its requester gets only a receipt."""
    draft = load_draft(session, draft_id)
    if sees_pending(session, principal, draft.employee_id):
        return to_public(session, draft)
    if draft.requester_id is not None and draft.requester_id == principal.user_id:
        return receipt(
            draft_id=draft.id, kind=draft.kind, status=draft.status, employee_id=draft.employee_id
        )
    raise Forbidden(f"draft {draft_id!r} is not visible to a {principal.role.value}")


def list_drafts(
    session: Session,
    principal: Principal,
    *,
    status: DraftStatus | None = DraftStatus.pending,
    kind: str | None = None,
    employee_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Draft], int]:
    """A page of drafts, newest first: all for HR, those about their reports for a manager."""
    clauses: list[Any] = []
    if principal.role == Role.manager and principal.employee_id:
        clauses.append(col(Draft.employee_id).in_(reports_query(principal.employee_id)))
    elif principal.role != Role.hr:
        raise Forbidden(f"the draft inbox is for managers and HR, not a {principal.role.value}")
    if status is not None:
        clauses.append(col(Draft.status) == status)
    if kind:
        clauses.append(col(Draft.kind) == kind)
    if employee_id:
        clauses.append(col(Draft.employee_id) == employee_id)
    rows = session.exec(
        select(Draft).where(*clauses)
        .order_by(col(Draft.created_at).desc(), col(Draft.id)).offset(offset).limit(limit)
    ).all()  # fmt: skip
    total = session.exec(select(func.count()).select_from(Draft).where(*clauses)).one()
    return list(rows), total


def decisions_for(session: Session, draft_id: str) -> list[ApprovalRecord]:
    """The decisions recorded on a draft, oldest first."""
    return list(
        session.exec(
            select(ApprovalRecord)
            .where(ApprovalRecord.draft_id == draft_id)
            .order_by(col(ApprovalRecord.id))
        ).all()
    )


def _approved(draft: Draft, decisions: list[ApprovalRecord]) -> dict[str, Any] | None:
    if draft.status != DraftStatus.approved:
        return None
    final = [r for r in decisions if r.decision in (Decision.approve, Decision.edit)]
    return final[-1].final_content if final else None


def to_public(session: Session, draft: Draft) -> DraftPublic:
    """The API view of a draft with its provenance, decisions and approved content."""
    decisions = decisions_for(session, draft.id)
    return DraftPublic(
        id=draft.id,
        kind=draft.kind,
        status=draft.status,
        employee_id=draft.employee_id,
        inputs=draft.inputs,
        output=draft.output,
        approved=_approved(draft, decisions),
        provenance=Provenance(
            provider=draft.provider,
            model=draft.model,
            template_id=draft.template_id,
            template_hash=draft.template_hash,
            fallback_reason=draft.fallback_reason,
        ),
        decisions=[
            DecisionPublic(
                decision=r.decision,
                reviewer=r.reviewer_name,
                final_content=r.final_content,
                reason=r.reason,
                created_at=r.created_at,
                diff=r.diff,
                changed_fields=r.changed_fields or [],
                edit_ratio=r.edit_ratio,
            )
            for r in decisions
        ],
        created_at=draft.created_at,
        decided_at=draft.decided_at,
        failure_reason=draft.failure_reason,
    )
