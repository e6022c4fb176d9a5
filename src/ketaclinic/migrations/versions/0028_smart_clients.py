"""SMART access (issue 22 point 3): scopes on API tokens; registered backend clients
with their public keys, the access tokens they were given (SHA-256 only) and the
assertion ids they used (a replayed assertion is refused by the unique constraint,
whichever process sees it). Clinic-owned: row-level security by clinic on PostgreSQL.

Revision ID: 0028_smart_clients
Revises: 0027_split_draw
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_smart_clients"
down_revision: str | Sequence[str] | None = "0027_split_draw"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_CLINIC = ("smart_clients", "smart_access_tokens", "smart_assertion_uses")
# Written the 0013 way (the visible clinics read once per query, not per row).
VISIBLE = (
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[]))"
)


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("scopes", sa.String(length=2000), nullable=True))
    op.create_table(
        "smart_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scopes", sa.String(length=2000), nullable=False),
        sa.Column("jwks", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_smart_clients_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_smart_clients_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_smart_clients_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_smart_clients_client_id")),
    )
    op.create_index(
        op.f("ix_smart_clients_clinic_id"), "smart_clients", ["clinic_id"], unique=False
    )
    op.create_table(
        "smart_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=2000), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["smart_clients.id"],
            name=op.f("fk_smart_access_tokens_client_id_smart_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_smart_access_tokens_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_smart_access_tokens_token_hash")),
    )
    for column in ("client_id", "clinic_id", "expires_at"):
        op.create_index(
            op.f(f"ix_smart_access_tokens_{column}"),
            "smart_access_tokens",
            [column],
            unique=False,
        )
    op.create_table(
        "smart_assertion_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["smart_clients.id"],
            name=op.f("fk_smart_assertion_uses_client_id_smart_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_smart_assertion_uses_clinic_id_clinics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_assertion_uses")),
        sa.UniqueConstraint("client_id", "jti", name=op.f("uq_smart_assertion_uses_client_id_jti")),
    )
    for column in ("client_id", "clinic_id", "expires_at"):
        op.create_index(
            op.f(f"ix_smart_assertion_uses_{column}"),
            "smart_assertion_uses",
            [column],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        for table in BY_CLINIC:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_by_clinic ON {table} "
                f"USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in BY_CLINIC:
            op.execute(f"DROP POLICY IF EXISTS {table}_by_clinic ON {table}")
    for table in ("smart_assertion_uses", "smart_access_tokens"):
        for column in ("expires_at", "clinic_id", "client_id"):
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_smart_clients_clinic_id"), table_name="smart_clients")
    op.drop_table("smart_clients")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scopes")
