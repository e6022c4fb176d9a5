"""The daily close (issue 23, point 4): a clinic's payments of one local date by
method and by staff member, refunds and the net; done when it adds up to the
payments recorded. Page, API and command line; billing staff only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing.account_models import AccountEntry
from ketaclinic.billing.service import close
from ketaclinic.clinics.models import Clinic
from tests.billing.account_rows import TODAY, Accounts
from tests.billing.account_rows import accounts as accounts
from tests.chairside.conftest import Api
from tests.conftest import Persona


def test_it_adds_up_to_the_payments_recorded(
    db: Session, accounts: Accounts, front_desk: Persona, admin: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    found = close.daily_close(db, desk, clinic, TODAY).totals
    recorded = db.scalar(
        select(func.sum(AccountEntry.amount_cents)).where(
            AccountEntry.clinic_id == clinic.id,
            AccountEntry.posted_on == TODAY,
            AccountEntry.kind.in_(("payment", "refund")),
        )
    )
    assert found.net_cents == -recorded == 95_000
    assert found.received_by_method == {"card": 50_000, "cash": 50_000}
    assert found.received_by_staff == {admin.user.name: 20_000, front_desk.user.name: 80_000}
    assert found.refunded_by_method == {"card": 5_000}
    assert (found.payments, found.refunds) == (3, 1)
    # Another day's payments and another clinic's are not in it.
    assert close.daily_close(db, desk, clinic, date(2026, 8, 1)).totals.received_cents == 100_000


def test_it_shows_the_close_in_words_and_names(
    db: Session, api: Api, accounts: Accounts, front_desk: Persona, admin: Persona
) -> None:
    page = api(front_desk).get("/billing/close", params={"date": "2026-12-09"})
    assert page.status_code == 200
    for words in ("Payments by method", "Cash", "$500.00", admin.user.name, "$950.00"):
        assert words in page.text, words
    assert f"user {admin.user.id}" not in page.text
    today = api(front_desk).get("/billing/close")
    assert "Wednesday 9 December 2026" in today.text
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.action == "billing.close.read"))
    assert len(list(audited)) == 2


def test_it_answers_the_close_as_json(api: Api, accounts: Accounts, front_desk: Persona) -> None:
    got = api(front_desk).get("/api/v1/billing/close", params={"date": "2026-12-09"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["received_cents"], body["refunded_cents"], body["net_cents"]) == (
        100_000,
        5_000,
        95_000,
    )
    assert {m["name"]: m["amount_cents"] for m in body["received_by_method"]} == {
        "card": 50_000,
        "cash": 50_000,
    }


def test_it_refuses_a_bad_date_naming_the_field(
    api: Api, accounts: Accounts, front_desk: Persona
) -> None:
    bad = api(front_desk).get("/api/v1/billing/close", params={"date": "2026-02-30"})
    assert bad.status_code == 422 and "date" in bad.json()["error"]["fields"]
    page = api(front_desk).get("/billing/close", params={"date": "soon"})
    assert page.status_code == 422 and "date: a date like" in page.text


def test_it_keeps_the_close_and_ageing_from_clinicians(
    api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona
) -> None:
    for persona in (nurse, prescriber):
        client = api(persona)
        for where in ("/billing/close", "/billing/ageing", "/api/v1/billing/close"):
            assert client.get(where).status_code == 403, where
        assert "/billing/close" not in client.get("/patients").text
    billing = api(front_desk).get("/billing").text
    assert 'href="/billing/close?clinic_id=' in billing
    assert 'href="/billing/ageing?clinic_id=' in billing
