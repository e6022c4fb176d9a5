"""The front desk: weight and height as entered (value and unit) beside the stored kg
and cm, and the reason a patient was registered despite a likely duplicate.

Revision ID: 0016_front_desk
Revises: 0014_clinic_region
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_front_desk"
down_revision: str | Sequence[str] | None = "0015_display_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("duplicate_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weight_entered", sa.Numeric(precision=5, scale=1), nullable=True)
        )
        batch_op.add_column(sa.Column("weight_unit", sa.String(length=2), nullable=True))
        batch_op.add_column(
            sa.Column("height_entered", sa.Numeric(precision=4, scale=1), nullable=True)
        )
        batch_op.add_column(sa.Column("height_unit", sa.String(length=2), nullable=True))
        batch_op.create_check_constraint(
            "weight_unit", "weight_unit IS NULL OR weight_unit IN ('kg', 'lb')"
        )
        batch_op.create_check_constraint(
            "height_unit", "height_unit IS NULL OR height_unit IN ('cm', 'in')"
        )


def downgrade() -> None:
    with op.batch_alter_table("body_measurements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_body_measurements_height_unit"), type_="check")
        batch_op.drop_constraint(op.f("ck_body_measurements_weight_unit"), type_="check")
        batch_op.drop_column("height_unit")
        batch_op.drop_column("height_entered")
        batch_op.drop_column("weight_unit")
        batch_op.drop_column("weight_entered")
    op.drop_column("patients", "duplicate_reason")
