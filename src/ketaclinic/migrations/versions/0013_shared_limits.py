"""Rate-limit counters every server process shares (kit.ratelimit).

Revision ID: 0013_shared_limits
Revises: 0012
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_shared_limits"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope", "key_hash", "window_start", name=op.f("pk_rate_limit_counters")
        ),
    )
    op.create_index(
        "ix_rate_limit_counters_scope_window", "rate_limit_counters", ["scope", "window_start"]
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counters_scope_window", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
