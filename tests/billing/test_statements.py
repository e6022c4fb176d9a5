"""A patient's account statement and a payment's receipt (issue 23, point 4): the
statement's balance is what was owed before the period plus the period's entries;
both PDFs carry what a patient and a payer look for; staff with billing and the
patient themself read them, nobody else."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing import report_documents
from ketaclinic.billing.service import statements
from ketaclinic.clinics.models import Clinic
from tests.billing.account_rows import Accounts
from tests.billing.account_rows import accounts as accounts
from tests.chairside.conftest import Api
from tests.conftest import Persona
from tests.pdf_layout import read_layout
from tests.portal.conftest import SignIn, make_account
from tests.portal.conftest import sign_in as sign_in


def test_it_brings_the_balance_forward_and_adds_the_periods_entries(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    doc = statements.build(db, desk, accounts.rosa, clinic, date(2026, 11, 9), date(2026, 12, 9))
    # Before the period: the package 2,700.00, the deposit -1,000.00, a charge 450.00.
    assert doc.opening_cents == 215_000
    assert [line.amount_cents for line in doc.lines] == [12_000, -50_000, -20_000, 5_000]
    assert doc.closing_cents == 162_000 == doc.lines[-1].balance_cents
    assert doc.lines[1].description == "Payment, cash, receipt R-0002"
    assert doc.lines[3].description == "Refund of receipt R-0003, card"
    whole = statements.build(db, desk, accounts.rosa, clinic, date(2026, 1, 1), date(2026, 12, 9))
    assert whole.opening_cents == 0 and whole.closing_cents == 162_000
    assert whole.lines[0].description == "Package: Six-infusion induction"
    assert whole.lines[1].description == "Deposit, card, receipt R-0001"


def test_it_shows_a_credit_as_nothing_due(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    doc = statements.build(db, desk, accounts.dev, clinic, date(2026, 11, 9), date(2026, 12, 9))
    assert doc.closing_cents == -30_000 and doc.due_cents == 0
    text = read_layout(report_documents.statement_pdf(doc)).text
    assert "Credit on your account" in text and "$300.00" in text


def test_it_prints_the_statement_with_the_patient_the_clinic_and_the_balance_due(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    doc = statements.build(db, desk, accounts.rosa, clinic, date(2026, 11, 9), date(2026, 12, 9))
    layout = read_layout(report_documents.statement_pdf(doc))
    assert layout.outside(left_mm=13.5, top_mm=13.5, bottom_mm=8) == []
    for field in (
        "Account statement",
        "Rosa Okafor",
        "12 Elm Street, Austin, TX, 78701",
        clinic.name,
        "Phone: not on file",
        "Balance brought forward",
        "$2,150.00",
        "Payment, cash, receipt R-0002",
        "Balance due",
        "$1,620.00",
    ):
        assert field in layout.text, field


def test_it_prints_a_receipt_with_every_field(
    db: Session, accounts: Accounts, admin: Persona, front_desk: Persona, clinic: Clinic
) -> None:
    desk = principal_for(db, front_desk.user)
    doc = statements.receipt(db, desk, accounts.rosa, clinic, accounts.card.id)
    assert (doc.amount_cents, doc.refunded_cents) == (20_000, 5_000)
    layout = read_layout(report_documents.receipt_pdf(doc))
    assert layout.outside(left_mm=13.5, top_mm=13.5, bottom_mm=8) == []
    for field in (
        "Receipt number R-0003",
        "Date 2026-12-09",
        "Method: card",
        "Reference: ch_3PcardB",
        f"Received by: {admin.user.name}",
        "Rosa Okafor",
        clinic.name,
        "Amount received",
        "$200.00",
        "Refunded since",
        "$50.00",
    ):
        assert field in layout.text, field


def test_it_serves_the_statement_page_and_pdfs_to_billing_staff(
    db: Session, api: Api, accounts: Accounts, front_desk: Persona
) -> None:
    desk = api(front_desk)
    rosa = accounts.rosa.id
    page = desk.get(f"/patients/{rosa}/account/statement")
    assert page.status_code == 200
    # The default period is the last 30 days: from 9 November.
    assert "9 Nov 2026" in page.text and "$1,620.00" in page.text
    assert "Payment, cash, receipt R-0002" in page.text and "Rosa Okafor" in page.text
    assert f"/patients/{rosa}/account/receipts/{accounts.cash.id}.pdf" in page.text
    pdf = desk.get(f"/patients/{rosa}/account/statement.pdf", params={"from": "2026-12-01"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    got = desk.get(f"/patients/{rosa}/account/receipts/{accounts.cash.id}.pdf")
    assert got.status_code == 200 and "R-0002" in read_layout(got.content).text
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == rosa)).all()
    assert {"patient.billing.statement", "patient.billing.receipt"} <= set(audited)


def test_it_refuses_a_bad_period_naming_the_field(
    api: Api, accounts: Accounts, front_desk: Persona
) -> None:
    desk = api(front_desk)
    where = f"/patients/{accounts.rosa.id}/account/statement"
    bad = desk.get(where, params={"from": "2026-13-01"})
    assert bad.status_code == 422 and "from: a date like 2026-11-23" in bad.text
    backwards = desk.get(f"{where}.pdf", params={"from": "2026-12-09", "to": "2026-12-01"})
    assert backwards.status_code == 422 and "to: on or after the first date" in backwards.text


def test_it_finds_no_receipt_for_a_charge_or_another_patients_payment(
    api: Api, accounts: Accounts, front_desk: Persona
) -> None:
    desk = api(front_desk)
    rosa, dev = accounts.rosa.id, accounts.dev.id
    assert (
        desk.get(f"/patients/{rosa}/account/receipts/{accounts.charge.id}.pdf").status_code == 404
    )
    assert desk.get(f"/patients/{dev}/account/receipts/{accounts.cash.id}.pdf").status_code == 404
    assert desk.get(f"/patients/{accounts.away.id}/account/statement").status_code == 404


def test_it_keeps_statements_from_clinicians(
    api: Api, accounts: Accounts, nurse: Persona, prescriber: Persona
) -> None:
    for persona in (nurse, prescriber):
        got = api(persona).get(f"/patients/{accounts.rosa.id}/account/statement")
        assert got.status_code == 403
        pdf = api(persona).get(
            f"/patients/{accounts.rosa.id}/account/receipts/{accounts.cash.id}.pdf"
        )
        assert pdf.status_code == 403


def test_it_lets_the_patient_download_their_statement_and_receipts(
    db: Session, accounts: Accounts, sign_in: SignIn
) -> None:
    browser = sign_in(make_account(db, accounts.rosa))
    page = browser.get("/portal/statement")
    assert page.status_code == 200
    assert "Download the statement" in page.text and 'href="/portal/statement"' in page.text
    assert f"/portal/receipts/{accounts.cash.id}.pdf" in page.text and "$500.00" in page.text
    pdf = browser.get("/portal/statement.pdf", params={"from": "2026-01-01", "to": "2026-12-09"})
    assert pdf.status_code == 200 and "$1,620.00" in read_layout(pdf.content).text
    receipt = browser.get(f"/portal/receipts/{accounts.deposit.id}.pdf")
    assert receipt.status_code == 200 and "Deposit" in read_layout(receipt.content).text
    dev = db.scalars(select(AuditEvent.actor).where(AuditEvent.action == "patient.billing.receipt"))
    assert any(actor.startswith("patient-account:") for actor in dev)


def test_it_shows_a_patient_no_one_elses_receipt(
    db: Session, accounts: Accounts, sign_in: SignIn
) -> None:
    browser = sign_in(make_account(db, accounts.dev))
    assert browser.get(f"/portal/receipts/{accounts.cash.id}.pdf").status_code == 404
    bad = browser.get("/portal/statement.pdf", params={"from": "yesterday"})
    assert bad.status_code == 422


def test_it_writes_pdfs_a_reader_opens(
    db: Session, accounts: Accounts, front_desk: Persona, clinic: Clinic
) -> None:
    """Both PDFs parse and carry their words (pypdf, as the consent copies are read)."""
    desk = principal_for(db, front_desk.user)
    doc = statements.build(db, desk, accounts.rosa, clinic, date(2026, 1, 1), date(2026, 12, 9))
    receipt = statements.receipt(db, desk, accounts.rosa, clinic, accounts.deposit.id)
    for body, words in (
        (report_documents.statement_pdf(doc), "Balance due"),
        (report_documents.receipt_pdf(receipt), "Receipt number R-0001"),
    ):
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
        assert words in text and "Rosa Okafor" in text
