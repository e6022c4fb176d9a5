"""The demo's day in the chairs: today's visits in every state a session can be in.

Lakeside's morning is done (a signed note, a start held for blood pressure and
stopped, a no-show, a discharged infusion whose note waits for signatures, and an
esketamine session whose REMS form is not yet sent); its chairs now hold a
patient ready for discharge waiting for the escort, one observing after an infusion
stopped early for an adverse event (12 of 40 minutes; the reason, the amount given and
the rest wasted before a witness on record), one with an open hypertension alert,
one paused for nausea, and one with the dose released;
two afternoon visits are still to check in.
Mesa has a patient checked in, one with the pre-checks done and one still to come.
Everything is written through the chairside service, stamped at the minute it
happened (``kit.time.recorded_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as appointments_repo
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.chairside import service
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.service import today_at
from ketaclinic.demo.chairside_visit import Day, tell
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import recorded_at, utcnow
from ketaclinic.ledger import repository as ledger_repo
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsLocation
from ketaclinic.ledger.schemas import ProductIn, ReceiptIn
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.scheduling.model import SessionSpec
from ketaclinic.screenings import service as screenings
from ketaclinic.screenings.models import PatientIntake, Screening

SPRAVATO = ProductIn(
    ndc="99999-0056-02",
    drug="esketamine",
    name="Esketamine nasal spray 56 mg dose kit (demo)",
    strength="28 mg per device",
    form="nasal spray, 2 devices",
    container_mg=Decimal(56),
)
IV, NASAL = "depression_iv_twice_weekly", "esketamine_nasal"

# (clinic, protocol, starts minutes from now, the story up to what state; "ended_early"
# is an infusion stopped early for an adverse event, now observing)
STORIES: list[tuple[str, str, int, str]] = [
    ("lakeside", IV, -250, "note_signed"),
    ("lakeside", IV, -215, "stopped_early"),
    ("lakeside", IV, -190, "no_show"),
    ("lakeside", NASAL, -235, "discharged"),
    ("lakeside", IV, -160, "discharged"),
    ("lakeside", IV, -110, "ready_for_discharge"),
    ("lakeside", IV, -85, "ended_early"),
    ("lakeside", IV, -45, "administering"),
    ("lakeside", IV, -60, "paused"),
    ("lakeside", IV, -25, "dose_released"),
    ("lakeside", IV, 40, "scheduled"),
    ("lakeside", IV, 75, "scheduled"),
    ("mesa", IV, -260, "note_signed"),
    ("mesa", IV, -12, "prechecked"),
    ("mesa", IV, -4, "checked_in"),
    ("mesa", IV, 35, "scheduled"),
]

# The state a story ends in, where its goal is not a state's name.
ENDS_IN = {"ended_early": "observing"}


def end_state(goal: str) -> str:
    return ENDS_IN.get(goal, goal)


def policy() -> service.ChairsidePolicy:
    return service.ChairsidePolicy(
        plan=plans.PlanPolicy(protocols=load_protocols(None)),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )


def load_chairside(
    db: Session, slug: str, staff: dict[Role, Principal], timezone: str, patients: list[Patient]
) -> int:
    """Today's stories for one clinic; how many visits were placed."""
    day = Day(db, staff, policy(), utcnow().replace(second=0, microsecond=0))
    clinic_id = next(iter(day.nurse.roles))
    stories = [s for s in STORIES if s[0] == slug]
    if any(protocol == NASAL for _c, protocol, _m, _s in stories):
        _receive_spravato(day, clinic_id)
    spare = iter(_spare_patients(db, clinic_id, patients))
    placed = 0
    zone = ZoneInfo(timezone)
    for _clinic, protocol_id, offset, goal in stories:
        start = day.now + timedelta(minutes=offset)
        # The demo's clock is a clinic afternoon (demo.clock): every story is today's.
        assert start.astimezone(zone).date() == day.now.astimezone(zone).date(), start
        length = timedelta(minutes=day.policy.protocol(protocol_id).phases.total_min)
        chair = _free_chair(db, clinic_id, start, start + length)
        if chair is None:
            continue
        appointment = None
        for patient in spare:
            appointment = _place(day, clinic_id, patient, protocol_id, start, chair)
            if appointment is not None:
                break
        if appointment is None:
            continue
        placed += 1
        if goal != "scheduled":
            tell(day, appointment, start, goal)
    return placed


def _spare_patients(db: Session, clinic_id: int, patients: list[Patient]) -> list[Patient]:
    """Active adults with no intake, screening or plan yet: the demo's other stories
    (every screening state, a plan on every protocol) keep their patients."""
    taken: set[int] = set()
    for model in (TreatmentPlan, PatientIntake, Screening):
        stmt = in_clinics(
            select(model.patient_id).join(Patient, Patient.id == model.patient_id),
            Patient.clinic_id,
            [clinic_id],
        )
        taken |= set(db.scalars(stmt))
    today = utcnow().date()
    return [
        p
        for p in patients
        if p.id not in taken
        and p.status == "active"
        and 21 <= (today - p.birth_date).days // 365 < 65
    ]


def _place(
    day: Day, clinic_id: int, patient: Patient, protocol_id: str, start: datetime, chair: Chair
) -> Appointment | None:
    """A cleared patient, a signed plan, and today's visit in a free chair."""
    db, nurse, prescriber = day.db, day.nurse, day.prescriber
    plan_policy = day.policy.plan
    protocol = plan_policy.protocol(protocol_id)
    facts = {**CLEAR_INTAKE, "indications": ["trd"]}
    with recorded_at(start - timedelta(days=9)):
        screenings.record_intake(db, nurse, patient, facts, "Screened for the demo day.")
        row = screenings.run(db, nurse, patient, protocol.rule_set, plan_policy.screening)
        if row.decision != "eligible":
            return None  # left for the prescriber to review; the story takes the next patient
        screenings.sign(db, prescriber, patient, row.id, decision="eligible", reason=None)
    data = PlanIn(
        protocol_id=protocol_id,
        start_date=today_at(db, clinic_id),
        dose_amount=Decimal(84) if protocol.drug == "esketamine" else None,
        note="Demo plan: today's first session.",
    )
    plan = plans.draft(db, nurse, patient, data, plan_policy)
    plans.transition(db, prescriber, patient, plan.id, "sign", None, plan_policy)
    phases = protocol.phases
    end = start + timedelta(minutes=phases.total_min)
    visit = Visit(
        1,
        chair,
        start,
        start + timedelta(minutes=phases.pre_assessment_min),
        start + timedelta(minutes=phases.pre_assessment_min + phases.administration_min),
        end,
        SessionSpec(phases.pre_assessment_min, phases.administration_min, phases.observation_min),
    )
    [appointment] = book_visits(db, day.staff[Role.FRONT_DESK], patient, plan.id, [visit])
    appointment.escort_confirmed = True
    return appointment


def _free_chair(db: Session, clinic_id: int, start: datetime, end: datetime) -> Chair | None:
    """A chair with no visit at that time: booked, under way, done or missed (a no-show
    keeps its chair until the visit would have ended); only a cancelled one frees it."""
    busy = set(
        db.scalars(
            in_clinics(select(Appointment.chair_id), Appointment.clinic_id, [clinic_id]).where(
                Appointment.status != "cancelled",
                Appointment.starts_at < end,
                Appointment.ends_at > start,
            )
        )
    )
    free = [c for c in appointments_repo.chairs(db, clinic_id) if c.id not in busy]
    return free[0] if free else None


def _receive_spravato(day: Day, clinic_id: int) -> None:
    keeper = day.staff.get(Role.CUSTODIAN, day.prescriber)
    found = [p for p in ledger_repo.products(day.db) if p.ndc == SPRAVATO.ndc]
    product = found[0] if found else ledger.add_product(day.db, keeper, SPRAVATO)
    safe = day.db.scalar(
        select(CsLocation).where(CsLocation.clinic_id == clinic_id, CsLocation.name == "Main safe")
    )
    assert safe is not None
    with recorded_at(day.now - timedelta(hours=6)):
        ledger.receive(
            day.db,
            keeper,
            ReceiptIn(
                location_id=safe.id,
                product_id=product.id,
                lot_number="SPV2611",
                expires=day.now.date() + timedelta(days=300),
                containers=4,
                received_on=(day.now - timedelta(hours=6)).date(),
                supplier_name="Specialty pharmacy (demo)",
                supplier_address="1 Distribution Way, Memphis, TN 38118",
                supplier_dea="RS3456781",
                invoice_number="SP-7781",
            ),
        )
