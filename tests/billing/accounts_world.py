"""A self-pay patient's visits to bill, placed directly (charges from the chart are
tested in test_charges): a signed plan, completed sessions with draft lines priced at
$450 (96365) and $35 (J3490), a package catalogue, and the billing staff's principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.billing.account_models import Package
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import packages
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import utcnow
from tests.appointments.conftest import signed_plan
from tests.chairside.conftest import Api
from tests.conftest import Persona

MOOD = "depression_iv_twice_weekly"
VISIT_CENTS = 45000 + 3500
INDUCTION_CENTS = 240000


@dataclass
class SelfPay:
    patient_id: int
    plan_id: int
    clinic_id: int
    desk: Principal
    boss: Principal
    induction: Package
    boosters: Package
    visits: list[int] = field(default_factory=list)


def completed_visit(db: Session, w: SelfPay, number: int, day: date) -> int:
    """A discharged session with its two draft lines; its id."""
    s = ChairsideSession(
        clinic_id=w.clinic_id,
        patient_id=w.patient_id,
        plan_id=w.plan_id,
        session_number=number,
        protocol_id=MOOD,
        state="discharged",
        seq=0,
        created_at=utcnow(),
    )
    db.add(s)
    db.flush()
    for code, cents, ndc in (("96365", 45000, None), ("J3490", 3500, "99999-0500-10")):
        db.add(
            ChargeLine(
                clinic_id=w.clinic_id,
                patient_id=w.patient_id,
                session_id=s.id,
                date_of_service=day,
                place_of_service="11",
                code=code,
                description="IV infusion" if code == "96365" else "Ketamine",
                modifiers="",
                units=1,
                ndc=ndc,
                diagnoses="F33.2",
                pointers="A",
                unit_price_cents=cents,
                amount_cents=cents,
                source="",
                status="draft",
                reason="",
            )
        )
    db.flush()
    w.visits.append(s.id)
    return s.id


def self_pay(
    db: Session, api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona, admin: Persona
) -> SelfPay:
    pid, plan = signed_plan(api, nurse, prescriber)
    boss = principal_for(db, admin.user)
    clinic_id = admin.clinic.id
    induction = packages.save_package(
        db,
        boss,
        clinic_id,
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=INDUCTION_CENTS,
    )
    boosters = packages.save_package(
        db, boss, clinic_id, name="Booster pack of 3", kind="booster", visits=3, price_cents=120000
    )
    db.commit()
    return SelfPay(
        pid, plan, clinic_id, principal_for(db, front_desk.user), boss, induction, boosters
    )


def days_ago(n: int) -> date:
    return utcnow().date() - timedelta(days=n)
