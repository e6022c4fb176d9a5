"""A treatment given names the plan it was given under, so a course can tell its
induction from maintenance and boosters (issue 20).

Revision ID: 0018_treatment_plan
Revises: 0017_clinic_admin
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_treatment_plan"
down_revision: str | Sequence[str] | None = "0017_clinic_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("treatment_sessions") as batch:
        batch.add_column(
            sa.Column(
                "plan_id",
                sa.Integer(),
                sa.ForeignKey(
                    "treatment_plans.id", name="fk_treatment_sessions_plan_id_treatment_plans"
                ),
                nullable=True,
            )
        )
    op.create_index("ix_treatment_sessions_plan_id", "treatment_sessions", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_treatment_sessions_plan_id", "treatment_sessions")
    with op.batch_alter_table("treatment_sessions") as batch:
        batch.drop_column("plan_id")
