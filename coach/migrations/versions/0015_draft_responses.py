"""draft_responses: an employee's comments on and objections to approved AI content

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:00:00.000000

One row per comment or objection, kept beside the draft it answers; nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("employee_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "comment",
                "objection",
                name="responsekind",
                native_enum=False,
                create_constraint=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draft_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_responses_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_draft_responses_employee_id"), ["employee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("draft_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_responses_employee_id"))
        batch_op.drop_index(batch_op.f("ix_draft_responses_draft_id"))
    op.drop_table("draft_responses")
