"""hr attributes: optional employee attributes and potential ratings, for HR insight

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:00:00.000000

Two tables of their own rather than columns of `employees`: fairness monitoring reads a
person's gender and age band, the nine-box their potential, and nothing a manager, an
employee or a prompt sees is built from these tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "employee_attributes",
        sa.Column("employee_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("age_band", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.employee_id"]),
        sa.PrimaryKeyConstraint("employee_id"),
    )
    op.create_table(
        "potential_ratings",
        sa.Column("employee_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("potential", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.employee_id"]),
        sa.PrimaryKeyConstraint("employee_id", "cycle"),
    )


def downgrade() -> None:
    op.drop_table("potential_ratings")
    op.drop_table("employee_attributes")
