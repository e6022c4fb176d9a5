"""The chair's pages: the board, and one session walked through its forms, each
state's page rendering, refusals shown beside the field."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.chairside.conftest import (
    CALM,
    MANUAL_CHECKS,
    Api,
    Chairside,
    backdate,
    backdate_start,
)
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
    checklist = api(nurse).get(page).text
    assert "Pre-infusion checklist" in checklist and 'id="checklist-vitals"' in checklist
    assert 'id="vitals-form"' not in checklist  # one submit: the vitals are in the checklist
    status, text = _post(api, nurse, f"{page}/vitals", {"systolic": "400", "diastolic": "80"})
    assert status == 422 and "not possible" in text
    status, text = _post(api, nurse, f"{page}/vitals", {"systolic": "80", "diastolic": "90"})
    assert status == 422 and 'id="e-diastolic"' in text
    status, text = _post(api, nurse, f"{page}/checklist", {})
    assert status == 422 and "record yes, no or not applicable" in text
    assert "enter the vital signs taken before the infusion" in text
    checks = {f"item_{k}": v for k, v in MANUAL_CHECKS.items()}
    vitals = {k: str(v) for k, v in CALM.items()}
    assert _post(api, nurse, f"{page}/checklist", {**checks, **vitals})[0] == 303
    release = api(nurse).get(page).text
    assert "Release the dose" in release and "51.3 mL/h" in release and "34.2 mg" in release
    assert "Lot KX2611, 500 mg/10 mL vial, 500 mg left" in release
    assert "Concentration in the bag (mg/mL)" in release
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
    awaiting = api(nurse).get(page).text
    assert "Awaiting the prescriber&#39;s signature." in awaiting
    assert 'id="sign-form"' not in awaiting  # the nurse has signed
    assert 'id="sign-form"' in api(prescriber).get(page).text
    assert _post(api, prescriber, f"{page}/sign", {})[0] == 303
    signed = api(nurse).get(page).text
    assert "Note signed" in signed and "Signed by the nurse" in signed
    assert _post(api, nurse, f"{page}/addendum", {"text": "Called next day: well."})[0] == 303
    assert "Called next day: well." in api(nurse).get(page).text
    pdf = api(nurse).get(f"{page}/note.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Signed" not in api(nurse).get("/rems").text  # nothing due for IV ketamine


def test_it_offers_only_containers_that_hold_the_dose_and_names_the_lot(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    """Of two vials, one holding 14.5 mg (less than the 34.2 mg dose) is not offered; a
    release from it anyway is refused naming its lot, never its id."""
    low = chairside.vial.id + 1
    taken = api(nurse).post(
        "/api/v1/ledger/draws",
        json={"container_id": low, "patient_id": chairside.patient_id, "amount_mg": "485.5"},
    )
    assert taken.status_code in (200, 201), taken.text
    sid = _prechecked(api, nurse, chairside)
    page = api(nurse).get(f"/sessions/{sid}").text
    assert f'<option value="{chairside.vial.id}"' in page
    assert f'<option value="{low}"' not in page and "14.5 mg left" not in page
    status, text = _post(
        api,
        nurse,
        f"/sessions/{sid}/release",
        {
            "container_id": str(low),
            "drawn_mg": "35",
            "witness_email": prescriber.email,
            "witness_password": PASSWORD,
            "weight_kg": "68.4",
            "concentration_mg_per_ml": "1",
        },
    )
    assert status == 422
    assert "lot KX2611 has 14.5 mg left, less than the 35 mg drawn up" in text
    assert f"container {low}" not in text
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "prechecked"


def test_it_says_there_is_no_container_that_holds_the_dose(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    # 10 mg left in each vial: neither holds 34.2 mg, nor do the two together.
    for vial in (chairside.vial.id, chairside.vial.id + 1):
        taken = api(nurse).post(
            "/api/v1/ledger/draws",
            json={"container_id": vial, "patient_id": chairside.patient_id, "amount_mg": "490"},
        )
        assert taken.status_code in (200, 201), taken.text
    sid = _prechecked(api, nurse, chairside)
    page = api(nurse).get(f"/sessions/{sid}").text
    assert 'id="no-container"' in page and "holds 34.2 mg, nor do two together" in page
    assert 'name="container_id"' not in page and 'id="draw-two"' not in page


def _prechecked(api: Api, nurse: Persona, c: Chairside) -> int:
    """Checked in, the checklist and its vitals in one submit: the session's id."""
    s = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={}).json()
    sid = int(s["id"])
    checks = {f"item_{k}": v for k, v in MANUAL_CHECKS.items()}
    calm = {k: str(v) for k, v in CALM.items()}
    status, text = _post(api, nurse, f"/sessions/{sid}/checklist", {**checks, **calm})
    assert status == 303, text
    return sid
