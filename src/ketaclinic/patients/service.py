"""Patient registry use cases. Services never commit; their caller does.

Every read and write of a chart is recorded in the audit trail here, in the same
transaction as the change, so API, pages and CLI are all covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.clinics.service import today_at
from ketaclinic.kit.errors import Forbidden, NotFound, ValidationFailed
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import repository as repo
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Contact,
    Diagnosis,
    Medication,
    Patient,
)
from ketaclinic.patients.mrn import new_mrn
from ketaclinic.patients.schemas import (
    AllergyIn,
    ContactIn,
    DiagnosisIn,
    MeasurementIn,
    MedicationIn,
    PatientCreate,
    PatientUpdate,
)

CHILD_KINDS: dict[str, type[Any]] = {
    "contacts": Contact,
    "diagnoses": Diagnosis,
    "medications": Medication,
    "allergies": Allergy,
}
CHILD_INPUTS: dict[str, type[Any]] = {
    "contacts": ContactIn,
    "diagnoses": DiagnosisIn,
    "medications": MedicationIn,
    "allergies": AllergyIn,
}
# The patient's own fields that staff may edit (the edit form shows these).
DEMOGRAPHICS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex_at_birth",
    "gender_identity",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "status",
)


@dataclass
class PatientView:
    """A patient (the entity, or a search's row of its columns) with the figures
    derived from its history."""

    patient: Patient | Row[Any]
    weight_kg: Decimal | None
    height_cm: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        data = {c.key: getattr(self.patient, c.key) for c in Patient.__table__.columns}
        data.update(weight_kg=self.weight_kg, height_cm=self.height_cm)
        return data


def _search_name(given: str, family: str) -> str:
    return f"{given} {family}".lower()


def _choose_clinic(principal: Principal, clinic_id: int | None) -> int:
    clinics = principal.require_any(Permission.PATIENT_WRITE)
    if clinic_id is None:
        if len(clinics) > 1:
            raise ValidationFailed.on("clinic_id", "is required: you work in more than one clinic")
        return clinics[0]
    principal.require(Permission.PATIENT_WRITE, clinic_id)
    return clinic_id


def _unique_mrn(db: Session, clinic_id: int) -> str:
    for _ in range(20):
        mrn = new_mrn()
        if not repo.mrn_exists(db, clinic_id, mrn):
            return mrn
    raise RuntimeError("could not find a free MRN after 20 tries")


def get_patient(
    db: Session, principal: Principal, patient_id: int, *, write: bool = False
) -> Patient:
    """The patient if it is in one of the caller's clinics (else 404, whether or not it
    exists elsewhere) and the caller's role there allows the access (else 403)."""
    patient = repo.get(db, list(principal.roles), patient_id)
    if patient is None:
        raise NotFound(f"No patient with id {patient_id}.")
    permission = Permission.PATIENT_WRITE if write else Permission.PATIENT_READ
    if not principal.can(permission, patient.clinic_id):
        raise Forbidden()
    return patient


def _audit(
    db: Session,
    principal: Principal,
    action: str,
    patient: Patient,
    *,
    resource_type: str = "patient",
    resource_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.on_patient(
        db,
        principal,
        action,
        patient,
        resource_type=resource_type,
        resource_id=resource_id,
        detail=detail,
    )


def open_chart(
    db: Session, principal: Principal, patient_id: int, *, purpose: str = "view"
) -> Patient:
    """A chart opened for reading (page, API or export): recorded as patient.read."""
    patient = get_patient(db, principal, patient_id, write=purpose == "edit")
    _audit(db, principal, "patient.read", patient, detail={"purpose": purpose})
    return patient


def view(db: Session, principal: Principal, patient: Patient) -> PatientView:
    weight, height = repo.latest_body(db, list(principal.roles), [patient.id])[patient.id]
    return PatientView(patient, weight, height)


def _born_by_today(db: Session, clinic_id: int, birth_date: date | None) -> None:
    """A birth date after the clinic's today cannot be (the field type only knows
    that no place on Earth has reached a later date)."""
    if birth_date is not None and birth_date > today_at(db, clinic_id):
        raise ValidationFailed.on("birth_date", "must not be in the future")


def create_patient(db: Session, principal: Principal, data: PatientCreate) -> Patient:
    clinic_id = _choose_clinic(principal, data.clinic_id)
    _born_by_today(db, clinic_id, data.birth_date)
    now = utcnow()
    patient = Patient(
        clinic_id=clinic_id,
        mrn=_unique_mrn(db, clinic_id),
        search_name=_search_name(data.given_name, data.family_name),
        created_at=now,
        updated_at=now,
        created_by_id=principal.user_id,
        **{name: getattr(data, name) for name in DEMOGRAPHICS if name != "status"},
    )
    db.add(patient)
    db.flush()
    if data.weight_kg is not None or data.height_cm is not None:
        record_measurement(
            db,
            principal,
            patient,
            MeasurementIn(weight_kg=data.weight_kg, height_cm=data.height_cm, measured_at=now),
        )
    for kind in CHILD_KINDS:
        for item in getattr(data, kind):
            add_item(db, principal, patient, kind, item)
    _audit(db, principal, "patient.create", patient, detail={"mrn": patient.mrn})
    db.flush()
    return patient


def update_patient(
    db: Session, principal: Principal, patient: Patient, data: PatientUpdate
) -> Patient:
    if "birth_date" in data.model_fields_set:
        _born_by_today(db, patient.clinic_id, data.birth_date)
    changed = []
    for name in DEMOGRAPHICS:
        if name in data.model_fields_set and getattr(patient, name) != getattr(data, name):
            setattr(patient, name, getattr(data, name))
            changed.append(name)
    patient.search_name = _search_name(patient.given_name, patient.family_name)
    if data.weight_kg is not None or data.height_cm is not None:
        record_measurement(
            db,
            principal,
            patient,
            MeasurementIn(weight_kg=data.weight_kg, height_cm=data.height_cm),
        )
    patient.updated_at = utcnow()
    # Names only: the trail says what changed, the chart holds the values.
    _audit(db, principal, "patient.update", patient, detail={"fields": changed})
    db.flush()
    return patient


def record_measurement(
    db: Session, principal: Principal, patient: Patient, data: MeasurementIn
) -> BodyMeasurement:
    measured_at = data.measured_at or utcnow()
    if measured_at.tzinfo is None:
        raise ValidationFailed.on("measured_at", "must include a time zone offset")
    if measured_at > utcnow():
        raise ValidationFailed.on("measured_at", "must not be in the future")
    row = BodyMeasurement(
        patient_id=patient.id,
        measured_at=measured_at,
        weight_kg=data.weight_kg,
        height_cm=data.height_cm,
        recorded_by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    _audit(
        db,
        principal,
        "patient.measurement.create",
        patient,
        resource_type="measurement",
        resource_id=row.id,
    )
    return row


def add_item(db: Session, principal: Principal, patient: Patient, kind: str, data: Any) -> Any:
    model = CHILD_KINDS[kind]
    row = model(patient_id=patient.id, **data.model_dump())
    db.add(row)
    db.flush()
    _audit(db, principal, f"patient.{kind}.create", patient, resource_type=kind, resource_id=row.id)
    return row


def set_item_active(
    db: Session, principal: Principal, patient: Patient, kind: str, item_id: int, active: bool
) -> Any:
    """Entries are never deleted: they are marked inactive (resolved, stopped)."""
    row = repo.child(db, list(principal.roles), CHILD_KINDS[kind], patient.id, item_id)
    if row is None:
        raise NotFound(f"No {kind} entry {item_id} on this patient.")
    row.active = active
    patient.updated_at = utcnow()
    db.flush()
    _audit(
        db,
        principal,
        f"patient.{kind}.update",
        patient,
        resource_type=kind,
        resource_id=row.id,
        detail={"active": active},
    )
    return row


def search_terms(q: str | None) -> tuple[list[str], date | None]:
    """Split a search box: a date (1984-03-21) filters birth date, words match name or MRN."""
    terms: list[str] = []
    birth: date | None = None
    for word in (q or "").split()[:6]:
        try:
            birth = date.fromisoformat(word)
        except ValueError:
            terms.append(word[:60])
    return terms, birth


def search_patients(
    db: Session,
    principal: Principal,
    *,
    q: str | None = None,
    birth_date: date | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[PatientView], int]:
    clinics = principal.require_any(Permission.PATIENT_READ)
    terms, typed_birth = search_terms(q)
    rows, total = repo.search(
        db,
        clinics,
        terms=terms,
        birth_date=birth_date or typed_birth,
        status=status,
        offset=offset,
        limit=limit,
    )
    body = repo.latest_body(db, clinics, [p.id for p in rows])
    # A search shows names and birth dates: each clinic's trail records who searched
    # for what and which of its patients were listed.
    shown: dict[int, list[int]] = {cid: [] for cid in clinics}
    for p in rows:
        shown[p.clinic_id].append(p.id)
    for clinic_id, ids in shown.items():
        audit.record(
            db,
            principal,
            "patient.search",
            clinic_id=clinic_id,
            resource_type="patient",
            detail={
                "q": q or "",
                "birth_date": str(birth_date or ""),
                "status": status or "",
                "offset": offset,
                "patient_ids": ids,
            },
        )
    return [PatientView(p, *body[p.id]) for p in rows], total


def detail(db: Session, principal: Principal, patient: Patient) -> dict[str, Any]:
    """The chart: the patient's columns, latest weight and height, and every child
    list newest first (as dicts of the listed columns), read in one statement."""
    lists = repo.chart_children(db, list(principal.roles), patient.id)
    data = PatientView(patient, *repo.latest_of(lists["measurements"])).as_dict()
    data.update(lists)
    return data


def access_log(
    db: Session, patient: Patient, *, limit: int = 50, offset: int = 0
) -> tuple[list[Any], int]:
    """Who opened or changed this chart, newest first (this request's own events,
    not yet written, come first). Open the chart with ``open_chart`` first: that
    read is what the trail records."""
    pending = audit.pending(db, patient_id=patient.id)
    unsaved = pending[offset : offset + limit]
    events, total = audit.search(
        db,
        audit.AuditFilter(clinic_ids=[patient.clinic_id], patient_id=patient.id),
        offset=max(0, offset - len(pending)),
        limit=limit - len(unsaved),
    )
    return unsaved + list(events), total + len(pending)
