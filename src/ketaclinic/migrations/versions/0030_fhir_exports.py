"""FHIR bulk exports (issue 22): who asked, what, and the state of the job that writes
the NDJSON files. No patient data in the table (the files hold it, under the data
directory), so no row-level security of its own: the service answers only the
caller who asked.

Revision ID: 0030_fhir_exports
Revises: 0029_fhir
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_fhir_exports"
down_revision: str | Sequence[str] | None = "0029_fhir"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_client_id", sa.Integer(), nullable=True),
        sa.Column("clinic_ids", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("types", sa.String(length=600), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_url", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("resources", sa.Integer(), nullable=False),
        sa.Column("transaction_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
            name=op.f("ck_fhir_exports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_fhir_exports_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_client_id"],
            ["smart_clients.id"],
            name=op.f("fk_fhir_exports_requested_by_client_id_smart_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_exports")),
    )
    op.create_index(op.f("ix_fhir_exports_requested_by_id"), "fhir_exports", ["requested_by_id"])
    op.create_index(
        op.f("ix_fhir_exports_requested_by_client_id"), "fhir_exports", ["requested_by_client_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fhir_exports_requested_by_client_id"), table_name="fhir_exports")
    op.drop_index(op.f("ix_fhir_exports_requested_by_id"), table_name="fhir_exports")
    op.drop_table("fhir_exports")
