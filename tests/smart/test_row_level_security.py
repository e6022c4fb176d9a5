"""PostgreSQL's row-level security on SMART's clinic-owned tables: another clinic's
clients are not visible, and the token endpoint still finds its client (system work:
the signed assertion is the key) when the app connects as a plain role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import Persona
from tests.smart.conftest import Register, assertion, rsa_keys, token_form


@pytest.fixture
def as_app_role(db: Session) -> Callable[[str], None]:
    """This transaction as a plain role with the app's rights (superusers bypass
    row-level security), seeing the clinics given ("*": system work)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    db.execute(text("CREATE ROLE ketaclinic_smart_probe NOLOGIN"))
    db.execute(text("GRANT ALL ON ALL TABLES IN SCHEMA public TO ketaclinic_smart_probe"))
    db.execute(text("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ketaclinic_smart_probe"))
    db.execute(text("SET LOCAL ROLE ketaclinic_smart_probe"))

    def see(clinics: str) -> None:
        db.execute(text("SELECT set_config('ketaclinic.clinic_ids', :v, true)"), {"v": clinics})

    return see


def _clients(db: Session, clinic_id: int) -> int:
    sql = "SELECT count(*) FROM smart_clients WHERE clinic_id = :c"
    return int(db.execute(text(sql), {"c": clinic_id}).scalar_one())


def test_it_hides_another_clinics_fhir_clients(
    db: Session,
    register: Register,
    outsider: Persona,
    as_app_role: Callable[[str], None],
) -> None:
    as_app_role("*")
    client = register(rsa_keys())
    as_app_role(str(outsider.clinic.id))
    assert _clients(db, client.clinic_id) == 0
    as_app_role(str(client.clinic_id))
    assert _clients(db, client.clinic_id) == 1
    as_app_role("")
    assert _clients(db, client.clinic_id) == 0


def test_it_gives_and_honours_a_token_as_a_plain_database_role(
    client: TestClient,
    db: Session,
    register: Register,
    as_app_role: Callable[[str], None],
) -> None:
    keys = rsa_keys()
    as_app_role("*")
    registered = register(keys)
    as_app_role("")  # the app's requests share this connection: they run as the plain role
    answer = client.post("/fhir/auth/token", data=token_form(assertion(registered, keys)))
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    seen = client.get("/fhir/auth/introspect", headers=bearer)
    assert seen.status_code == 200 and seen.json()["clinic_ids"] == [registered.clinic_id]
