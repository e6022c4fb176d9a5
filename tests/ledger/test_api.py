"""The ledger's JSON API, as the custodian, a nurse and their witnesses use it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import User
from ketaclinic.kit.time import today_in
from tests.auth.test_login import login
from tests.conftest import CLINIC_TZ, PASSWORD, Persona
from tests.ledger.conftest import receipt
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
PRODUCT = {
    "ndc": "0143-9508-10",
    "drug": "ketamine",
    "name": "Ketamine HCl injection",
    "strength": "50 mg/mL",
    "form": "injection, vial",
    "container_mg": 500,
    "container_ml": 10,
}


@pytest.fixture
def safe(api: Api, custodian: Persona) -> dict[str, Any]:
    keeper = api(custodian)
    product = keeper.post("/api/v1/ledger/products", json=PRODUCT).json()
    location = keeper.post("/api/v1/ledger/locations", json={"name": "Safe A"}).json()
    vials = keeper.post(
        "/api/v1/ledger/receipts", json=receipt(location["id"], product["id"])
    ).json()
    return {"product": product, "location": location, "vials": [v["container_id"] for v in vials]}


@pytest.fixture
def drawn(api: Api, nurse: Persona, front_desk: Persona, safe: dict[str, Any]) -> dict[str, Any]:
    patient = api(front_desk).post("/api/v1/patients", json=valid_patient()).json()
    body = {"container_id": safe["vials"][0], "patient_id": patient["id"], "amount_mg": "35"}
    response = api(nurse).post("/api/v1/ledger/draws", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_it_receives_and_lists_stock(api: Api, nurse: Persona, safe: dict[str, Any]) -> None:
    stock = api(nurse).get("/api/v1/ledger/stock").json()["items"]
    assert [(c["label"], c["on_hand_mg"], c["status"]) for c in stock] == [
        ("KX2611-001", 500, "sealed"),
        ("KX2611-002", 500, "sealed"),
    ]


def test_it_refuses_a_bad_dea_number_naming_the_field(
    api: Api, custodian: Persona, safe: dict[str, Any]
) -> None:
    body = receipt(safe["location"]["id"], safe["product"]["id"], supplier_dea="RG1234567")
    response = api(custodian).post("/api/v1/ledger/receipts", json=body)
    assert response.status_code == 422
    assert "check digit" in response.json()["error"]["fields"]["supplier_dea"]


def test_it_wastes_with_a_witness_who_signs_in_with_their_own_password(
    api: Api, nurse: Persona, prescriber: Persona, drawn: dict[str, Any]
) -> None:
    url = f"/api/v1/ledger/draws/{drawn['id']}"
    assert api(nurse).post(f"{url}/administrations", json={"amount_mg": 30}).status_code == 201
    witness = {"email": prescriber.email, "password": PASSWORD}
    done = api(nurse).post(f"{url}/waste", json={"amount_mg": 5, "witnesses": [witness]})
    assert done.status_code == 201, done.text
    assert done.json()["closed"] is True
    assert done.json()["entries"][-1]["witnesses"] == ["Pat Prescriber"]


def test_it_refuses_the_nurse_as_her_own_witness(
    api: Api, nurse: Persona, drawn: dict[str, Any]
) -> None:
    witness = {"email": nurse.email, "password": PASSWORD}
    response = api(nurse).post(
        f"/api/v1/ledger/draws/{drawn['id']}/waste", json={"amount_mg": 5, "witnesses": [witness]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "witness_email": "a witness must be someone other than who acts"
    }


def test_it_counts_a_wrong_witness_password_against_the_witness(
    api: Api, nurse: Persona, prescriber: Persona, drawn: dict[str, Any], db: Session
) -> None:
    witness = {"email": prescriber.email, "password": "not the password"}
    response = api(nurse).post(
        f"/api/v1/ledger/draws/{drawn['id']}/waste", json={"amount_mg": 5, "witnesses": [witness]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "witness_password": "witness email, password or code is not right"
    }
    user = db.scalar(
        select(User).where(User.id == prescriber.user.id).execution_options(populate_existing=True)
    )
    assert user is not None and user.failed_logins == 1
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "denied"))
    assert "ledger.witness_failed" in list(actions)


def test_it_never_counts_wrong_witness_passwords_against_the_address(
    app: FastAPI,
    api: Api,
    client: TestClient,
    nurse: Persona,
    prescriber: Persona,
    front_desk: Persona,
    drawn: dict[str, Any],
) -> None:
    """A witness typing wrong on the nurse's tablet locks the witness's account, never
    the sign-ins of everyone at that address (the whole clinic behind one proxy)."""
    app.state.settings.ip_failure_limit = 3
    witness = {"email": prescriber.email, "password": "not the password"}
    for _ in range(5):
        wrong = api(nurse).post(
            f"/api/v1/ledger/draws/{drawn['id']}/waste",
            json={"amount_mg": 5, "witnesses": [witness]},
        )
        assert wrong.status_code == 422
    assert login(client, front_desk.email, PASSWORD).status_code == 303


def test_it_refuses_a_witness_without_a_witnessing_role(
    api: Api, nurse: Persona, front_desk: Persona, drawn: dict[str, Any]
) -> None:
    witness = {"email": front_desk.email, "password": PASSWORD}
    response = api(nurse).post(
        f"/api/v1/ledger/draws/{drawn['id']}/waste", json={"amount_mg": 5, "witnesses": [witness]}
    )
    assert response.json()["error"]["fields"] == {
        "witness_email": "this person may not witness controlled substances here"
    }


def test_it_keeps_the_custodian_out_of_draws_and_the_front_desk_out_of_the_ledger(
    api: Api, custodian: Persona, front_desk: Persona, drawn: dict[str, Any]
) -> None:
    url = f"/api/v1/ledger/draws/{drawn['id']}/administrations"
    assert api(custodian).post(url, json={"amount_mg": 1}).status_code == 403
    assert api(front_desk).get("/api/v1/ledger/stock").status_code == 403


def test_it_hides_another_clinics_stock(
    api: Api, outsider: Persona, safe: dict[str, Any], drawn: dict[str, Any]
) -> None:
    assert api(outsider).get("/api/v1/ledger/stock").json()["items"] == []
    assert api(outsider).get(f"/api/v1/ledger/draws/{drawn['id']}").status_code == 404


def test_it_tracks_loss_deadlines_and_filings(
    api: Api, custodian: Persona, safe: dict[str, Any]
) -> None:
    keeper = api(custodian)
    # Discovered on the most recent Friday before today: notice by Monday, Form 106
    # within 45 days; the notice is filed on the Saturday.
    today = today_in(CLINIC_TZ)
    friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    loss = keeper.post(
        f"/api/v1/ledger/containers/{safe['vials'][1]}/loss",
        json={
            "amount_mg": 500,
            "loss_kind": "theft",
            "discovered": friday.isoformat(),
            "circumstances": "Vial missing from the safe at the morning count.",
        },
    )
    assert loss.status_code == 201, loss.text
    [row] = keeper.get("/api/v1/ledger/losses").json()["items"]
    due = (friday + timedelta(days=3), friday + timedelta(days=45))
    assert (row["notice_due"], row["form_106_due"]) == tuple(d.isoformat() for d in due)
    saturday = (friday + timedelta(days=1)).isoformat()
    filed = keeper.post(
        f"/api/v1/ledger/losses/{loss.json()['id']}/filings",
        json={"kind": "notice", "filed_on": saturday},
    )
    assert filed.status_code == 201
    assert keeper.get("/api/v1/ledger/losses").json()["items"][0]["notice_filed_on"] == saturday


def test_it_resolves_a_count_discrepancy_with_a_second_signature(
    api: Api, custodian: Persona, prescriber: Persona, safe: dict[str, Any]
) -> None:
    keeper = api(custodian)
    lines = [
        {"container_id": safe["vials"][0], "counted_mg": "499.5"},
        {"container_id": safe["vials"][1], "counted_mg": 500},
    ]
    body = {"location_id": safe["location"]["id"], "lines": lines}
    counted = keeper.post("/api/v1/ledger/counts", json=body).json()
    [case] = counted["discrepancies"]
    body = {
        "outcome": "ledger_follows_count",
        "explanation": "0.01 mL left in a syringe hub.",
        "second_signer": {"email": custodian.email, "password": PASSWORD},
    }
    assert (
        keeper.post(f"/api/v1/ledger/discrepancies/{case}/resolution", json=body).status_code == 422
    )
    body["second_signer"] = {"email": prescriber.email, "password": PASSWORD}
    resolved = keeper.post(f"/api/v1/ledger/discrepancies/{case}/resolution", json=body)
    assert resolved.status_code == 201 and resolved.json()["adjust_entry_id"]
    again = keeper.post(f"/api/v1/ledger/discrepancies/{case}/resolution", json=body)
    assert again.status_code == 409
    assert keeper.get("/api/v1/ledger/verify").json() == {
        "entries_checked": 3,
        "ok": True,
        "problem": None,
    }


def test_it_exports_reports_as_csv_and_pdf(
    api: Api, custodian: Persona, nurse: Persona, drawn: dict[str, Any]
) -> None:
    today = today_in(CLINIC_TZ).isoformat()
    csv = api(nurse).get(f"/api/v1/ledger/reports/dispensing?format=csv&since={today}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, row = csv.text.splitlines()[:2]
    assert header.startswith("When,Entry,Kind,Draw,Patient") and ",draw," in row
    assert "Lindqvist, Maya (KC" in row
    # The custodian sees the patient's record number, not the name.
    custodians = api(custodian).get("/api/v1/ledger/reports/dispensing?format=json").json()
    assert custodians["rows"][0][4].startswith("KC")
    pdf = api(custodian).get("/api/v1/ledger/reports/receipts?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = api(custodian).get("/api/v1/ledger/reports/inventory?since=2026-02-01&until=2026-01-01")
    assert bad.status_code == 422 and "until" in bad.json()["error"]["fields"]
