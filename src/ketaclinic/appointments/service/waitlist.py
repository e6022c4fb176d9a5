"""The waitlist, and the freed slot offered to whoever has waited longest."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import (
    Appointment,
    WaitlistEntry,
)
from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans

# ---- the waitlist ------------------------------------------------------------------


def add_to_waitlist(
    db: Session, principal: Principal, patient: Patient, plan_id: int, note: str = ""
) -> WaitlistEntry:
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    plans.get(db, principal, patient, plan_id, audited=False)
    entry = WaitlistEntry(
        clinic_id=patient.clinic_id, patient_id=patient.id, plan_id=plan_id, note=note.strip()
    )
    db.add(entry)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.waitlisted",
        patient,
        resource_type="waitlist_entry",
        resource_id=entry.id,
    )
    return entry


def _offer_freed_slot(db: Session, principal: Principal | None, freed: Appointment) -> int | None:
    """The longest-waiting patient gets the freed chair and time offered."""
    if freed.starts_at <= utcnow():
        return None
    waiting = repo.waitlist(db, [freed.clinic_id], status="waiting")
    if not waiting:
        return None
    entry, _patient = waiting[0]
    entry.status = "offered"
    entry.changed_at = utcnow()
    entry.offer = json.dumps(
        {
            "chair_id": freed.chair_id,
            "starts_at": freed.starts_at.isoformat(),
            "ends_at": freed.ends_at.isoformat(),
            "freed_by": freed.id,
        }
    )
    db.flush()
    return entry.id
