"""The checklist's "Escort present" item: still the nurse's own check, beside what the
chart says (the escort the patient confirmed in the portal, with the phone, or the
one staff confirmed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.appointments.service import confirm_escort
from ketaclinic.appointments.service.changes import confirm_escort_for_patient
from ketaclinic.auth.service import principal_for
from ketaclinic.chairside import service
from ketaclinic.chairside.service.chart import ChairsidePolicy
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.ledger import service as ledger
from ketaclinic.plans.service import PlanPolicy
from tests.chairside.conftest import Api, Chairside
from tests.conftest import Persona


def _open(api: Api, nurse: Persona, c: Chairside) -> int:
    made = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={})
    assert made.status_code in (200, 201), made.text
    return int(made.json()["id"])


def _escort_item(api: Api, nurse: Persona, sid: int) -> str:
    page = api(nurse).get(f"/sessions/{sid}").text
    start = page.index('data-item="escort_present"')
    return page[start : page.index("</li>", start)]


def _on_file(db: Session, nurse: Persona, sid: int) -> service.EscortOnFile | None:
    c = service.chart(db, principal_for(db, nurse.user), sid, _policy())
    return service.escort_on_file(db, c)


def _policy() -> ChairsidePolicy:
    return ChairsidePolicy(
        plan=PlanPolicy(),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )


def test_it_names_the_escort_the_patient_confirmed_beside_the_nurses_check(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    visit = db.get(Appointment, chairside.appointment_id)
    assert visit is not None
    confirm_escort_for_patient(
        db, visit.clinic_id, visit.patient_id, visit.id, "Erik Lindqvist", "+15125550147"
    )
    db.commit()
    sid = _open(api, nurse, chairside)
    found = _on_file(db, nurse, sid)
    assert found == service.EscortOnFile("Erik Lindqvist", "+15125550147", by_patient=True)
    item = _escort_item(api, nurse, sid)
    assert "Confirmed by the patient: Erik Lindqvist, +1 512-555-0147" in item
    assert 'name="item_escort_present" value="pass"' in item  # still the nurse's tick


def test_it_says_who_on_staff_confirmed_and_when_no_one_did(
    api: Api, db: Session, nurse: Persona, front_desk: Persona, chairside: Chairside
) -> None:
    sid = _open(api, nurse, chairside)
    assert _on_file(db, nurse, sid) is None
    assert "No escort confirmed for this visit." in _escort_item(api, nurse, sid)
    confirm_escort(db, principal_for(db, front_desk.user), chairside.appointment_id, "Jo Park")
    db.commit()
    assert _on_file(db, nurse, sid) == service.EscortOnFile("Jo Park", "", by_patient=False)
    assert "Confirmed by staff: Jo Park." in _escort_item(api, nurse, sid)
