"""Importing a parsed FHIR Bundle into one clinic, through the registry's own use
cases (``patients.service``): the same validation, duplicate rule and audit trail as
a registration at the front desk. The caller's transaction is the import: a dry run
rolls it back, ``--commit`` commits it, so a dry run reports exactly what the commit
would do."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.onboarding.bundle import Parsed, PatientIn, Refusal
from ketaclinic.patients import service as patients


@dataclass(frozen=True)
class Created:
    entry: int
    source_id: str
    name: str
    mrn: str
    items: dict[str, int]  # kind -> how many
    notes: tuple[str, ...] = ()


@dataclass
class Report:
    created: list[Created] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)


def import_bundle(
    db: Session, principal: Principal, clinic_id: int, parsed: Parsed, *, dry_run: bool = True
) -> Report:
    """Register every patient the bundle holds (with their entries) in ``clinic_id``;
    one that looks like a chart on file (or that the registry refuses) is refused with
    the reason, its entries with it; nothing is merged into an existing chart."""
    principal.require(Permission.PATIENT_WRITE, clinic_id)
    report = Report(refused=list(parsed.refusals), ignored=dict(parsed.ignored))
    whole = db.begin_nested()
    for taken in parsed.patients:
        savepoint = db.begin_nested()
        try:
            report.created.append(_one(db, principal, clinic_id, taken))
            savepoint.commit()
        except KetaClinicError as exc:
            savepoint.rollback()
            if exc.status_code in (401, 403):
                raise
            report.refused.append(Refusal(taken.entry, "Patient", taken.source_id, exc.message))
            for item in taken.items:
                report.refused.append(
                    Refusal(item.entry, _TYPES[item.kind], "", "its patient was refused")
                )
    if dry_run:
        whole.rollback()  # the same work as the commit would do, nothing kept
    else:
        whole.commit()
    # Kept either way: a dry run shows the charts the bundle resembles.
    audit.record(
        db,
        principal,
        "patient.import_checked" if dry_run else "patient.import",
        clinic_id=clinic_id,
        resource_type="fhir_bundle",
        detail={
            "created": len(report.created),
            "refused": len(report.refused),
            "ignored": report.ignored,
        },
    )
    report.refused.sort(key=lambda r: r.entry)
    return report


_TYPES = {
    "diagnoses": "Condition",
    "medications": "MedicationStatement",
    "allergies": "AllergyIntolerance",
}


def _one(db: Session, principal: Principal, clinic_id: int, taken: PatientIn) -> Created:
    body = taken.body.model_copy(update={"clinic_id": clinic_id})
    patient = patients.create_patient(db, principal, body)
    counts = {kind: 0 for kind in _TYPES}
    for item in taken.items:
        row = patients.add_item(db, principal, patient, item.kind, item.body)
        if not item.active:
            patients.set_item_active(db, principal, patient, item.kind, row.id, False)
        counts[item.kind] += 1
    name = f"{patient.family_name}, {patient.given_name}"
    return Created(taken.entry, taken.source_id, name, patient.mrn, counts, tuple(taken.notes))
