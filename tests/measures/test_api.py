"""The measurement-based care API: instruments, responses with scoring and alerts,
acknowledgement, treatments, outcomes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import utcnow
from ketaclinic.measures.models import QuestionnaireResponse
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


def phq9(item9: int = 0, each: int = 2) -> dict[str, int]:
    answers = {f"phq9_{i}": each for i in range(1, 9)}
    answers["phq9_9"] = item9
    return answers


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def _post(client: TestClient, patient_id: int, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/patients/{patient_id}/responses", json=body)


def test_it_lists_every_instrument_with_items_and_options(api: Api, nurse: Persona) -> None:
    found = {i["id"]: i for i in api(nurse).get("/api/v1/instruments").json()["items"]}
    assert {
        "phq9",
        "gad7",
        "pcl5",
        "qids_sr16",
        "cssrs_screener",
        "madrs",
        "cadss",
        "pain_nrs",
    } <= set(found)
    assert found["phq9"]["max_total"] == 27
    assert [o["label"] for o in found["cssrs_screener"]["items"][0]["options"]] == ["No", "Yes"]


def test_it_scores_and_stores_a_response(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    response = _post(api(nurse), patient_id, {"instrument_id": "phq9", "answers": phq9()})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["total"], body["band"], body["alerts"]) == (16, "moderately severe", [])
    assert body["completed_by"] == "staff" and body["entered_by_id"] == nurse.user.id
    assert body["instrument_version"] == "1.0"
    row = db.get(QuestionnaireResponse, body["id"])
    assert row is not None and json.loads(row.answers)["phq9_1"] == 2


def test_it_names_each_missing_or_out_of_range_answer(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    answers = phq9()
    del answers["phq9_3"]
    answers["phq9_4"] = 7
    response = _post(api(nurse), patient_id, {"instrument_id": "phq9", "answers": answers})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["answers.phq9_3"] == "missing answer"
    assert "between 0 and 3" in fields["answers.phq9_4"]
    unknown = _post(api(nurse), patient_id, {"instrument_id": "beck", "answers": {}})
    assert "instrument_id" in unknown.json()["error"]["fields"]


def test_it_raises_a_safety_alert_that_a_nurse_acknowledges(
    api: Api, nurse: Persona, front_desk: Persona, patient_id: int, db: Session
) -> None:
    body = _post(api(front_desk), patient_id, {"instrument_id": "phq9", "answers": phq9(1)})
    [alert] = body.json()["alerts"]
    assert alert["kind"] == "suicide_risk" and alert["acknowledged_at"] is None
    assert [a["id"] for a in api(nurse).get("/api/v1/alerts").json()["items"]] == [alert["id"]]
    url = f"/api/v1/patients/{patient_id}/alerts/{alert['id']}/acknowledge"
    # The front desk registers and books; alerts are for clinicians.
    assert api(front_desk).post(url, json={"note": "Called"}).status_code == 403
    assert api(nurse).post(url, json={"note": ""}).status_code == 422
    done = api(nurse).post(url, json={"note": "Spoke with patient; safety plan reviewed."})
    assert done.status_code == 200 and done.json()["acknowledged_by_id"] == nurse.user.id
    assert api(nurse).post(url, json={"note": "again"}).status_code == 409
    assert api(nurse).get("/api/v1/alerts").json()["items"] == []
    acks = db.scalars(select(AuditEvent).where(AuditEvent.action == "patient.alert.acknowledge"))
    assert [e.user_id for e in acks] == [nurse.user.id]


def test_it_raises_an_alert_for_moderate_cssrs_risk_only(
    api: Api, prescriber: Persona, patient_id: int
) -> None:
    low = {"cssrs_1": True, "cssrs_2": False, "cssrs_6": False}
    moderate = {
        "cssrs_1": True,
        "cssrs_2": True,
        "cssrs_3": True,
        "cssrs_4": False,
        "cssrs_5": False,
        "cssrs_6": False,
    }
    client = api(prescriber)
    first = _post(client, patient_id, {"instrument_id": "cssrs_screener", "answers": low})
    assert first.status_code == 201, first.text
    assert first.json()["alerts"] == [] and first.json()["risk_level"] == "low"
    second = _post(client, patient_id, {"instrument_id": "cssrs_screener", "answers": moderate})
    assert second.json()["risk_level"] == "moderate" and len(second.json()["alerts"]) == 1


@pytest.mark.parametrize(
    ("instrument_id", "item", "flag_at", "alert_at", "top"),
    [("qids_sr16", "qids_sr16_12", 1, 2, 3), ("madrs", "madrs_10", 2, 4, 6)],
)
def test_it_raises_the_safety_alert_from_the_qids_and_madrs_suicide_items(
    api: Api,
    nurse: Persona,
    patient_id: int,
    instrument_id: str,
    item: str,
    flag_at: int,
    alert_at: int,
    top: int,
) -> None:
    client = api(nurse)
    found = {i["id"]: i for i in client.get("/api/v1/instruments").json()["items"]}[instrument_id]
    zeros = {entry["id"]: 0 for entry in found["items"] if entry.get("required", True)}

    def post(value: int) -> Any:
        body = {"instrument_id": instrument_id, "answers": zeros | {item: value}}
        response = _post(client, patient_id, body)
        assert response.status_code == 201, response.text
        return response.json()

    flagged = post(flag_at)
    assert flagged["flags"] == ["suicide_review"] and flagged["alerts"] == []
    alerted = post(alert_at)
    assert [a["kind"] for a in alerted["alerts"]] == ["suicide_risk"]
    planned = post(top)  # "made plans" / "explicit plans": never silent
    assert [a["kind"] for a in planned["alerts"]] == ["suicide_risk"]
    open_alerts = client.get(f"/api/v1/patients/{patient_id}/alerts").json()["items"]
    assert len(open_alerts) == 2


def test_it_keeps_scored_responses_unchangeable_in_the_database(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    row_id = _post(
        api(nurse),
        patient_id,
        {"instrument_id": "gad7", "answers": {f"gad7_{i}": 1 for i in range(1, 8)}},
    ).json()["id"]
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(
            text("UPDATE questionnaire_responses SET total = 0 WHERE id = :id"), {"id": row_id}
        )


def test_it_summarizes_response_and_remission_against_treatments(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    start = utcnow() - timedelta(days=20)

    def score(days: int, each: int) -> None:
        when = (start + timedelta(days=days)).isoformat()
        body = {"instrument_id": "phq9", "answers": phq9(0, each), "completed_at": when}
        assert _post(client, patient_id, body).status_code == 201

    score(0, 2)  # 16 before the first infusion: the baseline
    for day in (1, 4, 8, 11):
        given = (start + timedelta(days=day)).isoformat()
        made = client.post(
            f"/api/v1/patients/{patient_id}/treatments",
            json={"given_at": given, "modality": "iv_ketamine"},
        )
        assert made.status_code == 201, made.text
    score(5, 1)  # 8: a 50% fall, response
    score(12, 0)  # 0: remission
    [phq] = client.get(f"/api/v1/patients/{patient_id}/outcomes").json()["items"]
    assert (phq["baseline_total"], phq["latest_total"], phq["treatments_given"]) == (16, 0, 4)
    assert phq["is_response"] and phq["is_remission"] and phq["status"] == "remission"
    assert phq["percent_change"] == -100.0


def test_it_counts_a_10_point_pcl5_fall_as_response(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    start = utcnow() - timedelta(days=20)

    def score(days: int, total: int) -> None:
        # total // 3 items at 3 and the rest on the last item (totals below 57).
        answers = {f"pcl5_{i}": 3 if i <= total // 3 else 0 for i in range(1, 21)}
        answers["pcl5_20"] = total % 3
        when = (start + timedelta(days=days)).isoformat()
        body = {"instrument_id": "pcl5", "answers": answers, "completed_at": when}
        response = _post(client, patient_id, body)
        assert response.status_code == 201 and response.json()["total"] == total, response.text

    score(0, 48)  # baseline
    given = (start + timedelta(days=1)).isoformat()
    client.post(
        f"/api/v1/patients/{patient_id}/treatments",
        json={"given_at": given, "modality": "iv_ketamine"},
    )
    score(8, 38)  # a 10-point fall is 21%: meaningful for PCL-5, not a 50% response
    [pcl5] = client.get(f"/api/v1/patients/{patient_id}/outcomes").json()["items"]
    assert pcl5["is_response"] and pcl5["latest_total"] == 38


def test_it_refuses_a_future_treatment_and_a_foreign_session(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    later = (utcnow() + timedelta(days=1)).isoformat()
    future = client.post(
        f"/api/v1/patients/{patient_id}/treatments",
        json={"given_at": later, "modality": "iv_ketamine"},
    )
    assert future.status_code == 422 and "given_at" in future.json()["error"]["fields"]
    body = {"instrument_id": "phq9", "answers": phq9(), "session_id": 999_999}
    assert "session_id" in _post(client, patient_id, body).json()["error"]["fields"]


def test_it_keeps_other_clinics_and_the_custodian_out(
    api: Api, outsider: Persona, custodian: Persona, patient_id: int
) -> None:
    body = {"instrument_id": "phq9", "answers": phq9()}
    assert _post(api(outsider), patient_id, body).status_code == 404
    assert api(outsider).get(f"/api/v1/patients/{patient_id}/responses").status_code == 404
    assert api(custodian).get(f"/api/v1/patients/{patient_id}/outcomes").status_code == 403


def test_it_audits_reads_of_responses(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    api(nurse).get(f"/api/v1/patients/{patient_id}/responses")
    # Filtered by patient: browser tests commit reads of their own patients for real.
    stmt = select(AuditEvent).where(
        AuditEvent.action == "patient.read", AuditEvent.patient_id == patient_id
    )
    [read] = db.scalars(stmt)
    assert json.loads(read.detail) == {"purpose": "responses"}
