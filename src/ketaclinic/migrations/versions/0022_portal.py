"""The patient portal (issue 21): patient accounts, their sessions and one-time links
(no row-level security, like staff accounts: the cookie is looked up before the clinic
is known, and these rows hold no health information), the front desk's requests from
patients and escort confirmations (row-level security through the patient;
confirmations append-only by trigger on both databases).

Revision ID: 0022_portal
Revises: 0021_notifications
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import (
    drop_guards,
    install_append_only,
    install_patient_row_security,
)

revision: str = "0022_portal"
down_revision: str | Sequence[str] | None = "0021_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("escort_confirmations",)
BY_PATIENT = ("portal_requests", "escort_confirmations")


def upgrade() -> None:
    op.create_table(
        "patient_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patient_accounts_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_patient_accounts_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_accounts_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_patient_accounts_email")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_patient_accounts_patient_id")),
    )
    with op.batch_alter_table("patient_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_accounts_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["patient_accounts.id"],
            name=op.f("fk_portal_links_account_id_patient_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_portal_links_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_links_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mfa_passed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["patient_accounts.id"],
            name=op.f("fk_portal_sessions_account_id_patient_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_sessions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "escort_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["patient_accounts.id"],
            name=op.f("fk_escort_confirmations_account_id_patient_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_escort_confirmations_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_escort_confirmations_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escort_confirmations")),
    )
    with op.batch_alter_table("escort_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escort_confirmations_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escort_confirmations_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "portal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_portal_requests_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_portal_requests_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_portal_requests_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_requests_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_requests")),
    )
    with op.batch_alter_table("portal_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_requests_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_requests_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_requests_patient_id"), ["patient_id"], unique=False
        )
    install_append_only(APPEND_ONLY)
    install_patient_row_security(BY_PATIENT)


def downgrade() -> None:
    drop_guards(BY_PATIENT)
    with op.batch_alter_table("portal_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_requests_patient_id"))
        batch_op.drop_index(batch_op.f("ix_portal_requests_clinic_id"))
        batch_op.drop_index(batch_op.f("ix_portal_requests_appointment_id"))

    op.drop_table("portal_requests")
    with op.batch_alter_table("escort_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escort_confirmations_patient_id"))
        batch_op.drop_index(batch_op.f("ix_escort_confirmations_appointment_id"))

    op.drop_table("escort_confirmations")
    with op.batch_alter_table("portal_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sessions_account_id"))

    op.drop_table("portal_sessions")
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_links_account_id"))

    op.drop_table("portal_links")
    with op.batch_alter_table("patient_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_accounts_clinic_id"))

    op.drop_table("patient_accounts")
