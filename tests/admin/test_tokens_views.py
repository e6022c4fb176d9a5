"""/admin/tokens: an administrator makes an API token for a staff member, with SMART
scopes for FHIR or none; the token is shown once; the scopes are listed."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import ApiToken
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def test_it_makes_a_token_with_scopes_and_shows_it_once(
    api: Api, db: Session, admin: Persona, nurse: Persona
) -> None:
    page = api(admin).post(
        "/admin/tokens",
        data={"user_id": str(nurse.user.id), "label": "Registry", "scopes": "user/Patient.read"},
    )
    assert page.status_code == 200, page.text
    shown = re.search(r'value="(kc_[^"]+)"', page.text)
    assert shown, "the page shows the new token once"
    row = db.scalars(
        select(ApiToken).where(ApiToken.user_id == nurse.user.id, ApiToken.label == "Registry")
    ).one()
    assert row.scopes == "user/Patient.rs"
    listed = api(admin).get("/api/v1/admin/tokens", params={"page_size": 100}).json()["items"]
    assert [t["scopes"] for t in listed if t["id"] == row.id] == ["user/Patient.rs"]
    again = api(admin).get("/admin/tokens").text
    assert shown.group(1) not in again and "user/Patient.rs" in again
    introspect = TestClient(api(admin).app).get(
        "/fhir/auth/introspect", headers={"Authorization": f"Bearer {shown.group(1)}"}
    )
    assert introspect.json()["scope"] == "user/Patient.rs"
    db.expire_all()
    assert db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.action == "auth.token_issued", AuditEvent.resource_id == str(nurse.user.id)
        )
    ).all() == ["auth.token_issued"]


def test_it_names_a_wrong_scope_and_makes_nothing(
    api: Api, db: Session, admin: Persona, nurse: Persona
) -> None:
    page = api(admin).post(
        "/admin/tokens",
        data={"user_id": str(nurse.user.id), "label": "Bad", "scopes": "system/*.rs"},
    )
    assert page.status_code == 422
    assert "only user scopes" in page.text
    assert db.scalars(select(ApiToken).where(ApiToken.label == "Bad")).all() == []
    nobody = api(admin).post("/admin/tokens", data={"user_id": "", "label": "x"})
    assert nobody.status_code == 422 and "choose a staff member" in nobody.text


def test_it_makes_tokens_only_for_the_administrators_own_staff(
    api: Api, admin: Persona, outsider: Persona, nurse: Persona
) -> None:
    assert (
        api(admin).post("/admin/tokens", data={"user_id": str(outsider.user.id)}).status_code == 404
    )
    assert api(nurse).post("/admin/tokens", data={"user_id": str(nurse.user.id)}).status_code == 403
