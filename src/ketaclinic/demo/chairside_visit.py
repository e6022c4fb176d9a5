"""One demo visit walked through the chairside service, minute by minute: check-in,
vitals, the pre-checks, the dose released from the safe, administration, observation,
discharge and the note's signatures, up to the state its story ends in (each written
at the minute it happened, ``kit.time.recorded_at``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
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
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.errors import FieldInvalid
from ketaclinic.kit.time import recorded_at
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.schemas import WitnessIn
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.plans import repository as plans_repo
from ketaclinic.plans import service as plans

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


class DemoStockEmpty(FieldInvalid):
    code = "demo_stock_empty"
    field = "container_id"


@dataclass
class Day:
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


def _container(day: Day, clinic_id: int, drug: str, need: Decimal) -> int:
    today = today_at(day.db, clinic_id, day.now)
    for container, _lot, _product, _location in ledger.drawable(
        day.db, [clinic_id], today, drug=drug
    ):
        if container.on_hand_ug >= need * 1000:
            return container.id
    raise DemoStockEmpty(f"no {drug} stock left in the demo")


def _pair(day: Day, clinic_id: int, drug: str, need: Decimal) -> tuple[int, int] | None:
    """An opened container left too low for the dose and the next in the same safe
    that makes it up: the demo's one dose drawn from two vials. None if none is low
    (then ``_even_pair`` draws the dose from two full ones, half from each)."""
    today = today_at(day.db, clinic_id, day.now)
    rows = sorted(
        ledger.drawable(day.db, [clinic_id], today, drug=drug), key=lambda r: r[0].on_hand_ug
    )
    low = next((r for r in rows if r[0].on_hand_ug < need * 1000), None)
    if low is None:
        return None
    opened, product = low[0], low[2]
    for container, _lot, other, _location in rows:
        alike = other.id == product.id and container.location_id == opened.location_id
        enough = opened.on_hand_ug + container.on_hand_ug >= need * 1000
        if alike and enough and container.id != opened.id:
            return opened.id, container.id
    return None


def _even_pair(day: Day, clinic_id: int, drug: str, need: Decimal) -> tuple[int, int] | None:
    """Two containers of one product in one safe that each hold half the dose: what
    day's stock has whatever was drawn before (the demo loads at any hour)."""
    today = today_at(day.db, clinic_id, day.now)
    rows = sorted(
        ledger.drawable(day.db, [clinic_id], today, drug=drug), key=lambda r: r[0].on_hand_ug
    )
    half = need * 1000 / 2
    for first, _lot, product, _location in rows:
        for second, _lot2, other, _location2 in rows:
            alike = other.id == product.id and second.location_id == first.location_id
            if alike and second.id != first.id and min(first.on_hand_ug, second.on_hand_ug) >= half:
                return first.id, second.id
    return None


def tell(day: Day, appointment: Appointment, start: datetime, goal: str) -> None:
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
    # The dose just released is drawn from the cart's opened vial and the next one,
    # when the opened one no longer holds a dose (issue 19).
    pair = (
        _pair(day, s.clinic_id, c.protocol.drug, dose.dose.value)
        if goal == "dose_released"
        else None
    )
    weight = dose.dosing_weight.value if dose.dosing_weight else Decimal(70)
    even = (
        _even_pair(day, s.clinic_id, c.protocol.drug, dose.dose.value)
        if goal == "dose_released" and pair is None
        else None
    )
    if even is not None:  # the nurse chooses two vials and enters each share
        first_mg = (dose.dose.value / 2).quantize(Decimal("0.1"))
        release = ReleaseIn(
            checker=CREDENTIALS,
            weight_kg=weight,
            container_id=even[0],
            second_container_id=even[1],
            first_mg=first_mg,
            second_mg=dose.dose.value - first_mg,
        )
    elif pair is not None:
        release = ReleaseIn(
            checker=CREDENTIALS,
            weight_kg=weight,
            container_id=pair[0],
            second_container_id=pair[1],
        )
    else:
        release = ReleaseIn(
            checker=CREDENTIALS,
            weight_kg=weight,
            container_id=_container(day, s.clinic_id, c.protocol.drug, drawn),
            drawn_mg=drawn,
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
    day: Day, sid: int, start: datetime, dose_mg: Decimal, witnesses: list[Witness]
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
