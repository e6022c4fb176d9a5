"""The clinic outcome report numbers each patient's treatments in time order (a window
over patient and time): an index on (patient_id, given_at) serves it without a sort
(issue 20).

Revision ID: 0020_report_indexes
Revises: 0019_boosters
Create Date: 2026-12-06

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_report_indexes"
down_revision: str | Sequence[str] | None = "0019_boosters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_treatment_sessions_patient_given", "treatment_sessions", ["patient_id", "given_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_treatment_sessions_patient_given", "treatment_sessions")
