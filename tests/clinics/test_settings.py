"""A clinic's clinical thresholds: the environment's defaults until an
administrator sets the clinic's own, every change audited (who, old, new), and the
services reading the clinic's value."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.admin import clinic_settings as settings_admin
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinics import settings as clinic_settings
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import Forbidden, ValidationFailed
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from ketaclinic.settings import Settings
from tests.conftest import Persona


def test_it_uses_the_environments_defaults_until_the_clinic_sets_its_own(
    db: Session, admin: Persona, clinic: Clinic, other_clinic: Clinic
) -> None:
    env = Settings(aldrete_min_score=8, vital_thresholds={"systolic_above": 170})
    unset = clinic_settings.for_clinic(db, clinic.id, base=env)
    assert unset.aldrete_min_score == 8 and unset.vital_thresholds == {"systolic_above": 170}
    assert clinic_settings.for_clinic(db, clinic.id).aldrete_min_score == 9
    who = principal_for(db, admin.user)
    assert settings_admin.change(db, who, clinic.id, "aldrete_min_score", "10") == 10
    settings_admin.change(db, who, clinic.id, "vital.systolic_above", "175")
    settings_admin.change(db, who, clinic.id, "early_end_fraction", "0.75")
    mine = clinic_settings.for_clinic(db, clinic.id, base=env)
    assert mine.aldrete_min_score == 10 and mine.vital_thresholds == {"systolic_above": 175}
    assert mine.early_end_fraction == Decimal("0.75")
    assert clinic_settings.for_clinic(db, other_clinic.id).aldrete_min_score == 9
    # Back to the default: the row goes, the environment's value is in force again.
    assert settings_admin.change(db, who, clinic.id, "aldrete_min_score", "") == 9
    assert clinic_settings.for_clinic(db, clinic.id).aldrete_min_score == 9


def test_it_audits_every_change_with_the_old_and_new_value(
    db: Session, admin: Persona, clinic: Clinic
) -> None:
    who = principal_for(db, admin.user)
    settings_admin.change(db, who, clinic.id, "screening_valid_days", "60")
    settings_admin.change(db, who, clinic.id, "screening_valid_days", "60")  # no change
    settings_admin.change(db, who, clinic.id, "screening_valid_days", "45")
    settings_admin.change(db, who, clinic.id, "screening_valid_days", None)
    db.commit()
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == "clinic.setting_changed")).all()
    changes = [(json.loads(r.detail)["old"], json.loads(r.detail)["new"]) for r in rows]
    assert changes == [(None, "60"), ("60", "45"), ("45", None)]
    assert {(r.user_id, r.clinic_id) for r in rows} == {(admin.user.id, clinic.id)}


def test_it_refuses_a_value_out_of_range_naming_the_setting(
    db: Session, admin: Persona, clinic: Clinic
) -> None:
    who = principal_for(db, admin.user)
    with pytest.raises(ValidationFailed) as bad:
        settings_admin.change(db, who, clinic.id, "vital.spo2_below", "101")
    assert bad.value.fields == {"vital.spo2_below": "must be 70 to 100 %"}
    with pytest.raises(ValidationFailed):
        settings_admin.change(db, who, clinic.id, "secret_key", "1")


def test_it_lets_only_the_clinics_admin_change_them(
    db: Session, admin: Persona, nurse: Persona, other_clinic: Clinic, clinic: Clinic
) -> None:
    with pytest.raises(Forbidden):
        settings_admin.change(
            db, principal_for(db, nurse.user), clinic.id, "aldrete_min_score", "8"
        )
    with pytest.raises(Forbidden):
        settings_admin.change(
            db, principal_for(db, admin.user), other_clinic.id, "aldrete_min_score", "8"
        )


def test_it_raises_a_suicide_alert_at_the_clinics_own_threshold(
    db: Session, admin: Persona, nurse: Persona, clinic: Clinic
) -> None:
    who = principal_for(db, nurse.user)
    data = PatientCreate.model_validate(
        {
            "given_name": "Ana",
            "family_name": "Reyes",
            "birth_date": "1980-02-03",
            "sex_at_birth": "female",
            "clinic_id": clinic.id,
        }
    )
    patient = create_patient(db, who, data)
    answers = {f"madrs_{i}": 0 for i in range(1, 11)} | {"madrs_10": 3}
    _, default_alerts = measures.record_response(
        db, who, patient, ResponseIn(instrument_id="madrs", answers=answers)
    )
    assert default_alerts == []  # the packaged threshold is 4
    settings_admin.change(
        db, principal_for(db, admin.user), clinic.id, "scale.madrs.suicide_risk", "3"
    )
    _, alerts = measures.record_response(
        db, who, patient, ResponseIn(instrument_id="madrs", answers=answers)
    )
    assert len(alerts) == 1
