"""Booster suggestions and the prescriber's decision on each (issue 20): append-only
(triggers refuse UPDATE/DELETE on both databases), row-level security through the
patient, written the 0013 way (the visible clinics read once per query). A suggestion
is unique per patient, rule and episode, so evaluating again stores it once.

Revision ID: 0019_boosters
Revises: 0018_treatment_plan
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards, install_append_only

revision: str = "0019_boosters"
down_revision: str | Sequence[str] | None = "0018_treatment_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("booster_suggestions", "booster_decisions")
VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND "
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR p.clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])))"
)


def upgrade() -> None:
    op.create_table(
        "booster_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("evidence_key", sa.String(length=120), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_booster_suggestions_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booster_suggestions")),
        sa.UniqueConstraint(
            "patient_id",
            "rule_id",
            "evidence_key",
            name=op.f("uq_booster_suggestions_patient_id_rule_id_evidence_key"),
        ),
    )
    op.create_index(
        op.f("ix_booster_suggestions_patient_id"), "booster_suggestions", ["patient_id"]
    )
    op.create_table(
        "booster_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accepted', 'dismissed')", name=op.f("ck_booster_decisions_decision")
        ),
        sa.CheckConstraint(
            "decision = 'accepted' OR reason IS NOT NULL",
            name=op.f("ck_booster_decisions_dismiss_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["booster_suggestions.id"],
            name=op.f("fk_booster_decisions_suggestion_id_booster_suggestions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_booster_decisions_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_booster_decisions_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booster_decisions")),
        sa.UniqueConstraint("suggestion_id", name=op.f("uq_booster_decisions_suggestion_id")),
    )
    op.create_index(op.f("ix_booster_decisions_patient_id"), "booster_decisions", ["patient_id"])
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
    op.drop_index(op.f("ix_booster_decisions_patient_id"), table_name="booster_decisions")
    op.drop_table("booster_decisions")
    op.drop_index(op.f("ix_booster_suggestions_patient_id"), table_name="booster_suggestions")
    op.drop_table("booster_suggestions")
