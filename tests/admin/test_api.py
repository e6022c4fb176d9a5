"""Staff administration over the API: invite (the link returned once), deactivate,
a role per clinic, a password link, tokens listed and revoked."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def test_it_runs_staff_over_the_api(api: Api, admin: Persona, nurse: Persona) -> None:
    client = api(admin)
    made = client.post(
        "/api/v1/admin/staff",
        json={
            "name": "Noor New",
            "email": "noor@example.org",
            "role": "nurse",
            "clinic_id": admin.clinic.id,
        },
    )
    assert made.status_code == 201
    assert made.json()["link"].startswith("http://testserver/account/password/")
    assert made.json()["user"]["invited"] is True
    again = client.post(
        "/api/v1/admin/staff",
        json={
            "name": "Noor",
            "email": "noor@example.org",
            "role": "nurse",
            "clinic_id": admin.clinic.id,
        },
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/admin/staff", params={"page_size": 2})
    assert listed.json()["total"] == 3 and len(listed.json()["items"]) == 2
    role = client.put(
        f"/api/v1/admin/staff/{nurse.user.id}/roles/{admin.clinic.id}", json={"role": "prescriber"}
    )
    assert role.json()["roles"] == {str(admin.clinic.id): "prescriber"}
    last = client.put(
        f"/api/v1/admin/staff/{admin.user.id}/roles/{admin.clinic.id}", json={"role": "nurse"}
    )
    assert last.status_code == 409 and last.json()["error"]["fields"]["role"]
    reset = client.post(f"/api/v1/admin/staff/{nurse.user.id}/password-reset")
    assert "/account/password/" in reset.json()["link"]
    tokens = client.get("/api/v1/admin/tokens").json()["items"]
    nurses = next(t for t in tokens if t["owner_id"] == nurse.user.id)
    off = client.post(f"/api/v1/admin/staff/{nurse.user.id}/deactivate")
    assert off.json()["active"] is False
    assert api(nurse).get("/api/v1/me").status_code == 401
    revoked = client.post(f"/api/v1/admin/tokens/{nurses['id']}/revoke")
    assert revoked.json()["revoked_at"] is not None
    assert client.post(f"/api/v1/admin/staff/{nurse.user.id}/reactivate").json()["active"]
    assert api(nurse).get("/api/v1/admin/staff").status_code == 401  # tokens stay revoked
