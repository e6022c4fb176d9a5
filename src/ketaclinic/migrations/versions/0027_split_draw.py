"""A dose drawn from two containers (issue 19): the session names its second ledger
draw beside the first (``chairside_sessions.second_draw_entry_id``), so the end of the
administration accounts for both.

Revision ID: 0027_split_draw
Revises: 0026_booster_jobs
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_split_draw"
down_revision: str | Sequence[str] | None = "0026_booster_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chairside_sessions") as batch:
        batch.add_column(
            sa.Column(
                "second_draw_entry_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                sa.ForeignKey(
                    "cs_entries.id", name="fk_chairside_sessions_second_draw_entry_id_cs_entries"
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("chairside_sessions") as batch:
        batch.drop_column("second_draw_entry_id")
