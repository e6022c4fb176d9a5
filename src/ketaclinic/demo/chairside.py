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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as appointments_repo
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Role
from ketaclinic.chairside import service
from ketaclinic.chairside.schemas import (
    AdverseIn,
    DischargeIn,
    GivenIn,
    ReadingIn,
    ReleaseIn,
    RescueIn,
    StopIn,
)
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.service import today_at
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.errors import FieldInvalid
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import recorded_at, utcnow
from ketaclinic.ledger import repository as ledger_repo
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsLocation
from ketaclinic.ledger.schemas import ProductIn, ReceiptIn, WitnessIn
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients.models import Patient
from ketaclinic.plans import repository as plans_repo
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
CREDENTIALS = WitnessIn(email="demo@example.org", password="-")  # noqa: S106 - confirmed already
CALM = {
    "systolic": 126,
    "diastolic": 80,
    "heart_rate": 74,
    "spo2": 98,
    "respiratory_rate": 14,
    "sedation": 0,
    "cadss": 0,
}
CHECKS = {
    "consent_on_file": ("pass", ""),
    "fasting": ("pass", "nothing since 07:00"),
    "escort_present": ("pass", "partner in the waiting room"),
    "pregnancy_test": ("pass", "negative, urine hCG"),
    "rems_enrolled": ("pass", "enrolled"),
}
ALDRETE_10 = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
}

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


class DemoStockEmpty(FieldInvalid):
    code = "demo_stock_empty"
    field = "container_id"


def end_state(goal: str) -> str:
    return ENDS_IN.get(goal, goal)


@dataclass
class _Day:
    db: Session
    staff: dict[Role, Principal]
    policy: service.ChairsidePolicy
    now: datetime
    readings: int = 0

    @property
    def nurse(self) -> Principal:
        return self.staff[Role.NURSE]

    @property
    def prescriber(self) -> Principal:
        return self.staff[Role.PRESCRIBER]

    def at(self, start: datetime, minutes: float, work: Callable[[], Any]) -> Any:
        when = start + timedelta(minutes=minutes)
        assert when <= self.now, "the demo writes nothing in the future"
        with recorded_at(when):
            return work()

    def vitals(self, sid: int, start: datetime, minutes: float, **values: int) -> None:
        self.readings += 1
        when = start + timedelta(minutes=minutes)
        reading = ReadingIn(id=f"demo-{sid}-{self.readings}", taken_at=when, **{**CALM, **values})
        self.at(
            start,
            minutes,
            lambda: service.record_vitals(
                self.db,
                self.nurse,
                sid,
                [reading],
                self.policy,
                source="device" if self.readings % 2 else "manual",
                device="Bay monitor",
            ),
        )


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
    day = _Day(db, staff, policy(), utcnow().replace(second=0, microsecond=0))
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
            _tell(day, appointment, start, goal)
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
    day: _Day, clinic_id: int, patient: Patient, protocol_id: str, start: datetime, chair: Chair
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


def _receive_spravato(day: _Day, clinic_id: int) -> None:
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


def _container(day: _Day, clinic_id: int, drug: str, need: Decimal) -> int:
    today = today_at(day.db, clinic_id, day.now)
    for container, _lot, _product, _location in ledger.drawable(
        day.db, [clinic_id], today, drug=drug
    ):
        if container.on_hand_ug >= need * 1000:
            return container.id
    raise DemoStockEmpty(f"no {drug} stock left in the demo")


def _tell(day: _Day, appointment: Appointment, start: datetime, goal: str) -> None:
    """Walk one visit through the chairside service up to ``goal``."""
    db, nurse, prescriber, p = day.db, day.nurse, day.prescriber, day.policy
    if goal == "no_show":
        day.at(start, 20, lambda: service.open_session(db, nurse, appointment.id, "no_show", p))
        return
    s = day.at(start, 1, lambda: service.open_session(db, nurse, appointment.id, "check_in", p))
    sid = s.id
    held = goal == "stopped_early"
    day.vitals(sid, start, 3, **({"systolic": 172, "diastolic": 104} if held else {}))
    if goal == "checked_in":
        return
    items = {i.key for i in service.chart(db, nurse, sid, p, audited=False).checklist}
    checks = {k: v for k, v in CHECKS.items() if k in items}
    c = day.at(start, 6, lambda: service.record_checks(db, nurse, sid, checks, p))
    if held:  # the start is held for blood pressure: acknowledged, stopped, rebooked
        alert = service.chart(db, nurse, sid, p, audited=False).open_alerts[0].alert
        day.at(
            start,
            10,
            lambda: service.acknowledge(
                db,
                nurse,
                sid,
                alert.id,
                "notify_prescriber",
                "Rechecked 170/102; prescriber agrees to hold and rebook.",
                p,
            ),
        )
        day.at(
            start,
            12,
            lambda: service.stop(
                db,
                nurse,
                sid,
                StopIn(
                    early_reason="other",
                    reason="BP 172/104 before the start, above the 160/100 hold; rebooked for "
                    "Thursday with the prescriber's agreement.",
                    given_mg=Decimal(0),
                ),
                [],
                p,
            ),
        )
        return
    if goal == "prechecked":
        return
    rems = c.protocol.rems
    plan = plans_repo.plan(db, [s.clinic_id], c.patient.id, s.plan_id)
    assert plan is not None
    dose = plans.dose_for(db, nurse, c.patient, plan, p.plan)
    drawn = (
        dose.dose.value
        if rems
        else (dose.dose.value / 5).to_integral_value(rounding=ROUND_CEILING) * 5
    )
    container = _container(day, s.clinic_id, c.protocol.drug, drawn)
    weight = dose.dosing_weight.value if dose.dosing_weight else Decimal(70)
    release = ReleaseIn(
        checker=CREDENTIALS,
        weight_kg=weight,
        container_id=container,
        drawn_mg=drawn,
        concentration_mg_per_ml=None,
    )
    checker = Principal(
        prescriber.user_id,
        prescriber.email,
        prescriber.name,
        dict(prescriber.roles),
        origin=prescriber.origin,
    )
    witnesses = [Witness(prescriber.user_id, prescriber.name)]
    concentration = c.protocol.preparations[0].concentration_mg_per_ml
    release = release.model_copy(update={"concentration_mg_per_ml": concentration})
    day.at(start, 15, lambda: service.release_dose(db, nurse, sid, release, checker, witnesses, p))
    if goal == "dose_released":
        return
    day.at(start, 20, lambda: service.act(db, nurse, sid, "start", p))
    given_for = 5 if rems else 40  # minutes of administration
    # BP climbs at 40 min, confirmed twice (docs/clinical-references.md#vital-sign-thresholds).
    if goal == "administering":
        day.vitals(sid, start, 27, systolic=148, diastolic=92, heart_rate=88)
        day.vitals(sid, start, 35, systolic=186, diastolic=104, heart_rate=92)
        day.vitals(sid, start, 41, systolic=192, diastolic=108, heart_rate=94, cadss=14)
        return
    if goal == "ended_early":
        _ended_early(day, sid, start, dose.dose.value, witnesses)
        return
    if goal == "paused":
        day.vitals(sid, start, 32, systolic=138, diastolic=86, cadss=18)
        day.at(
            start,
            40,
            lambda: service.record_adverse(
                db,
                nurse,
                sid,
                AdverseIn(effect="nausea", grade=2, note="Nauseated, no vomiting"),
                p,
            ),
        )
        day.at(
            start,
            42,
            lambda: service.record_rescue(
                db,
                nurse,
                sid,
                RescueIn(drug="ondansetron", dose=Decimal(4), route="iv", reason="nausea"),
                p,
            ),
        )
        day.at(
            start,
            43,
            lambda: service.act(
                db, nurse, sid, "pause", p, reason="Nausea: paused while ondansetron works"
            ),
        )
        day.vitals(sid, start, 50, systolic=134, diastolic=84, cadss=9)
        return
    for minute in range(35, 20 + given_for, 15):
        day.vitals(sid, start, minute, systolic=140 + minute % 11, diastolic=88, cadss=20)
    if rems:
        day.vitals(sid, start, 60, systolic=144, diastolic=90, cadss=12)  # about 40 min after
    ended = 20 + given_for
    day.at(
        start,
        ended,
        lambda: service.end_administration(
            db, nurse, sid, GivenIn(given_mg=dose.dose.value), [], p
        ),
    )
    observe = c.protocol.phases.observation_min
    for minute in range(ended + 15, ended + observe + 1, 30):
        day.vitals(sid, start, minute, systolic=130, diastolic=82, cadss=2)
    if goal == "observing":
        return
    final = ended + observe + 5
    day.vitals(sid, start, final - 2)
    escort = goal != "ready_for_discharge"
    try:
        day.at(
            start,
            final,
            lambda: service.discharge(
                db,
                nurse,
                sid,
                DischargeIn(**ALDRETE_10, escort_present=escort, instructions_given=True),
                p,
            ),
        )
    except service.DischargeRefused:
        return  # ready for discharge: the escort is on the way
    if goal == "note_signed":
        day.at(start, final + 10, lambda: service.sign_note(db, nurse, sid, p))
        day.at(start, final + 25, lambda: service.sign_note(db, prescriber, sid, p))


def _ended_early(
    day: _Day, sid: int, start: datetime, dose_mg: Decimal, witnesses: list[Witness]
) -> None:
    """Agitation 10 minutes into a 40-minute infusion: stopped at 12 minutes with the
    reason, the amount given by the pump's count, and the rest wasted before a witness."""
    db, nurse, p = day.db, day.nurse, day.policy
    day.vitals(sid, start, 27, systolic=152, diastolic=94, heart_rate=104, cadss=34)
    day.at(
        start,
        30,
        lambda: service.record_adverse(
            db,
            nurse,
            sid,
            AdverseIn(
                effect="anxiety_agitation",
                grade=2,
                note="Frightened by the dissociation, trying to remove the line",
            ),
            p,
        ),
    )
    given = (dose_mg * 12 / 40).quantize(Decimal("0.1"))
    ended = GivenIn(
        given_mg=given,
        early_reason="adverse_event",
        early_note="agitation with distressing dissociation; prescriber agreed to stop",
    )
    day.at(start, 32, lambda: service.end_administration(db, nurse, sid, ended, witnesses, p))
    for minute in (40, 55):
        day.vitals(sid, start, minute, systolic=136 - minute // 10, diastolic=84, cadss=6)
