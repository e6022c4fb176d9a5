"""Clinic administration: a clinic's own clinical thresholds, and the one-time links
where invited or reset staff set their password.

Revision ID: 0017_clinic_admin
Revises: 0014_clinic_region
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_clinic_admin"
down_revision: str | Sequence[str] | None = "0016_front_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "clinic_id",
            sa.Integer(),
            sa.ForeignKey("clinics.id", name="fk_clinic_settings_clinic_id_clinics"),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("clinic_id", "key", name="uq_clinic_settings_clinic_id_key"),
    )
    op.create_index("ix_clinic_settings_clinic_id", "clinic_settings", ["clinic_id"])
    op.create_table(
        "staff_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_staff_links_user_id_users"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_staff_links_token_hash"),
    )
    op.create_index("ix_staff_links_user_id", "staff_links", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_links_user_id", table_name="staff_links")
    op.drop_table("staff_links")
    op.drop_index("ix_clinic_settings_clinic_id", table_name="clinic_settings")
    op.drop_table("clinic_settings")
