"""A visit's CMS-1500 fields (issue 23, point 5): JSON from the API, CSV from the
visit's page and the command line, only final lines, refusals naming the missing
item, every read audited."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing.service import charges, claim, fees
from ketaclinic.cli import app
from ketaclinic.identity.principal import Origin
from tests.billing.conftest import Billed
from tests.billing.test_superbill import cli_db as cli_db
from tests.chairside.conftest import Api
from tests.conftest import Persona

CLINIC_NPI = "1234567893"
PRESCRIBER_NPI = "1710234562"


def ready(
    db: Session,
    api: Api,
    billed: Billed,
    admin: Persona,
    prescriber: Persona,
    front_desk: Persona,
    *,
    prescriber_npi: bool = True,
) -> None:
    """The prescriber's evaluation (she renders the lines), the NPIs and TIN, the
    patient's insurer: everything but the final lines."""
    made = api(prescriber).post(
        f"/api/v1/billing/visits/{billed.session_id}/evaluation",
        json={"code": "99213", "note": "New nausea assessed, ondansetron added"},
    )
    assert made.status_code == 201, made.text
    boss = principal_for(db, admin.user)
    fees.set_identifier(db, boss, admin.clinic.id, CLINIC_NPI, "74-1234567")
    if prescriber_npi:
        fees.set_identifier(db, boss, admin.clinic.id, PRESCRIBER_NPI, user_id=prescriber.user.id)
    desk = principal_for(db, front_desk.user)
    fees.set_coverage(db, desk, billed.patient_id, "Lone Star Health", "LSH-4471-09")
    db.commit()


@pytest.fixture
def claimed(
    db: Session, api: Api, billed: Billed, admin: Persona, prescriber: Persona, front_desk: Persona
) -> Billed:
    ready(db, api, billed, admin, prescriber, front_desk)
    charges.finalise_visit(db, principal_for(db, front_desk.user), billed.session_id)
    db.commit()
    return billed


def test_it_answers_the_visits_cms1500_as_json(
    api: Api, claimed: Billed, front_desk: Persona, db: Session
) -> None:
    got = api(front_desk).get(f"/api/v1/billing/visits/{claimed.session_id}/cms1500")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["session_id"] == claimed.session_id and body["lines"] == 3
    (form,) = body["forms"]
    assert (form["1a"], form["11c"], form["6"]) == ("LSH-4471-09", "Lone Star Health", "self")
    assert form["21"] == {"icd_indicator": "0", "A": "F332"}
    assert [(s["24D"]["code"], s["24D"]["modifiers"]) for s in form["24"]] == [
        ("99213", ["25"]),
        ("96365", []),
        ("J3490", []),
    ]
    assert {s["24J"] for s in form["24"]} == {PRESCRIBER_NPI}
    assert {s["24B"] for s in form["24"]} == {"11"}
    drug = form["24"][2]
    assert drug["shaded"].startswith("N4") and " ME34.2" in drug["shaded"]
    assert (form["25"]["id"], form["33a"], form["28"]) == ("741234567", CLINIC_NPI, "580.00")
    seen = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.billing.cms1500")
    ).all()
    assert [e.resource_id for e in seen] == [str(claimed.session_id)]


def test_it_refuses_a_claim_naming_what_is_missing(
    db: Session,
    api: Api,
    billed: Billed,
    admin: Persona,
    prescriber: Persona,
    front_desk: Persona,
) -> None:
    desk = api(front_desk)
    url = f"/api/v1/billing/visits/{billed.session_id}/cms1500"
    no_insurer = desk.get(url)
    assert no_insurer.status_code == 409
    assert no_insurer.json()["error"]["code"] == "billing_claim_incomplete"
    assert set(no_insurer.json()["error"]["fields"]) == {"payer"}
    ready(db, api, billed, admin, prescriber, front_desk)
    drafts = desk.get(url)
    assert drafts.status_code == 409 and set(drafts.json()["error"]["fields"]) == {"lines"}
    assert "finalise" in drafts.json()["error"]["message"]


def test_it_refuses_a_claim_whose_rendering_clinician_has_no_npi(
    db: Session,
    api: Api,
    billed: Billed,
    admin: Persona,
    prescriber: Persona,
    front_desk: Persona,
) -> None:
    ready(db, api, billed, admin, prescriber, front_desk, prescriber_npi=False)
    charges.finalise_visit(db, principal_for(db, front_desk.user), billed.session_id)
    db.commit()
    got = api(front_desk).get(f"/api/v1/billing/visits/{billed.session_id}/cms1500")
    assert got.status_code == 409
    fields = got.json()["error"]["fields"]
    assert set(fields) == {"rendering_npi"} and prescriber.user.name in fields["rendering_npi"]


def test_it_keeps_the_claim_from_staff_without_billing(
    api: Api, claimed: Billed, nurse: Persona, prescriber: Persona
) -> None:
    url = f"/api/v1/billing/visits/{claimed.session_id}/cms1500"
    assert api(nurse).get(url).status_code == 403
    assert (
        api(prescriber).get(f"/billing/visits/{claimed.session_id}/cms1500.csv").status_code == 403
    )
    assert api(nurse).get("/api/v1/billing/visits/999999/cms1500").status_code in (403, 404)


def test_it_downloads_the_csv_from_the_visits_page(
    api: Api, claimed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    page = desk.get(f"/billing/visits/{claimed.session_id}").text
    link = f"/billing/visits/{claimed.session_id}/cms1500.csv"
    assert link in page and "CMS-1500" in page
    got = desk.get(link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [row["24D_code"] for row in rows] == ["99213", "96365", "J3490"]
    assert {row["1a_insured_id"] for row in rows} == {"LSH-4471-09"}
    assert {row["form"] for row in rows} == {"1"} and rows[0]["28_total"] == "580.00"


def test_it_shows_the_missing_item_on_the_page_instead_of_a_file(
    api: Api, billed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    desk.post(f"/billing/visits/{billed.session_id}/finalise")
    got = desk.get(f"/billing/visits/{billed.session_id}/cms1500.csv")
    assert got.status_code == 409
    assert "no insurer on file" in got.text and 'id="claim-error"' in got.text


def test_it_writes_the_same_forms_for_a_command_run_on_the_server(
    db: Session, api: Api, claimed: Billed, front_desk: Persona, admin: Persona
) -> None:
    """What ``ketaclinic billing cms1500`` writes: the API's answer, audited as the CLI."""
    origin = Origin(channel="cli", ip="host", user_agent="billing-clerk")
    found = claim.cms1500_for_system(
        db, claimed.session_id, [admin.clinic.id], actor="cli:billing-clerk", origin=origin
    )
    db.commit()  # the audit events are written when the command's transaction commits
    written = json.loads(claim.to_json(found))
    answered = api(front_desk).get(f"/api/v1/billing/visits/{claimed.session_id}/cms1500").json()
    assert written == answered
    actors = db.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "patient.billing.cms1500")
    ).all()
    assert "cli:billing-clerk" in actors


def test_it_writes_the_claim_from_the_command_line_or_names_the_problem(
    cli_db: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "claim.json"
    unknown = runner.invoke(app, ["billing", "cms1500", "--visit", "424242", "-o", str(out)])
    assert unknown.exit_code != 0 and "--visit" in unknown.output
    wrong = runner.invoke(app, ["billing", "cms1500", "--visit", "1", "--format", "xml"])
    assert wrong.exit_code != 0 and "--format" in wrong.output
    assert not out.exists()


def test_it_names_the_insured_when_the_patient_is_a_dependant(
    api: Api, claimed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    saved = desk.post(
        f"/api/v1/billing/patients/{claimed.patient_id}/coverage",
        json={
            "payer": "Lone Star Health",
            "member_id": "LSH-4471-02",
            "plan_type": "group",
            "group_number": "GRP-778",
            "plan_name": "Lone Star PPO Gold",
            "relationship": "spouse",
            "insured_family_name": "Okafor",
            "insured_given_name": "Daniel",
            "insured_birth_date": "1979-04-02",
            "insured_sex": "M",
        },
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["insured_family_name"] == "Okafor"
    (form,) = desk.get(f"/api/v1/billing/visits/{claimed.session_id}/cms1500").json()["forms"]
    assert form["4"]["last"] == "Okafor" and form["4"]["first"] == "Daniel"
    assert form["6"] == "spouse" and form["11"] == "GRP-778"
    assert form["11a"] == {"birth_date": "04/02/1979", "sex": "M"}
    assert form["11c"] == "Lone Star PPO Gold"
    assert form["2"]["last"] != "Okafor"


def test_it_refuses_a_dependants_coverage_without_the_insureds_name(
    api: Api, claimed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    refused = desk.post(
        f"/api/v1/billing/patients/{claimed.patient_id}/coverage",
        json={"payer": "Lone Star Health", "member_id": "LSH-1", "relationship": "child"},
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {
        "insured_family_name",
        "insured_given_name",
    }
    page = desk.post(
        f"/billing/patients/{claimed.patient_id}/coverage",
        data={
            "payer": "Lone Star Health",
            "member_id": "LSH-1",
            "relationship": "child",
            "insured_given_name": "Ada",
            "session_id": str(claimed.session_id),
        },
    )
    assert page.status_code == 422
    assert "the insured&#39;s family name, as on the card" in page.text
    assert 'value="Ada"' in page.text
    saved = desk.post(
        f"/billing/patients/{claimed.patient_id}/coverage",
        data={
            "payer": "Lone Star Health",
            "member_id": "LSH-1",
            "relationship": "child",
            "insured_given_name": "Ada",
            "insured_family_name": "Vance",
            "session_id": str(claimed.session_id),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = desk.get(f"/billing/visits/{claimed.session_id}").text
    assert "insured: Ada Vance (child)" in page


def test_it_puts_what_the_patient_paid_that_day_in_item_29(
    api: Api, claimed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    (form,) = desk.get(f"/api/v1/billing/visits/{claimed.session_id}/cms1500").json()["forms"]
    assert form["29"] == "0.00"
    paid = desk.post(
        f"/api/v1/patients/{claimed.patient_id}/account/payments",
        json={"amount_cents": 5000, "method": "card", "reference": "ch_copay"},
    )
    assert paid.status_code == 201, paid.text
    (form,) = desk.get(f"/api/v1/billing/visits/{claimed.session_id}/cms1500").json()["forms"]
    assert form["29"] == "50.00"
