"""Billing (issue 23): the fee schedule, charge lines, prescribers' evaluations, the
billing identifiers (NPI, TIN) and the patient's coverage.

Fees, evaluations, identifiers and coverage are append-only. A charge line may
change while it is a draft (finalising it); once final, a trigger refuses any
UPDATE or DELETE: a correction is a new line. Row-level security on PostgreSQL by
each row's own clinic, as 0022 does for clinic-owned tables.

Revision ID: 0031_billing
Revises: 0030_fhir_exports
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards, install_append_only

revision: str = "0031_billing"
down_revision: str | Sequence[str] | None = "0030_fhir_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("billing_fees", "billing_identifiers", "billing_evaluations", "billing_coverage")
TABLES = (*APPEND_ONLY, "charge_lines")
VISIBLE = (
    "(SELECT ketaclinic_every_clinic_visible()) "
    "OR clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])"
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "billing_fees",
        _id(),
        _fk("clinic_id", "clinics.id"),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_billing_fees_price")),
    )
    op.create_index(
        "ix_billing_fees_clinic_code", "billing_fees", ["clinic_id", "code", "effective_from"]
    )
    op.create_table(
        "billing_identifiers",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("user_id", "users.id", nullable=True),
        sa.Column("npi", sa.String(10), nullable=False),
        sa.Column("tin", sa.String(10), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_billing_identifiers_clinic_id", "billing_identifiers", ["clinic_id"])
    op.create_table(
        "billing_evaluations",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        _fk("session_id", "chairside_sessions.id"),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _fk("by_id", "users.id"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "code IN ('99212','99213','99214','99215')", name=op.f("ck_billing_evaluations_code")
        ),
    )
    op.create_index("ix_billing_evaluations_session_id", "billing_evaluations", ["session_id"])
    op.create_table(
        "billing_coverage",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        sa.Column("payer", sa.String(120), nullable=False),
        sa.Column("member_id", sa.String(40), nullable=False),
        _fk("by_id", "users.id", nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_billing_coverage_patient_id", "billing_coverage", ["patient_id"])
    op.create_table(
        "charge_lines",
        _id(),
        _fk("clinic_id", "clinics.id"),
        _fk("patient_id", "patients.id"),
        _fk("session_id", "chairside_sessions.id"),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("place_of_service", sa.String(2), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("modifiers", sa.String(11), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("ndc", sa.String(13), nullable=True),
        sa.Column("ndc_quantity", sa.Numeric(10, 3), nullable=True),
        sa.Column("ndc_unit", sa.String(2), nullable=True),
        sa.Column("diagnoses", sa.String(120), nullable=False),
        sa.Column("pointers", sa.String(4), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        _fk("rendering_user_id", "users.id", nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(5), nullable=False),
        _fk("corrects_id", "charge_lines.id", nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _fk("created_by_id", "users.id", nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("finalised_by_id", "users.id", nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'final')", name=op.f("ck_charge_lines_status")),
    )
    op.create_index(
        "ix_charge_lines_patient_day", "charge_lines", ["patient_id", "date_of_service"]
    )
    op.create_index("ix_charge_lines_session_id", "charge_lines", ["session_id"])
    install_append_only(APPEND_ONLY)
    _guard_final_lines()
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_by_clinic ON {table} "
                f"USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
            )


def _guard_final_lines() -> None:
    """A final charge line is never changed or removed; a draft may be finalised."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ketaclinic_refuse_final_charge() RETURNS trigger AS $$ "
            "BEGIN IF OLD.status = 'final' THEN "
            "RAISE EXCEPTION 'charge_lines: a final line is never changed (%)', TG_OP; "
            "END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER charge_lines_final BEFORE UPDATE OR DELETE ON charge_lines "
            "FOR EACH ROW EXECUTE FUNCTION ketaclinic_refuse_final_charge()"
        )
        op.execute(
            "CREATE TRIGGER charge_lines_no_truncate BEFORE TRUNCATE ON charge_lines "
            "FOR EACH STATEMENT EXECUTE FUNCTION ketaclinic_refuse_change()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER charge_lines_final_{verb.lower()} BEFORE {verb} ON charge_lines "
            "WHEN OLD.status = 'final' "
            f"BEGIN SELECT RAISE(ABORT, 'charge_lines: a final line is never changed ({verb})'); "
            "END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS charge_lines_final ON charge_lines")
        op.execute("DROP TRIGGER IF EXISTS charge_lines_no_truncate ON charge_lines")
        op.execute("DROP FUNCTION IF EXISTS ketaclinic_refuse_final_charge()")
    else:
        op.execute("DROP TRIGGER IF EXISTS charge_lines_final_update")
        op.execute("DROP TRIGGER IF EXISTS charge_lines_final_delete")
    drop_guards(APPEND_ONLY)
    for table in ("charge_lines", *reversed(APPEND_ONLY)):
        op.drop_table(table)
