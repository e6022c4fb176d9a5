"""The consents' JSON API: the chart's signatures and what is still to sign, the
documents shared to read, sharing either (audited, refused with stable codes), the
clinic's documents, in the one list envelope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consents import service
from tests.chairside.conftest import Api
from tests.conftest import Persona
from tests.previsit.conftest import Planned

INFUSION = "iv_ketamine_infusion"
REMS = "spravato_rems_acknowledgement"
CARE = "after_infusion_care"
FIRST = "first_infusion"


def _actions(db: Session, patient_id: int) -> list[tuple[str, str]]:
    stmt = select(AuditEvent.action, AuditEvent.resource_type).where(
        AuditEvent.patient_id == patient_id, AuditEvent.outcome == "allowed"
    )
    return [(action, kind) for action, kind in db.execute(stmt.order_by(AuditEvent.id))]


def _signed(db: Session, planned: Planned) -> int:
    row = service.sign(db, planned.me, INFUSION, "Maya Lindqvist", ip_address="", user_agent="")
    db.commit()
    return row.id


def test_it_lists_what_is_to_sign_then_the_signature(
    db: Session, planned: Planned, api: Api, nurse: Persona
) -> None:
    client = api(nurse)
    url = f"/api/v1/patients/{planned.patient_id}/consents"
    before = client.get(url)
    assert before.status_code == 200, before.text
    body = before.json()
    assert (body["items"], body["total"], body["page"], body["page_size"]) == ([], 0, 1, 50)
    [asked] = body["to_sign"]
    assert (asked["document_id"], asked["required"]) == (INFUSION, True)
    assert len(asked["document_sha256"]) == 64
    signature_id = _signed(db, planned)
    after = client.get(url).json()
    assert after["to_sign"] == []
    [signed] = after["items"]
    assert signed["id"] == signature_id
    assert (signed["document_id"], signed["document_version"]) == (INFUSION, "1.0")
    assert signed["document_sha256"] == asked["document_sha256"]
    assert signed["typed_name"] == "Maya Lindqvist"
    assert signed["signed_at"]
    copy = client.get(signed["pdf_path"])
    assert copy.status_code == 200
    assert copy.headers["content-type"] == "application/pdf"
    reads = [a for a in _actions(db, planned.patient_id) if a == ("patient.read", "consent")]
    assert len(reads) >= 3  # two lists and the copy


def test_it_asks_the_patient_to_sign_a_document_once(
    db: Session, planned: Planned, api: Api, nurse: Persona
) -> None:
    client = api(nurse)
    url = f"/api/v1/patients/{planned.patient_id}/consents/requests"
    sent = client.post(url, json={"document_id": REMS})
    assert sent.status_code == 201, sent.text
    assert (sent.json()["document_id"], sent.json()["patient_id"]) == (REMS, planned.patient_id)
    assert ("patient.consent.share", "consent") in _actions(db, planned.patient_id)
    listed = client.get(f"/api/v1/patients/{planned.patient_id}/consents").json()
    assert [d["document_id"] for d in listed["to_sign"]] == [INFUSION, REMS]
    again = client.post(url, json={"document_id": REMS})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "consent_already_shared"


def test_it_shares_a_document_to_read_and_refuses_the_same_version_twice(
    db: Session, planned: Planned, api: Api, nurse: Persona
) -> None:
    client = api(nurse)
    url = f"/api/v1/patients/{planned.patient_id}/documents"
    assert client.get(url).json() == {"items": [], "total": 0, "page": 1, "page_size": 50}
    sent = client.post(url, json={"document_id": CARE})
    assert sent.status_code == 201, sent.text
    shared = sent.json()
    assert (shared["document_id"], shared["document_version"]) == (CARE, "1.0")
    assert shared["shared_by_id"] == nurse.user.id
    assert shared["first_read_at"] is None and shared["last_read_at"] is None
    again = client.post(url, json={"document_id": CARE})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "shared_document_already_shared"
    [listed] = client.get(url).json()["items"]
    assert listed == shared
    actions = _actions(db, planned.patient_id)
    assert ("patient.document.share", "shared_document") in actions
    assert ("patient.read", "shared_document") in actions


def test_it_pages_the_shared_documents(planned: Planned, api: Api, nurse: Persona) -> None:
    client = api(nurse)
    url = f"/api/v1/patients/{planned.patient_id}/documents"
    for document_id in (CARE, FIRST):
        assert client.post(url, json={"document_id": document_id}).status_code == 201
    first = client.get(url, params={"page_size": 1}).json()
    second = client.get(url, params={"page_size": 1, "page": 2}).json()
    assert (first["total"], first["page"], first["page_size"]) == (2, 1, 1)
    assert (second["total"], second["page"]) == (2, 2)
    newest_first = [p["items"][0]["document_id"] for p in (first, second)]
    assert sorted(newest_first) == [CARE, FIRST]
    refused = client.get(url, params={"limit": 1})
    assert refused.status_code == 422
    assert "limit" in refused.json()["error"]["fields"]


def test_it_refuses_an_unknown_document_naming_document_id(
    db: Session, planned: Planned, api: Api, nurse: Persona
) -> None:
    client = api(nurse)
    base = f"/api/v1/patients/{planned.patient_id}"
    for path, code in (
        ("/consents/requests", "consent_document_unknown"),
        ("/documents", "shared_document_unknown"),
    ):
        for document_id in ("no_such_sheet", CARE if path.startswith("/consents") else INFUSION):
            sent = client.post(base + path, json={"document_id": document_id})
            assert sent.status_code == 422, (path, document_id)
            error = sent.json()["error"]
            assert (error["code"], list(error["fields"])) == (code, ["document_id"])
        empty = client.post(base + path, json={"document_id": ""})
        assert empty.status_code == 422
        assert "document_id" in empty.json()["error"]["fields"]
    assert not [a for a, _ in _actions(db, planned.patient_id) if a.endswith(".share")]


def test_it_refuses_a_role_without_the_chart(
    planned: Planned, api: Api, custodian: Persona
) -> None:
    client = api(custodian)
    base = f"/api/v1/patients/{planned.patient_id}"
    assert client.get(f"{base}/consents").status_code == 403
    assert client.get(f"{base}/documents").status_code == 403
    assert client.get("/api/v1/consent-documents").status_code == 403
    sent = client.post(f"{base}/documents", json={"document_id": CARE})
    assert sent.status_code == 403
    assert sent.json()["error"]["code"] == "role_not_allowed"


def test_it_hides_another_clinics_patient(planned: Planned, api: Api, outsider: Persona) -> None:
    client = api(outsider)
    base = f"/api/v1/patients/{planned.patient_id}"
    for response in (
        client.get(f"{base}/consents"),
        client.get(f"{base}/documents"),
        client.post(f"{base}/consents/requests", json={"document_id": REMS}),
        client.post(f"{base}/documents", json={"document_id": CARE}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "consent_patient_not_found"


def test_it_lists_the_documents_the_clinic_may_share(api: Api, front_desk: Persona) -> None:
    found = api(front_desk).get("/api/v1/consent-documents")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["total"] == len(body["items"]) >= 5
    kinds = {d["id"]: d["kind"] for d in body["items"]}
    assert (kinds[INFUSION], kinds[REMS], kinds[CARE], kinds[FIRST]) == (
        "consent",
        "consent",
        "shared",
        "shared",
    )
    assert all(d["title"] and d["version"] and len(d["sha256"]) == 64 for d in body["items"])
    paged = api(front_desk).get("/api/v1/consent-documents", params={"page_size": 2}).json()
    assert (len(paged["items"]), paged["total"]) == (2, body["total"])


def test_it_answers_the_api_token_on_the_signed_copy(
    db: Session, planned: Planned, client: TestClient, outsider: Persona, api: Api
) -> None:
    signature_id = _signed(db, planned)
    path = f"/patients/{planned.patient_id}/consents/{signature_id}.pdf"
    assert api(outsider).get(path).status_code == 404
