"""The session note: composed from the chart, signed by nurse and prescriber, then
locked; addenda after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside.errors import (
    NoSignedNote,
    NoteSignerRole,
    RemsIncompleteAtSigning,
    RoleAlreadySigned,
    SignerAlreadySigned,
)
from ketaclinic.chairside.models import NoteAddendum, NoteSignature, SessionNote
from ketaclinic.chairside.service.chart import ChairsidePolicy, Chart
from ketaclinic.chairside.service.rems import rems_missing
from ketaclinic.chairside.service.steps import append_row, check_allowed, for_charting, step
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import recorded_now, to_local


def compose_note(c: Chart) -> dict[str, Any]:
    """The note, from the session's own records: timeline, dose, vitals, events."""
    zone = c.clinic.timezone

    def hm(at: datetime | None) -> str:
        return to_local(at, zone).strftime("%H:%M") if at else ""

    who = c.people
    dose = c.dose_check
    return {
        "patient": f"{c.patient.given_name} {c.patient.family_name}",
        "mrn": c.patient.mrn,
        "date": to_local(c.session.checked_in_at or c.now, zone).date().isoformat(),
        "protocol": c.protocol.name,
        "session_number": c.session.session_number,
        "outcome": c.state_label,
        "timeline": [
            {
                "at": hm(e.at),
                "step": e.action.replace("_", " "),
                "to": e.to_state,
                "by": who.get(e.by_id or 0, ""),
                "reason": e.reason,
            }
            for e in c.events
        ],
        "checks": [{"item": k, "result": v.result, "value": v.value} for k, v in c.checks.items()],
        "dose": None
        if dose is None
        else {
            "dose_mg": str(dose.dose_mg),
            "volume_ml": str(dose.volume_ml or ""),
            "rate_ml_per_h": str(dose.rate_ml_per_h or ""),
            "duration_min": dose.duration_min,
            "devices": dose.devices,
            "weight_kg": str(dose.weight_kg or ""),
            # The containers it was drawn from, by lot (two when one did not hold it).
            "drawn_from": [{"lot": d.lot, "mg": f"{d.mg.normalize():f}"} for d in c.drawn],
        },
        "vitals": [
            {
                "at": hm(r.taken_at),
                "bp": f"{r.systolic}/{r.diastolic}" if r.systolic else "",
                "hr": r.heart_rate,
                "spo2": r.spo2,
                "rr": r.respiratory_rate,
                "sedation": r.sedation,
                "cadss": r.cadss,
                "source": r.source,
            }
            for r in c.readings
        ],
        "alerts": [
            {
                "at": hm(a.alert.at),
                "label": a.alert.label,
                "value": a.alert.value,
                "actions": [
                    f"{x.action.replace('_', ' ')} ({who.get(x.by_id or 0, '')}): {x.note}"
                    for x in a.actions
                ],
            }
            for a in c.alerts
        ],
        "adverse_events": [
            {
                "at": hm(x.onset_at),
                "effect": x.effect,
                "grade": x.grade,
                "serious": x.serious,
                "note": x.note,
            }
            for x in c.adverse
        ],
        "rescue_medications": [
            {
                "at": hm(x.given_at),
                "drug": x.drug,
                "dose": f"{x.dose} {x.unit}",
                "route": x.route,
                "by": who.get(x.by_id or 0, ""),
            }
            for x in c.rescue
        ],
        "aldrete": [{"at": hm(a.at), "total": a.total} for a in c.aldrete],
        "discharged_at": hm(c.session.discharged_at),
        "instructions": "No driving or operating machinery until the next day after sleep; "
        "an escort takes the patient home.",
    }


SIGNERS = ("nurse", "prescriber")


@dataclass(frozen=True)
class Signing:
    """Where the note's signatures stand for the one looking at it."""

    awaited: tuple[str, ...]  # the roles whose signature is still awaited
    may_sign: bool  # this clinician's signature is one of them

    @property
    def awaiting(self) -> str:
        """ "Awaiting the prescriber's signature." ("" when both have signed)."""
        if not self.awaited:
            return ""
        whose = " and ".join(f"the {role}'s" for role in self.awaited)
        return f"Awaiting {whose} signature{'s' if len(self.awaited) > 1 else ''}."


def signing(c: Chart, principal: Principal) -> Signing:
    signed = {sig.role for sig in c.signatures}
    awaited = tuple(role for role in SIGNERS if role not in signed)
    role = principal.roles.get(c.session.clinic_id)
    mine = {Role.NURSE: "nurse", Role.PRESCRIBER: "prescriber"}.get(role) if role else None
    signed_by_me = any(sig.by_id == principal.user_id for sig in c.signatures)
    return Signing(awaited, mine in awaited and not signed_by_me)


def _signer_role(db: Session, principal: Principal, clinic_id: int) -> str:
    role = principal.roles.get(clinic_id)
    if role == Role.NURSE:
        return "nurse"
    if role == Role.PRESCRIBER:
        return "prescriber"
    raise NoteSignerRole("The note is signed by the nurse and the prescriber.")


def sign_note(db: Session, principal: Principal, session_id: int, policy: ChairsidePolicy) -> Chart:
    """The first signature freezes the note; the second (the other role) completes it."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    role = _signer_role(db, principal, c.session.clinic_id)
    if c.note is None:
        check_allowed(c.session, "sign_note")
        if c.protocol.rems:
            missing = rems_missing(c, db)
            if missing:
                raise RemsIncompleteAtSigning(
                    "Complete the REMS monitoring form before signing.",
                    {f"rems.{k}": v for k, v in missing.items()},
                )
        c.note = SessionNote(
            session_id=c.session.id,
            patient_id=c.patient.id,
            body=json.dumps(compose_note(c), default=str),
            by_id=principal.user_id,
            at=recorded_now(),
        )
        db.add(c.note)
        db.flush()
    if any(sig.role == role for sig in c.signatures):
        raise RoleAlreadySigned(f"The {role} has already signed this note.")
    if any(sig.by_id == principal.user_id for sig in c.signatures):
        raise SignerAlreadySigned(
            "You have already signed; the other signature is the other clinician's."
        )
    sig = NoteSignature(
        session_id=c.session.id,
        patient_id=c.patient.id,
        note_id=c.note.id,
        role=role,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(sig)
    db.flush()
    c.signatures.append(sig)
    audit.on_patient(
        db,
        principal,
        "patient.session.note_signed",
        c.patient,
        resource_type="session_note",
        resource_id=c.note.id,
        detail={"role": role},
    )
    if {x.role for x in c.signatures} == {"nurse", "prescriber"}:
        step(db, principal, c.session, c.patient, "sign_note")
    return c


def add_addendum(
    db: Session, principal: Principal, session_id: int, text: str, policy: ChairsidePolicy
) -> NoteAddendum:
    c = for_charting(db, principal, session_id, policy)
    if c.note is None:
        raise NoSignedNote("There is no signed note yet; chart on the session itself.")
    row = NoteAddendum(
        session_id=c.session.id,
        patient_id=c.patient.id,
        note_id=c.note.id,
        text=text,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return append_row(
        db, principal, c, row, "patient.session.addendum", "session_note", resource_id=c.note.id
    )
