"""A discharged infusion shares the after-infusion care sheet in the portal, once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.consents.models import SharedDocumentCopy
from tests.chairside.conftest import Api, Chairside, backdate, released, started
from tests.chairside.test_api import GOOD_ALDRETE
from tests.conftest import Persona


def test_it_shares_the_care_sheet_when_an_infusion_is_discharged(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    backdate(db, sid, 35)
    gone = api(nurse).post(
        f"/api/v1/sessions/{sid}/discharge",
        json={**GOOD_ALDRETE, "escort_present": True, "instructions_given": True},
    )
    assert gone.json()["state"] == "discharged", gone.text
    copies = db.scalars(
        select(SharedDocumentCopy)
        .where(SharedDocumentCopy.patient_id == chairside.patient_id)
        .order_by(SharedDocumentCopy.id)
    ).all()
    assert [(c.document_id, c.shared_reason, c.shared_by_id) for c in copies] == [
        ("after_infusion_care", "session_completed", None)
    ]
