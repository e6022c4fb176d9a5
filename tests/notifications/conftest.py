"""A patient with an email address and a phone, for the notification tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from tests.conftest import Persona


@pytest.fixture
def patient(db: Session, nurse: Persona, clinic: Clinic) -> Patient:
    data = PatientCreate.model_validate(
        {
            "given_name": "Ana",
            "family_name": "Reyes",
            "birth_date": "1980-02-03",
            "sex_at_birth": "female",
            "email": "ana.reyes@example.org",
            "phone": "+13125550142",
            "clinic_id": clinic.id,
        }
    )
    made = create_patient(db, principal_for(db, nurse.user), data)
    db.commit()
    return made
