"""The demo's screened and treated patients: intakes, screenings signed by the
clinic's prescriber (one with a chart medication that conflicts), and treatment plans."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.clinics.service import today_at
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import age_on, utcnow
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import (
    MedicationIn,
)
from ketaclinic.plans import service as plans
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.screenings import service as screenings

DEMO_PASSWORD = "ketamine-demo-2026"  # noqa: S105 - printed on purpose: demo data only


# (story, intake changes, notes, rule set, prescriber decision and reason, days ago)
DEMO_SCREENINGS: list[tuple[str, dict[str, Any], str, str, tuple[str, str] | None, int]] = [
    (
        "cleared",
        {},
        "Sertraline, escitalopram and bupropion at full dose for 8+ weeks each.",
        "iv_ketamine_mood",
        ("eligible", ""),
        12,
    ),
    (
        "override",
        {"medication_classes": ["benzodiazepine"]},
        "Sertraline, venlafaxine, mirtazapine tried. Lorazepam 0.5 mg at night.",
        "iv_ketamine_mood",
        (
            "eligible",
            "Lorazepam 0.5 mg at night only; she will hold it the evening before each "
            "infusion, agreed with her psychiatrist. Review response after infusion 3.",
        ),
        9,
    ),
    (
        "not eligible",
        {"active_psychosis": True, "psychosis_history": True},
        "Hearing voices for three weeks; family concerned.",
        "iv_ketamine_mood",
        ("not_eligible", "Current psychotic symptoms; referred back to the community team."),
        20,
    ),
    (
        "awaiting review",
        {"systolic_bp_mmhg": None, "diastolic_bp_mmhg": None, "substance_use_disorder": "remote"},
        "BP not taken at intake (cuff unavailable). Alcohol use disorder, sober since 2019.",
        "iv_ketamine_mood",
        None,
        0,
    ),
    (
        "pain, cleared",
        {"indications": ["crps"], "prior_antidepressant_trials": None},
        "CRPS right foot after a 2024 fracture; gabapentin and duloxetine without relief.",
        "iv_ketamine_pain",
        ("eligible", ""),
        5,
    ),
    (
        "expired",
        {},
        "Fluoxetine, paroxetine, vortioxetine. Series completed in the summer.",
        "iv_ketamine_mood",
        ("eligible", ""),
        120,
    ),
    (
        "intake changed",
        {},
        "Fluoxetine, sertraline and bupropion tried.",
        "iv_ketamine_mood",
        ("eligible", ""),
        30,
    ),
]


def load_screenings(
    db: Session, staff: dict[Role, Principal], active: list[Patient]
) -> dict[str, Patient]:
    """One patient per screening state: cleared, override, not eligible, awaiting a
    prescriber, pain protocol, expired, and re-screen needed after an intake change.
    Patients aged 25-60 with no birthday in the last 130 days are used, so neither
    the age rule nor a birthday since signing changes the story."""
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    today = utcnow().date()
    earlier = today - timedelta(days=130)
    adults = [
        p
        for p in active
        if 25 <= age_on(p.birth_date, today) <= 60
        and age_on(p.birth_date, earlier) == age_on(p.birth_date, today)
    ]
    policy = screenings.ScreeningPolicy()
    stories: dict[str, Patient] = {}
    for patient, (story, changes, notes, rule_set, decision, days_ago) in zip(
        adults, DEMO_SCREENINGS, strict=False
    ):
        stories[story] = patient
        facts = {**CLEAR_INTAKE, **changes}
        when = utcnow() - timedelta(days=days_ago, hours=2)
        if story == "override":  # her chart lists what her intake declares
            lorazepam = MedicationIn(name="Lorazepam", dose="0.5 mg at night")
            patients.add_item(db, nurse, patient, "medications", lorazepam)
        screenings.record_intake(db, nurse, patient, facts, notes, now=when)
        row = screenings.run(db, nurse, patient, rule_set, policy, now=when)
        if decision is not None:
            screenings.sign(
                db,
                prescriber,
                patient,
                row.id,
                decision=decision[0],
                reason=decision[1],
                now=when + timedelta(hours=1),
            )
        if story == "intake changed":
            # Started an interacting medication after she was cleared: re-screen offered.
            later = {**facts, "medication_classes": ["psychostimulant"]}
            screenings.record_intake(
                db, nurse, patient, later, f"{notes} Started methylphenidate.", now=utcnow()
            )
    used = {p.id for p in stories.values()}
    conflict = next(
        (
            p
            for p in active
            if p.id not in used
            and p.sex_at_birth == "female"
            and 25 <= age_on(p.birth_date, today) <= 60
        ),
        None,
    )
    if conflict is not None:
        stories["chart conflict"] = _chart_conflict(db, nurse, conflict, policy)
    return stories


def _chart_conflict(
    db: Session, nurse: Principal, patient: Patient, policy: screenings.ScreeningPolicy
) -> Patient:
    """Her intake answers "none" to interacting medicines while her chart lists
    lamotrigine: the screening reads the chart too and asks for a prescriber's review."""
    patients.add_item(
        db, nurse, patient, "medications", MedicationIn(name="Lamotrigine", dose="200 mg daily")
    )
    when = utcnow() - timedelta(days=1)
    notes = "Sertraline, venlafaxine and bupropion tried. Interacting medications: none."
    screenings.record_intake(db, nurse, patient, CLEAR_INTAKE, notes, now=when)
    screenings.run(db, nurse, patient, "iv_ketamine_mood", policy, now=when)
    return patient


# (protocol, who: a screening story or None for a newly cleared patient, rule set,
#  indications, what happens to the plan, dose amount or None for the protocol's)
DEMO_PLANS: list[tuple[str, str | None, str, list[str], str, Decimal | None]] = [
    ("depression_iv_twice_weekly", "cleared", "iv_ketamine_mood", ["trd"], "active+dose", None),
    ("depression_iv_accelerated", "override", "iv_ketamine_mood", ["trd"], "signed", None),
    ("crps_iv_daily", "pain, cleared", "iv_ketamine_pain", ["crps"], "active", None),
    ("depression_iv_321_monthly", None, "iv_ketamine_mood", ["mdd"], "draft", None),
    ("depression_im", None, "iv_ketamine_mood", ["trd"], "paused", None),
    ("depression_sublingual", None, "iv_ketamine_mood", ["mdd"], "signed", None),
    ("esketamine_nasal", None, "esketamine_nasal", ["trd"], "active+dose", Decimal(84)),
    ("maintenance_taper", None, "iv_ketamine_mood", ["trd"], "revised", None),
]


def load_plans(
    db: Session, staff: dict[Role, Principal], active: list[Patient], cleared: dict[str, Patient]
) -> None:
    """A plan on every protocol: drafts, signed, active with a released dose, paused,
    and one revised (titrated) into a second version."""
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    today = utcnow().date()
    used = {p.id for p in cleared.values()}
    spare = iter(p for p in active if p.id not in used and 18 <= age_on(p.birth_date, today) < 65)
    policy = plans.PlanPolicy()
    for protocol_id, story, rule_set, indications, fate, amount in DEMO_PLANS:
        patient = cleared.get(story) if story else next(spare, None)
        if patient is None:
            continue
        if story is None:
            facts = {**CLEAR_INTAKE, "indications": indications}
            screenings.record_intake(db, nurse, patient, facts, "Screened for the plan.")
            row = screenings.run(db, nurse, patient, rule_set, policy.screening)
            screenings.sign(db, prescriber, patient, row.id, decision="eligible", reason=None)
        start = today_at(db, patient.clinic_id)
        data = PlanIn(
            protocol_id=protocol_id, start_date=start, dose_amount=amount, note="Demo plan."
        )
        plan = plans.draft(db, nurse, patient, data, policy)
        if fate == "draft":
            continue
        plans.transition(db, prescriber, patient, plan.id, "sign", None, policy)
        if fate == "revised":
            titrated = data.model_copy(
                update={"dose_amount": Decimal("0.6"), "note": "Titrated: partial response at 0.5."}
            )
            newer = plans.revise(db, prescriber, patient, plan.id, titrated, policy)
            plans.transition(db, prescriber, patient, newer.id, "sign", None, policy)
            continue
        if fate in {"active", "active+dose", "paused"}:
            plans.transition(db, nurse, patient, plan.id, "start", None, policy)
        if fate == "paused":
            plans.transition(
                db, nurse, patient, plan.id, "pause", "Travelling for two weeks.", policy
            )
        if fate == "active+dose":
            check = plans.calculate_dose(db, nurse, patient, plan.id, 1, policy)
            # The prescriber reads the scale and the label: the same figures, released.
            weight = check.weight_kg or Decimal(70)
            plans.verify_dose(
                db, prescriber, patient, plan.id, check.id, weight, check.concentration_mg_per_ml
            )
