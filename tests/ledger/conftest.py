"""A clinic's safe with a lot of ketamine vials received, and the people who
move, give and witness it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import today_in
from ketaclinic.ledger import service
from ketaclinic.ledger.models import CsContainer, CsLocation, CsProduct
from ketaclinic.ledger.schemas import LocationIn, ProductIn, ReceiptIn
from ketaclinic.ledger.witnesses import Witness
from tests.conftest import CLINIC_TZ, PASSWORD, Persona
from tests.patients.test_api import valid_patient

VIAL_MG = Decimal(500)


def me(db: Session, persona: Persona) -> Principal:
    return principal_for(db, persona.user)


def witness(persona: Persona) -> Witness:
    """A witness already confirmed (the credential check is tested on its own)."""
    return Witness(persona.user.id, persona.user.name)


def credentials(persona: Persona, prefix: str = "witness") -> dict[str, str]:
    return {f"{prefix}_email": persona.email, f"{prefix}_password": PASSWORD}


def receipt(location_id: int, product_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "location_id": location_id,
        "product_id": product_id,
        "lot_number": "KX2611",
        "expires": (today_in(CLINIC_TZ) + timedelta(days=400)).isoformat(),
        "containers": 2,
        "received_on": today_in(CLINIC_TZ).isoformat(),
        "supplier_name": "Gulf Coast Medical Supply",
        "supplier_address": "400 Commerce St, Houston, TX 77002",
        "supplier_dea": "RG1234563",
        "invoice_number": "INV-88121",
        **overrides,
    }


@dataclass
class Stock:
    location: CsLocation
    other: CsLocation
    product: CsProduct
    vials: list[CsContainer]
    patient_id: int


@pytest.fixture
def stock(db: Session, custodian: Persona, front_desk: Persona, api: Any) -> Stock:
    who = me(db, custodian)
    product = service.add_product(
        db,
        who,
        ProductIn(
            ndc="0143-9508-10",
            drug="ketamine",
            name="Ketamine HCl injection",
            strength="50 mg/mL",
            form="injection, multi-dose vial",
            container_mg=VIAL_MG,
            container_ml=Decimal(10),
        ),
    )
    safe = service.add_location(db, who, custodian.clinic.id, LocationIn(name="Safe A"))
    other = service.add_location(db, who, custodian.clinic.id, LocationIn(name="Cart safe"))
    entries = service.receive(db, who, ReceiptIn(**receipt(safe.id, product.id)))
    db.commit()
    vials = [db.get(CsContainer, e.container_id) for e in entries]
    # The draws' patient is someone of her own: the chairside and plan fixtures register
    # Maya Lindqvist, and the same person twice would be a likely duplicate.
    bianca = valid_patient(given_name="Bianca", family_name="Okafor", birth_date="1979-08-02")
    patient = api(front_desk).post("/api/v1/patients", json=bianca).json()
    return Stock(safe, other, product, [v for v in vials if v], int(patient["id"]))
