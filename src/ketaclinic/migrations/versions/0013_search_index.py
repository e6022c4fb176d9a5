"""Row-level security that reads the visible clinics once per query, not per row.

The policies of 0003, 0004 and 0005 call ``ketaclinic_clinic_visible(clinic_id)``, a
SQL function PostgreSQL inlines: ``current_setting`` (three times), ``string_to_array``
and the cast then ran for every row a query looked at — 64,000 rows per patient
search, twice. The new policies compare ``clinic_id`` with the visible clinics read
once per query: ``(SELECT …)`` around an uncorrelated call is an initplan, evaluated
once and passed to the scan as a parameter. Same rule: unset or empty sees nothing,
``*`` (system work) sees everything. PostgreSQL only; SQLite has no row security.

Revision ID: 0013_search_index
Revises: 0013_shared_limits
Create Date: 2026-12-06

"""

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0013_search_index"
down_revision: str | Sequence[str] | None = "0013_shared_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_VISIBLE_CLINICS = """
CREATE OR REPLACE FUNCTION ketaclinic_visible_clinics() RETURNS integer[]
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN coalesce(current_setting('ketaclinic.clinic_ids', true), '') IN ('', '*')
            THEN '{}'::integer[]
        ELSE string_to_array(current_setting('ketaclinic.clinic_ids', true), ',')::integer[]
    END
$$
"""
PG_EVERY_CLINIC = """
CREATE OR REPLACE FUNCTION ketaclinic_every_clinic_visible() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('ketaclinic.clinic_ids', true), '') = '*'
$$
"""


def _once(column: str) -> str:
    return (
        f"((SELECT ketaclinic_every_clinic_visible()) "
        f"OR {column} = ANY ((SELECT ketaclinic_visible_clinics())::integer[]))"
    )


def _per_row(column: str) -> str:
    return f"ketaclinic_clinic_visible({column})"


def _rewrite(old_marker: str, visible: Callable[[str], str]) -> None:
    """Every ``<table>_by_clinic`` policy whose rule calls ``old_marker`` gets the same
    rule written with ``visible``: on the row's own clinic, or through its patient.
    Found in the catalogue, so the tables 0006-0011 guarded are included."""
    policies = op.get_bind().exec_driver_sql(
        "SELECT tablename, qual FROM pg_policies "
        "WHERE schemaname = current_schema() AND policyname = tablename || '_by_clinic'"
    )
    for table, qual in policies.all():
        if old_marker not in qual:
            continue
        if "FROM patients p" in qual:
            owner = visible("p.clinic_id")
            rule = f"EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND {owner})"  # noqa: S608 - constants
        else:
            rule = visible("clinic_id")
        op.execute(f"DROP POLICY {table}_by_clinic ON {table}")
        op.execute(f"CREATE POLICY {table}_by_clinic ON {table} USING ({rule}) WITH CHECK ({rule})")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_VISIBLE_CLINICS)
    op.execute(PG_EVERY_CLINIC)
    _rewrite("ketaclinic_clinic_visible(", _once)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rewrite("ketaclinic_visible_clinics()", _per_row)
    op.execute("DROP FUNCTION IF EXISTS ketaclinic_every_clinic_visible()")
    op.execute("DROP FUNCTION IF EXISTS ketaclinic_visible_clinics()")
