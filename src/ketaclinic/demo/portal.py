"""The patient's side of the demo (issue 21): one patient per clinic on the portal.

The patient is one of this afternoon's first sessions still to check in (a cleared
patient with a signed plan, ``demo.chairside``): the front desk invites them with a
demo address like the staff's, and they accept the emailed invitation with the demo's
password. Their series goes on after today through the booking service; they sign the
consent their plan asks for (with its PDF), answer today's PHQ-9 (the GAD-7 stays
due), and name their escort for today, not yet for the next visit. The nurse shares
two documents to read: the after-infusion care sheet, which the patient has opened,
and what to expect at a first infusion, not yet. Another patient of the clinic lives
in another time zone (their messages keep quiet hours on their clock). Then the
periodic scans run once (visit reminders, escort requests, questionnaires due) and
delivery once, through the real services: with no transport configured, what was due
is "not sent: no transport" in the outbox, and reminders for later stay queued.
Everything happens at the demo's "now".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments import service as calendar
from ketaclinic.appointments.models import Appointment
from ketaclinic.appointments.reminders import queue_reminders
from ketaclinic.chairside.checkins import queue_checkins
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents import service as consents
from ketaclinic.consents import sharing
from ketaclinic.consents.errors import DocumentAlreadyShared
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit import jobs
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.models import Message
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Contact, Patient
from ketaclinic.patients.schemas import PatientUpdate
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.portal import service as portal
from ketaclinic.portal import visits as portal_visits
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.previsit import service as previsit
from ketaclinic.settings import Settings, get_settings

PHONE = Origin("web", "", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)")
# A PHQ-9 of a patient doing a little better: 6 (mild), item 9 "not at all".
PHQ9 = {f"phq9_{i}": v for i, v in enumerate([1, 1, 1, 1, 0, 1, 1, 0, 0, 1], start=1)}
DONE, DUE = "phq9", "gad7"
READ_DOCUMENT, UNREAD_DOCUMENT = "after_infusion_care", "first_infusion"
# A patient who lives away from the clinic (the Denver clinic's in Los Angeles).
ELSEWHERE, ELSEWHERE_TOO = "America/Denver", "America/Los_Angeles"
_SAME_DAY = timedelta(hours=6)  # the afternoon's visits still to come (demo.chairside)


def portal_email(slug: str) -> str:
    """The demo patient's address, like the staff's (``admin@lakeside.example.org``)."""
    return f"patient@{slug}.example.org"


def load_portal_patient(
    db: Session, slug: str, staff: dict[Role, Principal], password: str
) -> tuple[str, str, str] | None:
    """One patient of the clinic on the portal; their login (role, email, clinic), or
    None when the day has no visit still to come that can carry the story."""
    desk = staff[Role.FRONT_DESK]
    clinic_id = next(iter(desk.roles))
    now = utcnow()
    found = _candidate(db, clinic_id, now)
    if found is None:
        return None
    visit, patient = found
    email = portal_email(slug)
    patients.update_patient(db, desk, patient, PatientUpdate(email=email))
    account = portal.invite(db, desk, patient.id)
    token = _invitation_token(db, patient.id)
    ip = f"192.0.2.{10 + clinic_id % 200}"  # a documentation address: the patient's home
    origin = Origin("web", ip, PHONE.user_agent)
    portal.accept_invitation(
        db, token, password, min_length=get_settings().password_min_length, origin=origin
    )
    me = PortalPatient(account.id, patient.id, clinic_id, origin=origin)
    assert visit.plan_id is not None
    _book_the_rest(db, staff, patient, visit.plan_id)
    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    for status in consents.documents_for(db, me, patient.id).to_sign:
        consents.sign(
            db,
            me,
            status.document.id,
            f"{patient.given_name} {patient.family_name}",
            ip_address=ip,
            user_agent=PHONE.user_agent,
            clinic_name=clinic.name,
        )
    for due in previsit.due_for_patient(db, me, patient.id, visit_id=visit.id):
        if due.instrument.id == DONE and due.state == "open":
            previsit.complete(db, me, DONE, visit.id, dict(PHQ9))
    # Today's escort named in the portal; the next visit's not yet (a reminder asks).
    escort = db.scalars(
        select(Contact)
        .where(Contact.patient_id == patient.id, Contact.is_escort, Contact.active)
        .order_by(Contact.id)
    ).first()
    name, phone = (escort.name, escort.phone) if escort else ("Alex Rivera", "+1 512 555 0100")
    portal_visits.confirm_escort(db, me, visit.id, name, phone)
    _share_documents(db, staff[Role.NURSE], me)
    _patient_elsewhere(db, desk, clinic, patient.id)
    return ("patient", email, slug)


def _share_documents(db: Session, nurse: Principal, me: PortalPatient) -> None:
    """The care sheet, read in the portal; the first-visit guide, not read yet."""
    for document_id, read in ((READ_DOCUMENT, True), (UNREAD_DOCUMENT, False)):
        try:
            row = sharing.share(db, nurse, me.patient_id, document_id)
        except DocumentAlreadyShared:
            continue
        if read:
            sharing.open_shared(db, me, row.id)


def _patient_elsewhere(db: Session, desk: Principal, clinic: Clinic, portal_patient: int) -> None:
    """The clinic's first other active patient lives in another zone."""
    other = db.scalars(
        in_clinics(select(Patient), Patient.clinic_id, [clinic.id])
        .where(Patient.status == "active", Patient.id != portal_patient)
        .order_by(Patient.id)
    ).first()
    if other is None:
        return
    zone = ELSEWHERE if clinic.timezone != ELSEWHERE else ELSEWHERE_TOO
    patients.update_patient(db, desk, other, PatientUpdate(timezone=zone))


def _book_the_rest(
    db: Session, staff: dict[Role, Principal], patient: Patient, plan_id: int
) -> list[Appointment]:
    """The rest of the series after today's first session, booked by the front desk;
    when a holiday week leaves no next session inside its window (the demo's day
    before New Year's), the prescriber books it just after, saying why."""
    protocols = load_protocols(None)
    policy = calendar.SchedulePolicy()
    desk, prescriber = staff[Role.FRONT_DESK], staff[Role.PRESCRIBER]
    proposals = calendar.propose(db, desk, patient, plan_id, protocols, policy)
    if proposals and proposals[0].visits:
        return calendar.book(db, desk, patient, plan_id, 0, protocols, policy, rest="waitlist")
    return calendar.book(
        db,
        prescriber,
        patient,
        plan_id,
        0,
        protocols,
        policy,
        rest="waitlist",
        override_reason="Clinic closures around the holiday: next sessions a little later.",
    )


def _candidate(db: Session, clinic_id: int, now: datetime) -> tuple[Appointment, Patient] | None:
    """Today's last booked first session still to come whose plan assigns both
    questionnaires and whose patient has no portal account yet."""
    protocols = load_protocols(None)
    rows = db.execute(
        in_clinics(
            select(Appointment, Patient, TreatmentPlan.protocol_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(TreatmentPlan, TreatmentPlan.id == Appointment.plan_id),
            Appointment.clinic_id,
            [clinic_id],
        )
        .where(
            Appointment.status == "booked",
            Appointment.session_number == 1,
            Appointment.starts_at > now,
            Appointment.starts_at < now + _SAME_DAY,
            Patient.status == "active",
        )
        .order_by(Appointment.starts_at.desc(), Appointment.id)
    ).all()
    for visit, patient, protocol_id in rows:
        protocol = protocols.get(protocol_id)
        instruments = {q.instrument for q in protocol.questionnaires} if protocol else set()
        if {DONE, DUE} <= instruments:
            return visit, patient
    return None


def _invitation_token(db: Session, patient_id: int) -> str:
    """The token of the invitation just emailed: the patient follows its link."""
    message = db.scalars(
        select(Message)
        .where(Message.patient_id == patient_id, Message.template == "portal_invitation")
        .order_by(Message.id.desc())
    ).first()
    assert message is not None and message.link_path is not None
    return message.link_path.rsplit("/", 1)[-1]


def run_message_jobs(db: Session, settings: Settings | None = None) -> None:
    """The worker's minute, once, at the demo's now: the scans queue what is due
    (reminders, escort requests, next-morning check-ins, questionnaires due) and
    delivery sends what may go now (commits as the worker does)."""
    jobs.see_every_clinic(db)
    now = utcnow()
    queue_reminders(db, now)
    queue_checkins(db, now)
    previsit.queue_due_notices(db, list(db.scalars(select(Clinic.id).order_by(Clinic.id))), now)
    db.flush()
    # No transport, whatever the deployment has: the demo never sends to anyone.
    deliver_due(db, settings=settings or get_settings(), now=now, transports={})
