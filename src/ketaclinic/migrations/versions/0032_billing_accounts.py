"""Self-pay accounts (issue 23): the package catalogue, packages sold, visits drawn
from them and the patient's account ledger (charges, package sales and covers,
payments and deposits with receipts, refunds, adjustments).

All four tables are append-only by trigger. Row-level security on PostgreSQL by
each row's own clinic, read once per query, as 0031 does.

Revision ID: 0032_billing_accounts
Revises: 0031_billing
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards, install_append_only

revision: str = "0032_billing_accounts"
down_revision: str | Sequence[str] | None = "0031_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("billing_packages", "patient_packages", "package_draws", "account_entries")
VISIBLE = (
    "(SELECT ketaclinic_every_clinic_visible()) "
    "OR clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])"
)
METHODS = "'card', 'cash', 'check', 'hsa_fsa', 'bank_transfer', 'other'"


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable)


def _at() -> sa.Column[object]:
    return sa.Column("at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "billing_packages",
        _id(),
        _fk("clinic_id", "clinics.id"),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        _at(),
        sa.CheckConstraint("visits > 0", name=op.f("ck_billing_packages_visits")),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_billing_packages_price")),
        sa.CheckConstraint(
            "kind IN ('induction', 'booster', 'other')", name=op.f("ck_billing_packages_kind")
        ),
    )
    op.create_index("ix_billing_packages_clinic_key", "billing_packages", ["clinic_id", "key"])
    op.create_table(
        "patient_packages",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        _fk("package_id", "billing_packages.id"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        _at(),
        sa.CheckConstraint("visits > 0", name=op.f("ck_patient_packages_visits")),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_patient_packages_price")),
    )
    op.create_index("ix_patient_packages_patient_id", "patient_packages", ["patient_id"])
    op.create_table(
        "package_draws",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        _fk("patient_package_id", "patient_packages.id"),
        _fk("session_id", "chairside_sessions.id"),
        _fk("reverses_id", "package_draws.id", nullable=True),
        _fk("by_id", "users.id", nullable=True),
        _at(),
    )
    for column in ("patient_id", "patient_package_id", "session_id"):
        op.create_index(f"ix_package_draws_{column}", "package_draws", [column])
    op.create_table(
        "account_entries",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        sa.Column("kind", sa.String(14), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(14), nullable=True),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("purpose", sa.String(10), nullable=True),
        sa.Column("receipt_no", sa.String(20), nullable=True),
        _fk("charge_line_id", "charge_lines.id", nullable=True),
        _fk("patient_package_id", "patient_packages.id", nullable=True),
        _fk("package_draw_id", "package_draws.id", nullable=True),
        _fk("refund_of_id", "account_entries.id", nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        _at(),
        sa.CheckConstraint(
            "kind IN ('charge', 'package_sale', 'package_cover', 'payment', 'refund', "
            "'adjustment')",
            name=op.f("ck_account_entries_kind"),
        ),
        sa.CheckConstraint(
            "(kind <> 'payment' OR amount_cents < 0) AND (kind <> 'refund' OR amount_cents > 0)",
            name=op.f("ck_account_entries_sign"),
        ),
        sa.CheckConstraint(
            f"(kind NOT IN ('payment', 'refund')) OR (method IN ({METHODS}))",
            name=op.f("ck_account_entries_method"),
        ),
        sa.CheckConstraint(
            "purpose IS NULL OR purpose IN ('payment', 'deposit')",
            name=op.f("ck_account_entries_purpose"),
        ),
        sa.UniqueConstraint(
            "clinic_id", "receipt_no", name=op.f("uq_account_entries_clinic_id_receipt_no")
        ),
    )
    op.create_index(
        "ix_account_entries_patient_day", "account_entries", ["patient_id", "posted_on"]
    )
    op.create_index("ix_account_entries_clinic_day", "account_entries", ["clinic_id", "posted_on"])
    op.create_index("ix_account_entries_charge_line_id", "account_entries", ["charge_line_id"])
    op.create_index("ix_account_entries_refund_of_id", "account_entries", ["refund_of_id"])
    install_append_only(TABLES)
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_by_clinic ON {table} "
                f"USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
            )


def downgrade() -> None:
    drop_guards(TABLES)
    for table in reversed(TABLES):
        op.drop_table(table)
