"""Documents a clinic shares with a patient to read (issue 21): the copy as shared
(version, title, text and its SHA-256) and when the patient opened it; row-level
security through the patient, written the 0013 way. And the patient's own time zone
(``patients.timezone``), for the quiet hours of their messages.

Revision ID: 0025_patient_documents
Revises: 0024_clinic_message_name
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_patient_documents"
down_revision: str | Sequence[str] | None = "0024_clinic_message_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "shared_documents"
VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND "
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR p.clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])))"
)


def upgrade() -> None:
    op.add_column("patients", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=60), nullable=False),
        sa.Column("document_version", sa.String(length=20), nullable=False),
        sa.Column("document_title", sa.String(length=200), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("shared_reason", sa.String(length=40), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_shared_documents_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_shared_documents_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_id"], ["users.id"], name=op.f("fk_shared_documents_shared_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_documents")),
    )
    op.create_index("ix_shared_documents_patient_document", TABLE, ["patient_id", "document_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {TABLE}_by_clinic ON {TABLE} USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
        )


def downgrade() -> None:
    op.drop_index("ix_shared_documents_patient_document", table_name=TABLE)
    op.drop_table(TABLE)
    op.drop_column("patients", "timezone")
