"""Importing a FHIR Bundle into a clinic: a dry run writes nothing but says exactly
what the commit would do; the commit registers through the registry's own rules."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.onboarding.bundle import parse
from ketaclinic.onboarding.service import import_bundle
from ketaclinic.patients.models import Diagnosis, Medication, Patient
from tests.conftest import Persona
from tests.onboarding import bundles


def _ours(db: Session, clinic: Clinic, family: str) -> list[Patient]:
    stmt = select(Patient).where(Patient.clinic_id == clinic.id, Patient.family_name == family)
    return list(db.scalars(stmt.order_by(Patient.id)))


def _events(db: Session, clinic: Clinic, action: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.clinic_id == clinic.id, AuditEvent.action == action)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def test_it_writes_nothing_on_a_dry_run_and_reports_what_the_commit_does(
    db: Session, clinic: Clinic, front_desk: Persona
) -> None:
    who = principal_for(db, front_desk.user)
    parsed = parse(bundles.onboarding())
    dry = import_bundle(db, who, clinic.id, parsed)
    db.commit()
    assert [c.name for c in dry.created] == ["Holt, Maren", "Brandt, Ilya"]
    assert _ours(db, clinic, "Holt") == [] and _ours(db, clinic, "Brandt") == []
    assert json.loads(_events(db, clinic, "patient.import_checked")[-1].detail)["created"] == 2

    done = import_bundle(db, who, clinic.id, parse(bundles.onboarding()), dry_run=False)
    db.commit()
    assert [c.name for c in done.created] == [c.name for c in dry.created]
    assert [(r.entry, r.reason) for r in done.refused] == [(r.entry, r.reason) for r in dry.refused]
    (holt,) = _ours(db, clinic, "Holt")
    assert holt.mrn == done.created[0].mrn and holt.sex_at_birth == "female"
    diagnoses = db.scalars(select(Diagnosis).where(Diagnosis.patient_id == holt.id)).all()
    assert sorted((d.code, d.active) for d in diagnoses) == [("F33.2", True), ("F41.1", False)]
    medications = db.scalars(select(Medication).where(Medication.patient_id == holt.id)).all()
    assert sorted((m.name, m.active) for m in medications) == [
        ("Bupropion XL 150 mg", False),
        ("Sertraline 100 mg tablet", True),
    ]
    assert json.loads(_events(db, clinic, "patient.import")[-1].detail)["created"] == 2
    created = _events(db, clinic, "patient.create")
    assert holt.id in {e.patient_id for e in created}


def test_it_refuses_a_likely_duplicate_naming_the_chart_on_file(
    db: Session, clinic: Clinic, front_desk: Persona
) -> None:
    who = principal_for(db, front_desk.user)
    first = import_bundle(db, who, clinic.id, parse(bundles.onboarding()), dry_run=False)
    db.commit()
    again = import_bundle(db, who, clinic.id, parse(bundles.onboarding()), dry_run=False)
    db.commit()
    assert again.created == []
    holt = next(r for r in again.refused if r.source_id == "p1")
    assert first.created[0].mrn in holt.reason and "Holt, Maren" in holt.reason
    # its entries go with it
    assert sum(1 for r in again.refused if r.reason == "its patient was refused") == 6
    assert len(_ours(db, clinic, "Holt")) == 1


def test_it_refuses_a_role_that_may_not_register(
    db: Session, clinic: Clinic, custodian: Persona
) -> None:
    who = principal_for(db, custodian.user)
    with pytest.raises(KetaClinicError) as refused:
        import_bundle(db, who, clinic.id, parse(bundles.onboarding()), dry_run=False)
    assert refused.value.status_code == 403
    db.rollback()
    assert _ours(db, clinic, "Holt") == []
