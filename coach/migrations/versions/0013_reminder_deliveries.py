"""reminder_deliveries and the accounts' e-mail and own webhook

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00.000000

One row per digest, account, channel and day: the unique key is how several processes
sending the same morning's reminders agree that one of them sends. A failed delivery keeps
its text, attempts and last error until it is retried.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )
        batch_op.add_column(
            sa.Column("webhook_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "day", "user_id", "channel", name="uq_reminder_deliveries_day_user_channel"
        ),
    )
    with op.batch_alter_table("reminder_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_deliveries_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_deliveries_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_deliveries_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("reminder_deliveries")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("email")
