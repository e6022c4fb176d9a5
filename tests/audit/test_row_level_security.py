"""PostgreSQL's row-level security: a second wall behind the repository's scoping.
The app's own queries are scoped already; this checks the database alone refuses
another clinic's rows to a non-superuser connection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def as_app_role(db: Session) -> Callable[[str], None]:
    """Switch this transaction to a plain login role, as production connects
    (superusers bypass row-level security)."""
    if db.get_bind().dialect.name != "postgresql":
        # SQLite has no row-level security (its wall is the repository scoping, tested
        # in tests/kit/test_scoping.py). These run in the PostgreSQL pass of `make
        # test`, and in CI a PostgreSQL pass that cannot run fails (tests/conftest.py).
        pytest.skip("row-level security is a PostgreSQL feature")
    db.execute(text("CREATE ROLE ketaclinic_rls_probe NOLOGIN"))
    db.execute(
        text("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ketaclinic_rls_probe")
    )
    db.execute(text("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ketaclinic_rls_probe"))
    db.execute(text("SET LOCAL ROLE ketaclinic_rls_probe"))

    def see(clinics: str) -> None:
        db.execute(text("SELECT set_config('ketaclinic.clinic_ids', :v, true)"), {"v": clinics})

    return see


def _count(db: Session, table: str, patient_id: int) -> int:
    column = "id" if table == "patients" else "patient_id"
    sql = f"SELECT count(*) FROM {table} WHERE {column} = :id"
    return int(db.execute(text(sql), {"id": patient_id}).scalar_one())


def test_it_hides_other_clinics_rows_from_the_database_connection(
    api: Api,
    front_desk: Persona,
    outsider: Persona,
    db: Session,
    as_app_role: Callable[[str], None],
) -> None:
    body = valid_patient(
        contacts=[{"name": "Theo", "relationship": "spouse", "phone": "+15125550100"}]
    )
    patient_id = int(api(front_desk).post("/api/v1/patients", json=body).json()["id"])
    as_app_role(str(outsider.clinic.id))
    assert _count(db, "patients", patient_id) == 0
    assert _count(db, "patient_contacts", patient_id) == 0
    assert _count(db, "body_measurements", patient_id) == 0
    as_app_role(f"{outsider.clinic.id},{front_desk.clinic.id}")
    assert _count(db, "patients", patient_id) == 1
    assert _count(db, "patient_contacts", patient_id) == 1
    as_app_role("")  # nothing set: the wall fails closed
    assert _count(db, "patients", patient_id) == 0
    as_app_role("*")  # system work (CLI, migrations)
    assert _count(db, "patients", patient_id) == 1


def test_it_refuses_to_write_a_patient_into_an_unseen_clinic(
    front_desk: Persona, outsider: Persona, db: Session, as_app_role: Callable[[str], None]
) -> None:
    as_app_role(str(outsider.clinic.id))
    with pytest.raises(DBAPIError, match="row-level security"), db.begin_nested():
        db.execute(
            text(
                "INSERT INTO patients (clinic_id, mrn, given_name, family_name, search_name, "
                "birth_date, sex_at_birth, status, created_at, updated_at) VALUES (:c, "
                "'KC0000001', 'A', 'B', 'a b', '1980-01-01', 'female', 'active', now(), now())"
            ),
            {"c": front_desk.clinic.id},
        )


def test_it_puts_every_table_holding_patient_rows_behind_the_wall(
    db: Session, as_app_role: Callable[[str], None]
) -> None:
    rows = db.execute(
        text(
            "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity "
            "FROM pg_class c JOIN information_schema.columns col "
            "ON col.table_name = c.relname AND col.table_schema = 'public' "
            "WHERE c.relkind = 'r' AND col.column_name = 'patient_id'"
        )
    ).all()
    tables = {name for name, _ in rows}
    assert {"patient_intakes", "screenings", "screening_signatures"} <= tables
    # The audit trail is read through auth.audit_access (admins, per clinic) and written
    # across the wall on purpose: a refused attempt lands on the target clinic's chain.
    assert [name for name, guarded in rows if not guarded] == ["audit_events"]


def test_it_reads_the_visible_clinics_once_per_query_not_once_per_row(
    db: Session, as_app_role: Callable[[str], None]
) -> None:
    """Every policy compares clinic ids with an initplan (the setting parsed once per
    query); the inlined per-row function cost a search of 64,000 patients 64,000
    parses of the setting, twice (migration 0013)."""
    policies = db.execute(
        text("SELECT tablename, qual FROM pg_policies WHERE policyname LIKE '%_by_clinic'")
    ).all()
    assert len(policies) > 10
    assert [t for t, qual in policies if "ketaclinic_clinic_visible(" in qual] == []
    as_app_role("1")
    plan = "\n".join(
        db.execute(text("EXPLAIN SELECT count(*) FROM patients WHERE search_name LIKE '%a%'"))
        .scalars()
        .all()
    )
    assert "InitPlan" in plan
    assert "current_setting" not in plan


def test_it_shows_a_staff_message_where_its_clinic_is_visible(
    nurse: Persona, outsider: Persona, db: Session, as_app_role: Callable[[str], None]
) -> None:
    from ketaclinic.notifications.service import change_status, queue

    as_app_role(str(nurse.clinic.id))  # written where its clinic is visible
    made = queue(
        db,
        clinic_id=nurse.clinic.id,
        user_id=nurse.user.id,
        template="rems_forms_due",
        event_key=f"rems_forms_due:{nurse.clinic.id}:rls-test:{nurse.user.id}",
        link_path="/rems",
        counts={"due_count": 1, "overdue_count": 0},
    )
    assert made is not None
    change_status(db, made, "cancelled", "a test")
    db.flush()

    def seen() -> tuple[int, int]:
        one = {"id": made.id}
        messages = db.execute(
            text("SELECT count(*) FROM notification_messages WHERE id = :id"), one
        ).scalar_one()
        events = db.execute(
            text("SELECT count(*) FROM notification_message_events WHERE message_id = :id"), one
        ).scalar_one()
        return int(messages), int(events)

    as_app_role(str(outsider.clinic.id))
    assert seen() == (0, 0)
    as_app_role(str(nurse.clinic.id))
    assert seen() == (1, 2)
    as_app_role("")
    assert seen() == (0, 0)
    as_app_role(str(outsider.clinic.id))  # and is not written into a clinic not visible
    with pytest.raises(DBAPIError, match="row-level security"), db.begin_nested():
        queue(
            db,
            clinic_id=nurse.clinic.id,
            user_id=nurse.user.id,
            template="rems_forms_due",
            event_key=f"rems_forms_due:{nurse.clinic.id}:rls-test-2:{nurse.user.id}",
        )
