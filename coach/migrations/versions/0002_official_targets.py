"""official targets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:33:59.928782
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "official_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("commit", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("stretch", sa.Float(), nullable=False),
        sa.Column("suggested", sa.JSON(), nullable=True),
        sa.Column("difference", sa.JSON(), nullable=True),
        sa.Column("draft_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
        ),
        sa.ForeignKeyConstraint(
            ["metric"],
            ["metrics.metric"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employee_id", "metric", "period"),
    )
    with op.batch_alter_table("official_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_official_targets_employee_id"), ["employee_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("official_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_official_targets_employee_id"))

    op.drop_table("official_targets")
