"""The deployment's clock shift (the demo's clock): one row at most.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_seconds", sa.BigInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_clock_shift_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_shift")),
    )


def downgrade() -> None:
    op.drop_table("clock_shift")
