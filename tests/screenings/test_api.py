"""The screening workflow through the API: intake versions, stored screenings, the
prescriber's signature and override, clearance for treatment, and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.admin import clinic_settings as settings_admin
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.screening import FACTS, load_rule_sets
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.errors import Conflict
from ketaclinic.kit.time import age_on, today_in, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.screenings import service
from ketaclinic.screenings.models import ScreeningSignature
from tests.conftest import CLINIC_TZ, Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
MOOD = "iv_ketamine_mood"


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def record(client: TestClient, patient_id: int, facts: dict[str, Any], notes: str = "") -> Any:
    return client.post(
        f"/api/v1/patients/{patient_id}/intake", json={"facts": facts, "notes": notes}
    )


def run(client: TestClient, patient_id: int, rule_set_id: str = MOOD) -> Any:
    return client.post(
        f"/api/v1/patients/{patient_id}/screenings", json={"rule_set_id": rule_set_id}
    )


def sign(client: TestClient, patient_id: int, screening_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/patients/{patient_id}/screenings/{screening_id}/sign", json=body)


def status(client: TestClient, patient_id: int) -> dict[str, Any]:
    body = client.get(f"/api/v1/patients/{patient_id}/screenings").json()
    return dict(body["status"])


def actions(db: Session, patient_id: int) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


# ---- intake -------------------------------------------------------------------


def test_it_records_intake_versions_and_says_what_changed(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    client = api(nurse)
    first = record(client, patient_id, CLEAR_INTAKE, "Sertraline, bupropion, venlafaxine.")
    assert first.status_code == 201, first.text
    assert first.json()["facts"]["indications"] == ["trd"]
    assert first.json()["changed"] == sorted(CLEAR_INTAKE)
    again = record(client, patient_id, CLEAR_INTAKE, "Sertraline, bupropion, venlafaxine.")
    assert again.json()["id"] == first.json()["id"] and again.json()["changed"] == []
    changed = record(client, patient_id, {**CLEAR_INTAKE, "pregnant": True})
    assert changed.json()["changed"] == ["pregnant"]
    assert client.get(f"/api/v1/patients/{patient_id}/intake").json()["facts"]["pregnant"] is True
    # The trail names the changed facts, never their values.
    [*_, last] = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "patient.intake.record", AuditEvent.patient_id == patient_id)
        .order_by(AuditEvent.id)
    )
    assert json.loads(last.detail) == {"changed": ["pregnant"], "notes_changed": True}


@pytest.mark.parametrize(
    ("facts", "field", "message"),
    [
        ({"systolic_bp_mmhg": 500}, "facts.systolic_bp_mmhg", "must be in 50..300"),
        ({"pregnant": "maybe"}, "facts.pregnant", "true or false"),
        ({"medication_classes": ["aspirin"]}, "facts.medication_classes", "'aspirin' is not"),
        ({"pregnnat": True}, "facts.pregnnat", "unknown fact"),
        ({"age_years": 40}, "facts.age_years", "birth date"),
    ],
)
def test_it_refuses_bad_intake_answers_naming_the_fact(
    api: Api, nurse: Persona, patient_id: int, facts: dict[str, Any], field: str, message: str
) -> None:
    response = record(api(nurse), patient_id, facts)
    assert response.status_code == 422
    assert message in response.json()["error"]["fields"][field]
    assert api(nurse).get(f"/api/v1/patients/{patient_id}/intake").json()["id"] is None


def test_it_lists_the_fact_vocabulary_and_the_rule_sets_with_sources(
    api: Api, nurse: Persona
) -> None:
    facts = api(nurse).get("/api/v1/screening/facts").json()["items"]
    assert {f["name"] for f in facts} == set(FACTS)
    assert next(f for f in facts if f["name"] == "age_years")["derived"] is True
    rule_sets = api(nurse).get("/api/v1/screening/rule-sets").json()["items"]
    assert [rs["id"] for rs in rule_sets] == sorted(load_rule_sets())
    assert all(rule["source"] for rs in rule_sets for rule in rs["rules"])


# ---- running a screening ------------------------------------------------------


def test_it_stores_the_rule_set_version_the_facts_and_the_explanation(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    record(client, patient_id, {**CLEAR_INTAKE, "medication_classes": ["benzodiazepine"]})
    response = run(client, patient_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rule_set_id"] == MOOD
    assert body["rule_set_version"] == load_rule_sets()[MOOD].version
    assert body["decision"] == "needs_review"
    # Derived from the birth date (1984-03-21), not entered.
    assert body["facts"]["age_years"] == age_on(date(1984, 3, 21), today_in(CLINIC_TZ))
    [fired] = body["fired"]
    assert fired["rule_id"] == "medication_blunts_response"
    assert "clinical-references.md#" in fired["source"]
    assert body["missing"] == [] and body["signature"] is None


def test_it_needs_review_when_nothing_was_asked_and_lists_the_missing_facts(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    body = run(api(nurse), patient_id).json()
    assert body["decision"] == "needs_review" and body["intake_id"] is None
    missing = {m["fact"] for m in body["missing"]}
    assert {"pregnant", "systolic_bp_mmhg", "indications"} <= missing
    assert "age_years" not in missing


def test_it_refuses_an_unknown_rule_set_by_field(api: Api, nurse: Persona, patient_id: int) -> None:
    response = run(api(nurse), patient_id, "iv_ketamine_mod")
    assert response.status_code == 422
    assert "known: esketamine_nasal" in response.json()["error"]["fields"]["rule_set_id"]


# ---- signing ------------------------------------------------------------------


def test_it_lets_only_a_prescriber_sign(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    # No birthday in the next 31 days: the screening expires before her age changes.
    patient = db.get(Patient, patient_id)
    assert patient is not None
    patient.birth_date = (today_in(CLINIC_TZ) + timedelta(days=60)).replace(year=1984)
    db.commit()
    record(api(nurse), patient_id, CLEAR_INTAKE)
    screening = run(api(nurse), patient_id).json()
    assert screening["decision"] == "eligible"
    assert sign(api(nurse), patient_id, screening["id"], decision="eligible").status_code == 403
    signed = sign(api(prescriber), patient_id, screening["id"], decision="eligible")
    assert signed.status_code == 201, signed.text
    signature = signed.json()["signature"]
    assert signature["decision"] == "eligible" and signature["override"] is False
    assert signature["signed_by_id"] == prescriber.user.id
    assert "patient.screening.sign" in actions(db, patient_id)


def test_it_overrides_needs_review_only_with_a_written_reason(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    record(api(nurse), patient_id, {**CLEAR_INTAKE, "medication_classes": ["benzodiazepine"]})
    screening_id = run(api(nurse), patient_id).json()["id"]
    client = api(prescriber)
    for reason in (None, "ok", "   short  "):
        refused = sign(client, patient_id, screening_id, decision="eligible", reason=reason)
        assert refused.status_code == 422
        assert "written reason" in refused.json()["error"]["fields"]["reason"]
    reason = "Lorazepam held the evening before each infusion; agreed with psychiatrist."
    signed = sign(client, patient_id, screening_id, decision="eligible", reason=reason)
    assert signed.status_code == 201
    assert signed.json()["signature"] | {"signed_at": None} == signed.json()["signature"] | {
        "decision": "eligible",
        "override": True,
        "reason": reason,
        "signed_at": None,
    }
    [event] = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.screening.override", AuditEvent.patient_id == patient_id
        )
    )
    detail = json.loads(event.detail)
    assert detail["engine_decision"] == "needs_review" and detail["override"] is True
    assert status(client, patient_id)["state"] == "cleared"


def test_it_needs_a_reason_to_refuse_an_eligible_result_too(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    record(api(nurse), patient_id, CLEAR_INTAKE)
    screening_id = run(api(nurse), patient_id).json()["id"]
    refused = sign(api(prescriber), patient_id, screening_id, decision="not_eligible")
    assert refused.status_code == 422 and "reason" in refused.json()["error"]["fields"]


def test_it_confirms_not_eligible_without_a_reason(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    record(api(nurse), patient_id, {**CLEAR_INTAKE, "active_psychosis": True})
    screening = run(api(nurse), patient_id).json()
    assert screening["decision"] == "not_eligible"
    signed = sign(api(prescriber), patient_id, screening["id"], decision="not_eligible")
    assert signed.status_code == 201 and signed.json()["signature"]["override"] is False
    assert status(api(prescriber), patient_id)["state"] == "not_eligible"


def test_it_refuses_a_second_signature_a_superseded_screening_and_changed_facts(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    client = api(prescriber)
    record(api(nurse), patient_id, CLEAR_INTAKE)
    first = run(api(nurse), patient_id).json()["id"]
    second = run(api(nurse), patient_id).json()["id"]
    superseded = sign(client, patient_id, first, decision="eligible")
    assert superseded.status_code == 409 and f"#{second}" in superseded.json()["error"]["message"]
    assert sign(client, patient_id, second, decision="eligible").status_code == 201
    again = sign(client, patient_id, second, decision="eligible")
    assert again.status_code == 409 and "already signed" in again.json()["error"]["message"]

    record(api(nurse), patient_id, {**CLEAR_INTAKE, "breastfeeding": True})
    third = run(api(nurse), patient_id).json()["id"]
    record(api(nurse), patient_id, CLEAR_INTAKE)
    stale = sign(client, patient_id, third, decision="not_eligible", reason="Breastfeeding now.")
    assert stale.status_code == 409 and "breastfeeding" in stale.json()["error"]["message"]


def test_it_lets_one_signature_per_screening_into_the_database(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int, db: Session
) -> None:
    # No birthday in the next 31 days: the screening expires before her age changes.
    patient = db.get(Patient, patient_id)
    assert patient is not None
    patient.birth_date = (today_in(CLINIC_TZ) + timedelta(days=60)).replace(year=1984)
    db.commit()
    record(api(nurse), patient_id, CLEAR_INTAKE)
    screening_id = run(api(nurse), patient_id).json()["id"]
    assert sign(api(prescriber), patient_id, screening_id, decision="eligible").status_code == 201
    # What a second prescriber racing the first would insert: the unique key refuses it.
    with pytest.raises(IntegrityError), db.begin_nested():
        racer = ScreeningSignature(
            screening_id=screening_id,
            patient_id=patient_id,
            decision="eligible",
            signed_by_id=prescriber.user.id,
        )
        db.add(racer)
        db.flush()


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("patient_intakes", "UPDATE patient_intakes SET notes = 'x' WHERE patient_id = :p"),
        ("screenings", "UPDATE screenings SET decision = 'eligible' WHERE patient_id = :p"),
        ("screening_signatures", "DELETE FROM screening_signatures WHERE patient_id = :p"),
    ],
)
def test_it_keeps_intakes_screenings_and_signatures_append_only(
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    patient_id: int,
    db: Session,
    table: str,
    change: str,
) -> None:
    record(api(nurse), patient_id, {**CLEAR_INTAKE, "pregnant": True})
    screening_id = run(api(nurse), patient_id).json()["id"]
    sign(api(prescriber), patient_id, screening_id, decision="not_eligible")
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), db.begin_nested():
        db.execute(text(change), {"p": patient_id})


# ---- clearance ----------------------------------------------------------------


def test_it_walks_clearance_from_not_screened_to_cleared_and_back_to_rescreen(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    client = api(nurse)
    assert status(client, patient_id)["state"] == "not_screened"
    record(client, patient_id, CLEAR_INTAKE)
    assert status(client, patient_id)["state"] == "not_screened"
    screening_id = run(client, patient_id).json()["id"]
    assert status(client, patient_id)["state"] == "awaiting_signature"
    sign(api(prescriber), patient_id, screening_id, decision="eligible")
    cleared = status(client, patient_id)
    assert cleared["cleared"] and cleared["screening_id"] == screening_id
    record(client, patient_id, {**CLEAR_INTAKE, "medication_classes": ["maoi"]})
    changed = status(client, patient_id)
    assert changed["state"] == "facts_changed" and changed["rescreen_offered"]
    assert "medication_classes" in changed["message"]


def test_it_gates_treatment_on_a_current_signed_screening(
    api: Api, nurse: Persona, prescriber: Persona, admin: Persona, patient_id: int, db: Session
) -> None:
    # No birthday in the next 31 days: the screening expires before her age changes.
    patient = db.get(Patient, patient_id)
    assert patient is not None
    patient.birth_date = (today_in(CLINIC_TZ) + timedelta(days=60)).replace(year=1984)
    db.commit()
    record(api(nurse), patient_id, CLEAR_INTAKE)
    screening_id = run(api(nurse), patient_id).json()["id"]
    sign(api(prescriber), patient_id, screening_id, decision="eligible")
    who = principal_for(db, prescriber.user)
    # The clinic's own validity period (its administrator's setting).
    settings_admin.change(
        db, principal_for(db, admin.user), patient.clinic_id, "screening_valid_days", "30"
    )
    policy = service.ScreeningPolicy()
    assert service.has_current_screening(db, who, patient, policy)
    assert service.has_current_screening(db, who, patient, policy, rule_set_id=MOOD)
    assert not service.has_current_screening(
        db, who, patient, policy, rule_set_id="esketamine_nasal"
    )
    later = utcnow() + timedelta(days=30, minutes=1)
    assert not service.has_current_screening(db, who, patient, policy, now=later)
    with pytest.raises(Conflict, match="older than 30 days"):
        service.require_clearance(db, who, patient, policy, now=later)


def test_it_lists_the_newest_unsigned_screenings_for_signing(
    api: Api, nurse: Persona, prescriber: Persona, outsider: Persona, patient_id: int
) -> None:
    other = api(nurse).post("/api/v1/patients", json=valid_patient(given_name="Lena")).json()
    run(api(nurse), patient_id)
    newer = run(api(nurse), patient_id).json()["id"]
    signed = run(api(nurse), other["id"]).json()["id"]
    sign(api(prescriber), other["id"], signed, decision="not_eligible", reason="Not today, sorry.")
    queue = api(prescriber).get("/api/v1/screenings/awaiting-signature").json()["items"]
    assert [row["screening_id"] for row in queue] == [newer]
    assert api(outsider).get("/api/v1/screenings/awaiting-signature").json()["items"] == []


def test_it_hides_another_clinics_screenings(
    api: Api, nurse: Persona, outsider: Persona, patient_id: int
) -> None:
    screening_id = run(api(nurse), patient_id).json()["id"]
    assert api(outsider).get(f"/api/v1/patients/{patient_id}/screenings").status_code == 404
    url = f"/api/v1/patients/{patient_id}/screenings/{screening_id}"
    assert api(outsider).get(url).status_code == 404


def test_it_screens_with_a_clinics_own_rule_set(
    app: FastAPI, api: Api, nurse: Persona, patient_id: int
) -> None:
    own = load_rule_sets()[MOOD].model_copy(update={"id": "clinic_mood", "version": "2026.1"})
    app.state.rule_sets = {**app.state.rule_sets, own.id: own}
    body = run(api(nurse), patient_id, "clinic_mood").json()
    assert (body["rule_set_id"], body["rule_set_version"]) == ("clinic_mood", "2026.1")


# ---- the whole chart (issue 18, point 5) ----------------------------------------


@pytest.mark.parametrize("rule_set_id", ["iv_ketamine_mood", "esketamine_nasal"])
@pytest.mark.parametrize("trials", [0, 1, None])
def test_it_sends_depression_with_fewer_than_two_failed_trials_to_review(
    api: Api, nurse: Persona, patient_id: int, rule_set_id: str, trials: int | None
) -> None:
    client = api(nurse)
    assert record(client, patient_id, {**CLEAR_INTAKE, "prior_antidepressant_trials": trials})
    body = run(client, patient_id, rule_set_id).json()
    assert body["decision"] == "needs_review"
    reasons = [r["rule_id"] for r in body["fired"] + body["undecided"]]
    assert "trd_fewer_than_two_trials" in reasons


def test_it_screens_the_chart_medications_even_when_the_intake_says_none(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    client = api(nurse)
    record(client, patient_id, CLEAR_INTAKE)  # medication_classes: [] ("none of these")
    assert run(client, patient_id).json()["decision"] == "eligible"
    added = client.post(
        f"/api/v1/patients/{patient_id}/medications",
        json={"name": "Lamotrigine", "dose": "200 mg daily"},
    )
    assert added.status_code == 201, added.text
    # The chart changed under the eligible screening: it no longer clears treatment.
    assert status(client, patient_id)["state"] == "facts_changed"
    body = run(client, patient_id).json()
    assert body["decision"] == "needs_review"
    fired = {r["rule_id"]: r for r in body["fired"]}
    assert "lamotrigine" in fired["chart_medication_interacts"]["message"]
    assert body["facts"]["chart_medication_classes"] == ["lamotrigine"]
    page = api(prescriber).get(f"/patients/{patient_id}/screenings/{body['id']}")
    assert "Lamotrigine 200 mg daily" in page.text
