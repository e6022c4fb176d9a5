"""The demo's screenings read the whole chart: no patient whose chart lists an
interacting medicine is signed eligible without an override, and the patient whose
intake says "none" while her chart lists lamotrigine waits for a prescriber's review."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.demo.loader import load_demo
from ketaclinic.patients.models import Medication
from ketaclinic.screenings.models import PatientIntake, Screening, ScreeningSignature

NAMED = {"benzodiazepine", "lamotrigine", "maoi", "psychostimulant"}


def test_it_never_clears_an_interacting_chart_medicine_without_a_prescriber_saying_why(
    db: Session,
) -> None:
    load_demo(db, solve_seconds=1)
    rows = db.execute(
        select(Screening, ScreeningSignature).outerjoin(
            ScreeningSignature, ScreeningSignature.screening_id == Screening.id
        )
    ).all()
    for screening, signature in rows:
        on_chart = set(json.loads(screening.facts).get("chart_medication_classes", []))
        if on_chart & NAMED:
            assert screening.decision != "eligible", screening.id
            if signature is not None and signature.decision == "eligible":
                assert signature.override and signature.reason, screening.id

    lamotrigine = set(
        db.scalars(select(Medication.patient_id).where(Medication.name == "Lamotrigine"))
    )
    conflicts = [
        screening
        for screening, signature in rows
        if screening.patient_id in lamotrigine
        and signature is None
        and json.loads(db.get(PatientIntake, screening.intake_id).facts)["medication_classes"] == []
        and "lamotrigine" in json.loads(screening.facts)["chart_medication_classes"]
    ]
    assert conflicts and all(s.decision == "needs_review" for s in conflicts)
    assert any("lamotrigine" in s.result for s in conflicts)
