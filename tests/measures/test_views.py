"""The staff pages of measurement-based care: entering a questionnaire, the
measures page, safety alerts on the dashboard and chart, treatments and links."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.measures.models import QuestionnaireLink, SafetyAlert
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def phq9_form(item9: int = 0, **overrides: str) -> dict[str, str]:
    """A PHQ-9 as the form posts it: total 2+2+1+1+1+1+1+0+item9 = 9 + item9."""
    values = [2, 2, 1, 1, 1, 1, 1, 0, item9]
    form = {f"answers.phq9_{n}": str(v) for n, v in enumerate(values, start=1)}
    form.update(overrides)
    return form


def enter(client: TestClient, patient_id: int, form: dict[str, str], instrument: str = "phq9"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/patients/{patient_id}/measures/{instrument}/new", data=form, follow_redirects=False
    )


def raise_alert(api: Api, nurse: Persona, patient_id: int) -> int:
    """A PHQ-9 with item 9 answered above 0: the alert's id."""
    response = enter(api(nurse), patient_id, phq9_form(item9=2))
    assert response.status_code == 303
    [alert] = api(nurse).get(f"/api/v1/patients/{patient_id}/alerts").json()["items"]
    return int(alert["id"])


# ---- entering a questionnaire ---------------------------------------------------


def test_it_shows_each_item_as_a_group_of_labelled_choices(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    page = api(nurse).get(f"/patients/{patient_id}/measures/phq9/new")
    assert page.status_code == 200
    assert page.text.count('<fieldset class="question') == 10
    assert "Little interest or pleasure in doing things" in page.text
    assert 'name="answers.phq9_1" value="3"' in page.text
    assert "Nearly every day" in page.text


def test_it_enters_a_phq9_and_shows_its_score_and_band(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    response = enter(client, patient_id, phq9_form(completed_by="patient"))
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/patients/{patient_id}/measures?saved=")
    page = client.get(response.headers["location"])
    assert "Saved Patient Health Questionnaire-9 (PHQ-9): total <strong>9</strong>" in page.text
    assert "<strong>mild</strong>" in page.text
    assert f'src="/patients/{patient_id}/measures/phq9/plot.svg"' in page.text
    [row] = client.get(f"/api/v1/patients/{patient_id}/responses").json()["items"]
    assert row["total"] == 9 and row["completed_by"] == "patient"
    assert row["entered_by_id"] == nurse.user.id


def test_it_names_a_missing_item_beside_it_and_keeps_the_other_answers(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    form = phq9_form()
    del form["answers.phq9_4"]
    response = enter(api(nurse), patient_id, form)
    assert response.status_code == 422
    assert '<p class="error" id="e-phq9_4" role="alert">missing answer</p>' in response.text
    assert 'name="answers.phq9_1" value="2" checked' in response.text
    assert api(nurse).get(f"/api/v1/patients/{patient_id}/responses").json()["items"] == []


def test_it_follows_the_cssrs_skip_logic_through_the_scoring(
    api: Api, prescriber: Persona, patient_id: int
) -> None:
    client = api(prescriber)
    form = {
        "answers.cssrs_1": "1",
        "answers.cssrs_2": "0",
        "answers.cssrs_3": "1",
        "answers.cssrs_6": "0",
    }
    response = enter(client, patient_id, form, "cssrs_screener")
    assert response.status_code == 422
    assert re.search(r'id="e-cssrs_3" role="alert">must be left blank', response.text)
    form["answers.cssrs_3"] = ""  # "not asked"
    assert enter(client, patient_id, form, "cssrs_screener").status_code == 303
    [row] = client.get(f"/api/v1/patients/{patient_id}/responses").json()["items"]
    assert row["risk_level"] == "low" and row["answers"]["cssrs_1"] is True


def test_it_refuses_an_unknown_questionnaire(api: Api, nurse: Persona, patient_id: int) -> None:
    assert api(nurse).get(f"/patients/{patient_id}/measures/nope/new").status_code == 404


# ---- safety alerts ---------------------------------------------------------------


def test_it_shows_a_positive_item_9_on_the_dashboard_and_the_chart(
    api: Api, nurse: Persona, front_desk: Persona, patient_id: int
) -> None:
    raise_alert(api, nurse, patient_id)
    dashboard = api(front_desk).get("/dashboard")
    assert dashboard.status_code == 200
    assert f'<a href="/patients/{patient_id}">Lindqvist, Maya</a>' in dashboard.text
    assert "Suicide-risk answer" in dashboard.text
    chart = api(front_desk).get(f"/patients/{patient_id}")
    assert 'id="open-alerts"' in chart.text and "1 open safety alert:" in chart.text
    measures = api(nurse).get(f"/patients/{patient_id}/measures")
    assert f'action="/patients/{patient_id}/alerts/' in measures.text
    # The front desk sees the alert but is not offered the acknowledgement.
    desk_view = api(front_desk).get(f"/patients/{patient_id}/measures")
    assert "A prescriber or nurse must acknowledge this alert." in desk_view.text


def test_it_acknowledges_an_alert_with_a_note(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    alert_id = raise_alert(api, nurse, patient_id)
    client = api(nurse)
    response = client.post(
        f"/patients/{patient_id}/alerts/{alert_id}/acknowledge",
        data={"note": "Called the patient; safety plan reviewed."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(f"/patients/{patient_id}/measures")
    assert "Called the patient; safety plan reviewed." in page.text
    assert "Nia Nurse" in page.text
    assert "No open safety alerts." in client.get("/dashboard").text
    assert 'id="open-alerts"' not in client.get(f"/patients/{patient_id}").text
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "patient.alert.acknowledge"))
    assert event.user_id == nurse.user.id


def test_it_answers_an_empty_note_beside_the_field(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    alert_id = raise_alert(api, nurse, patient_id)
    response = api(nurse).post(
        f"/patients/{patient_id}/alerts/{alert_id}/acknowledge", data={"note": "  "}
    )
    assert response.status_code == 422
    assert f'id="e-note-{alert_id}" role="alert">say what was done' in response.text
    assert db.get(SafetyAlert, alert_id).acknowledged_at is None  # type: ignore[union-attr]


def test_it_refuses_the_front_desk_an_acknowledgement(
    api: Api, nurse: Persona, front_desk: Persona, patient_id: int, db: Session
) -> None:
    alert_id = raise_alert(api, nurse, patient_id)
    response = api(front_desk).post(
        f"/patients/{patient_id}/alerts/{alert_id}/acknowledge", data={"note": "Seen."}
    )
    assert response.status_code == 403
    assert db.get(SafetyAlert, alert_id).acknowledged_at is None  # type: ignore[union-attr]


# ---- the plot -------------------------------------------------------------------


def test_it_serves_the_plot_as_an_svg_with_its_own_csp(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    enter(client, patient_id, phq9_form())
    response = client.get(f"/patients/{patient_id}/measures/phq9/plot.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert "<svg" in response.text and "moderately severe" in response.text
    assert client.get(f"/patients/{patient_id}/measures/nope/plot.svg").status_code == 404


# ---- treatments and links --------------------------------------------------------


def test_it_records_a_treatment_given_in_the_clinic_time_zone(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    response = client.post(
        f"/patients/{patient_id}/treatments",
        data={"given_at": "2026-01-05T09:30", "modality": "iv_ketamine"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    [given] = client.get(f"/api/v1/patients/{patient_id}/treatments").json()["items"]
    assert given["given_at"].startswith("2026-01-05T15:30")  # 9:30 in Chicago is 15:30 UTC
    assert "2026-01-05 09:30 · IV ketamine" in client.get(f"/patients/{patient_id}/measures").text


def test_it_answers_a_treatment_without_a_modality_beside_the_field(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    response = api(nurse).post(
        f"/patients/{patient_id}/treatments", data={"given_at": "2026-01-05T09:30"}
    )
    assert response.status_code == 422
    assert 'id="e-modality"' in response.text
    assert 'value="2026-01-05T09:30"' in response.text


def test_it_shows_a_new_link_once(api: Api, nurse: Persona, patient_id: int, db: Session) -> None:
    client = api(nurse)
    response = client.post(
        f"/patients/{patient_id}/questionnaire-links", data={"instrument_id": "gad7"}
    )
    assert response.status_code == 200
    match = re.search(r'value="(http://testserver/q/[A-Za-z0-9_-]+)"', response.text)
    assert match, response.text
    token = match.group(1).rsplit("/", 1)[1]
    assert "Shown only once" in response.text
    [link] = db.scalars(select(QuestionnaireLink).where(QuestionnaireLink.patient_id == patient_id))
    assert link.instrument_id == "gad7" and token not in link.token_hash
    assert token not in client.get(f"/patients/{patient_id}/measures").text


def test_it_refuses_a_link_for_a_clinician_rated_scale(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    response = api(nurse).post(
        f"/patients/{patient_id}/questionnaire-links", data={"instrument_id": "madrs"}
    )
    assert response.status_code == 422
    assert 'id="e-instrument_id" role="alert">is clinician-rated' in response.text


# ---- access --------------------------------------------------------------------


def test_it_records_the_measures_page_as_a_chart_read(
    api: Api, prescriber: Persona, patient_id: int, db: Session
) -> None:
    assert api(prescriber).get(f"/patients/{patient_id}/measures").status_code == 200
    reads = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.read", AuditEvent.user_id == prescriber.user.id
        )
    )
    assert [e.detail for e in reads] == ['{"purpose": "measures"}']


def test_it_refuses_the_custodian_every_page(api: Api, custodian: Persona, patient_id: int) -> None:
    client = api(custodian)
    for path in (
        "/dashboard",
        f"/patients/{patient_id}/measures",
        f"/patients/{patient_id}/measures/phq9/plot.svg",
        f"/patients/{patient_id}/measures/phq9/new",
    ):
        assert client.get(path).status_code == 403, path
    assert enter(client, patient_id, phq9_form()).status_code == 403


def test_it_hides_another_clinics_patient(api: Api, outsider: Persona, patient_id: int) -> None:
    assert api(outsider).get(f"/patients/{patient_id}/measures").status_code == 404
    assert "Lindqvist" not in api(outsider).get("/dashboard").text
