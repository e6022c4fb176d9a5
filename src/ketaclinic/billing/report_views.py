"""The account reports' pages: a patient's statement (page and PDF) and a payment's
receipt for staff with billing; the patient's own statement and receipts in the
portal; the clinic's daily close and ageing report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing import deps, report_documents
from ketaclinic.billing.deps import FromText, ToText
from ketaclinic.billing.report_errors import ReportDateInvalid
from ketaclinic.billing.service import ageing as ageing_service
from ketaclinic.billing.service import close as close_service
from ketaclinic.billing.service import statements, superbill
from ketaclinic.clinical.billing import dollars
from ketaclinic.clinical.billing.statements import BUCKET_LABELS
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, render
from ketaclinic.portal.deps import CurrentPatient, render_portal

router = APIRouter(include_in_schema=False)

DayText = Annotated[str, Query(max_length=10)]
DateText = Annotated[str, Query(alias="date", max_length=10)]


def parse_day(text: str, field: str) -> date | None:
    """A date from the query (empty: none); a bad one is a 422 naming ``field``."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportDateInvalid(field=field) from None


# ---- a patient's statement and receipts (staff) ------------------------------------


def _staff_statement(
    db: Session, principal: Principal, patient_id: int, since: str, until: str
) -> statements.StatementDoc:
    patient = superbill.patient_for_staff(db, principal, patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    first, last = statements.period(
        today_at(db, clinic.id), parse_day(since, "from"), parse_day(until, "to")
    )
    return statements.build(db, principal, patient, clinic, first, last)


@router.get("/patients/{patient_id}/account/statement")
def statement_page(
    request: Request,
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    since: FromText = "",
    until: ToText = "",
) -> Response:
    doc = _staff_statement(db, principal, patient_id, since, until)
    return render(
        request,
        "billing/statement.html",
        {"doc": doc, "patient_id": patient_id, "dollars": dollars},
    )


@router.get("/patients/{patient_id}/account/statement.pdf")
def statement_pdf(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    since: FromText = "",
    until: ToText = "",
) -> Response:
    doc = _staff_statement(db, principal, patient_id, since, until)
    return deps.download(
        report_documents.statement_pdf(doc), f"statement-{doc.header.patient_mrn}.pdf"
    )


@router.get("/patients/{patient_id}/account/receipts/{entry_id}.pdf")
def receipt_pdf(
    patient_id: Id, entry_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = superbill.patient_for_staff(db, principal, patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    doc = statements.receipt(db, principal, patient, clinic, entry_id)
    return deps.download(report_documents.receipt_pdf(doc), f"receipt-{doc.receipt_no}.pdf")


# ---- the patient's own (portal) ----------------------------------------------------------


@router.get("/portal/statement")
def portal_statement(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    own = superbill.patient_of_own(db, patient.clinic_id, patient.patient_id)
    payments = statements.receipts_of(db, None, own, actor=patient.actor, origin=patient.origin)
    first, last = statements.period(today_at(db, patient.clinic_id), None, None)
    context = {
        "nav": "statement",
        "first": first.isoformat(),
        "last": last.isoformat(),
        "payments": payments,
        "dollars": dollars,
        "method_words": statements.method_words,
    }
    return render_portal(request, "billing/statement_portal.html", patient, context, db=db)


@router.get("/portal/statement.pdf")
def portal_statement_pdf(
    db: DbSession, patient: CurrentPatient, since: FromText = "", until: ToText = ""
) -> Response:
    own = superbill.patient_of_own(db, patient.clinic_id, patient.patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    first, last = statements.period(
        today_at(db, clinic.id), parse_day(since, "from"), parse_day(until, "to")
    )
    doc = statements.build(
        db, None, own, clinic, first, last, actor=patient.actor, origin=patient.origin
    )
    return deps.download(report_documents.statement_pdf(doc), "statement.pdf")


@router.get("/portal/receipts/{entry_id}.pdf")
def portal_receipt_pdf(entry_id: Id, db: DbSession, patient: CurrentPatient) -> Response:
    own = superbill.patient_of_own(db, patient.clinic_id, patient.patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    doc = statements.receipt(
        db, None, own, clinic, entry_id, actor=patient.actor, origin=patient.origin
    )
    return deps.download(report_documents.receipt_pdf(doc), f"receipt-{doc.receipt_no}.pdf")


# ---- the clinic's reports ----------------------------------------------------------------


def _clinic(db: Session, principal: Principal, request: Request) -> Clinic:
    wanted = requested_clinic_id(request)
    clinic = db.get(Clinic, resolve_clinic_id(principal, Permission.BILLING, wanted))
    assert clinic is not None
    return clinic


@router.get("/billing/close")
def close_page(
    request: Request, principal: CurrentPrincipal, db: DbSession, day: DateText = ""
) -> Response:
    clinic = _clinic(db, principal, request)
    chosen = parse_day(day, "date") or today_at(db, clinic.id)
    found = close_service.daily_close(db, principal, clinic, chosen)
    return render(
        request, "billing/close.html", {"close": found, "t": found.totals, "dollars": dollars}
    )


@router.get("/billing/ageing")
def ageing_page(
    request: Request, principal: CurrentPrincipal, db: DbSession, as_of: DayText = ""
) -> Response:
    clinic = _clinic(db, principal, request)
    chosen = parse_day(as_of, "as_of") or today_at(db, clinic.id)
    found = ageing_service.ageing(db, principal, clinic, chosen)
    return render(
        request,
        "billing/ageing.html",
        {"report": found, "labels": BUCKET_LABELS, "dollars": dollars},
    )
