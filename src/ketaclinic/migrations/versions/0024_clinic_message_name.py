"""How messages to patients name the clinic (``clinics.message_name``): a clinic whose
name says ketamine or infusion gives its messages a name that does not, so a reminder
on a lock screen reveals nothing (issue 21).

Revision ID: 0024_clinic_message_name
Revises: 0023_consents
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_clinic_message_name"
down_revision: str | Sequence[str] | None = "0023_consents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clinics", sa.Column("message_name", sa.String(length=120), nullable=True))


def downgrade() -> None:
    op.drop_column("clinics", "message_name")
