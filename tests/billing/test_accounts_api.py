"""The self-pay account's JSON API (issue 23, point 6): the account, payments, refunds,
adjustments, selling a package and the package catalogue, in the project's list shape
and error envelope."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ketaclinic.billing.service import charges
from tests.billing.accounts_world import SelfPay, completed_visit, days_ago, self_pay
from tests.chairside.conftest import Api
from tests.conftest import Persona


@pytest.fixture
def w(
    db: Session, api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona, admin: Persona
) -> SelfPay:
    return self_pay(db, api, nurse, prescriber, front_desk, admin)


def test_it_sells_a_package_takes_payment_and_shows_the_account(
    db: Session, api: Api, w: SelfPay, front_desk: Persona
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{w.patient_id}/account"
    sold = desk.post(f"{base}/packages", json={"package_id": w.induction.id})
    assert sold.status_code == 201, sold.text
    assert (sold.json()["visits_left"], sold.json()["price_cents"]) == (6, 240000)
    paid = desk.post(
        f"{base}/payments",
        json={"amount_cents": 240000, "method": "card", "reference": "ch_3PkQ"},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount_cents"] == -240000 and paid.json()["receipt_no"].startswith("R-")
    charges.finalise_visit(db, w.desk, completed_visit(db, w, 1, days_ago(1)))
    db.commit()
    account = desk.get(base, params={"page_size": 2}).json()
    assert account["balance_cents"] == 0
    assert account["packages"][0]["visits_left"] == 5
    assert account["payments"][0]["refundable_cents"] == 240000
    entries = account["entries"]
    assert (entries["total"], entries["page_size"], len(entries["items"])) == (5, 2, 2)


def test_it_refuses_a_refund_over_the_payment_naming_the_field(
    api: Api, w: SelfPay, front_desk: Persona
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{w.patient_id}/account"
    paid = desk.post(f"{base}/payments", json={"amount_cents": 10000, "method": "cash"}).json()
    body = {"payment_id": paid["id"], "amount_cents": 10001, "reason": "overpaid"}
    refused = desk.post(f"{base}/refunds", json=body)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "billing_refund_too_large"
    assert error["fields"] == {
        "amount_cents": "more than is left to refund of this payment ($100.00)"
    }
    ok = desk.post(f"{base}/refunds", json={**body, "amount_cents": 10000})
    assert ok.status_code == 201 and ok.json()["method"] == "cash"
    missing = desk.post(f"{base}/refunds", json={**body, "payment_id": 999_999})
    assert missing.status_code == 404


def test_it_lists_and_saves_packages_for_the_administrator(
    api: Api, w: SelfPay, admin: Persona, front_desk: Persona, nurse: Persona
) -> None:
    listed = api(front_desk).get("/api/v1/billing/packages").json()
    assert [p["name"] for p in listed["items"]] == ["Booster pack of 3", "Six-infusion induction"]
    made = api(admin).post(
        "/api/v1/billing/packages",
        json={"name": "Maintenance", "kind": "other", "visits": 4, "price_cents": 150000},
    )
    assert made.status_code == 201 and made.json()["versions"] == 1
    changed = {
        "key": made.json()["key"],
        "name": "Maintenance",
        "kind": "other",
        "visits": 4,
        "price_cents": 160000,
    }
    again = api(admin).post("/api/v1/billing/packages", json=changed)
    assert again.json()["versions"] == 2 and again.json()["price_cents"] == 160000
    assert api(front_desk).post("/api/v1/billing/packages", json={}).status_code == 403
    assert api(nurse).get("/api/v1/billing/packages").status_code == 403


def test_it_forbids_a_nurse_the_account(api: Api, w: SelfPay, nurse: Persona) -> None:
    refused = api(nurse).get(f"/api/v1/patients/{w.patient_id}/account")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] in ("forbidden", "role_not_allowed")
