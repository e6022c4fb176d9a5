"""A FHIR client library (fhirpy), not our own code, reads the demo from a running
server: a patient's course (conditions, PHQ-9 scores, doses given, visits), US Core
searches and paging through Bundle next links."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound
from sqlalchemy import func, select

from ketaclinic.chairside.models import ChairsideSession, SessionEvent
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Diagnosis
from tests.fhir.conftest import DemoServer


@pytest.fixture(scope="module")
def course(demo: DemoServer) -> dict[str, Any]:
    """The demo patient with the most PHQ-9 scores among those with diagnoses and
    infusions, as the database holds them; and a patient dosed today with the amount
    charted (the year of history records no amounts)."""
    engine = make_engine(demo.url)
    try:
        with make_sessionmaker(engine)() as db:
            set_visible_clinics(db, "*")
            counted = (
                select(QuestionnaireResponse.patient_id, func.count())
                .where(QuestionnaireResponse.instrument_id == "phq9")
                .where(QuestionnaireResponse.patient_id.in_(select(Diagnosis.patient_id)))
                .where(QuestionnaireResponse.patient_id.in_(select(ChairsideSession.patient_id)))
                .group_by(QuestionnaireResponse.patient_id)
                .order_by(func.count().desc(), QuestionnaireResponse.patient_id)
            )
            pid = db.execute(counted).first()[0]  # type: ignore[index]
            scores = list(
                db.scalars(
                    select(QuestionnaireResponse.total)
                    .where(QuestionnaireResponse.patient_id == pid)
                    .where(QuestionnaireResponse.instrument_id == "phq9")
                    .order_by(QuestionnaireResponse.id)
                )
            )
            codes = sorted(db.scalars(select(Diagnosis.code).where(Diagnosis.patient_id == pid)))
            sessions = select(ChairsideSession.id).order_by(ChairsideSession.id)
            visits = list(db.scalars(sessions.where(ChairsideSession.patient_id == pid)))
            ran = list(
                db.scalars(
                    sessions.where(ChairsideSession.patient_id == pid).where(
                        ChairsideSession.administration_started_at.is_not(None)
                    )
                )
            )
            dosed = db.scalars(
                select(SessionEvent)
                .where(SessionEvent.detail.like('%"given_mg"%'))
                .order_by(SessionEvent.id)
            ).first()
            assert dosed is not None
            today = (dosed.patient_id, Decimal(json.loads(dosed.detail)["given_mg"]))
    finally:
        engine.dispose()
    return {
        "patient_id": pid,
        "scores": scores,
        "codes": codes,
        "visits": visits,
        "ran": ran,
        "dosed_today": today,
    }


@pytest.fixture
def fhir(demo: DemoServer) -> SyncFHIRClient:
    return SyncFHIRClient(f"{demo.base_url}/fhir", authorization=f"Bearer {demo.token}")


def test_it_reads_a_demo_patient_s_course(fhir: SyncFHIRClient, course: dict[str, Any]) -> None:
    pid = str(course["patient_id"])
    patient = fhir.reference("Patient", pid).to_resource()
    assert patient["id"] == pid and patient["birthDate"]
    conditions = fhir.resources("Condition").search(patient=pid).fetch_all()
    assert sorted(c["code"]["coding"][0]["code"] for c in conditions) == course["codes"]
    phq9 = fhir.resources("Observation").search(patient=pid, code="http://loinc.org|44261-6")
    assert [o["valueQuantity"]["value"] for o in phq9.fetch_all()] == course["scores"]
    doses = fhir.resources("MedicationAdministration").search(patient=pid).fetch_all()
    assert [int(d["id"]) for d in doses] == course["ran"]
    assert {d["medicationCodeableConcept"]["coding"][0]["code"] for d in doses} <= {
        "6130",
        "2201623",
    }
    visits = fhir.resources("Encounter").search(patient=pid).fetch_all()
    assert [int(v["id"]) for v in visits] == course["visits"]
    for dose in doses:  # each dose names its visit, which reads back
        visit = fhir.reference(reference=dose["context"]["reference"]).to_resource()
        assert visit["subject"]["reference"] == f"Patient/{pid}"


def test_it_reads_the_amount_of_a_dose_given_today(
    fhir: SyncFHIRClient, course: dict[str, Any]
) -> None:
    pid, given_mg = course["dosed_today"]
    doses = fhir.resources("MedicationAdministration").search(patient=str(pid)).fetch_all()
    amounts = [Decimal(str(d["dosage"]["dose"]["value"])) for d in doses if "dose" in d["dosage"]]
    assert given_mg in amounts
    [dose] = [d for d in doses if "dose" in d["dosage"]]
    assert dose["dosage"]["dose"]["code"] == "mg" and dose["dosage"]["route"]["text"]


def test_it_pages_through_next_links(fhir: SyncFHIRClient, course: dict[str, Any]) -> None:
    search = fhir.resources("Observation").search(patient=str(course["patient_id"]))
    total = search.limit(5).fetch_raw()["total"]
    assert total > 10
    assert len(search.limit(5).fetch()) == 5
    ids = [o["id"] for o in search.limit(5).fetch_all()]  # follows Bundle.link next
    assert len(ids) == len(set(ids)) == total


def test_it_answers_the_us_core_searches(fhir: SyncFHIRClient, course: dict[str, Any]) -> None:
    pid = str(course["patient_id"])
    vitals = fhir.resources("Observation").search(patient=pid, category="vital-signs")
    recent = vitals.search(date="ge2000-01-01").fetch_all()
    assert recent and all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in recent)
    assert fhir.resources("Observation").search(patient=pid, date="lt1900").fetch_all() == []
    visits = fhir.resources("Encounter").search(patient=pid, date="ge2000").fetch_all()
    assert len(visits) == len(course["visits"])
    patient = fhir.resources("Patient").search(_id=pid).get()
    family = patient["name"][0]["family"]
    named = fhir.resources("Patient").search(name=family, birthdate=patient["birthDate"])
    assert pid in [p["id"] for p in named.fetch_all()]
    assert fhir.resources("CarePlan").search(patient=pid, category="assess-plan").fetch_all()


def test_it_reports_errors_as_operation_outcomes(fhir: SyncFHIRClient) -> None:
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", "999999").to_resource()
    with pytest.raises(OperationOutcome) as refused:
        fhir.resources("Patient").search(nickname="x").fetch()
    assert "nickname" in str(refused.value)
