"""batch_items.lease_owner and lease_expires_at: one worker at a time per batch item

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00.000000

A worker claims an item by writing its owner id and when its lease ends; it renews the
lease while it generates, and an item whose lease expired (its worker died) may be claimed
by another. Items left `running` by an older version have no lease, which counts as expired.
The index on (status, lease_expires_at) serves the claim's search for queued items and
expired leases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("lease_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_batch_items_claimable", ["status", "lease_expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_items_claimable")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_owner")
