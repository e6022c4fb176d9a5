"""The session's harder paths: an early stop with the rest wasted, the esketamine
session whose note waits for its REMS form, the due list, addenda after signing,
records that cannot be changed, and two steps at once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.auth.service import principal_for
from ketaclinic.chairside import service
from ketaclinic.chairside.models import ChairsideSession, SessionEvent
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.kit.time import today_in
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsEntry, CsLocation
from ketaclinic.ledger.schemas import ProductIn, ReceiptIn
from ketaclinic.plans.service import PlanPolicy
from ketaclinic.treatments.models import TreatmentSession
from tests.chairside.conftest import (
    MANUAL_CHECKS,
    Api,
    Chairside,
    backdate,
    book_now,
    checker,
    reading,
    released,
    started,
)
from tests.conftest import CLINIC_TZ, Persona
from tests.ledger.conftest import receipt
from tests.plans.conftest import clear_patient, plan_body

GOOD = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
    "escort_present": True,
    "instructions_given": True,
}


def test_it_stops_early_administers_what_was_given_and_wastes_the_rest(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    body = {"reason": "Distressing dissociation; patient asked to stop.", "given_mg": "20"}
    # Why it stops is asked as for an early end: the structured reason is needed.
    no_reason = api(nurse).post(f"/api/v1/sessions/{sid}/stop", json=body)
    assert no_reason.status_code == 422
    assert "patient's request" in no_reason.json()["error"]["fields"]["early_reason"]
    body["early_reason"] = "patient_request"
    unwitnessed = api(nurse).post(f"/api/v1/sessions/{sid}/stop", json=body)
    assert (
        unwitnessed.status_code == 422 and "witness_email" in unwitnessed.json()["error"]["fields"]
    )
    stopped = api(nurse).post(
        f"/api/v1/sessions/{sid}/stop", json={**body, "witnesses": [checker(prescriber)]}
    )
    assert stopped.json()["state"] == "stopped_early", stopped.text
    assert stopped.json()["actions"] == ["observe"]
    stop_events = select(SessionEvent).where(
        SessionEvent.session_id == sid, SessionEvent.action == "stop"
    )
    event = db.scalars(stop_events).one()
    assert event.reason == "Patient's request: Distressing dissociation; patient asked to stop."
    assert json.loads(event.detail)["early_reason"] == "patient_request"
    amounts = {
        e.kind: e.amount_ug
        for e in db.scalars(
            select(CsEntry).where(CsEntry.kind.in_(["administer", "waste"])).order_by(CsEntry.id)
        )
    }
    assert amounts == {"administer": 20_000, "waste": 14_200}
    # Drug was given: the note waits for observation and discharge.
    early = api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures")
    assert early.status_code == 409 and "observe" in early.json()["error"]["message"]
    observing = api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "observe"})
    assert observing.json()["state"] == "observing"
    backdate(db, sid, 31)
    assert (
        api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json=GOOD).json()["state"]
        == "discharged"
    )


def test_it_records_the_treatment_under_the_sessions_plan(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    session = db.get(ChairsideSession, sid)
    assert session is not None and session.treatment_session_id is not None
    treatment = db.get(TreatmentSession, session.treatment_session_id)
    assert treatment is not None and treatment.plan_id == session.plan_id


def test_it_refuses_a_rate_above_the_released_one_and_steps_out_of_order(
    api: Api, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    early = api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "pause"})
    assert early.status_code == 409 and "Cannot pause" in early.json()["error"]["message"]
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    faster = api(nurse).post(
        f"/api/v1/sessions/{sid}/actions",
        json={"action": "change_rate", "rate_ml_per_h": "80", "reason": "catch up"},
    )
    assert faster.status_code == 422 and "rate_ml_per_h" in faster.json()["error"]["fields"]
    slower = api(nurse).post(
        f"/api/v1/sessions/{sid}/actions",
        json={"action": "change_rate", "rate_ml_per_h": "30", "reason": "nausea"},
    )
    assert Decimal(str(slower.json()["rate_ml_per_h"])) == 30


@pytest.fixture
def nasal(
    db: Session,
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    front_desk: Persona,
    custodian: Persona,
) -> tuple[int, int]:
    """An esketamine patient (84 mg) booked now, and a safe of 84 mg kits: (visit, kit)."""
    who = principal_for(db, custodian.user)
    product = ledger.add_product(
        db,
        who,
        ProductIn(
            ndc="50458-0028-03",
            drug="esketamine",
            name="Spravato 84 mg kit",
            strength="28 mg per device",
            form="nasal spray",
            container_mg=Decimal(84),
        ),
    )
    safe = db.scalar(select(CsLocation).where(CsLocation.clinic_id == custodian.clinic.id))
    if safe is None:
        from ketaclinic.ledger.schemas import LocationIn

        safe = ledger.add_location(db, who, custodian.clinic.id, LocationIn(name="Safe A"))
    [entry] = ledger.receive(
        db, who, ReceiptIn(**receipt(safe.id, product.id, containers=1, lot_number="SPV1"))
    )
    chair = Chair(clinic_id=nurse.clinic.id, name="Chair 9")
    db.add(chair)
    db.commit()
    pid = clear_patient(api, nurse, prescriber, rule_set="esketamine_nasal")
    made = (
        api(nurse)
        .post(
            f"/api/v1/patients/{pid}/plans",
            json=plan_body(protocol_id="esketamine_nasal", dose_amount=84),
        )
        .json()
    )
    api(prescriber).post(
        f"/api/v1/patients/{pid}/plans/{made['id']}/status", json={"action": "sign"}
    )
    visit = book_now(db, front_desk, pid, int(made["id"]), chair)
    return visit, entry.container_id


def test_it_will_not_sign_an_esketamine_note_until_the_rems_form_is_complete(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, nasal: tuple[int, int]
) -> None:
    visit, kit = nasal
    sid = api(nurse).post(f"/api/v1/appointments/{visit}/session", json={}).json()["id"]
    api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(0)]})
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()} | {
        "rems_enrolled": {"result": "pass"}
    }
    assert (
        api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks}).json()["state"]
        == "prechecked"
    )
    out = api(nurse).post(
        f"/api/v1/sessions/{sid}/release",
        json={
            "checker": checker(prescriber),
            "weight_kg": "70",
            "container_id": kit,
            "drawn_mg": "84",
        },
    )
    assert out.status_code == 200, out.text
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    # The devices have no planned duration: ending at once is no early stop.
    ended = api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "56"})
    assert ended.status_code == 200, ended.text
    backdate(db, sid, 121)
    gone = api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json=GOOD)
    assert gone.json().get("state") == "discharged", gone.text
    form = api(nurse).get(f"/api/v1/sessions/{sid}/rems").json()
    # Day 1 is 56 mg (the 84 mg kit's third device is wasted before the checker).
    assert form["fields"]["dose"] == "56" and form["fields"]["lot_number"] == "SPV1"
    assert form["fields"]["patient_name"] == "Maya Lindqvist"
    refused = api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures")
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {f"rems.{k}" for k in form["missing"]}
    due = api(nurse).get("/api/v1/rems/due").json()["items"]
    assert [d["session_id"] for d in due] == [sid]
    assert due[0]["due_on"] == date.fromordinal(today_in(CLINIC_TZ).toordinal() + 7).isoformat()
    wrong = api(nurse).put(
        f"/api/v1/sessions/{sid}/rems", json={"fields": {"minutes_monitored": "95"}}
    )
    assert (
        wrong.status_code == 422 and "120" in wrong.json()["error"]["fields"]["minutes_monitored"]
    )
    filled = {
        "minutes_monitored": "135",
        "ready_to_leave_at": "11:40",
        "bp_40_min": "138/86",
        "bp_pre_completion": "128/80",
        "vitals_acceptable_before_completion": "yes",
        "monitoring_professional": "Nia Nurse, RN",
    }
    saved = api(nurse).put(f"/api/v1/sessions/{sid}/rems", json={"fields": filled}).json()
    assert saved["missing"] == {}, saved
    assert api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures").status_code == 201
    sent = api(nurse).post(
        f"/api/v1/sessions/{sid}/rems/sent",
        json={"sent_on": today_in(CLINIC_TZ).isoformat(), "reference": "REMS-55120"},
    )
    assert sent.status_code == 201, sent.text
    assert api(nurse).get("/api/v1/rems/due").json()["items"] == []
    pdf = api(nurse).get(f"/sessions/{sid}/rems.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_it_keeps_the_signed_note_and_adds_addenda(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    before = api(nurse).post(f"/api/v1/sessions/{sid}/note/addenda", json={"text": "Too early."})
    assert before.status_code == 409
    started(api, db, nurse, sid)
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    backdate(db, sid, 31)
    api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json=GOOD)
    api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures")
    twice = api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures")
    assert twice.status_code == 409
    # Later vitals cannot change the signed note.
    note = api(nurse).get(f"/api/v1/sessions/{sid}/note").json()
    assert note["signed"] and len(note["body"]["vitals"]) == 1
    added = api(nurse).post(
        f"/api/v1/sessions/{sid}/note/addenda",
        json={"text": "Phoned next day: slept well, no headache."},
    )
    assert added.status_code == 201
    assert (
        api(nurse)
        .get(f"/api/v1/sessions/{sid}/note")
        .json()["addenda"][0]["text"]
        .startswith("Phoned")
    )
    visit = db.get(Appointment, chairside.appointment_id)
    db.refresh(visit)
    assert visit is not None and visit.status == "completed"


@pytest.mark.parametrize(
    "table",
    ["vital_readings", "session_events", "session_notes", "session_alerts", "aldrete_scores"],
)
def test_it_refuses_to_change_or_delete_charted_rows(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside, table: str
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(1, systolic=210)]})
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    backdate(db, sid, 31)
    api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json=GOOD)
    api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures")
    for statement in (f"UPDATE {table} SET by_id = by_id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match=r"append-only|refuse"):
            db.execute(text(statement))
        db.rollback()


def test_it_lets_only_one_of_two_simultaneous_steps_land(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    policy = service.ChairsidePolicy(
        plan=PlanPolicy(),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )
    who = principal_for(db, nurse.user)
    first = service.chart(db, who, sid, policy, audited=False)
    stale_seq = first.session.seq
    service.act(db, who, sid, "start", policy)
    db.flush()
    # A second writer that read the session before the start claims the same seq.
    db.add(
        SessionEvent(
            session_id=sid,
            patient_id=first.patient.id,
            seq=stale_seq + 1,
            action="stop",
            from_state="dose_released",
            to_state="stopped_early",
            by_id=who.user_id,
        )
    )
    with pytest.raises(Exception, match=r"UNIQUE|unique|duplicate"):
        db.flush()
    db.rollback()


def test_it_stops_the_clock_when_a_patient_leaves_before_any_drug(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    sid = (
        api(nurse)
        .post(f"/api/v1/appointments/{chairside.appointment_id}/session", json={})
        .json()["id"]
    )
    stopped = api(nurse).post(
        f"/api/v1/sessions/{sid}/stop",
        json={"reason": "BP held the start; rebooked.", "given_mg": 0, "early_reason": "other"},
    )
    assert stopped.json()["state"] == "stopped_early", stopped.text
    policy = service.ChairsidePolicy(
        plan=PlanPolicy(),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )
    chart = service.chart(db, principal_for(db, nurse.user), sid, policy, audited=False)
    assert chart.minutes_elapsed == 0
    chart.now += timedelta(hours=3)  # the board looked at later
    assert chart.minutes_elapsed == 0 and chart.next_due is None


def test_it_reads_a_day_of_charts_at_once_exactly_as_one_by_one(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    front_desk: Persona,
    chairside: Chairside,
) -> None:
    from tests.appointments.conftest import signed_plan
    from tests.chairside.conftest import book_now

    first = released(api, nurse, prescriber, chairside)
    api(nurse).post(f"/api/v1/sessions/{first}/actions", json={"action": "start"})
    api(nurse).post(
        f"/api/v1/sessions/{first}/vitals", json={"readings": [reading(5, systolic=205)]}
    )
    chair = Chair(clinic_id=nurse.clinic.id, name="Chair 2")
    db.add(chair)
    db.commit()
    pid, plan = signed_plan(api, nurse, prescriber, given_name="Ines")  # another person
    visit = book_now(db, front_desk, pid, plan, chair)
    second = api(nurse).post(f"/api/v1/appointments/{visit}/session", json={}).json()["id"]
    api(nurse).post(f"/api/v1/sessions/{second}/vitals", json={"readings": [reading(6)]})
    policy = service.ChairsidePolicy(
        plan=PlanPolicy(),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )
    who = principal_for(db, nurse.user)
    singly = [service.chart(db, who, sid, policy, audited=False) for sid in (first, second)]
    found = [(c.session, c.patient) for c in singly]
    together = service.charts(db, found, policy)

    def seen(c: service.Chart) -> tuple[object, ...]:
        return (
            c.session.id,
            c.state,
            [e.id for e in c.events],
            [r.id for r in c.readings],
            [(a.alert.id, len(a.actions)) for a in c.alerts],
            sorted(c.checks),
            c.dose_check.id if c.dose_check else None,
            c.draw.id if c.draw else None,
            [i.key for i in c.checklist],
            c.next_due,
        )

    assert [seen(c) for c in together] == [seen(c) for c in singly]
    assert [len(c.open_alerts) for c in together] == [1, 0]
    assert together[0].draw is not None and together[1].draw is None
