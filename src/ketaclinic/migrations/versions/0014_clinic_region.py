"""The clinic's country and state: where its public-holiday closures come from.

Revision ID: 0014_clinic_region
Revises: 0013_search_index
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_clinic_region"
down_revision: str | Sequence[str] | None = "0013_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "clinics",
        sa.Column("country", sa.String(length=2), nullable=False, server_default="US"),
    )
    op.add_column("clinics", sa.Column("subdivision", sa.String(length=10), nullable=True))


def downgrade() -> None:
    # SQLite has had ALTER TABLE … DROP COLUMN since 3.35; no table copy needed.
    op.drop_column("clinics", "subdivision")
    op.drop_column("clinics", "country")
