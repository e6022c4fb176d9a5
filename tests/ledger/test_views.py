"""The ledger's staff pages: each renders, and a refused form keeps what was typed
and says what to correct beside the field."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Persona
from tests.ledger.conftest import Stock, receipt

Api = Callable[[Persona], TestClient]


def test_it_shows_stock_open_draws_and_every_page(
    api: Api, custodian: Persona, nurse: Persona, stock: Stock
) -> None:
    drawn = api(nurse).post(
        "/ledger/draw",
        data={
            "container_id": str(stock.vials[0].id),
            "patient_id": str(stock.patient_id),
            "amount_mg": "35",
        },
        follow_redirects=False,
    )
    assert drawn.status_code == 303
    draw_url = drawn.headers["location"]
    overview = api(nurse).get("/ledger").text
    assert "KX2611-001" in overview and "Okafor, Bianca" in overview and "465" in overview
    # The custodian sees stock and draws, but a record number instead of the name.
    keeper = api(custodian).get("/ledger").text
    assert "Okafor" not in keeper and "record KC" in keeper
    for url in (
        draw_url,
        f"/ledger/containers/{stock.vials[0].id}",
        "/ledger/receive",
        f"/ledger/locations/{stock.location.id}/count",
        "/ledger/setup",
        "/ledger/reports?kind=receipts",
    ):
        who = nurse if url == draw_url else custodian
        assert api(who).get(url).status_code == 200, url
    assert "every hash chain intact" in api(custodian).get("/ledger/setup").text
    history = api(nurse).get(f"/patients/{stock.patient_id}/administrations").text
    assert "drawn" in history and "KX2611-001" in history


def test_it_records_a_dose_and_a_witnessed_waste_from_the_draw_page(
    api: Api, nurse: Persona, prescriber: Persona, stock: Stock
) -> None:
    client = api(nurse)
    url = client.post(
        "/ledger/draw",
        data={
            "container_id": str(stock.vials[0].id),
            "patient_id": str(stock.patient_id),
            "amount_mg": "35",
        },
        follow_redirects=False,
    ).headers["location"]
    client.post(f"{url}/administer", data={"amount_mg": "30"})
    refused = client.post(
        f"{url}/waste",
        data={"amount_mg": "5", "witness_email": prescriber.email, "witness_password": "wrong"},
    )
    assert refused.status_code == 422
    assert "witness email, password or code is not right" in refused.text
    done = client.post(
        f"{url}/waste",
        data={"amount_mg": "5", "witness_email": prescriber.email, "witness_password": PASSWORD},
    )
    assert done.status_code == 200 and 'id="closed"' in done.text


def test_it_keeps_a_refused_receipt_and_names_the_field(
    api: Api, custodian: Persona, stock: Stock
) -> None:
    form = {k: str(v) for k, v in receipt(stock.location.id, stock.product.id).items()}
    form["supplier_dea"] = "RG12"
    page = api(custodian).post("/ledger/receive", data=form)
    assert page.status_code == 422
    assert "two letters and seven digits" in page.text and 'value="INV-88121"' in page.text


def test_it_counts_a_safe_and_opens_then_resolves_a_case(
    api: Api, custodian: Persona, nurse: Persona, stock: Stock, db: Session
) -> None:
    client = api(custodian)
    a, b = stock.vials
    short = client.post(
        f"/ledger/locations/{stock.location.id}/count",
        data={
            "kind": "daily",
            "business": "close",
            f"counted_{a.id}": "500",
            f"counted_{b.id}": "490",
        },
        follow_redirects=False,
    )
    case_url = short.headers["location"]
    assert case_url.startswith("/ledger/discrepancies/")
    assert "-10 mg" in client.get(case_url).text
    resolved = client.post(
        case_url,
        data={
            "outcome": "count_in_error",
            "explanation": "Recount by two people found 500 mg.",
            "witness_email": nurse.email,
            "witness_password": PASSWORD,
        },
    )
    assert resolved.status_code == 200 and "count was in error" in resolved.text
    missing = client.post(
        f"/ledger/locations/{stock.location.id}/count",
        data={"kind": "shift", f"counted_{a.id}": "500"},
    )
    assert missing.status_code == 422 and "count this container" in missing.text


def test_it_downloads_a_report_from_the_reports_page(
    api: Api, custodian: Persona, stock: Stock
) -> None:
    csv = api(custodian).get("/ledger/reports?kind=receipts&format=csv")
    assert csv.headers["content-type"].startswith("text/csv") and "RG1234563" in csv.text
    bad = api(custodian).get("/ledger/reports?kind=receipts&since=not-a-date")
    assert bad.status_code == 422
