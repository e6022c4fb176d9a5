"""Notifications (issue 21): the outbox of messages to patients, every status each
message passed through (append-only on both databases) and the patient's contact
preference (channel, SMS consent, STOP). A message goes to a patient or to one staff
member (``user_id``, a staff digest). Row-level security through the patient, or for a
staff message (and its events) through the message's clinic; on
PostgreSQL a schema for the job runner's queue (huey's PostgresHuey makes its own
tables there).

Revision ID: 0021_notifications
Revises: 0020_report_indexes
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketaclinic.kit.migrate import drop_guards, install_append_only

revision: str = "0021_notifications"
down_revision: str | Sequence[str] | None = "0020_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("notification_messages", "notification_message_events", "contact_preferences")
# Through the patient, written the 0013 way (the visible clinics read once per query).
VISIBLE = (
    "EXISTS (SELECT 1 FROM patients p WHERE p.id = patient_id AND "
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR p.clinic_id = ANY ((SELECT ketaclinic_visible_clinics())::integer[])))"
)
CLINIC_VISIBLE = (
    "((SELECT ketaclinic_every_clinic_visible()) "
    "OR {col} = ANY ((SELECT ketaclinic_visible_clinics())::integer[]))"
)
# A staff message: visible where its clinic is; its events: where their message's clinic is.
_MESSAGE_CLINIC = (
    "EXISTS (SELECT 1 FROM notification_messages m WHERE m.id = message_id AND "  # noqa: S608
    + CLINIC_VISIBLE.format(col="m.clinic_id")
    + ")"
)
POLICIES = {
    "notification_messages": f"((patient_id IS NOT NULL AND {VISIBLE}) OR "
    f"(patient_id IS NULL AND {CLINIC_VISIBLE.format(col='clinic_id')}))",
    "notification_message_events": f"((patient_id IS NOT NULL AND {VISIBLE}) OR "
    f"(patient_id IS NULL AND {_MESSAGE_CLINIC}))",
    "contact_preferences": VISIBLE,
}
STATUSES = "('queued', 'sending', 'sent', 'failed', 'no_transport', 'no_contact', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "notification_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("counts", sa.String(length=200), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("link_path", sa.String(length=500), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("visit_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_notification_messages_status")),
        sa.CheckConstraint(
            "channel IS NULL OR channel IN ('email', 'sms')",
            name=op.f("ck_notification_messages_channel"),
        ),
        sa.CheckConstraint(
            "(patient_id IS NULL) <> (user_id IS NULL)",
            name=op.f("ck_notification_messages_one_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_notification_messages_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_notification_messages_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_messages_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_notification_messages_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_messages")),
        sa.UniqueConstraint("event_key", name=op.f("uq_notification_messages_event_key")),
    )
    op.create_index(
        op.f("ix_notification_messages_patient_id"), "notification_messages", ["patient_id"]
    )
    op.create_index(op.f("ix_notification_messages_user_id"), "notification_messages", ["user_id"])
    op.create_index(
        "ix_notification_messages_status_next_attempt_at",
        "notification_messages",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "notification_message_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["notification_messages.id"],
            name=op.f("fk_notification_message_events_message_id_notification_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_notification_message_events_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_message_events")),
    )
    op.create_index(
        op.f("ix_notification_message_events_message_id"),
        "notification_message_events",
        ["message_id"],
    )
    op.create_index(
        op.f("ix_notification_message_events_patient_id"),
        "notification_message_events",
        ["patient_id"],
    )
    op.create_table(
        "contact_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sms_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sms_consent_by_id", sa.Integer(), nullable=True),
        sa.Column("sms_opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms')", name=op.f("ck_contact_preferences_channel")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_contact_preferences_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["sms_consent_by_id"],
            ["users.id"],
            name=op.f("fk_contact_preferences_sms_consent_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_contact_preferences_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_preferences")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_contact_preferences_patient_id")),
    )
    install_append_only(("notification_message_events",))
    if op.get_bind().dialect.name == "postgresql":
        # The job runner's queue (huey's PostgresHuey makes its tables here itself).
        op.execute("CREATE SCHEMA IF NOT EXISTS ketaclinic_jobs")
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            policy = POLICIES[table]
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_by_clinic ON {table} USING ({policy}) WITH CHECK ({policy})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS ketaclinic_jobs CASCADE")
    drop_guards(TABLES)
    op.drop_table("contact_preferences")
    op.drop_index(
        op.f("ix_notification_message_events_patient_id"), table_name="notification_message_events"
    )
    op.drop_index(
        op.f("ix_notification_message_events_message_id"), table_name="notification_message_events"
    )
    op.drop_table("notification_message_events")
    op.drop_index(
        "ix_notification_messages_status_next_attempt_at", table_name="notification_messages"
    )
    op.drop_index(op.f("ix_notification_messages_user_id"), table_name="notification_messages")
    op.drop_index(op.f("ix_notification_messages_patient_id"), table_name="notification_messages")
    op.drop_table("notification_messages")
