"""The insured's plan on the patient's coverage (issue 23 point 5): the plan type
(CMS-1500 item 1), group number and plan name (11, 11c), the patient's relationship
to the insured (6) and, when the patient is not the insured, the insured's name,
birth date and sex (4, 11a). Rows stay append-only; old rows read as the patient
being the insured, with the plan type taken from the payer's name.

Revision ID: 0033_coverage_details
Revises: 0032_billing_accounts
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_coverage_details"
down_revision: str | Sequence[str] | None = "0032_billing_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("plan_type", sa.String(10), None),
    ("group_number", sa.String(30), ""),
    ("plan_name", sa.String(120), ""),
    ("relationship", sa.String(6), "self"),
    ("insured_family_name", sa.String(80), ""),
    ("insured_given_name", sa.String(80), ""),
    ("insured_birth_date", sa.Date(), None),
    ("insured_sex", sa.String(1), ""),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: a batch "move and copy" on SQLite would drop
    # the table's append-only triggers. The service checks the values.
    for name, kind, default in COLUMNS:
        op.add_column(
            "billing_coverage",
            sa.Column(
                name,
                kind,
                nullable=default is None,
                server_default=None if default is None else sa.text(f"'{default}'"),
            ),
        )


def downgrade() -> None:
    for name, _kind, _default in reversed(COLUMNS):
        op.drop_column("billing_coverage", name)
