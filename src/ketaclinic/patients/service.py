"""Patient registry use cases. Services never commit; their caller does.

Every read and write of a chart is recorded in the audit trail here, in the same
transaction as the change, so API, pages and CLI are all covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.errors import ClinicRequired
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.errors import RoleNotAllowed
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import duplicates
from ketaclinic.patients import repository as repo
from ketaclinic.patients.errors import (
    BirthDateInFuture,
    MeasuredAtInFuture,
    MeasuredAtWithoutOffset,
    PatientEntryNotFound,
    PatientNotFound,
)
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
    "timezone",
    "status",
)


@dataclass
class PatientView:
    """A patient (the entity, or a search's row of its columns) with the figures
    derived from its history."""

    patient: Patient | Row[Any]
    weight_kg: Decimal | None
    height_cm: Decimal | None
    next_visit: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {c.key: getattr(self.patient, c.key) for c in Patient.__table__.columns}
        data.update(weight_kg=self.weight_kg, height_cm=self.height_cm)
        data.update(next_visit=self.next_visit)
        return data


def _search_name(given: str, family: str) -> str:
    return f"{given} {family}".lower()


def _choose_clinic(principal: Principal, clinic_id: int | None) -> int:
    clinics = principal.require_any(Permission.PATIENT_WRITE)
    if clinic_id is None:
        if len(clinics) > 1:
            raise ClinicRequired()
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
        raise PatientNotFound(f"No patient with id {patient_id}.")
    permission = Permission.PATIENT_WRITE if write else Permission.PATIENT_READ
    if not principal.can(permission, patient.clinic_id):
        raise RoleNotAllowed()
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
        raise BirthDateInFuture("must not be in the future")


def create_patient(
    db: Session,
    principal: Principal,
    data: PatientCreate,
    *,
    duplicate_min_score: int = duplicates.DEFAULT_MIN_SCORE,
) -> Patient:
    """Register a patient. One that looks like a chart already on file (same birth
    date and a close name, or the same phone or email) is refused with 409
    ``likely_duplicate`` and the charts it resembles, unless ``confirm_duplicate_reason``
    says why it is someone else: the chart and the audit trail keep the reason."""
    clinic_id = _choose_clinic(principal, data.clinic_id)
    _born_by_today(db, clinic_id, data.birth_date)
    similar = duplicates.find(
        db,
        clinic_id,
        given_name=data.given_name,
        family_name=data.family_name,
        birth_date=data.birth_date,
        phone=data.phone,
        email=data.email,
        min_score=duplicate_min_score,
    )
    reason = " ".join((data.confirm_duplicate_reason or "").split())
    if similar and not reason:
        # The warning shows other charts' names and birth dates: a read of each.
        for candidate in similar:
            audit.record(
                db,
                principal,
                "patient.duplicate_warning",
                clinic_id=clinic_id,
                patient_id=candidate.id,
                resource_type="patient",
                resource_id=candidate.id,
                detail={"reasons": list(candidate.reasons)},
            )
        raise duplicates.LikelyDuplicate(similar)
    now = utcnow()
    patient = Patient(
        clinic_id=clinic_id,
        mrn=_unique_mrn(db, clinic_id),
        search_name=_search_name(data.given_name, data.family_name),
        created_at=now,
        updated_at=now,
        created_by_id=principal.user_id,
        duplicate_reason=reason if similar else None,
        **{name: getattr(data, name) for name in DEMOGRAPHICS if name != "status"},
    )
    db.add(patient)
    db.flush()
    if data.weight_kg is not None or data.height_cm is not None:
        _add_measurement(db, principal, patient, data.body_entered(), now)
    for kind in CHILD_KINDS:
        for item in getattr(data, kind):
            add_item(db, principal, patient, kind, item)
    detail: dict[str, Any] = {"mrn": patient.mrn}
    if similar:
        detail.update(duplicate_of=[c.id for c in similar], duplicate_reason=reason)
    _audit(db, principal, "patient.create", patient, detail=detail)
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
        _add_measurement(db, principal, patient, data.body_entered(), utcnow())
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
        raise MeasuredAtWithoutOffset("must include a time zone offset")
    if measured_at > utcnow():
        raise MeasuredAtInFuture("must not be in the future")
    return _add_measurement(db, principal, patient, data.body_entered(), measured_at)


def _add_measurement(
    db: Session,
    principal: Principal,
    patient: Patient,
    columns: dict[str, Any],
    measured_at: datetime,
) -> BodyMeasurement:
    """A measurement row: stored kg/cm and the value and unit entered."""
    row = BodyMeasurement(
        patient_id=patient.id,
        measured_at=measured_at,
        recorded_by_id=principal.user_id,
        **columns,
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
        raise PatientEntryNotFound(f"No {kind} entry {item_id} on this patient.")
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


def read_chart(db: Session, principal: Principal, patient_id: int) -> dict[str, Any]:
    """``detail`` of a chart opened for viewing (as ``open_chart``: 404 outside the
    caller's clinics, 403 without the read permission, recorded as patient.read),
    the patient read as a row: the chart changes nothing, so no entity is loaded."""
    row = repo.get_row(db, list(principal.roles), patient_id)
    if row is None:
        raise PatientNotFound(f"No patient with id {patient_id}.")
    if not principal.can(Permission.PATIENT_READ, row.clinic_id):
        raise RoleNotAllowed()
    audit.on_patient(db, principal, "patient.read", row, detail={"purpose": "view"})
    return detail(db, principal, row)


def detail(db: Session, principal: Principal, patient: Patient | Row[Any]) -> dict[str, Any]:
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


def patient_id_by_reference(db: Session, clinic_ids: Sequence[int], reference: str) -> int | None:
    """A patient's id in these clinics from its MRN or id as typed (None: no such patient)."""
    return repo.id_by_reference(db, clinic_ids, reference)
