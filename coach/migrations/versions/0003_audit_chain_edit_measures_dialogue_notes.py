"""audit chain, edit measures, dialogue notes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:37:04.528806

The audit log becomes append-only at the database level (triggers refuse UPDATE and
DELETE) and fork-proof (a unique index on `prev_hash`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGERS = {
    "audit_events_no_update": "BEFORE UPDATE ON audit_events",
    "audit_events_no_delete": "BEFORE DELETE ON audit_events",
}


def _create_append_only_guard() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} {when} "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def _drop_append_only_guard() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")


def upgrade() -> None:
    op.create_table(
        "dialogue_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.checkin_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dialogue_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dialogue_notes_checkin_id"), ["checkin_id"], unique=False
        )

    with op.batch_alter_table("approval_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("diff", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("changed_fields", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("edit_ratio", sa.Float(), nullable=False, server_default="0"))

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_prev_hash"), ["prev_hash"], unique=True)
    _create_append_only_guard()


def downgrade() -> None:
    _drop_append_only_guard()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_prev_hash"))
        batch_op.drop_index(batch_op.f("ix_audit_events_object_id"))

    with op.batch_alter_table("approval_records", schema=None) as batch_op:
        batch_op.drop_column("edit_ratio")
        batch_op.drop_column("changed_fields")
        batch_op.drop_column("diff")

    with op.batch_alter_table("dialogue_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialogue_notes_checkin_id"))

    op.drop_table("dialogue_notes")
