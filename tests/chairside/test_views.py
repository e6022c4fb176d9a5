"""The chair's pages: the board, and one session walked through its forms, each
state's page rendering, refusals shown beside the field."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.chairside.conftest import MANUAL_CHECKS, Api, Chairside, backdate, backdate_start
from tests.conftest import PASSWORD, Persona

ALDRETE = {
    "activity": "2",
    "respiration": "2",
    "circulation": "2",
    "consciousness": "2",
    "oxygen_saturation": "2",
}


def _post(api: Api, who: Persona, url: str, data: dict[str, str]) -> tuple[int, str]:
    response = api(who).post(url, data=data, follow_redirects=False)
    return response.status_code, response.text


def test_it_walks_a_session_through_the_pages(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    board = api(nurse).get("/board").text
    assert "Chair 1" in board and "Check in" in board and "Lindqvist, Maya" in board
    status, _ = _post(api, nurse, f"/board/appointments/{chairside.appointment_id}/check-in", {})
    assert status == 303
    sid = api(nurse).get("/api/v1/board").json()["chairs"][0]["now"]["session_id"]
    page = f"/sessions/{sid}"
    assert "Pre-infusion checklist" in api(nurse).get(page).text
    status, text = _post(api, nurse, f"{page}/vitals", {"systolic": "400", "diastolic": "80"})
    assert status == 422 and "not possible" in text
    status, text = _post(api, nurse, f"{page}/vitals", {"systolic": "80", "diastolic": "90"})
    assert status == 422 and 'id="e-diastolic"' in text
    assert (
        _post(
            api,
            nurse,
            f"{page}/vitals",
            {
                "systolic": "126",
                "diastolic": "82",
                "heart_rate": "70",
                "spo2": "98",
                "respiratory_rate": "14",
                "sedation": "0",
                "cadss": "0",
            },
        )[0]
        == 303
    )
    status, text = _post(api, nurse, f"{page}/checklist", {})
    assert status == 422 and "record yes, no or not applicable" in text
    checks = {f"item_{k}": v for k, v in MANUAL_CHECKS.items()}
    assert _post(api, nurse, f"{page}/checklist", checks)[0] == 303
    release = api(nurse).get(page).text
    assert "Release the dose" in release and "51.3 mL/h" in release and "34.2 mg" in release
    wrong = {
        "container_id": str(chairside.vial.id),
        "drawn_mg": "35",
        "witness_email": prescriber.email,
        "witness_password": "not it",
        "weight_kg": "68.4",
        "concentration_mg_per_ml": "1",
    }
    status, text = _post(api, nurse, f"{page}/release", wrong)
    assert status == 422 and "witness email, password or code is not right" in text
    status, _ = _post(api, nurse, f"{page}/release", {**wrong, "witness_password": PASSWORD})
    assert status == 303
    assert "Start administration" in api(nurse).get(page).text
    assert _post(api, nurse, f"{page}/start", {})[0] == 303
    backdate_start(db, sid)
    status, text = _post(
        api, nurse, f"{page}/change_rate", {"rate_ml_per_h": "90", "reason": "faster"}
    )
    assert status == 422 and "needs a new dose check" in text
    assert _post(api, nurse, f"{page}/vitals", {"systolic": "205", "diastolic": "100"})[0] == 303
    alerting = api(nurse).get(page).text
    assert "Open alerts" in alerting and "205" in alerting
    alert_id = api(nurse).get(f"/api/v1/sessions/{sid}").json()["open_alerts"][0]["id"]
    assert "open alert" in api(nurse).get("/board/rows").text
    assert (
        _post(
            api, nurse, f"{page}/acknowledge", {"alert_id": str(alert_id), "ack_action": "recheck"}
        )[0]
        == 303
    )
    assert _post(api, nurse, f"{page}/adverse", {"effect": "nausea", "grade": "1"})[0] == 303
    assert (
        _post(
            api,
            nurse,
            f"{page}/rescue",
            {"drug": "ondansetron", "dose": "4", "route": "iv", "reason": "nausea"},
        )[0]
        == 303
    )
    assert _post(api, nurse, f"{page}/end", {"given_mg": "34.2"})[0] == 303
    backdate(db, sid, 40)
    status, text = _post(api, nurse, f"{page}/discharge", {**ALDRETE, "activity": "0"})
    assert status == 422 and "Discharge refused" in text and "Aldrete score 8" in text
    status, _ = _post(
        api,
        nurse,
        f"{page}/discharge",
        {**ALDRETE, "escort_present": "on", "instructions_given": "on"},
    )
    assert status == 303
    assert _post(api, nurse, f"{page}/sign", {})[0] == 303
    assert _post(api, prescriber, f"{page}/sign", {})[0] == 303
    signed = api(nurse).get(page).text
    assert "Note signed" in signed and "Signed by the nurse" in signed
    assert _post(api, nurse, f"{page}/addendum", {"text": "Called next day: well."})[0] == 303
    assert "Called next day: well." in api(nurse).get(page).text
    pdf = api(nurse).get(f"{page}/note.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Signed" not in api(nurse).get("/rems").text  # nothing due for IV ketamine
