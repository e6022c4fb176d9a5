"""Treatment plans through the API: drafting from a protocol behind the screening
gate, dose limits, versions, the lifecycle, the dose double-check and the PK preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import today_in, utcnow
from tests.conftest import CLINIC_TZ, Persona
from tests.patients.test_api import valid_patient
from tests.plans.conftest import MOOD, clear_patient, plan_body

Api = Callable[[Persona], TestClient]


def draft(client: TestClient, patient_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/patients/{patient_id}/plans", json=plan_body(**body))


def act(client: TestClient, patient_id: int, plan_id: int, action: str, reason: str = "") -> Any:
    body = {"action": action, "reason": reason or None}
    return client.post(f"/api/v1/patients/{patient_id}/plans/{plan_id}/status", json=body)


def signed_plan(api: Api, nurse: Persona, prescriber: Persona, patient_id: int, **body: Any) -> int:
    plan = draft(api(nurse), patient_id, **body)
    assert plan.status_code == 201, plan.text
    assert act(api(prescriber), patient_id, plan.json()["id"], "sign").status_code == 200
    return int(plan.json()["id"])


def test_it_lists_the_protocols_with_their_patterns(api: Api, nurse: Persona) -> None:
    protocols = api(nurse).get("/api/v1/protocols").json()["items"]
    mood = next(p for p in protocols if p["id"] == MOOD)
    assert mood["target_days"] == [0, 3, 6, 9, 12, 15] and mood["dose"]["amount"] == 0.5
    assert api(nurse).get("/api/v1/protocols/nope").status_code == 404


def test_it_drafts_a_plan_with_its_sessions_and_windows(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    start = today_in(CLINIC_TZ) + timedelta(days=2)
    response = draft(api(nurse), patient_id, start_date=start.isoformat())
    assert response.status_code == 201, response.text
    plan = response.json()
    assert (plan["status"], plan["version"], plan["dose_amount"], plan["dose_unit"]) == (
        "draft",
        1,
        0.5,
        "mg_per_kg",
    )
    assert plan["preparation"] == "1 mg/mL in a 100 mL bag"
    sessions = plan["sessions"]
    assert [s["target"] for s in sessions] == [
        (start + timedelta(days=d)).isoformat() for d in (0, 3, 6, 9, 12, 15)
    ]
    second = sessions[1]
    assert (second["earliest"], second["latest"]) == (
        (start + timedelta(days=2)).isoformat(),
        (start + timedelta(days=4)).isoformat(),
    )
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient_id))
    assert "patient.plan.draft" in list(actions)


def test_it_needs_a_current_screening_for_the_protocols_rule_set(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    other = api(nurse).post("/api/v1/patients", json=valid_patient(given_name="Ines")).json()
    refused = draft(api(nurse), other["id"])
    assert refused.status_code == 409 and "signed, current screening" in refused.text
    # Cleared for mood, not for esketamine's own rule set.
    esketamine = draft(api(nurse), patient_id, protocol_id="esketamine_nasal", dose_amount=56)
    assert esketamine.status_code == 409 and "esketamine_nasal" in esketamine.text


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"dose_amount": 1.2}, "dose_amount", "above the protocol's hard limit of 1 mg/kg"),
        ({"dose_amount": 0.8}, "over_soft_limit_reason", "soft limit of 0.75 mg/kg"),
        ({"preparation": "10 mg/mL"}, "preparation", "not one of this protocol's"),
        ({"start_date": "2020-01-01"}, "start_date", "must not be in the past"),
        ({"protocol_id": "nope"}, "protocol_id", "unknown protocol"),
    ],
)
def test_it_refuses_a_plan_outside_the_protocol_naming_the_field(
    api: Api, nurse: Persona, patient_id: int, body: dict[str, Any], field: str, message: str
) -> None:
    response = draft(api(nurse), patient_id, **body)
    assert response.status_code == 422
    assert message in response.json()["error"]["fields"][field]


def test_it_keeps_a_reason_for_a_dose_above_the_soft_limit(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    reason = "Partial response at 0.75 mg/kg, well tolerated; prescriber agrees."
    plan = draft(api(nurse), patient_id, dose_amount=0.8, over_soft_limit_reason=reason).json()
    assert plan["over_soft_limit_reason"] == reason


def test_it_lets_only_a_prescriber_sign_and_records_the_screening(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    plan_id = draft(api(nurse), patient_id).json()["id"]
    assert act(api(nurse), patient_id, plan_id, "sign").status_code == 403
    signed = act(api(prescriber), patient_id, plan_id, "sign").json()
    assert signed["status"] == "signed" and signed["events"][-1]["screening_id"] is not None


def test_it_walks_the_lifecycle_and_refuses_what_the_table_does_not_allow(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    plan_id = signed_plan(api, nurse, prescriber, patient_id)
    client = api(nurse)
    assert act(client, patient_id, plan_id, "complete").status_code == 409
    assert act(client, patient_id, plan_id, "start").json()["status"] == "active"
    no_reason = act(client, patient_id, plan_id, "pause")
    assert no_reason.status_code == 409 and "give a reason" in no_reason.text
    assert act(client, patient_id, plan_id, "pause", "travelling").json()["status"] == "paused"
    assert act(client, patient_id, plan_id, "resume").json()["status"] == "active"
    done = act(client, patient_id, plan_id, "stop", "sustained hypertension at session 2")
    assert done.json()["status"] == "stopped"
    assert [e["status"] for e in done.json()["events"]] == [
        "draft",
        "signed",
        "active",
        "paused",
        "active",
        "stopped",
    ]


def test_it_revises_as_a_new_version_that_supersedes_on_signing(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    first = signed_plan(api, nurse, prescriber, patient_id)
    url = f"/api/v1/patients/{patient_id}/plans/{first}/revise"
    reason = "No response after two infusions, tolerated: titrate per protocol."
    second = api(prescriber).post(url, json=plan_body(dose_amount=0.6, note=reason)).json()
    assert (second["version"], second["status"], second["supersedes_id"]) == (2, "draft", first)
    stale = api(prescriber).post(url, json=plan_body())
    assert stale.status_code == 409 and "newer" in stale.text
    act(api(prescriber), patient_id, second["id"], "sign")
    old = api(nurse).get(f"/api/v1/patients/{patient_id}/plans/{first}").json()
    assert old["status"] == "superseded" and old["dose_amount"] == 0.5
    [event] = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.plan.revise", AuditEvent.patient_id == patient_id
        )
    )
    assert '"dose_amount"' in str(event.detail)


def test_it_releases_a_dose_only_on_a_matching_second_check(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    plan_id = signed_plan(api, nurse, prescriber, patient_id)
    checks = f"/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks"
    first = api(nurse).post(checks, json={"session_number": 1})
    assert first.status_code == 201, first.text
    check = first.json()
    # 68.4 kg x 0.5 mg/kg = 34.2 mg = 34.2 mL at 1 mg/mL over 40 min = 51.3 mL/h.
    assert (check["dose_mg"], check["volume_ml"], check["rate_ml_per_h"]) == (34.2, 34.2, 51.3)
    hidden = api(prescriber).get(checks).json()["items"][0]
    assert hidden["dose_mg"] is None and hidden["volume_ml"] is None
    verify = f"{checks}/{check['id']}/verify"
    own = api(nurse).post(verify, json={"weight_kg": 68.4, "concentration_mg_per_ml": 1})
    assert own.status_code == 403
    wrong = api(prescriber).post(verify, json={"weight_kg": 86.4, "concentration_mg_per_ml": 1})
    assert wrong.status_code == 201 and wrong.json()["released"] is False
    assert wrong.json()["verifications"][0]["mismatched"] == ["weight_kg"]
    right = api(prescriber).post(verify, json={"weight_kg": 68.4, "concentration_mg_per_ml": 1})
    assert right.json()["released"] is True and right.json()["dose_mg"] == 34.2
    again = api(prescriber).post(verify, json={"weight_kg": 68.4, "concentration_mg_per_ml": 1})
    assert again.status_code == 409
    verified = select(AuditEvent.detail).where(
        AuditEvent.action == "patient.dose.verify", AuditEvent.patient_id == patient_id
    )
    assert len(list(db.scalars(verified))) == 2


def test_it_asks_for_a_reweigh_before_a_dose_on_an_old_weight(
    api: Api, nurse: Persona, prescriber: Persona
) -> None:
    patient_id = clear_patient(api, nurse, prescriber, weight_kg=None)
    old = (utcnow() - timedelta(days=40)).isoformat()
    api(nurse).post(
        f"/api/v1/patients/{patient_id}/measurements", json={"weight_kg": 70, "measured_at": old}
    )
    plan_id = signed_plan(api, nurse, prescriber, patient_id)
    refused = api(nurse).post(
        f"/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks", json={"session_number": 1}
    )
    assert refused.status_code == 422
    assert "re-weigh" in refused.json()["error"]["fields"]["weight_kg"]


def test_it_draws_25_mg_im_as_0_25_ml_not_0_3_ml(
    api: Api, nurse: Persona, prescriber: Persona
) -> None:
    # 50 kg x 0.5 mg/kg = 25 mg = 0.25 mL of 100 mg/mL: the clinic's 0.1 mL step would
    # give 0.3 mL = 30 mg (+20%), so the vial's 1 mL syringe (0.01 mL) measures it.
    patient_id = clear_patient(api, nurse, prescriber, weight_kg=50)
    plan_id = signed_plan(
        api,
        nurse,
        prescriber,
        patient_id,
        protocol_id="depression_im",
        preparation="100 mg/mL vial",
    )
    checks = f"/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks"
    check = api(nurse).post(checks, json={"session_number": 1})
    assert check.status_code == 201, check.text
    assert (check.json()["dose_mg"], check.json()["volume_ml"]) == (25, 0.25)


def test_it_doses_esketamine_in_devices_with_56_mg_first(
    api: Api, nurse: Persona, prescriber: Persona
) -> None:
    patient_id = clear_patient(api, nurse, prescriber, rule_set="esketamine_nasal")
    refused = draft(api(nurse), patient_id, protocol_id="esketamine_nasal", dose_amount=70)
    assert "choose 56 or 84 mg" in refused.json()["error"]["fields"]["dose_amount"]
    plan_id = signed_plan(api, nurse, prescriber, patient_id, protocol_id="esketamine_nasal")
    checks = f"/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks"
    first = api(nurse).post(checks, json={"session_number": 1}).json()
    second = api(nurse).post(checks, json={"session_number": 2}).json()
    assert (first["dose_mg"], first["devices"]) == (56, 2)
    assert (second["dose_mg"], second["devices"]) == (84, 3)
    released = api(prescriber).post(f"{checks}/{first['id']}/verify", json={"weight_kg": 68.4})
    assert released.json()["released"] is True
    pk = api(nurse).get(f"/api/v1/patients/{patient_id}/plans/{plan_id}/pk")
    assert pk.status_code == 422 and "intravenous" in pk.text


def test_it_previews_plasma_concentration_for_an_iv_plan(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    plan_id = draft(api(nurse), patient_id).json()["id"]
    url = f"/api/v1/patients/{patient_id}/plans/{plan_id}/pk"
    body = api(nurse).get(url).json()
    assert len(body["summary"]) == 3 and len(body["minutes"]) == len(body["population_p05"])
    peaks = [model["peak_ng_per_ml"] for model in body["summary"]]
    assert all(150 < peak < 260 for peak in peaks)
    # It names the model it draws: the one closest to the meta-analysis, 18.8 mL/kg/min.
    assert body["model"] == "clements_nimmo" and body["summary"][0]["drawn"] is True
    assert body["reference_clearance_ml_per_kg_per_min"] == 18.8
    assert body["peak_spread_ng_per_ml"] == [min(peaks), max(peaks)]
    assert api(nurse).get(url, params={"model": "hijazi"}).json()["model"] == "hijazi"
    assert api(nurse).get(url, params={"model": "nope"}).status_code == 422


@pytest.mark.parametrize(
    "table", ["treatment_plans", "plan_events", "dose_checks", "dose_verifications"]
)
def test_it_keeps_plans_events_and_dose_checks_append_only(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session, table: str
) -> None:
    plan_id = signed_plan(api, nurse, prescriber, patient_id)
    checks = f"/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks"
    check = api(nurse).post(checks, json={"session_number": 1}).json()
    api(prescriber).post(f"{checks}/{check['id']}/verify", json={"weight_kg": 1})
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), db.begin_nested():
        db.execute(text(f"DELETE FROM {table} WHERE patient_id = :p"), {"p": patient_id})


def test_it_hides_another_clinics_plans(
    api: Api, nurse: Persona, outsider: Persona, patient_id: int
) -> None:
    plan_id = draft(api(nurse), patient_id).json()["id"]
    assert api(outsider).get(f"/api/v1/patients/{patient_id}/plans").status_code == 404
    url = f"/api/v1/patients/{patient_id}/plans/{plan_id}"
    assert api(outsider).get(url).status_code == 404


def test_it_lets_one_of_two_racing_status_changes_into_the_database(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    from sqlalchemy.exc import IntegrityError

    from ketaclinic.plans.models import PlanEvent

    plan_id = signed_plan(api, nurse, prescriber, patient_id)
    # What a second clinician starting the same signed plan at the same moment
    # would insert: the same next number for this version, refused by the key.
    with pytest.raises(IntegrityError), db.begin_nested():
        racer = PlanEvent(
            plan_id=plan_id,
            patient_id=patient_id,
            seq=2,
            action="start",
            status="active",
            by_id=nurse.user.id,
        )
        db.add(racer)
        db.flush()
    assert act(api(nurse), patient_id, plan_id, "start").json()["status"] == "active"
