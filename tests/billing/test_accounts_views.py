"""The patient's account page and the package catalogue page (issue 23, point 6):
money in dollars, words not ids, a refused form re-rendered with the message beside
its field, and links only for roles that may open them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from tests.billing.accounts_world import SelfPay, self_pay
from tests.chairside.conftest import Api
from tests.conftest import Persona


@pytest.fixture
def w(
    db: Session, api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona, admin: Persona
) -> SelfPay:
    return self_pay(db, api, nurse, prescriber, front_desk, admin)


def test_it_sells_a_package_and_takes_a_payment_on_the_page(
    api: Api, w: SelfPay, front_desk: Persona
) -> None:
    desk = api(front_desk)
    page = f"/patients/{w.patient_id}/account"
    first = desk.get(page).text
    assert 'Balance: <span id="balance-amount">$0.00</span>' in first
    assert f'href="/patients/{w.patient_id}/account/statement">Statement and receipts' in first
    assert "Six-infusion induction: 6 visits for $2,400.00" in first
    sold = desk.post(f"{page}/packages", data={"package_id": str(w.induction.id)})
    assert sold.status_code == 200 and "$2,400.00" in sold.text
    paid = desk.post(
        f"{page}/payments",
        data={"amount": "1,000.00", "method": "card", "reference": "ch_9", "purpose": "deposit"},
    )
    assert "Payment recorded." in paid.text and "$1,400.00" in paid.text
    assert "Card · deposit · ref. ch_9" in paid.text
    assert re.search(r"R-\d{4}-00001", paid.text)


def test_it_shows_a_refused_refund_beside_its_field(
    api: Api, w: SelfPay, front_desk: Persona
) -> None:
    desk = api(front_desk)
    page = f"/patients/{w.patient_id}/account"
    desk.post(f"{page}/payments", data={"amount": "50", "method": "cash"})
    payment_id = desk.get(f"/api/v1{page}").json()["payments"][0]["id"]
    refused = desk.post(
        f"{page}/refunds",
        data={"payment_id": str(payment_id), "amount": "60.00", "reason": "cancelled"},
    )
    assert refused.status_code == 422
    assert f'id="refund-{payment_id}-amount-error"' in refused.text
    assert "more than is left to refund of this payment ($50.00)" in refused.text
    bad = desk.post(f"{page}/payments", data={"amount": "ten", "method": "cash"})
    assert bad.status_code == 422 and 'id="pay-amount-error"' in bad.text
    done = desk.post(
        f"{page}/refunds",
        data={"payment_id": str(payment_id), "amount": "50.00", "reason": "cancelled"},
    )
    assert "Refund recorded." in done.text and "fully refunded" in done.text


def test_it_links_the_account_from_the_chart_only_for_billing_staff(
    api: Api, w: SelfPay, front_desk: Persona, nurse: Persona
) -> None:
    link = f'href="/patients/{w.patient_id}/account"'
    assert link in api(front_desk).get(f"/patients/{w.patient_id}").text
    assert link not in api(nurse).get(f"/patients/{w.patient_id}").text
    assert api(nurse).get(f"/patients/{w.patient_id}/account").status_code == 403


def test_it_edits_the_package_catalogue_on_a_page(api: Api, w: SelfPay, admin: Persona) -> None:
    boss = api(admin)
    assert 'href="/admin/packages' in boss.get("/admin/fees").text
    listing = boss.get("/admin/packages").text
    assert "Six-infusion induction" in listing and "$2,400.00" in listing
    bad = boss.post(
        "/admin/packages", data={"name": "Trio", "kind": "booster", "visits": "3", "price": "x"}
    )
    assert bad.status_code == 422 and 'id="pk-new-price-error"' in bad.text
    ok = boss.post(
        "/admin/packages",
        data={"name": "Trio", "kind": "booster", "visits": "3", "price": "1,050"},
    )
    assert "Trio" in ok.text and "$1,050.00" in ok.text
    retired = boss.post("/admin/packages/retire", data={"key": w.boosters.key})
    assert "retired" in retired.text
