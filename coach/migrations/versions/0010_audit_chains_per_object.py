"""audit chains per object, witnesses and seals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:00:00.000000

Each event now extends the chain of its own object ("object_type:object_id"), under a lock
on that chain only, so writers of different objects no longer wait for each other. The
unique index on `prev_hash` becomes one on (chain, prev_hash), plus (chain, seq). Every
event written before this revision keeps its place: they form the legacy chain (chain "",
no seq), verified in id order as before. `audit_seals` anchors the chains' tips; it is
append-only like the events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGERS = {
    "audit_seals_no_update": "BEFORE UPDATE ON audit_seals",
    "audit_seals_no_delete": "BEFORE DELETE ON audit_seals",
}


def _create_append_only_guard() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} {when} "
                "BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END"
            )
    elif dialect == "postgresql":
        # The function of revision 0003 raises the same refusal for any table.
        op.execute(
            "CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def upgrade() -> None:
    # Adding columns and indexes alters no row: the append-only triggers stay in place, and on
    # SQLite the table is altered in place (never copied, which would drop its triggers).
    with op.batch_alter_table("audit_events", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "chain", sqlmodel.sql.sqltypes.AutoString(length=260), nullable=False,
                server_default="",
            )
        )  # fmt: skip
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("witness_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("witness_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.drop_index("ix_audit_events_prev_hash")
        batch_op.create_index(
            "ux_audit_events_chain_prev_hash", ["chain", "prev_hash"], unique=True
        )
        batch_op.create_index("ux_audit_events_chain_seq", ["chain", "seq"], unique=True)

    op.create_table(
        "audit_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("tips", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_seals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_seals_prev_hash"), ["prev_hash"], unique=True)
    _create_append_only_guard()


def downgrade() -> None:
    # Back to one chain: only possible while every event is a legacy one (no per-object
    # chain would verify as part of a single global chain).
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_events WHERE chain <> ''")).scalar():
        raise RuntimeError(
            "audit_events holds per-object chains written after revision 0010; "
            "they cannot be folded back into one chain without rewriting the log"
        )
    op.drop_table("audit_seals")  # drops its triggers with it
    with op.batch_alter_table("audit_events", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ux_audit_events_chain_seq")
        batch_op.drop_index("ux_audit_events_chain_prev_hash")
        batch_op.create_index("ix_audit_events_prev_hash", ["prev_hash"], unique=True)
        batch_op.drop_column("witness_hash")
        batch_op.drop_column("witness_id")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")
