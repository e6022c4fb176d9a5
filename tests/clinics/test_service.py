"""Creating a clinic: its country and state are ones with a holiday calendar."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.errors import ValidationFailed


def test_it_stores_the_clinics_country_and_state(db: Session) -> None:
    clinic = create_clinic(
        db, slug="oak", name="Oak", timezone="America/Chicago", country="us", subdivision="tx"
    )
    assert (clinic.country, clinic.subdivision) == ("US", "TX")
    plain = create_clinic(db, slug="elm", name="Elm", timezone="America/Chicago")
    assert (plain.country, plain.subdivision) == ("US", None)


def test_it_refuses_a_country_or_state_without_a_holiday_calendar_naming_the_field(
    db: Session,
) -> None:
    with pytest.raises(ValidationFailed) as country:
        create_clinic(db, slug="oak", name="Oak", timezone="UTC", country="XX")
    assert (
        country.value.status_code == 422
        and "unknown country 'XX'" in country.value.fields["country"]
    )
    with pytest.raises(ValidationFailed) as state:
        create_clinic(db, slug="oak", name="Oak", timezone="UTC", country="US", subdivision="ZZ")
    assert set(state.value.fields) == {"subdivision"}
    assert "not a state or province of US" in state.value.fields["subdivision"]
