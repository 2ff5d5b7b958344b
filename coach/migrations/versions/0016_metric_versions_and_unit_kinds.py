"""metric values carry an update stamp; metrics a unit kind

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:00:00.000000

A target fit is cached per metric and keyed by the version of that metric's data: the
count, the highest id and the newest `updated_at` of its values, read from one index.
Existing rows keep no stamp; the highest id already tells them apart.

`metrics.unit_kind` says whether a metric counts whole things, is an amount, a ratio or a
percentage; existing metrics get the kind their unit string named (the lists below are the
ones the engine guessed from until now).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_KINDS = {
    "count": ("家", "件", "个", "单", "人", "次", "台", "笔", "张", "位", "名", "套", "份", "条",
              "count", "pcs", "items", "deals", "clients", "tickets"),
    "percent": ("%", "％", "percent", "pct", "百分比", "百分点"),
    "ratio": ("ratio", "rate", "share", "fraction", "比例", "比率", "占比"),
}  # fmt: skip


def upgrade() -> None:
    # Plain ALTERs, not batch mode: SQLite's batch mode rebuilds the table, and metric_values'
    # foreign key refuses the drop of `metrics` it needs. The server default stays for rows
    # other writers insert without a kind.
    op.add_column(
        "metrics",
        sa.Column("unit_kind", sa.String(length=12), nullable=False, server_default="unspecified"),
    )
    metrics = sa.table("metrics", sa.column("unit", sa.String), sa.column("unit_kind", sa.String))
    for kind, units in _KINDS.items():
        op.execute(
            metrics.update()
            .where(sa.func.lower(sa.func.trim(metrics.c.unit)).in_(units))
            .values(unit_kind=kind)
        )
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
    op.drop_column("metrics", "unit_kind")
