"""Every report an inspector may ask for, from a ledger with each kind of movement."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import today_in
from ketaclinic.ledger import counts, reports, service
from ketaclinic.ledger.schemas import CountIn, CountLineIn, DestroyIn, DrawIn, LossIn, WitnessIn
from tests.conftest import CLINIC_TZ, PASSWORD, Persona
from tests.ledger.conftest import Stock, me, witness
from tests.pdf_layout import read_layout

Api = Callable[[Persona], TestClient]
TODAY = today_in(CLINIC_TZ)


@pytest.fixture
def busy(
    db: Session, stock: Stock, custodian: Persona, nurse: Persona, prescriber: Persona
) -> Stock:
    keeper, giver = me(db, custodian), me(db, nurse)
    lines = [CountLineIn(container_id=v.id, counted_mg=Decimal(500)) for v in stock.vials]
    counts.record_count(
        db,
        keeper,
        CountIn(
            location_id=stock.location.id, kind="biennial_inventory", business="open", lines=lines
        ),
    )
    data = DrawIn(
        container_id=stock.vials[0].id, patient_id=stock.patient_id, amount_mg=Decimal(40)
    )
    drawn = service.draw(db, giver, data)
    service.administer(db, giver, drawn.id, Decimal(35))
    service.waste(db, giver, drawn.id, Decimal(5), [witness(prescriber)], service.LedgerPolicy())
    service.destroy(
        db,
        keeper,
        stock.vials[1].id,
        DestroyIn(
            amount_mg=Decimal(100),
            method="chemical digestion",
            reason="damaged seal",
            destroyed_on=TODAY,
            witnesses=[WitnessIn(email="x@y.z", password="x")] * 2,
        ),
        [witness(nurse), witness(prescriber)],
    )
    service.record_loss(
        db,
        keeper,
        stock.vials[1].id,
        LossIn(
            amount_mg=Decimal(10),
            loss_kind="theft",
            discovered=TODAY,
            circumstances="Missing at the evening count.",
        ),
    )
    db.commit()
    return stock


@pytest.mark.parametrize(
    ("kind", "expect"),
    [
        ("dispensing", ["draw", "administer", "waste", "Pat Prescriber"]),
        ("receipts", ["Gulf Coast Medical Supply", "RG1234563", "INV-88121"]),
        ("inventory", ["biennial inventory", "open of business", "500", "Cy Custodian"]),
        ("form41", ["chemical digestion", "damaged seal", "Nia Nurse", "Pat Prescriber"]),
        ("form106", ["theft", "Missing at the evening count."]),
    ],
)
def test_it_builds_each_report_as_rows_csv_and_pdf(
    db: Session, busy: Stock, custodian: Persona, kind: str, expect: list[str]
) -> None:
    clinic = db.get(Clinic, custodian.clinic.id)
    assert clinic is not None
    built = reports.build(db, me(db, custodian), clinic, kind, TODAY, TODAY)
    flat = " ".join(" ".join(row) for row in built.rows)
    assert all(text in flat for text in expect), (kind, flat)
    parsed = list(csv.reader(io.StringIO(reports.to_csv(built))))
    assert parsed[0] == list(built.columns) and parsed[1:] == [list(r) for r in built.rows]
    assert reports.to_pdf(built).startswith(b"%PDF")


@pytest.mark.parametrize("kind", list(reports.KINDS))
def test_it_sets_each_pdf_flush_left_inside_the_margins(
    db: Session, busy: Stock, nurse: Persona, kind: str
) -> None:
    clinic = db.get(Clinic, nurse.clinic.id)
    assert clinic is not None
    patient = busy.patient_id if kind == "patient" else None
    built = reports.build(db, me(db, nurse), clinic, kind, TODAY, TODAY, patient)
    pdf = read_layout(reports.to_pdf(built))
    # fpdf2's 10 mm side and top margins; the page breaks 12 mm above the bottom edge.
    assert pdf.outside(10, 10, 10) == []
    assert [w for w in pdf.word_spacing if w] == []  # no justified cell
    words = pdf.text.split()
    for value in {v for row in built.rows for v in row}:
        assert " ".join(value.split()) in " ".join(words), value
    if kind in ("dispensing", "patient"):
        assert "Okafor, Bianca" in pdf.text


def test_it_gives_one_patients_history_only_to_those_who_read_charts(
    db: Session, busy: Stock, custodian: Persona, nurse: Persona
) -> None:
    clinic = db.get(Clinic, nurse.clinic.id)
    assert clinic is not None
    built = reports.build(db, me(db, nurse), clinic, "patient", TODAY, TODAY, busy.patient_id)
    assert [row[2] for row in built.rows] == ["draw", "administer", "waste"]
    with pytest.raises(ValidationFailed, match="choose the patient"):
        reports.build(db, me(db, nurse), clinic, "patient", TODAY, TODAY)
    with pytest.raises(ValidationFailed, match="choose one of"):
        reports.build(db, me(db, nurse), clinic, "everything", TODAY, TODAY)


def test_it_moves_destroys_and_loses_from_the_container_page(
    api: Api, custodian: Persona, nurse: Persona, prescriber: Persona, stock: Stock
) -> None:
    client = api(custodian)
    url = f"/ledger/containers/{stock.vials[1].id}"
    moved = client.post(f"{url}/transfer", data={"to_location_id": str(stock.other.id)})
    assert moved.status_code == 200 and "Cart safe" in moved.text
    refused = client.post(
        f"{url}/destroy",
        data={
            "amount_mg": "500",
            "method": "chemical digestion",
            "reason": "expired",
            "destroyed_on": TODAY.isoformat(),
            "witness_email": nurse.email,
            "witness_password": PASSWORD,
            "witness2_email": nurse.email,
            "witness2_password": PASSWORD,
        },
    )
    assert refused.status_code == 422 and "each witness must be someone else" in refused.text
    destroyed = client.post(
        f"{url}/destroy",
        data={
            "amount_mg": "400",
            "method": "chemical digestion",
            "reason": "expired",
            "destroyed_on": TODAY.isoformat(),
            "witness_email": nurse.email,
            "witness_password": PASSWORD,
            "witness2_email": prescriber.email,
            "witness2_password": PASSWORD,
        },
    )
    assert destroyed.status_code == 200 and 'id="on-hand">100 mg' in destroyed.text
    lost = client.post(
        f"{url}/loss",
        data={
            "amount_mg": "10",
            "loss_kind": "breakage",
            "discovered": TODAY.isoformat(),
            "circumstances": "Dropped while counting.",
        },
    )
    assert lost.status_code == 200 and "record a filing" in lost.text
    bad = client.post(
        f"{url}/loss",
        data={
            "amount_mg": "1000",
            "loss_kind": "breakage",
            "discovered": TODAY.isoformat(),
            "circumstances": "Dropped while counting.",
        },
    )
    assert bad.status_code == 422 and "more than the 90 mg on hand" in bad.text
    loss_id = api(custodian).get("/api/v1/ledger/losses").json()["items"][0]["entry_id"]
    filed = client.post(
        f"/ledger/losses/{loss_id}/filings", data={"kind": "notice", "filed_on": TODAY.isoformat()}
    )
    assert filed.status_code == 200 and "notice " + TODAY.isoformat() in filed.text
    again = client.post(
        f"/ledger/losses/{loss_id}/filings", data={"kind": "notice", "filed_on": TODAY.isoformat()}
    )
    assert again.status_code == 422 and "already recorded as filed" in again.text


def test_it_sets_up_safes_and_products_and_refuses_duplicates(
    api: Api, custodian: Persona, stock: Stock
) -> None:
    client = api(custodian)
    assert client.post("/ledger/setup/location", data={"name": "Fridge safe"}).status_code == 200
    dup = client.post("/ledger/setup/location", data={"name": "Safe A"})
    assert dup.status_code == 422 and "already exists" in dup.text
    bad = client.post("/ledger/setup/product", data={"ndc": "12", "drug": "ketamine"})
    assert bad.status_code == 422 and "is not written in the expected form" in bad.text
    names = [loc["name"] for loc in client.get("/api/v1/ledger/locations").json()["items"]]
    assert names == ["Cart safe", "Fridge safe", "Safe A"]
    # Products are deployment-wide: other tests' (the browser's) may be listed too.
    mine = [
        p
        for p in client.get("/api/v1/ledger/products").json()["items"]
        if p["id"] == stock.product.id
    ]
    assert [p["container_mg"] for p in mine] == [500]


def test_it_lists_entries_newest_first_with_their_hashes(
    api: Api, nurse: Persona, busy: Stock
) -> None:
    rows = api(nurse).get("/api/v1/ledger/entries?page_size=3").json()["items"]
    assert [r["kind"] for r in rows] == ["loss", "destroy", "waste"]
    assert all(len(r["hash"]) == 64 for r in rows)
    draws = api(nurse).get("/api/v1/ledger/entries?kind=draw").json()["items"]
    assert len(draws) == 1 and draws[0]["patient_id"] == busy.patient_id
