"""The one gate between AI output and an employee or an official record.

Anything that shows AI-made content to an employee, or turns it into an official record,
asks `approved_content` for it. The gate hands out only what a named person approved (the
final, possibly edited version, never the AI original of an edited draft) together with who
approved it and when; a pending or rejected draft raises `Forbidden`. What the employee is
shown of it (`my_approved`, `my_targets`) is its `employee_view`: never the manager's notes.

Before a decision, AI content is for the people who decide on it: HR and the managers above
the draft's subject (`sees_pending`). Anyone else may still ask for a draft (an employee for
their own development plan or targets, an admin, a manager about themselves): the request
reaches the manager's inbox and the caller gets a `DraftReceipt` (`shown_to`), never the
content. Such requests are bounded (`check_open_requests`): a caller may have at most
COACH_MAX_OPEN_REQUESTS drafts of one kind about one person waiting for a decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from coach.core.errors import Forbidden, TooManyRequests
from coach.core.models import (
    ApprovalRecord,
    Decision,
    Draft,
    DraftStatus,
    OfficialTarget,
    Role,
    User,
)
from coach.drafts.content import DraftContent, employee_view
from coach.drafts.registry import draft_kind
from coach.org.access import can_view, manages
from coach.org.users import Principal, people_behind

FEEDBACK = "feedback"
DEVELOPMENT = "development"
TARGET = "target"


OPEN = (DraftStatus.generating, DraftStatus.pending)
APPROVING = (Decision.approve, Decision.edit)
Shown = TypeVar("Shown", bound=BaseModel)

_RECEIPT_MESSAGES = {
    DraftStatus.generating: "已提交,正在生成;经理批准前不显示 AI 内容。"
    " Requested: the draft is being generated and is shown only once the manager approves it.",
    DraftStatus.pending: "已提交给经理审批;经理批准前不显示 AI 内容。"
    " Sent to the manager: the AI content is shown only once the manager approves it.",
    DraftStatus.approved: "经理已批准;员工可在「我的」页面(/v1/me)查看批准后的内容。"
    " Approved by the manager: the employee sees the approved content under /v1/me.",
    DraftStatus.rejected: "经理已驳回。 The manager rejected this draft.",
    DraftStatus.failed: "生成失败,可以重新提交。 Generation failed: you may ask again.",
}


class DraftReceipt(BaseModel):
    """What a requester who may not read pending AI content gets: the request, not the content."""

    draft_id: str
    kind: str
    status: DraftStatus
    employee_id: str
    message: str = Field(description="What happens next, in Chinese and English.")


def sees_pending(session: Session, principal: Principal, employee_id: str) -> bool:
    """Whether the caller may read AI content before a decision: HR, or a manager above."""
    return principal.role == Role.hr or manages(session, principal, employee_id)


def receipt(*, draft_id: str, kind: str, status: DraftStatus, employee_id: str) -> DraftReceipt:
    """The receipt for a requested draft, saying what happens next."""
    return DraftReceipt(
        draft_id=draft_id, kind=kind, status=status, employee_id=employee_id,
        message=_RECEIPT_MESSAGES[status],
    )  # fmt: skip


def shown_to(
    session: Session,
    principal: Principal,
    full: Shown,
    *,
    draft_id: str,
    kind: str,
    status: DraftStatus,
    employee_id: str,
) -> Shown | DraftReceipt:
    """`full` for a caller who decides on the draft (or HR), else only its receipt."""
    if sees_pending(session, principal, employee_id):
        return full
    return receipt(draft_id=draft_id, kind=kind, status=status, employee_id=employee_id)


def check_open_requests(
    session: Session, requester: Principal, *, kind: str, employee_id: str, limit: int
) -> None:
    """Refuse a new draft from a caller who cannot read it when `limit` already wait."""
    if sees_pending(session, requester, employee_id):
        return  # a decider's drafts land in their own inbox; batches are theirs too
    # Locking the requester's row makes concurrent requests (any worker) count one by one.
    session.get(User, requester.user_id, with_for_update=True)
    waiting = session.exec(
        select(func.count()).select_from(Draft).where(
            Draft.requester_id == requester.user_id, Draft.employee_id == employee_id,
            Draft.kind == kind, col(Draft.status).in_(OPEN),
        )
    ).one()  # fmt: skip
    if waiting >= limit:
        raise TooManyRequests(
            f"已有 {waiting} 份关于 {employee_id} 的 {kind} 请求在等待经理决定,经理决定后才能再次请求"
            f" ({waiting} {kind} requests about {employee_id} are waiting for the manager's"
            f" decision; ask again once the manager has decided; COACH_MAX_OPEN_REQUESTS={limit})"
        )


class AiLabel(BaseModel):
    """The machine-readable label of approved AI content: that AI drafted it, who approved it.

    China's labelling rules for AI-generated content (in force since 2025-09-01) ask for a
    visible and a machine-readable label wherever such content reaches people; pages show
    this one as text, the API and the data export carry it as it is.
    """

    ai_generated: bool = True
    approved_by: str = Field(description="The approver's name (the person, not the account).")
    approved_at: datetime
    edited: bool = Field(description="Whether the approver changed the AI version.")
    provider: str = Field(description="Which engine drafted it, e.g. offline or openai.")
    model: str


def ai_label(session: Session, draft: Draft, record: ApprovalRecord) -> AiLabel:
    """The label of a draft approved by `record`: the one place it is composed."""
    account = record.reviewer_name
    return AiLabel(
        approved_by=people_behind(session, [account]).get(account, account),
        approved_at=record.created_at,
        edited=record.decision == Decision.edit,
        provider=draft.provider,
        model=draft.model,
    )


def approval_record(session: Session, draft: Draft) -> ApprovalRecord | None:
    """The record that approved a draft (as is or edited), if any."""
    return session.exec(
        select(ApprovalRecord)
        .where(
            ApprovalRecord.draft_id == draft.id,
            col(ApprovalRecord.decision).in_(APPROVING),
        )
        .order_by(col(ApprovalRecord.id).desc())
    ).first()


class ApprovedContent(BaseModel):
    """Content a named person approved, as it may be shown or made official."""

    draft_id: str
    kind: str
    employee_id: str
    content: DraftContent = Field(
        description="The final content: the AI draft as approved or as edited."
    )
    edited: bool = Field(description="Whether the approver changed the AI version.")
    approved_by: str
    approved_at: datetime
    ai_label: AiLabel


class ApprovedContentsPublic(BaseModel):
    data: list[ApprovedContent]
    count: int


def approved_content(session: Session, principal: Principal, draft: Draft) -> ApprovedContent:
    """The approved final content of a draft, for a caller who may see its subject."""
    if not can_view(session, principal, draft.employee_id):
        raise Forbidden(f"draft {draft.id!r} is outside your scope")
    if draft.status != DraftStatus.approved:
        raise Forbidden(f"draft {draft.id!r} is {draft.status}: 未经审批的 AI 内容不可查看或生效")
    record = approval_record(session, draft)
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
        ai_label=ai_label(session, draft, record),
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


def as_employee_sees(approved: ApprovedContent) -> ApprovedContent:
    """Approved content without the fields meant for the manager alone."""
    content = employee_view(draft_kind(approved.kind).schema, approved.content)
    return approved.model_copy(update={"content": content})


def my_approved(session: Session, principal: Principal, *, kind: str) -> list[ApprovedContent]:
    """The caller's own approved content of one kind, as the employee sees it."""
    own = approved_for(session, principal, employee_id=_own_employee_id(principal), kind=kind)
    return [as_employee_sees(item) for item in own]


class OfficialTargetPublic(BaseModel):
    metric: str
    period: str
    commit: float
    target: float
    stretch: float
    draft_id: str
    approved_by: str
    approved_at: datetime
    ai_label: AiLabel


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
                approved_at=approval.approved_at, ai_label=approval.ai_label,
            )
        )  # fmt: skip
    return MyTargets(
        approved=[
            as_employee_sees(item)
            for item in approved_for(session, principal, employee_id=employee_id, kind=TARGET)
        ],
        official=official,
    )
