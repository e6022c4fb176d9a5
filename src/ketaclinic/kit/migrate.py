"""Run Alembic migrations from code (the CLI and the test suite use this)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command, op
from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's ini interpolation treats % specially; URLs may contain it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


# ---- guards that migrations install ----------------------------------------------
# Migrations import these, so their SQL must never change: a new kind of guard is a
# new function.

# These evaluate ketaclinic_clinic_visible() for every row a query looks at; 0013
# rewrote every policy to read the visible clinics once per query (an initplan). A
# later migration that guards a new table should write its policy the 0013 way.
PATIENT_ROW_VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id "
    "AND ketaclinic_clinic_visible(p.clinic_id))"
)


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def install_append_only(tables: Sequence[str]) -> None:
    """Triggers refusing UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    for table in tables:
        if _postgres():
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ketaclinic_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ketaclinic_refuse_change()"
            )
            continue
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )


def install_patient_row_security(tables: Sequence[str]) -> None:
    """PostgreSQL row-level security through each row's patient's clinic."""
    if not _postgres():
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_by_clinic ON {table} "
            f"USING ({PATIENT_ROW_VISIBLE}) WITH CHECK ({PATIENT_ROW_VISIBLE})"
        )


def drop_guards(tables: Sequence[str]) -> None:
    """Undo ``install_append_only`` and ``install_patient_row_security``."""
    for table in tables:
        if _postgres():
            op.execute(f"DROP POLICY IF EXISTS {table}_by_clinic ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def install_clinic_row_security(tables: Sequence[str]) -> None:
    """PostgreSQL row-level security through each row's own ``clinic_id``."""
    if not _postgres():
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_by_clinic ON {table} "
            "USING (ketaclinic_clinic_visible(clinic_id)) "
            "WITH CHECK (ketaclinic_clinic_visible(clinic_id))"
        )
