"""The employee's answer to approved AI content about them: a comment or an objection.

Only the person the content is about may answer, and only content a named person approved
(what they were actually shown). Each answer is recorded in the audit chain of its draft and
shown to the managers above the person and to HR beside the draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from coach.core.audit import record_event
from coach.core.errors import Forbidden, InvalidInput
from coach.core.models import Draft, DraftResponse, Employee, ResponseKind, User
from coach.drafts.gate import approved_content
from coach.drafts.store import load_draft
from coach.org.users import Principal

MAX_RESPONSE_CHARS = 2000


class DraftResponseCreate(BaseModel):
    kind: ResponseKind = Field(description="comment: a remark; objection: you disagree with it.")
    text: str = Field(description=f"What you want to say, 1 to {MAX_RESPONSE_CHARS} characters.")


class DraftResponsePublic(BaseModel):
    id: int
    draft_id: str
    kind: ResponseKind
    text: str
    author: str = Field(description="The name of the person who wrote it.")
    created_at: datetime


class DraftResponsesPublic(BaseModel):
    data: list[DraftResponsePublic]
    count: int


def _checked_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("text", "请写下你的意见(不能为空) / must not be empty")
    if len(cleaned) > MAX_RESPONSE_CHARS:
        raise InvalidInput(
            "text",
            f"最多 {MAX_RESPONSE_CHARS} 字,现在 {len(cleaned)} 字"
            f" / at most {MAX_RESPONSE_CHARS} characters, got {len(cleaned)}",
        )
    return cleaned


def _own_approved(session: Session, principal: Principal, draft_id: str) -> Draft:
    draft = load_draft(session, draft_id)
    if not principal.employee_id or principal.employee_id != draft.employee_id:
        raise Forbidden("只有内容所涉及的员工本人可以回应 / only its subject may answer a draft")
    approved_content(session, principal, draft)  # refuses anything not approved
    return draft


def my_responses(
    session: Session, principal: Principal, draft_id: str
) -> list[DraftResponsePublic]:
    """The caller's responses to approved content about themselves."""
    return responses_to(session, [_own_approved(session, principal, draft_id).id])[draft_id]


def respond(
    session: Session, principal: Principal, *, draft_id: str, answer: DraftResponseCreate
) -> DraftResponsePublic:
    """Record the caller's comment on or objection to approved content about themselves."""
    draft = _own_approved(session, principal, draft_id)
    text = _checked_text(answer.text)
    row = DraftResponse(
        draft_id=draft.id, employee_id=draft.employee_id, author_id=principal.user_id,
        kind=answer.kind, text=text,
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_event(
        session, actor=principal.label, action=f"draft.{answer.kind.value}", object_type="draft",
        object_id=draft.id, after={"kind": answer.kind.value, "text": text},
        detail={"response_id": row.id, "kind": answer.kind.value},
    )  # fmt: skip
    return responses_to(session, [draft.id])[draft.id][-1]


def responses_to(
    session: Session, draft_ids: Iterable[str]
) -> dict[str, list[DraftResponsePublic]]:
    """Each draft's responses, oldest first, with their authors by name."""
    wanted = list(set(draft_ids))
    found: dict[str, list[DraftResponsePublic]] = {d: [] for d in wanted}
    if not wanted:
        return found
    rows = session.exec(
        select(DraftResponse, Employee.name)
        .join(User, col(User.id) == col(DraftResponse.author_id))
        .join(Employee, col(Employee.employee_id) == col(User.employee_id))
        .where(col(DraftResponse.draft_id).in_(wanted))
        .order_by(col(DraftResponse.id))
    ).all()
    for row, author in rows:
        found[row.draft_id].append(
            DraftResponsePublic(
                id=row.id or 0, draft_id=row.draft_id, kind=row.kind, text=row.text,
                author=author, created_at=row.created_at,
            )
        )  # fmt: skip
    return found
