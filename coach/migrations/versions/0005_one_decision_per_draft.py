"""one decision per draft

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:40:00.000000

The index on `approval_records.draft_id` becomes unique, so the database itself refuses a
second decision on a draft. Races before this revision could record two: the first one
recorded is kept, and a draft whose status a later decision overwrote gets back the status
(and time) of the decision that stands. The audit chain still holds an event for each.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEPT_DECISION_AT = "(SELECT r.created_at FROM approval_records r WHERE r.draft_id = drafts.id)"
_REALIGN = {
    "approved": "('approve', 'edit')",
    "rejected": "('reject')",
}


def upgrade() -> None:
    op.execute(
        "DELETE FROM approval_records WHERE id NOT IN "
        "(SELECT MIN(id) FROM approval_records GROUP BY draft_id)"
    )
    for status, decisions in _REALIGN.items():
        op.execute(
            f"UPDATE drafts SET status = '{status}', decided_at = {_KEPT_DECISION_AT} "
            f"WHERE status IN ('approved', 'rejected') AND status <> '{status}' AND id IN "
            f"(SELECT draft_id FROM approval_records WHERE decision IN {decisions})"
        )
    with op.batch_alter_table("approval_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_records_draft_id"))
        batch_op.create_index(batch_op.f("ix_approval_records_draft_id"), ["draft_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("approval_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_records_draft_id"))
        batch_op.create_index(
            batch_op.f("ix_approval_records_draft_id"), ["draft_id"], unique=False
        )
