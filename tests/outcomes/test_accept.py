"""Accepting a booster suggestion revises the patient's current plan: a new version
with the protocol's booster sessions added (a draft the prescriber signs, as any
revision), then booking it, the earlier sessions left where they are. Audited with the
plan's version; dismissing with its reason."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from ketaclinic.audit.models import AuditEvent
from tests.appointments.conftest import signed_plan
from tests.conftest import Persona
from tests.outcomes.helpers import Api, course_history, evaluate


def _details(db: Session, patient_id: int, action: str) -> list[dict[str, object]]:
    stmt = select(AuditEvent.detail).where(
        AuditEvent.patient_id == patient_id, AuditEvent.action == action
    )
    return [json.loads(d) for d in db.scalars(stmt.order_by(AuditEvent.id))]


def _suggested(api: Api, nurse: Persona, prescriber: Persona, db: Session) -> tuple[int, int, int]:
    """A cleared patient with a signed plan whose course suggests a booster: (patient,
    plan, suggestion)."""
    db.add_all(Chair(clinic_id=nurse.clinic.id, name=f"Chair {n}") for n in (1, 2))
    db.commit()
    patient_id, plan_id = signed_plan(api, nurse, prescriber, given_name="Hana")
    course_history(api(nurse), patient_id)
    evaluate(db)
    listed = api(prescriber).get("/api/v1/booster-suggestions").json()["items"]
    [suggestion] = [s for s in listed if s["patient_id"] == patient_id]
    return patient_id, plan_id, int(suggestion["id"])


def test_it_revises_the_plan_with_the_booster_sessions_and_books_them_once_signed(
    api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona, db: Session
) -> None:
    patient_id, plan_id, suggestion_id = _suggested(api, nurse, prescriber, db)
    done = api(prescriber).post(f"/api/v1/booster-suggestions/{suggestion_id}/accept")
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["plan_version"] == 2 and body["plan_status"] == "draft"
    revised = body["plan_id"]
    assert body["next"] == f"/patients/{patient_id}/plans/{revised}/book"
    plan = api(prescriber).get(f"/api/v1/patients/{patient_id}/plans/{revised}").json()
    assert plan["status"] == "draft" and plan["version"] == 2
    assert [s["number"] for s in plan["sessions"]] == list(range(1, 9))
    assert [s["block"] for s in plan["sessions"][6:]] == ["booster", "booster"]
    # The draft waits for the prescriber's signature, and the booking page says so.
    base = f"/api/v1/patients/{patient_id}/plans/{revised}"
    assert api(front_desk).get(f"{base}/availability").status_code == 409
    page = api(front_desk).get(body["next"])
    assert page.status_code == 200
    assert "adds booster sessions 7 and 8" in page.text
    assert "It is a draft: a prescriber signs it" in page.text
    signed = api(prescriber).post(f"{base}/status", json={"action": "sign"})
    assert signed.status_code in (200, 201), signed.text
    before = api(prescriber).get(f"/api/v1/patients/{patient_id}/plans/{plan_id}").json()
    assert before["status"] == "superseded"
    # Booking the revision proposes the booster sessions only.
    options = api(front_desk).get(f"{base}/availability").json()["items"]
    assert [v["session_number"] for v in options[0]["visits"]] == [7, 8]
    booked = api(front_desk).post(f"{base}/appointments", json={"option": 0})
    assert booked.status_code == 201, booked.text
    assert [a["session_number"] for a in booked.json()] == [7, 8]
    [accepted] = _details(db, patient_id, "patient.booster.accept")
    assert accepted["plan_id"] == revised and accepted["plan_version"] == 2
    revise = _details(db, patient_id, "patient.plan.revise")
    assert revise[-1]["booster_sessions"] == [7, 8]


def test_it_accepts_on_the_page_and_goes_on_to_booking(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id, _plan_id, suggestion_id = _suggested(api, nurse, prescriber, db)
    client = api(prescriber)
    done = client.post(f"/booster-suggestions/{suggestion_id}/accept", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/patients/{patient_id}/plans/")
    assert done.headers["location"].endswith("/book")
    page = client.get(done.headers["location"])
    assert page.status_code == 200 and "It is a draft: a prescriber signs it" in page.text


def test_it_audits_a_dismissal_with_its_reason(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id, _plan_id, suggestion_id = _suggested(api, nurse, prescriber, db)
    done = api(prescriber).post(
        f"/api/v1/booster-suggestions/{suggestion_id}/dismiss",
        json={"reason": "Stressful month; review in 2 weeks"},
    )
    assert done.status_code == 201, done.text
    [dismissed] = _details(db, patient_id, "patient.booster.dismiss")
    assert dismissed == {"reason": "Stressful month; review in 2 weeks"}
    assert _details(db, patient_id, "patient.plan.revise") == []
