"""session_key: the web session signing key, kept in the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000

When COACH_SECRET_KEY is unset the key that signs web session cookies lives here rather
than in a file under COACH_HOME, so every worker and machine on one database uses the
same key. One row at most (id = 1); the first process to start inserts it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_session_key_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("session_key")
