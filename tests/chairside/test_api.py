"""The chairside API end to end: a whole IV session, the device feed's
idempotency and refusals, and the steps it must not let through."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.chairside.models import AldreteScore, SessionAlert, VitalReading
from ketaclinic.kit.time import utcnow
from ketaclinic.ledger.models import CsContainer, CsEntry
from tests.chairside.conftest import (
    MANUAL_CHECKS,
    Api,
    Chairside,
    backdate,
    backdate_start,
    checker,
    reading,
    released,
    started,
)
from tests.conftest import Persona

GOOD_ALDRETE = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
}


def test_it_runs_a_whole_session_through_the_api(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    body = api(nurse).get(f"/api/v1/sessions/{sid}").json()
    assert body["state"] == "dose_released"
    assert Decimal(str(body["rate_ml_per_h"])) == Decimal("51.3")
    # The draw and the 0.8 mg excess wasted before the checker are in the ledger.
    kinds = [
        e.kind
        for e in db.scalars(
            select(CsEntry).where(CsEntry.container_id == chairside.vial.id).order_by(CsEntry.id)
        )
    ]
    assert kinds[-2:] == ["draw", "waste"]
    assert (
        api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"}).json()["state"]
        == "administering"
    )
    backdate_start(db, sid)
    urgent = (
        api(nurse)
        .post(
            f"/api/v1/sessions/{sid}/vitals",
            json={"readings": [reading(1, systolic=204, diastolic=112)]},
        )
        .json()
    )
    assert [a["rule_id"] for a in urgent["alerts"]] == ["bp_severe"]
    alert_id = urgent["alerts"][0]["id"]
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["open_alerts"][0]["id"] == alert_id
    ack = api(nurse).post(
        f"/api/v1/sessions/{sid}/alerts/{alert_id}/acknowledge",
        json={"action": "pause", "note": "paused, prescriber told"},
    )
    assert ack.status_code == 201, ack.text
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["open_alerts"] == []
    end = api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    assert end.json()["state"] == "observing", end.text
    backdate(db, sid, 35)
    gone = api(nurse).post(
        f"/api/v1/sessions/{sid}/discharge",
        json={**GOOD_ALDRETE, "escort_present": True, "instructions_given": True},
    )
    assert gone.json()["state"] == "discharged", gone.text
    for who in (nurse, prescriber):
        signed = api(who).post(f"/api/v1/sessions/{sid}/note/signatures")
        assert signed.status_code == 201, signed.text
    assert signed.json()["state"] == "note_signed"
    note = api(nurse).get(f"/api/v1/sessions/{sid}/note").json()
    assert note["signed"] and note["body"]["dose"]["dose_mg"] == "34.200"
    assert {s["role"] for s in note["signatures"]} == {"nurse", "prescriber"}
    vial = db.get(CsContainer, chairside.vial.id)
    db.refresh(vial)
    assert vial is not None and vial.on_hand_ug == 465_000


def test_it_refuses_a_discharge_with_an_aldrete_score_of_8_and_keeps_the_score(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    backdate(db, sid, 35)
    refused = api(nurse).post(
        f"/api/v1/sessions/{sid}/discharge",
        json={
            **GOOD_ALDRETE,
            "activity": 1,
            "consciousness": 1,
            "escort_present": True,
            "instructions_given": True,
        },
    )
    assert refused.status_code == 422
    assert "Aldrete score 8" in refused.json()["error"]["fields"]["discharge"]
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "observing"
    totals = db.scalars(select(AldreteScore.total).where(AldreteScore.session_id == sid)).all()
    assert list(totals) == [8]


def test_it_refuses_a_discharge_before_the_observation_minimum_and_without_an_escort(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    early = api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json={**GOOD_ALDRETE})
    assert "observed 0 of 30 minutes" in early.json()["error"]["fields"]["discharge"]
    backdate(db, sid, 31)
    no_escort = api(nurse).post(
        f"/api/v1/sessions/{sid}/discharge", json={**GOOD_ALDRETE, "instructions_given": True}
    )
    assert "escort" in no_escort.json()["error"]["fields"]["discharge"]
    # Ready for discharge, waiting for the escort.
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "ready_for_discharge"


def test_it_records_device_readings_once_under_retries(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    batch = {"device": "gateway-3", "readings": [reading(10), reading(11, heart_rate=80)]}
    first = api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json=batch).json()
    again = api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json=batch).json()
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    count = db.scalar(
        select(func.count()).select_from(VitalReading).where(VitalReading.session_id == sid)
    )
    assert count == 3  # the pre-dose reading and the two
    changed = {"readings": [reading(10, heart_rate=99)]}
    refused = api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json=changed)
    assert refused.status_code == 422
    assert "readings.0.id" in refused.json()["error"]["fields"]


def test_it_refuses_impossible_values_naming_the_field(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    for field, value in (("systolic", 400), ("spo2", 120)):
        refused = api(nurse).post(
            f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(20, **{field: value})]}
        )
        assert refused.status_code == 422
        assert f"readings.0.{field}" in refused.json()["error"]["fields"], refused.text
    future = (utcnow() + timedelta(hours=1)).isoformat()
    late = api(nurse).post(
        f"/api/v1/sessions/{sid}/vitals", json={"readings": [{**reading(21), "taken_at": future}]}
    )
    assert "readings.0.taken_at" in late.json()["error"]["fields"]
    assert db.scalar(select(func.count()).select_from(SessionAlert)) == 0


def test_it_confirms_a_high_bp_only_on_a_second_reading_five_minutes_later(
    api: Api, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    now = utcnow()
    first = {**reading(30, systolic=186), "taken_at": (now - timedelta(minutes=6)).isoformat()}
    out = api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [first]}).json()
    assert out["alerts"] == []
    pending = api(nurse).get(f"/api/v1/sessions/{sid}").json()["pending"]
    assert [p["rule_id"] for p in pending] == ["bp_high"]
    second = {**reading(31, systolic=188), "taken_at": now.isoformat()}
    out = api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [second]}).json()
    assert [a["rule_id"] for a in out["alerts"]] == ["bp_high"]


def test_it_holds_the_dose_while_a_blocking_item_is_open(
    api: Api, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    s = api(nurse).post(f"/api/v1/appointments/{chairside.appointment_id}/session", json={})
    sid = s.json()["id"]
    api(nurse).post(
        f"/api/v1/sessions/{sid}/vitals",
        json={"readings": [reading(0, systolic=172, diastolic=96)]},
    )
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()} | {
        "fasting": {"result": "fail", "value": "ate at 9"}
    }
    done = api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks}).json()
    assert done["state"] == "checked_in"
    assert set(done["blocking"]) == {"fasting", "vitals_in_start_limits"}
    release = api(nurse).post(
        f"/api/v1/sessions/{sid}/release",
        json={
            "checker": checker(prescriber),
            "weight_kg": "68.4",
            "concentration_mg_per_ml": "1",
            "container_id": chairside.vial.id,
            "drawn_mg": "35",
        },
    )
    assert release.status_code == 409


def test_it_refuses_a_mismatched_second_check_and_keeps_it_on_record(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    from ketaclinic.plans.models import DoseVerification

    s = api(nurse).post(f"/api/v1/appointments/{chairside.appointment_id}/session", json={})
    sid = s.json()["id"]
    api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(0)]})
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()}
    api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks})
    wrong = api(nurse).post(
        f"/api/v1/sessions/{sid}/release",
        json={
            "checker": checker(prescriber),
            "weight_kg": "86.4",
            "concentration_mg_per_ml": "1",
            "container_id": chairside.vial.id,
            "drawn_mg": "35",
        },
    )
    assert wrong.status_code == 422
    assert "weight_kg" in wrong.json()["error"]["fields"]
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "prechecked"
    assert [v.matched for v in db.scalars(select(DoseVerification))] == [False]
    assert db.scalar(select(func.count()).select_from(CsEntry).where(CsEntry.kind == "draw")) == 0
    same = api(nurse).post(
        f"/api/v1/sessions/{sid}/release",
        json={
            "checker": checker(nurse),
            "weight_kg": "68.4",
            "concentration_mg_per_ml": "1",
            "container_id": chairside.vial.id,
            "drawn_mg": "35",
        },
    )
    assert same.status_code == 422  # the nurse cannot check herself
