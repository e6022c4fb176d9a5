"""Patient registry: patients, body measurements, diagnoses, medications, allergies, contacts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=16), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("search_name", sa.String(length=210), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex_at_birth", sa.String(length=16), nullable=False),
        sa.Column("gender_identity", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address_line", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_patients_status")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patients_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_patients_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patients_mrn")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_clinic_birth_date", ["clinic_id", "birth_date"], unique=False
        )
        batch_op.create_index(
            "ix_patients_clinic_family_given",
            ["clinic_id", "family_name", "given_name"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_patients_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patients_search_name"), ["search_name"], unique=False)

    op.create_table(
        "allergies",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=200), nullable=False),
        sa.Column("reaction", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_allergies_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allergies")),
    )
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allergies_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "body_measurements",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("height_cm", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "height_cm IS NULL OR (height_cm >= 40 AND height_cm <= 250)",
            name=op.f("ck_body_measurements_height_cm"),
        ),
        sa.CheckConstraint(
            "weight_kg IS NOT NULL OR height_cm IS NOT NULL",
            name=op.f("ck_body_measurements_something"),
        ),
        sa.CheckConstraint(
            "weight_kg IS NULL OR (weight_kg >= 2 AND weight_kg <= 400)",
            name=op.f("ck_body_measurements_weight_kg"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_body_measurements_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_body_measurements_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_measurements")),
    )
    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_body_measurements_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "diagnoses",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_diagnoses_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
    )
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnoses_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "medications",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dose", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_medications_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medications")),
    )
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medications_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "patient_contacts",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("is_escort", sa.Boolean(), nullable=False),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_contacts_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_contacts")),
    )
    with op.batch_alter_table("patient_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_contacts_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("patient_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_contacts_patient_id"))

    op.drop_table("patient_contacts")
    with op.batch_alter_table("medications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medications_patient_id"))

    op.drop_table("medications")
    with op.batch_alter_table("diagnoses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnoses_patient_id"))

    op.drop_table("diagnoses")
    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_body_measurements_patient_id"))

    op.drop_table("body_measurements")
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allergies_patient_id"))

    op.drop_table("allergies")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_search_name"))
        batch_op.drop_index(batch_op.f("ix_patients_clinic_id"))
        batch_op.drop_index("ix_patients_clinic_family_given")
        batch_op.drop_index("ix_patients_clinic_birth_date")

    op.drop_table("patients")
