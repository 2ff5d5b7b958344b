"""natural keys of review scores and progress updates

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:20:00.000000

A review score is one reviewer's score, so its key becomes cycle + employee + dimension +
reviewer (several people may score the same dimension); a key result has at most one
progress reading per day. Imports and the API upsert on these keys, and the database refuses
a second row for one. Two readings of one key result on one day, which nothing prevented
before, are reduced to the one recorded last. Downgrading keeps the first score of each
employee + cycle + dimension, since the old key allows only one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_REVIEW_KEY = ["employee_id", "cycle", "dimension"]
_NEW_REVIEW_KEY = ["cycle", "employee_id", "dimension", "reviewer_id"]
# Names the unnamed constraint of 0001 when SQLite's batch mode reflects the table.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _unique_name(table: str, columns: list[str]) -> str:
    """The stored name of a unique constraint, or the batch naming convention's for an unnamed one."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if sorted(constraint["column_names"]) == sorted(columns) and constraint["name"]:
            return str(constraint["name"])
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    op.execute(
        "DELETE FROM progress_updates WHERE id NOT IN "
        "(SELECT MAX(id) FROM progress_updates GROUP BY kr_id, date)"
    )
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_progress_updates_kr_id_date", ["kr_id", "date"])
    old = _unique_name("review_scores", _OLD_REVIEW_KEY)
    with op.batch_alter_table("review_scores", schema=None, naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint(old, type_="unique")
        batch_op.create_unique_constraint("uq_review_scores_natural_key", _NEW_REVIEW_KEY)


def downgrade() -> None:
    op.execute(
        "DELETE FROM review_scores WHERE id NOT IN "
        "(SELECT MIN(id) FROM review_scores GROUP BY employee_id, cycle, dimension)"
    )
    with op.batch_alter_table("review_scores", schema=None) as batch_op:
        batch_op.drop_constraint("uq_review_scores_natural_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_review_scores_employee_id_cycle_dimension", _OLD_REVIEW_KEY
        )
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_constraint("uq_progress_updates_kr_id_date", type_="unique")
