"""The outcomes report where people see it: the page, CSV, PDF and JSON; who may
read it (a nurse may not; a network operator sees figures but never a name)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import Clinic
from tests.conftest import Persona, _persona
from tests.pdf_layout import read_layout
from tests.reports import fixture

Api = Callable[[Persona], TestClient]
RANGE = "from=2026-09-01&to=2026-09-30"


@pytest.fixture
def operator(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "network_operator", clinic, "Noor Haddad")


@pytest.fixture
def cohort(db: Session, clinic: Clinic, other_clinic: Clinic) -> dict[str, int]:
    ids = fixture.build(db, clinic, other_clinic)
    db.commit()
    return ids


def test_it_answers_the_api_with_figures_and_the_km_table(
    api: Api, prescriber: Persona, cohort: dict[str, int], db: Session
) -> None:
    response = api(prescriber).get(f"/api/v1/reports/outcomes?{RANGE}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cohort"] == 3
    phq9 = body["instruments"][0]
    assert (phq9["response"]["events"], phq9["response"]["n"]) == (2, 3)
    assert phq9["response"]["low"] < 2 / 3 < phq9["response"]["high"]
    assert [row["days"] for row in body["durability"]["table"]] == [0.0, 28.0]
    assert body["reference"]["response_rate"] == 0.536
    # The newest: a browser path may have committed a read of its own before this test.
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "report.outcomes.read")
        .order_by(AuditEvent.id.desc())
    )
    assert '"since": "2026-09-01"' in next(iter(events)).detail


def test_it_refuses_unknown_parameters_and_a_nurse(
    api: Api, prescriber: Persona, nurse: Persona
) -> None:
    assert api(prescriber).get("/api/v1/reports/outcomes?sort=name").status_code == 422
    assert api(nurse).get("/api/v1/reports/outcomes").status_code == 403
    assert api(prescriber).get("/api/v1/reports/outcomes?diagnosis=flu").status_code == 422


def test_it_never_names_a_patient_to_the_network_operator(
    api: Api, operator: Persona, cohort: dict[str, int]
) -> None:
    client = api(operator)
    page = client.get(f"/reports/outcomes?{RANGE}")
    assert page.status_code == 200, page.text
    assert "3 patients completed induction" in page.text
    csv = client.get(f"/reports/outcomes.csv?{RANGE}")
    pdf = client.get(f"/reports/outcomes.pdf?{RANGE}")
    data = client.get(f"/api/v1/reports/outcomes?{RANGE}")
    assert csv.status_code == pdf.status_code == data.status_code == 200
    texts = [page.text, csv.text, read_layout(pdf.content).text, data.text]
    for name in (*fixture.NAMES, "Cohortina", "RPT0"):
        assert not any(name in t for t in texts), name
    assert client.get("/patients").status_code == 403


def test_it_keeps_the_pdf_inside_its_margins(
    api: Api, admin: Persona, cohort: dict[str, int]
) -> None:
    pdf = api(admin).get(f"/reports/outcomes.pdf?{RANGE}")
    layout = read_layout(pdf.content)
    assert layout.outside(10, 10, 10) == []
    assert "Outcomes report" in layout.text


def test_it_shows_a_reversed_range_beside_the_field(api: Api, admin: Persona) -> None:
    page = api(admin).get("/reports/outcomes?from=2026-09-30&to=2026-09-01")
    assert page.status_code == 422
    assert "on or after" in page.text


def test_it_filters_the_api_by_route_age_band_and_sex_like_the_page(
    api: Api, prescriber: Persona, cohort: dict[str, int]
) -> None:
    def cohort_of(query: str) -> int:
        response = api(prescriber).get(f"/api/v1/reports/outcomes?{RANGE}&{query}")
        assert response.status_code == 200, response.text
        return int(response.json()["cohort"])

    assert cohort_of("sex=male") == 1 and cohort_of("sex=female") == 2
    assert cohort_of("route=iv_ketamine") == 3 and cohort_of("route=esketamine_nasal") == 0
    assert [cohort_of(f"age={band}") for band in ("18-29", "30-44", "45-64", "65%2B")] == [
        0,
        1,
        1,
        1,
    ]
    bad = api(prescriber).get(f"/api/v1/reports/outcomes?{RANGE}&sex=x")
    assert bad.status_code == 422 and "sex" in bad.json()["error"]["fields"]
    band = api(prescriber).get(f"/api/v1/reports/outcomes?{RANGE}&age=7-9")
    assert band.status_code == 422 and "age_band" in band.json()["error"]["fields"]


def test_it_documents_the_reports_answer(api: Api, prescriber: Persona) -> None:
    schema = api(prescriber).get("/api/openapi.json").json()
    answer = schema["paths"]["/api/v1/reports/outcomes"]["get"]["responses"]["200"]
    ref = answer["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert {"cohort", "instruments", "durability", "safety", "from", "to"} <= set(fields)
    params = {p["name"] for p in schema["paths"]["/api/v1/reports/outcomes"]["get"]["parameters"]}
    assert {"route", "age", "sex"} <= params
