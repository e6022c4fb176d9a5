"""The prescriber's separately identifiable evaluation from a page (issue 23): the
form, its refusals beside the fields, the visit's draft charges remade with the E/M
line, the links only for who may document it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from tests.billing.conftest import Billed
from tests.chairside.conftest import Api
from tests.conftest import Persona


def test_it_records_the_evaluation_and_remakes_the_draft_charges(
    api: Api, billed: Billed, prescriber: Persona, front_desk: Persona, db: Session
) -> None:
    mine = api(prescriber)
    url = f"/billing/visits/{billed.session_id}/evaluation"
    page = mine.get(url)
    assert page.status_code == 200
    assert "99214: moderate medical decision making" in page.text and "MRN" in page.text
    saved = mine.post(
        url,
        data={"code": "99214", "note": "New headache assessed, amlodipine started"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    shown = mine.get(f"{url}?saved=1").text
    assert "Evaluation saved" in shown and "New headache assessed" in shown
    lines = api(front_desk).get(f"/api/v1/billing/visits/{billed.session_id}/charges").json()
    first = lines["items"][0]
    assert (first["code"], first["modifiers"]) == ("99214", ["25"])
    events = db.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(billed.session_id))
    ).all()
    assert "patient.billing.evaluation_documented" in events


def test_it_names_the_refused_fields_beside_them(
    api: Api, billed: Billed, prescriber: Persona
) -> None:
    url = f"/billing/visits/{billed.session_id}/evaluation"
    refused = api(prescriber).post(url, data={"code": "99205", "note": "short"})
    assert refused.status_code == 422
    assert 'id="e-code"' in refused.text and 'id="e-note"' in refused.text
    assert "choose one of 99212, 99213, 99214, 99215" in refused.text
    assert ">short</textarea>" in refused.text  # what was typed stays
    too_long = api(prescriber).post(url, data={"code": "99213", "note": "x" * 4001})
    assert too_long.status_code == 422 and "at most 4000 characters" in too_long.text


def test_it_shows_the_link_only_to_who_may_document_it(
    api: Api, billed: Billed, prescriber: Persona, nurse: Persona, front_desk: Persona
) -> None:
    url = f"/billing/visits/{billed.session_id}/evaluation"
    assert api(nurse).get(url).status_code == 403
    assert api(front_desk).get(url).status_code == 403
    assert api(nurse).post(url, data={"code": "99213", "note": "x" * 20}).status_code == 403
    assert url in api(prescriber).get(f"/sessions/{billed.session_id}").text
    assert url not in api(nurse).get(f"/sessions/{billed.session_id}").text
    assert url not in api(front_desk).get(f"/billing/visits/{billed.session_id}").text
