"""A nurse on a tablet (820 px) with two part-used vials releases the dose from both:
the page offers two containers when none holds the dose, names them by lot and what
each holds, and shows both draws once released."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsContainer, CsEntry
from ketaclinic.ledger.schemas import DrawIn
from tests.e2e.conftest import LiveClinic, add_staff
from tests.e2e.test_chairside_pages import CALM, _signed_in, _world, tablet
from tests.e2e.test_layout_pages import _problems

pytestmark = pytest.mark.e2e
__all__ = ["tablet"]


def _part_used(engine: Engine, nurse: str, patient_id: int, vial_id: int) -> tuple[int, int]:
    """The safe's two vials used down to 14.5 mg and 30 mg: the ids, least left first."""
    session = make_sessionmaker(engine)()
    try:
        who = principal_for(session, get_user_by_email(session, nurse))
        first = session.get(CsContainer, vial_id)
        assert first is not None
        [second] = session.scalars(
            select(CsContainer).where(CsContainer.lot_id == first.lot_id, CsContainer.id != vial_id)
        ).all()
        for container, left in ((first, "14.5"), (second, "30")):
            taken = Decimal(container.on_hand_ug) / 1000 - Decimal(left)
            ledger.draw(
                session,
                who,
                DrawIn(container_id=container.id, patient_id=patient_id, amount_mg=taken),
            )
        session.commit()
        return first.id, second.id
    finally:
        session.close()


def test_it_releases_a_dose_from_two_vials_on_a_tablet(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    world = _world(engine, live_clinic, nurse, prescriber, custodian)
    first, second = _part_used(engine, nurse, world.patient_id, world.container_id)
    chair = tablet.new_page()
    _signed_in(chair, live_clinic, nurse)
    chair.goto(f"{live_clinic.base_url}/board")
    visit = chair.locator(f'tr[data-visit="{world.appointment_id}"]')
    visit.get_by_role("button", name="Check in").tap()
    state = chair.locator("#state")
    expect(state).to_have_text("Checked in")
    checklist = chair.locator("#checklist-form")
    for key, value in CALM.items():
        checklist.locator(f"#f-{key}").fill(value)
    for item in ("consent_on_file", "fasting", "escort_present", "pregnancy_test"):
        checklist.locator(f'input[name="item_{item}"][value="pass"]').tap()
    checklist.get_by_role("button", name="Record checks").tap()
    expect(state).to_have_text("Pre-checks done")

    # Neither vial holds 34.2 mg: the page offers the two, named by lot and what is left.
    release = chair.locator("#release-form")
    expect(release.locator("#no-single")).to_contain_text("No one container holds 34.2 mg")
    expect(release.locator("#f-container_id option:checked")).to_have_text(
        "Lot KX2611, 500 mg/10 mL vial, 14.5 mg left"
    )
    expect(release.locator("#f-second_container_id option:checked")).to_have_text(
        "Lot KX2611, 500 mg/10 mL vial, 30 mg left"
    )
    # At 820 px: no sideways scroll, 44 px targets, no serious axe-core violation.
    assert _problems(chair, width=820) == []
    release.locator("#f-witness_email").fill(prescriber)
    release.locator("#f-witness_password").fill(live_clinic.password)
    release.locator("#f-weight_kg").fill("68.4")
    release.locator("#f-concentration_mg_per_ml").fill("1")
    # Amounts that do not make the dose are refused beside the field, nothing drawn.
    release.locator("#f-first_mg").fill("14.5")
    release.locator("#f-second_mg").fill("19")
    release.get_by_role("button", name="Release dose").tap()
    expect(chair.locator("#e-second_mg")).to_contain_text("34.2 mg dose exactly")
    expect(state).to_have_text("Pre-checks done")
    # Left empty, the first vial's 14.5 mg and 19.7 mg from the second.
    release.locator("#f-first_mg").fill("")
    release.locator("#f-second_mg").fill("")
    release.locator("#f-witness_password").fill(live_clinic.password)
    release.get_by_role("button", name="Release dose").tap()
    expect(state).to_have_text("Dose released")
    expect(chair.locator("#drawn-from")).to_have_text(
        "Drawn from lot KX2611 (14.5 mg) and lot KX2611 (19.7 mg)."
    )

    session = make_sessionmaker(engine)()
    try:
        draws = session.scalars(
            select(CsEntry)
            .where(CsEntry.kind == "draw", CsEntry.session_id.is_not(None))
            .where(CsEntry.patient_id == world.patient_id)
            .order_by(CsEntry.id)
        ).all()
        assert [(d.container_id, d.amount_ug) for d in draws] == [
            (first, 14_500),
            (second, 19_700),
        ]
        assert draws[0].witness_ids == draws[1].witness_ids != ""
    finally:
        session.close()
