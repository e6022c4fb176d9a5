"""Registration warns of a likely duplicate: same birth date and a close name, or the
same phone or email, in the same clinic. Registering anyway needs a reason, which the
chart and the audit trail keep."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.identity.principal import Principal
from ketaclinic.patients import service
from ketaclinic.patients.duplicates import LikelyDuplicate, name_score
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate
from tests.conftest import Persona
from tests.patients.test_api import valid_patient


def _who(db: Session, persona: Persona) -> Principal:
    return principal_for(db, persona.user)


def _register(db: Session, who: Principal, **fields: Any) -> Patient:
    patient = service.create_patient(db, who, PatientCreate(**valid_patient(**fields)))
    audit.write_pending(db)
    return patient


def test_it_scores_names_regardless_of_case_order_and_punctuation() -> None:
    assert name_score("Maya", "Lindqvist", "maya", "LINDQVIST") == 100
    assert name_score("Lindqvist", "Maya", "Maya", "Lindqvist") == 100
    assert name_score("Maya", "Lindquist", "Maya", "Lindqvist") >= 85
    assert name_score("Lena", "Lindqvist", "Maya", "Lindqvist") < 85


def test_it_warns_of_the_same_birth_date_and_a_close_name(db: Session, front_desk: Persona) -> None:
    who = _who(db, front_desk)
    maya = _register(db, who)
    with pytest.raises(LikelyDuplicate) as caught:
        _register(db, who, family_name="Lindquist", phone="+1 512 555 0199", email=None)
    [candidate] = caught.value.candidates
    assert (candidate.id, candidate.reasons) == (maya.id, ("same birth date and a similar name",))
    body = caught.value.to_body()["error"]
    assert body["code"] == "likely_duplicate" and body["candidates"][0]["mrn"] == maya.mrn
    assert "confirm_duplicate_reason" in body["fields"]


def test_it_warns_of_the_same_phone_or_email_whatever_the_name(
    db: Session, front_desk: Persona
) -> None:
    who = _who(db, front_desk)
    _register(db, who)
    with pytest.raises(LikelyDuplicate) as by_phone:
        _register(
            db, who, given_name="Theo", birth_date="1990-01-01", phone="(512) 555-0147", email=None
        )
    assert by_phone.value.candidates[0].reasons == ("same phone",)
    with pytest.raises(LikelyDuplicate) as by_email:
        _register(
            db,
            who,
            given_name="Theo",
            birth_date="1990-01-01",
            phone=None,
            email="MAYA.LINDQVIST@mail.example.org",
        )
    assert by_email.value.candidates[0].reasons == ("same email",)


def test_it_leaves_other_people_and_other_clinics_alone(
    db: Session, front_desk: Persona, outsider: Persona
) -> None:
    _register(db, _who(db, outsider))
    who = _who(db, front_desk)
    assert _register(db, who).id  # the same person in another clinic is not on file here
    assert _register(db, who, given_name="Lena").id  # a sister born the same day


def test_it_uses_the_clinic_s_threshold(db: Session, front_desk: Persona) -> None:
    who = _who(db, front_desk)
    _register(db, who)
    strict = PatientCreate(
        **valid_patient(family_name="Lindquist", phone="+1 512 555 0199", email=None)
    )
    assert service.create_patient(db, who, strict, duplicate_min_score=100).id


def test_it_registers_anyway_with_a_reason_kept_on_the_chart_and_in_the_trail(
    db: Session, front_desk: Persona
) -> None:
    who = _who(db, front_desk)
    maya = _register(db, who)
    twin = _register(db, who, confirm_duplicate_reason="  Twin sister;  same phone at home ")
    assert twin.duplicate_reason == "Twin sister; same phone at home"
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.create", AuditEvent.resource_id == str(twin.id)
        )
    ).one()
    detail = json.loads(event.detail)
    assert detail["duplicate_of"] == [maya.id]
    assert detail["duplicate_reason"] == "Twin sister; same phone at home"
