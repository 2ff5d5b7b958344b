"""metric values carry an update stamp

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-01 20:00:00.000000

A target fit is cached per metric and keyed by the version of that metric's data: the
count, the highest id and the newest `updated_at` of its values, read from one index.
Existing rows keep no stamp; the count and highest id already tell them apart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_metric_values_metric_updated_at", ["metric", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_values_metric_updated_at")
        batch_op.drop_column("updated_at")
