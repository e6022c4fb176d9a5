"""A completed IV visit to bill: the chairside clinic and patient (tests/chairside),
a diagnosis on the chart, a fee schedule, the infusion run for a charted time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.billing.service import fees
from tests.chairside.conftest import Api, Chairside, backdate, released, started
from tests.chairside.conftest import chairside as chairside
from tests.chairside.conftest import stock as stock
from tests.conftest import Persona

GOOD_ALDRETE = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
}
PRICES = {"96365": 45000, "96366": 15000, "96374": 20000, "J3490": 1000, "99213": 12000}


@dataclass
class Billed:
    session_id: int
    patient_id: int


def price_list(db: Session, admin: Persona, prices: dict[str, int] | None = None) -> None:
    principal = principal_for(db, admin.user)
    for code, cents in (prices or PRICES).items():
        fees.set_fee(db, principal, admin.clinic.id, code, cents, date(2026, 1, 1))
    db.commit()


def complete_iv(
    db: Session,
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    c: Chairside,
    minutes: int = 41,
) -> Billed:
    """Released, run for ``minutes`` (charted), ended with 34.2 mg given, observed and
    discharged: the visit completes and its charges are made."""
    out = api(nurse).post(
        f"/api/v1/patients/{c.patient_id}/diagnoses",
        json={"code": "F33.2", "label": "Major depressive disorder, recurrent, severe"},
    )
    assert out.status_code == 201, out.text
    sid = released(api, nurse, prescriber, c)
    started(api, db, nurse, sid, minutes)
    end = api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    assert end.json()["state"] == "observing", end.text
    backdate(db, sid, 35)
    gone = api(nurse).post(
        f"/api/v1/sessions/{sid}/discharge",
        json={**GOOD_ALDRETE, "escort_present": True, "instructions_given": True},
    )
    assert gone.status_code == 200, gone.text
    return Billed(sid, c.patient_id)


@pytest.fixture
def billed(
    db: Session, api: Api, nurse: Persona, prescriber: Persona, admin: Persona, chairside: Chairside
) -> Billed:
    price_list(db, admin)
    return complete_iv(db, api, nurse, prescriber, chairside)
