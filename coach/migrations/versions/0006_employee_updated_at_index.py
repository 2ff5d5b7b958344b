"""index employees.updated_at

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:30:00.000000

Pseudonymisation keeps one name index per version of the employee table and checks the
version on every coaching request; with this index the check reads the newest
`updated_at` without scanning the whole organisation.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employees_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employees_updated_at"))
