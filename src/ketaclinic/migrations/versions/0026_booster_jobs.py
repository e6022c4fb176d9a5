"""Booster rules evaluated by a job when a score arrives (issue 20): how far each
patient's rules have been evaluated (the newest response and treatment seen), so the
periodic sweep finds what a lost enqueue missed. Row-level security through the
patient; updated in place (bookkeeping, not a record).

Revision ID: 0026_booster_jobs
Revises: 0025_patient_documents
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards

revision: str = "0026_booster_jobs"
down_revision: str | Sequence[str] | None = "0025_patient_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("booster_evaluations",)
# Written the 0013 way: the visible clinics read once per query (an initplan), not
# once per row.
VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND "
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR p.clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])))"
)


def upgrade() -> None:
    op.create_table(
        "booster_evaluations",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_booster_evaluations_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_booster_evaluations")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_by_clinic ON {table} "
                f"USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
            )


def downgrade() -> None:
    drop_guards(TABLES)
    op.drop_table("booster_evaluations")
