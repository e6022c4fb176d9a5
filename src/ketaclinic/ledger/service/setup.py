"""Set-up: the products on file and the storage locations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.hashchain import GENESIS_HASH
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import (
    CsLocation,
    CsProduct,
)
from ketaclinic.ledger.schemas import (
    LocationIn,
    ProductIn,
)
from ketaclinic.ledger.service.write import (
    _clinic_ids,
    as_ug,
)

# ---- set-up: products and locations -----------------------------------------------


def add_product(db: Session, principal: Principal, data: ProductIn) -> CsProduct:
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_STOCK)
    if any(p.ndc == data.ndc for p in repo.products(db)):
        raise errors.ProductNdcOnFile()
    product = CsProduct(
        ndc=data.ndc,
        drug=data.drug,
        name=data.name,
        strength=data.strength,
        form=data.form,
        container_ug=as_ug(data.container_mg, "container_mg"),
        container_ul=None if data.container_ml is None else int(data.container_ml * 1000),
    )
    db.add(product)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.product_added",
        clinic_id=clinic_ids[0],
        resource_type="cs_product",
        resource_id=product.id,
        detail={"ndc": product.ndc},
    )
    return product


def add_location(db: Session, principal: Principal, clinic_id: int, data: LocationIn) -> CsLocation:
    principal.require(Permission.LEDGER_STOCK, clinic_id)
    if any(loc.name == data.name for loc in repo.locations(db, [clinic_id])):
        raise errors.LocationNameTaken()
    location = CsLocation(
        clinic_id=clinic_id,
        name=data.name,
        description=data.description,
        last_seq=0,
        last_hash=GENESIS_HASH,
    )
    db.add(location)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.location_added",
        clinic_id=clinic_id,
        resource_type="cs_location",
        resource_id=location.id,
    )
    return location
