"""Chairside records that can happen (issue 18, sections 2 and 3), through the API and
the pages: a 40-minute infusion ended at once asks why and how much was given, the
ledger takes what was given and wastes the rest before a witness; a pause stops the
clock; steps are dated in order; the last reading is not charted twice by a tap; the
next reading is due by the phase."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.chairside import service
from ketaclinic.chairside.models import SessionEvent
from ketaclinic.chairside.schemas import ReadingIn
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsEntry
from ketaclinic.plans.service import PlanPolicy
from tests.chairside.conftest import (
    Api,
    Chairside,
    checker,
    reading,
    released,
    started,
)
from tests.conftest import Persona


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _ledger(db: Session) -> dict[str, int]:
    return {
        e.kind: e.amount_ug
        for e in db.scalars(
            select(CsEntry).where(CsEntry.kind.in_(["administer", "waste"])).order_by(CsEntry.id)
        )
    }


def test_it_asks_why_a_40_minute_infusion_ends_at_once_and_what_was_given(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)  # 34.2 mg released (35 drawn)
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    end = f"/api/v1/sessions/{sid}/end"
    no_amount = api(nurse).post(end, json={"early_reason": "adverse_event"})
    assert no_amount.status_code == 422 and "given_mg" in no_amount.json()["error"]["fields"]
    no_reason = api(nurse).post(end, json={"given_mg": "34.2"})
    assert no_reason.status_code == 422, no_reason.text
    assert "0.0 of 40 minutes" in no_reason.json()["error"]["message"]
    assert "early_reason" in no_reason.json()["error"]["fields"]
    other = api(nurse).post(end, json={"given_mg": "10", "early_reason": "other"})
    assert other.json()["error"]["fields"] == {"early_note": "say what happened"}
    too_much = api(nurse).post(
        end, json={"given_mg": "35", "early_reason": "patient_request", "witnesses": []}
    )
    assert (
        too_much.json()["error"]["fields"]["given_mg"] == "at most the released dose of 34.200 mg"
    )
    body = {"given_mg": "12", "early_reason": "adverse_event", "early_note": "BP 204/112"}
    unwitnessed = api(nurse).post(end, json=body)
    assert "witness_email" in unwitnessed.json()["error"]["fields"]
    assert "administer" not in _ledger(db)  # nothing written by the refusals
    ended = api(nurse).post(end, json={**body, "witnesses": [checker(prescriber)]})
    assert ended.json()["state"] == "observing", ended.text
    # Given and wasted in the ledger, with the 0.8 mg over the dose wasted at release.
    wasted = db.scalars(select(CsEntry.amount_ug).where(CsEntry.kind == "waste")).all()
    assert _ledger(db)["administer"] == 12_000 and sorted(wasted) == [800, 22_200]
    event = db.scalars(
        select(SessionEvent).where(
            SessionEvent.session_id == sid, SessionEvent.action == "end_administration"
        )
    ).one()
    detail = json.loads(event.detail)
    assert event.reason == "Adverse event: BP 204/112"
    assert detail["ended_early"] and detail["early_reason"] == "adverse_event"
    assert (detail["given_mg"], detail["wasted_mg"], detail["planned_min"]) == ("12", "22.2", 40)


def test_it_ends_a_whole_infusion_with_no_question(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid, minutes=33)  # 33 of 40 minutes: past 80%
    ended = api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    assert ended.json()["state"] == "observing", ended.text
    assert _ledger(db)["administer"] == 34_200


def test_it_stops_the_infusion_clock_while_paused(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    actions = f"/api/v1/sessions/{sid}/actions"
    api(nurse).post(actions, json={"action": "start"})
    api(nurse).post(actions, json={"action": "pause", "reason": "nausea"})
    with time_machine.travel(utcnow() + timedelta(minutes=45), tick=True):
        assert api(nurse).post(actions, json={"action": "resume"}).status_code == 200
        # 45 minutes in the chair, but the drug ran for none of them.
        early = api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
        assert early.status_code == 422 and "early_reason" in early.json()["error"]["fields"]


def test_it_refuses_a_step_dated_in_the_future_or_before_the_one_it_follows(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    actions = f"/api/v1/sessions/{sid}/actions"
    future = (utcnow() + timedelta(minutes=30)).isoformat()
    ahead = api(nurse).post(actions, json={"action": "start", "at": future})
    assert ahead.status_code == 422 and ahead.json()["error"]["fields"] == {"at": "in the future"}
    past = (utcnow() - timedelta(hours=2)).isoformat()
    before = api(nurse).post(actions, json={"action": "start", "at": past})
    assert before.status_code == 422
    assert before.json()["error"]["fields"]["at"].startswith("before the step it follows")
    when = utcnow()
    ok = api(nurse).post(actions, json={"action": "start", "at": when.isoformat()})
    assert ok.status_code == 200, ok.text
    assert as_utc(_dt(ok.json()["administration_started_at"])) == when
    end_before_start = (when - timedelta(seconds=1)).isoformat()
    refused = api(nurse).post(
        f"/api/v1/sessions/{sid}/end",
        json={"given_mg": "34.2", "at": end_before_start, "early_reason": "pump_or_line"},
    )
    assert refused.status_code == 422 and "at" in refused.json()["error"]["fields"]


def test_it_refuses_the_same_manual_reading_again_unless_confirmed(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    """A person's reading (the pages post them; a token's readings count as a
    monitor gateway's, whose retries the reading id already makes land once)."""
    sid = released(api, nurse, prescriber, chairside)
    policy = service.ChairsidePolicy(
        plan=PlanPolicy(),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )
    who = principal_for(db, nurse.user)

    def record(r: ReadingIn, confirm: bool = False) -> service.VitalsResult:
        return service.record_vitals(db, who, sid, [r], policy, confirm_repeat=confirm)

    def new(n: int, **values: int) -> ReadingIn:
        return ReadingIn.model_validate(reading(n, **values))

    first = new(1)
    assert len(record(first).accepted) == 1
    with pytest.raises(ValidationFailed) as refused:
        record(new(2))
    assert "readings.0.confirm_repeat" in refused.value.fields
    assert len(record(first).accepted) == 0  # a retry of the same id is still a no-op
    assert len(record(new(3, heart_rate=73)).accepted) == 1
    assert len(record(new(4, heart_rate=73), confirm=True).accepted) == 1
    # The API takes the confirmation too.
    body = {"readings": [reading(5, heart_rate=73)], "confirm_repeat": True}
    assert api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json=body).status_code == 200


def test_it_makes_the_next_reading_due_by_the_phase(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    taken = utcnow().replace(microsecond=0)
    api(nurse).post(
        f"/api/v1/sessions/{sid}/vitals",
        json={"readings": [{**reading(1, systolic=131), "taken_at": taken.isoformat()}]},
    )
    during = api(nurse).get(f"/api/v1/sessions/{sid}").json()
    assert as_utc(_dt(during["next_reading_due"])) == taken + timedelta(minutes=10)
    board = api(nurse).get("/api/v1/board").json()["chairs"][0]["now"]
    assert as_utc(_dt(board["next_reading_due"])) == taken + timedelta(minutes=10)
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    after = api(nurse).get(f"/api/v1/sessions/{sid}").json()
    assert after["phase"] == "observation"
    assert as_utc(_dt(after["next_reading_due"])) == taken + timedelta(minutes=15)


def test_it_asks_on_the_page_for_the_amount_and_the_reason_and_shows_the_waste(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    page = f"/sessions/{sid}"
    api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    shown = api(nurse).get(page).text
    assert 'id="early-stop"' in shown and "Ending early: why?" in shown
    assert 'name="given_mg" type="text"\n         value=""' in shown  # never pre-filled
    assert 'data-last="systolic">last 128<' in shown  # the last reading beside empty fields
    post = api(nurse).post(f"{page}/end", data={"given_mg": "34.2"}, follow_redirects=False)
    assert post.status_code == 422 and 'id="e-early_reason"' in post.text
    post = api(nurse).post(
        f"{page}/end",
        data={
            "given_mg": "20",
            "early_reason": "patient_request",
            "witness_email": prescriber.email,
            "witness_password": checker(prescriber)["password"],
        },
        follow_redirects=False,
    )
    assert post.status_code == 303, post.text
    assert _ledger(db)["administer"] == 20_000
    administrations = api(nurse).get(f"/patients/{chairside.patient_id}/administrations").text
    assert "14.2" in administrations  # the rest wasted before the witness


def test_it_asks_on_the_page_before_charting_the_same_reading_twice(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    page = f"/sessions/{sid}"
    calm = {"systolic": "128", "diastolic": "80", "heart_rate": "72"}
    assert api(nurse).post(f"{page}/vitals", data=calm, follow_redirects=False).status_code == 303
    twice = api(nurse).post(f"{page}/vitals", data=calm, follow_redirects=False)
    assert twice.status_code == 422 and 'name="confirm_repeat"' in twice.text
    assert 'value="128"' in twice.text  # what was typed stays in the form
    confirmed = api(nurse).post(
        f"{page}/vitals", data={**calm, "confirm_repeat": "on"}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    readings = api(nurse).get(f"/api/v1/sessions/{sid}/vitals").json()["items"]
    assert len(readings) == 3  # the baseline, the first and the confirmed repeat


def test_it_asks_on_the_page_why_a_session_stops_early(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    page = f"/sessions/{sid}"
    shown = api(nurse).get(page).text
    stop_form = shown.split('id="stop-form"')[1].split("</form>")[0]
    assert "Why does it stop?" in stop_form and "What happened" in stop_form
    assert 'value="pump_or_line"' in stop_form and "Patient&#39;s request" in stop_form
    what = {"reason": "Line tissued twice; patient declined a third attempt.", "given_mg": "0"}
    post = api(nurse).post(f"{page}/stop", data=what, follow_redirects=False)
    assert post.status_code == 422 and 'id="e-early_reason"' in post.text
    assert "say why it ends early" in post.text and "Line tissued twice" in post.text
    witness = {
        "witness_email": prescriber.email,
        "witness_password": checker(prescriber)["password"],
    }
    done = api(nurse).post(
        f"{page}/stop",
        data={**what, **witness, "early_reason": "pump_or_line"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "stopped_early"
