"""llm_calls.draft_id: the draft a model call was made for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:10:00.000000

A call record names the draft its answer went into, so a draft's calls (attempts,
retries, fallbacks) can be read beside it. Nullable: calls made for no draft, and every
call logged before this revision, have none. No foreign key: a target's rephrase is logged
before its draft is stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("draft_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_llm_calls_draft_id"), ["draft_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_calls_draft_id"))
        batch_op.drop_column("draft_id")
