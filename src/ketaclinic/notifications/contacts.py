"""The patient's contact preference: channel, SMS consent (when, by whom) and STOP.
Staff set it from the chart; a STOP texted back ends SMS for every chart with that
number (the number is the patient's, whichever clinic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications import errors
from ketaclinic.notifications import repository as repo
from ketaclinic.notifications.models import ContactPreference
from ketaclinic.patients.models import Patient

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


@dataclass(frozen=True)
class PreferenceView:
    channel: str
    sms_consent_at: datetime | None
    sms_consent_by: str | None
    sms_opted_out_at: datetime | None

    @property
    def sms_allowed(self) -> bool:
        return self.sms_consent_at is not None and self.sms_opted_out_at is None


def preference_of(db: Session, patient: Patient) -> ContactPreference | None:
    return repo.preference(db, [patient.clinic_id], patient.id)


def view(db: Session, patient: Patient) -> PreferenceView:
    found = preference_of(db, patient)
    if found is None:
        return PreferenceView("email", None, None, None)
    by = repo.user_name(db, found.sms_consent_by_id) if found.sms_consent_by_id else None
    return PreferenceView(found.channel, found.sms_consent_at, by, found.sms_opted_out_at)


def set_preference(
    db: Session,
    principal: Principal,
    patient: Patient,
    *,
    channel: str,
    sms_consent: bool,
) -> ContactPreference:
    """Staff record how the patient wants to be reached. Ticking consent records when
    and by whom (again after a STOP: the patient asked to start again)."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    if channel not in ("email", "sms"):
        raise errors.ChannelInvalid()
    if channel == "sms" and not patient.phone:
        raise errors.SmsNeedsPhone()
    found = preference_of(db, patient)
    had_consent = found is not None and found.sms_consent_at is not None
    stopped = found is not None and found.sms_opted_out_at is not None
    if channel == "sms" and not sms_consent:
        raise errors.SmsConsentMissing()
    now = utcnow()
    if found is None:
        found = ContactPreference(patient_id=patient.id, channel=channel)
        db.add(found)
    found.channel = channel
    if sms_consent and (not had_consent or stopped):
        found.sms_consent_at, found.sms_consent_by_id = now, principal.user_id
        found.sms_opted_out_at = None
    elif not sms_consent:
        found.sms_consent_at, found.sms_consent_by_id = None, None
    found.updated_at, found.updated_by_id = now, principal.user_id
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.contact_preference_changed",
        patient,
        resource_type="contact_preference",
        resource_id=found.id,
        detail={"channel": channel, "sms_consent": sms_consent},
    )
    return found


def inbound_sms(db: Session, phone: str, body: str) -> int:
    """A text the patient sent: STOP (and its synonyms) ends SMS, START resumes it when
    consent was given before. How many charts it changed (audited on each)."""
    word = body.strip().upper()
    if word not in STOP_WORDS and word not in START_WORDS:
        return 0
    changed = 0
    now = utcnow()
    for patient, found in repo.preferences_by_phone(db, repo.all_clinic_ids(db), phone):
        if word in STOP_WORDS:
            if found is None:
                found = ContactPreference(patient_id=patient.id, channel="email")
                db.add(found)
            if found.sms_opted_out_at is None:
                found.sms_opted_out_at = now
            action = "patient.sms_stopped"
        else:
            if found is None or found.sms_consent_at is None or found.sms_opted_out_at is None:
                continue
            found.sms_opted_out_at = None
            action = "patient.sms_restarted"
        found.updated_at, found.updated_by_id = now, None
        db.flush()
        audit.on_patient(
            db,
            None,
            action,
            patient,
            resource_type="contact_preference",
            resource_id=found.id,
            actor="sms",
        )
        changed += 1
    return changed
