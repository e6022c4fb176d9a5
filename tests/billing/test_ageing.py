"""The ageing report (issue 23, point 4): each patient with a balance, what they owe
by age after credits pay the oldest charges first, a credit shown as credit, and
totals that add up. Page, API and command line; billing staff only."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.billing.service import ageing
from ketaclinic.clinics.models import Clinic
from tests.billing.account_rows import TODAY, Accounts
from tests.billing.account_rows import accounts as accounts
from tests.chairside.conftest import Api
from tests.conftest import Persona


def test_it_ages_each_balance_paying_the_oldest_first(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    report = ageing.ageing(db, desk, clinic, TODAY)
    rows = {row.patient.mrn: row.ageing for row in report.rows}
    assert set(rows) == {"AC00001", "AC00002"}  # not the other clinic's patient
    # Rosa: 1,700.00 of credits pay the package of 1 August first; 1,000.00 of it stays
    # over 90 days; 20 October's 450.00 is 31-60; 1 December's 120.00 and today's
    # refund of 50.00 are current.
    assert rows["AC00001"].buckets == (17_000, 45_000, 0, 100_000)
    assert rows["AC00001"].balance_cents == 162_000
    assert rows["AC00002"].buckets == (0, 0, 0, 0) and rows["AC00002"].credit_cents == 30_000
    assert report.totals.buckets == (17_000, 45_000, 0, 100_000)
    assert report.totals.balance_cents == 132_000


def test_it_ages_as_of_an_earlier_date(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    report = ageing.ageing(db, desk, clinic, date(2026, 10, 31))
    (row,) = report.rows
    # Before today's payments: 2,150.00 owed, the package now 91 days old.
    assert row.ageing.buckets == (45_000, 0, 0, 170_000)


def test_it_shows_the_ageing_page_in_words(
    api: Api, accounts: Accounts, front_desk: Persona
) -> None:
    page = api(front_desk).get("/billing/ageing")
    assert page.status_code == 200
    for words in ("Rosa Okafor", "Dev Patel", "Over 90 days", "$1,000.00", "$1,320.00", "$300.00"):
        assert words in page.text, words
    assert "Ana Away" not in page.text
    bad = api(front_desk).get("/billing/ageing", params={"as_of": "31/12/2026"})
    assert bad.status_code == 422 and "as_of: a date like" in bad.text


def test_it_answers_the_ageing_as_json(api: Api, accounts: Accounts, front_desk: Persona) -> None:
    got = api(front_desk).get("/api/v1/billing/ageing", params={"as_of": "2026-12-09"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 2 and body["totals"]["balance_cents"] == 132_000
    rosa = next(item for item in body["items"] if item["mrn"] == "AC00001")
    assert (rosa["current_cents"], rosa["over_90_cents"]) == (17_000, 100_000)
    bad = api(front_desk).get("/api/v1/billing/ageing", params={"as_of": "tomorrow"})
    assert bad.status_code == 422 and "as_of" in bad.json()["error"]["fields"]
