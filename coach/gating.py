"""The one gate between AI output and an employee or an official record.

Anything that shows AI-made content to an employee, or turns it into an official record,
asks `approved_content` for it. The gate hands out only what a named person approved (the
final, possibly edited version, never the AI original of an edited draft) together with who
approved it and when; a pending or rejected draft raises `Forbidden`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.auth import Principal
from coach.errors import Forbidden
from coach.models import ApprovalRecord, Decision, Draft, DraftStatus, OfficialTarget
from coach.org import can_view

FEEDBACK = "feedback"
DEVELOPMENT = "development"
TARGET = "target"


class ApprovedContent(BaseModel):
    """Content a named person approved, as it may be shown or made official."""

    draft_id: str
    kind: str
    employee_id: str
    content: dict[str, Any] = Field(
        description="The final content: the AI draft as approved or as edited."
    )
    edited: bool = Field(description="Whether the approver changed the AI version.")
    approved_by: str
    approved_at: datetime


def approved_content(session: Session, principal: Principal, draft: Draft) -> ApprovedContent:
    """The approved final content of a draft, for a caller who may see its subject."""
    if not can_view(session, principal, draft.employee_id):
        raise Forbidden(f"draft {draft.id!r} is outside your scope")
    if draft.status != DraftStatus.approved:
        raise Forbidden(f"draft {draft.id!r} is {draft.status}: 未经审批的 AI 内容不可查看或生效")
    record = session.exec(
        select(ApprovalRecord)
        .where(
            ApprovalRecord.draft_id == draft.id,
            col(ApprovalRecord.decision).in_([Decision.approve, Decision.edit]),
        )
        .order_by(col(ApprovalRecord.id).desc())
    ).first()
    if record is None or record.final_content is None:
        raise Forbidden(f"draft {draft.id!r} has no approval record: 没有审批记录")
    return ApprovedContent(
        draft_id=draft.id,
        kind=draft.kind,
        employee_id=draft.employee_id,
        content=record.final_content,
        edited=record.decision == Decision.edit,
        approved_by=record.reviewer_name,
        approved_at=record.created_at,
    )


def _own_employee_id(principal: Principal) -> str:
    if not principal.employee_id:
        raise Forbidden("this account is not linked to an employee: 该账号未关联员工")
    return principal.employee_id


def approved_for(
    session: Session, principal: Principal, *, employee_id: str, kind: str
) -> list[ApprovedContent]:
    """Approved content of one kind about one employee, newest decision first."""
    drafts = session.exec(
        select(Draft)
        .where(
            Draft.employee_id == employee_id,
            Draft.kind == kind,
            Draft.status == DraftStatus.approved,
        )
        .order_by(col(Draft.decided_at).desc(), col(Draft.id))
    ).all()
    return [approved_content(session, principal, draft) for draft in drafts]


def my_approved(session: Session, principal: Principal, *, kind: str) -> list[ApprovedContent]:
    """The caller's own approved content of one kind."""
    return approved_for(session, principal, employee_id=_own_employee_id(principal), kind=kind)


class OfficialTargetPublic(BaseModel):
    metric: str
    period: str
    commit: float
    target: float
    stretch: float
    draft_id: str
    approved_by: str
    approved_at: datetime


class MyTargets(BaseModel):
    approved: list[ApprovedContent] = Field(description="Approved target drafts.")
    official: list[OfficialTargetPublic] = Field(description="Official target ranges.")


def my_targets(session: Session, principal: Principal) -> MyTargets:
    """The caller's approved target drafts and official target ranges."""
    employee_id = _own_employee_id(principal)
    official = []
    rows = session.exec(
        select(OfficialTarget)
        .where(OfficialTarget.employee_id == employee_id)
        .order_by(col(OfficialTarget.period).desc(), col(OfficialTarget.metric))
    ).all()
    for row in rows:
        draft = session.get(Draft, row.draft_id)
        if draft is None:
            raise Forbidden(f"official target {row.id} has no draft behind it")
        approval = approved_content(session, principal, draft)
        official.append(
            OfficialTargetPublic(
                metric=row.metric, period=row.period, commit=row.commit, target=row.target,
                stretch=row.stretch, draft_id=row.draft_id, approved_by=approval.approved_by,
                approved_at=approval.approved_at,
            )
        )  # fmt: skip
    return MyTargets(
        approved=approved_for(session, principal, employee_id=employee_id, kind=TARGET),
        official=official,
    )
