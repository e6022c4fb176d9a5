"""The FHIR server's one index (issue 22): ``Observation?patient=...`` reads a
patient's vital signs, which were indexed only by session.

Revision ID: 0029_fhir
Revises: 0028_smart_clients
Create Date: 2026-12-07

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_fhir"
down_revision: str | Sequence[str] | None = "0028_smart_clients"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_vital_readings_patient_taken", "vital_readings", ["patient_id", "taken_at"])


def downgrade() -> None:
    op.drop_index("ix_vital_readings_patient_taken", table_name="vital_readings")
