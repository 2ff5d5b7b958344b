"""The human decision on a draft: approve as is, approve edited, or reject, exactly once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from coach.core.audit import record_event
from coach.core.errors import Conflict, Forbidden, InvalidInput
from coach.core.models import ApprovalRecord, Decision, Draft, DraftStatus, utcnow
from coach.drafts.edits import measure_edit
from coach.drafts.gate import approved_content
from coach.drafts.registry import DraftKind, draft_kind
from coach.drafts.store import load_draft
from coach.org.access import manages
from coach.org.users import Principal


class ContentProblem(BaseModel):
    """One field of edited content that its kind's schema refuses."""

    path: str = Field(description="Where in the content: `strengths.0.text`; empty for the whole.")
    type: str = Field(description="Pydantic's error type: missing, string_too_short, ...")
    message: str
    limit: int | None = Field(default=None, description="The length bound broken, if any.")


class ContentInvalid(InvalidInput):
    """Edited content its kind's schema refuses; every refused field is listed."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        first = problems[0]
        super().__init__(f"content.{first.path}" if first.path else "content", first.message)
        self.problems = problems


def _problem(error: Any) -> ContentProblem:
    context = error.get("ctx") or {}
    limit = context.get("min_length", context.get("max_length"))
    return ContentProblem(
        path=".".join(str(part) for part in error["loc"]), type=error["type"],
        message=error["msg"], limit=limit if isinstance(limit, int) else None,
    )  # fmt: skip


def _validated_content(kind: DraftKind, content: dict[str, Any]) -> dict[str, Any]:
    if kind.schema is None:
        return content
    try:
        return kind.schema.model_validate(content).model_dump(mode="json")
    except ValidationError as exc:
        raise ContentInvalid([_problem(e) for e in exc.errors()]) from exc


def _already_decided(draft: Draft) -> Conflict:
    return Conflict(
        f"draft {draft.id!r} is already {draft.status}; only a pending draft can be decided"
    )


def _leave_pending(session: Session, draft: Draft, status: DraftStatus) -> None:
    """Move a pending draft to `status`, or raise Conflict if another decision came first."""
    # Conditional on the status still being pending: of two simultaneous decisions, the
    # database lets exactly one through, whatever each of them read before.
    moved = session.execute(
        update(Draft)
        .where(col(Draft.id) == draft.id, col(Draft.status) == DraftStatus.pending)
        .values(status=status, decided_at=utcnow())
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(draft)
        raise _already_decided(draft)


def decide(
    session: Session,
    principal: Principal,
    draft_id: str,
    *,
    approve: bool,
    content: dict[str, Any] | None = None,
    reason: str = "",
) -> Draft:
    """Approve (as is or edited) or reject a draft; only a manager above the subject may."""
    draft = load_draft(session, draft_id)
    if not manages(session, principal, draft.employee_id):
        raise Forbidden("only a manager above the draft's subject may decide on it")
    if draft.status != DraftStatus.pending:
        raise _already_decided(draft)
    kind = draft_kind(draft.kind)
    if approve:
        final = draft.output if content is None else _validated_content(kind, content)
        decision = Decision.approve if final == draft.output else Decision.edit
        if decision == Decision.edit and kind.on_edited is not None:
            final = _validated_content(kind, kind.on_edited(draft, final))
    else:
        if not reason.strip():
            raise InvalidInput("reason", "a rejection needs a reason")
        final = None
        decision = Decision.reject
    _leave_pending(session, draft, DraftStatus.approved if approve else DraftStatus.rejected)
    edit = measure_edit(draft.output, final)
    record = ApprovalRecord(
        draft_id=draft.id,
        reviewer_id=principal.user_id,
        reviewer_name=principal.name,
        decision=decision,
        final_content=final,
        reason=reason.strip(),
        diff=edit.diff,
        changed_fields=edit.changed_fields,
        edit_ratio=edit.edit_ratio,
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError as exc:
        # The database's rule of one decision per draft, should the status check be bypassed.
        raise Conflict(f"draft {draft_id!r} already has a decision recorded") from exc
    if approve and kind.on_approved is not None:
        # What becomes official comes out of the one gate, not straight from the draft.
        approved = approved_content(session, principal, draft)
        kind.on_approved(session, draft, approved.content, principal)
    record_event(
        session,
        actor=principal.label,
        action=f"draft.{decision.value}",
        object_type="draft",
        object_id=draft.id,
        before=draft.output,
        after=final,
        # Hashes and figures only: the reason is free text and lives on the approval record,
        # where erasing a person can reach it without rewriting the chain.
        detail={
            "kind": draft.kind,
            "employee_id": draft.employee_id,
            "edit_ratio": edit.edit_ratio,
            "changed_fields": edit.changed_fields,
        },
    )
    return draft
