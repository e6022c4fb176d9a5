"""Consent signatures and the documents a clinic shares to sign (issue 21):
append-only (triggers refuse UPDATE/DELETE on both databases), row-level security
through the patient, written the 0013 way (the visible clinics read once per query).

Revision ID: 0023_consents
Revises: 0022_portal
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards, install_append_only

revision: str = "0023_consents"
down_revision: str | Sequence[str] | None = "0022_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("consent_signatures", "consent_requests")
VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND "
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR p.clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])))"
)


def upgrade() -> None:
    op.create_table(
        "consent_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.String(length=60), nullable=False),
        sa.Column("document_version", sa.String(length=20), nullable=False),
        sa.Column("document_title", sa.String(length=200), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("typed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_consent_signatures_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consent_signatures_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_signatures")),
    )
    op.create_index(
        "ix_consent_signatures_patient_document",
        "consent_signatures",
        ["patient_id", "document_id"],
    )
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=60), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_consent_requests_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consent_requests_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_consent_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
    )
    op.create_index(op.f("ix_consent_requests_patient_id"), "consent_requests", ["patient_id"])
    install_append_only(TABLES)
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
    op.drop_index(op.f("ix_consent_requests_patient_id"), table_name="consent_requests")
    op.drop_table("consent_requests")
    op.drop_index("ix_consent_signatures_patient_document", table_name="consent_signatures")
    op.drop_table("consent_signatures")
