"""Billing's pages: the clinic's visits with charges (/billing), a visit's charges to
review, finalise and correct, the fee schedule (/admin/fees), a patient's superbill
(staff) and the patient's own (portal)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import staff
from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing import deps, documents, errors, evaluation_views
from ketaclinic.billing.deps import FromText, ToText
from ketaclinic.billing.errors import CoverageInvalid
from ketaclinic.billing.models import Coverage
from ketaclinic.billing.schemas import COVERAGE_FIELDS, CoverageIn, plan_of
from ketaclinic.billing.service import charges, claim, fees, review, superbill
from ketaclinic.clinical.billing import dollars, parse_cents
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, render
from ketaclinic.portal.deps import CurrentPatient, PortalPatient, render_portal

router = APIRouter(include_in_schema=False)


def _clinic(
    db: Session, principal: Principal, permission: Permission, wanted: int | None
) -> Clinic:
    clinic = db.get(Clinic, resolve_clinic_id(principal, permission, wanted))
    assert clinic is not None
    return clinic


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.DateRangeInvalid("a date like 2026-11-23", field=field) from None


# ---- the clinic's visits and one visit's charges ------------------------------------


@router.get("/billing")
def visits_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic = _clinic(db, principal, Permission.BILLING, requested_clinic_id(request))
    found = review.visits(db, principal, clinic.id)
    return render(
        request,
        "billing/visits.html",
        {"clinic": clinic, "visits": found, "dollars": dollars, "days": review.REVIEW_DAYS},
    )


@router.post("/billing/charges")
def make_missing(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    wanted = in_id_range(forms.text(form, "clinic_id"))
    clinic = _clinic(db, principal, Permission.BILLING, wanted)
    made = charges.generate_missing(db, principal, clinic.id)
    return RedirectResponse(f"/billing?clinic_id={clinic.id}&made={made}", status_code=303)


def _visit(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: int,
    *,
    errors_shown: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = charges.visit_charges(db, principal, session_id)
    return render(
        request,
        "billing/visit.html",
        {
            "v": found,
            "dollars": dollars,
            "errors": errors_shown or {},
            "typed": typed or {},
            "not_ready": charges.not_ready,
            "done": request.query_params.get("done", ""),
            "can_evaluate": principal.can(Permission.PLAN_SIGN, found.session.clinic_id),
            "coverage_values": _coverage_values(found.coverage, typed or {}),
        },
        status_code=status_code,
    )


def _coverage_values(coverage: Coverage | None, typed: dict[str, str]) -> dict[str, str]:
    """The coverage form's values: as typed when it was refused, else as stored."""
    if "relationship" in typed:
        return typed
    if coverage is None:
        return {"relationship": "self"}
    return {
        name: "" if getattr(coverage, name) is None else str(getattr(coverage, name))
        for name in COVERAGE_FIELDS
    }


@router.get("/billing/visits/{session_id}")
def visit_page(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _visit(request, db, principal, session_id)


@router.get("/billing/visits/{session_id}/cms1500.csv")
def cms1500_csv(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The visit's CMS-1500 fields, one row per final service line; the visit's page
    again, with the missing item named, when the claim cannot be made."""
    try:
        found = claim.cms1500_forms(db, principal, session_id)
    except errors.ClaimIncomplete as exc:
        db.rollback()
        shown = {"claim": exc.message}
        return _visit(request, db, principal, session_id, errors_shown=shown, status_code=409)
    name = f"cms1500-{found.patient.mrn}-visit-{session_id}.csv"
    return deps.download(claim.to_csv(found), name, "text/csv")


@router.post("/billing/visits/{session_id}/charges")
def remake(session_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    charges.visit_charges(db, principal, session_id, audited=False)
    charges.generate(db, principal, session_id)
    return RedirectResponse(f"/billing/visits/{session_id}?done=remade", status_code=303)


@router.post("/billing/visits/{session_id}/finalise")
def finalise_all(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    try:
        charges.finalise_visit(db, principal, session_id)
    except errors.ChargeNotReady as exc:
        db.rollback()
        shown = {"finalise": exc.message}
        return _visit(request, db, principal, session_id, errors_shown=shown, status_code=409)
    return RedirectResponse(f"/billing/visits/{session_id}?done=final", status_code=303)


@router.post("/billing/lines/{line_id}/finalise")
def finalise_line(
    request: Request, line_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    session_id = in_id_range(forms.text(form, "session_id")) or 0
    try:
        line = charges.finalise(db, principal, line_id)
    except (errors.ChargeNotReady, errors.ChargeAlreadyFinal) as exc:
        if not session_id:
            raise
        db.rollback()
        shown = {"finalise": exc.message}
        return _visit(request, db, principal, session_id, errors_shown=shown, status_code=409)
    return RedirectResponse(f"/billing/visits/{line.session_id}?done=final", status_code=303)


@router.post("/billing/lines/{line_id}/correct")
def correct_line(
    request: Request, line_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    reason = forms.text(form, "reason")
    code = forms.text(form, "code").upper() or None
    units_text = forms.text(form, "units")
    units = int(units_text) if units_text.isdigit() else (1 if code and not units_text else None)
    try:
        made = charges.correct(db, principal, line_id, reason, code, units)
    except ValidationFailed as exc:
        session_id = in_id_range(forms.text(form, "session_id"))
        if session_id is None:
            raise
        db.rollback()
        shown = {f"{line_id}-{k}": v for k, v in exc.fields.items()}
        typed = {f"{line_id}-reason": reason, f"{line_id}-code": code or ""}
        return _visit(
            request, db, principal, session_id, errors_shown=shown, typed=typed, status_code=422
        )
    return RedirectResponse(f"/billing/visits/{made[0].session_id}?done=corrected", status_code=303)


@router.post("/billing/lines/{line_id}/ndc")
def set_ndc(
    request: Request, line_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    ndc = forms.text(form, "ndc")
    try:
        line = charges.set_ndc(db, principal, line_id, ndc)
    except ValidationFailed as exc:
        session_id = in_id_range(forms.text(form, "session_id"))
        if session_id is None:
            raise
        db.rollback()
        shown = {f"{line_id}-{k}": v for k, v in exc.fields.items()}
        typed = {f"{line_id}-ndc": ndc}
        return _visit(
            request, db, principal, session_id, errors_shown=shown, typed=typed, status_code=422
        )
    return RedirectResponse(f"/billing/visits/{line.session_id}?done=ndc", status_code=303)


@router.post("/billing/patients/{patient_id}/coverage")
def set_coverage(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    """The patient's insurer, member id and the insured's plan, for the superbill and
    the claim (a new row each time); a refused field is shown beside it."""
    typed = forms.values(form, COVERAGE_FIELDS)
    back = in_id_range(forms.text(form, "session_id"))
    data, errors = forms.parse(CoverageIn, forms.given(typed))
    try:
        if data is None:
            raise CoverageInvalid.of(errors)
        fees.set_coverage(db, principal, patient_id, data.payer, data.member_id, plan_of(data))
    except ValidationFailed as exc:
        if back is None:
            raise
        db.rollback()
        return _visit(
            request,
            db,
            principal,
            back,
            errors_shown=forms.field_errors(exc),
            typed=typed,
            status_code=422,
        )
    where = f"/billing/visits/{back}?done=coverage" if back else "/billing"
    return RedirectResponse(where, status_code=303)


# ---- the fee schedule ------------------------------------------------------------------


def _fees_page(
    request: Request,
    db: Session,
    principal: Principal,
    clinic: Clinic,
    *,
    errors_shown: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = fees.fee_schedule(db, principal, clinic.id)
    clinicians = [
        m
        for m in staff.list_staff(db, [clinic.id])
        if any(role in ("prescriber", "nurse") for _name, role in m.roles)
    ]
    billing_ids, npis = fees.identifiers(db, principal, clinic.id, [m.user.id for m in clinicians])
    return render(
        request,
        "billing/fees.html",
        {
            "clinic": clinic,
            "rows": rows,
            "dollars": dollars,
            "errors": errors_shown or {},
            "typed": typed or {},
            "today": today_at(db, clinic.id),
            "saved": request.query_params.get("saved", ""),
            "clinicians": clinicians,
            "billing_ids": billing_ids,
            "npis": npis,
        },
        status_code=status_code,
    )


@router.get("/admin/fees")
def fees_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic = _clinic(db, principal, Permission.SETTINGS_MANAGE, requested_clinic_id(request))
    return _fees_page(request, db, principal, clinic)


@router.post("/admin/fees")
def fees_change(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    wanted = in_id_range(forms.text(form, "clinic_id"))
    clinic = _clinic(db, principal, Permission.SETTINGS_MANAGE, wanted)
    code = forms.text(form, "code")
    price = forms.text(form, "price")
    starts = forms.text(form, "effective_from")
    typed = {f"{code}-price": price, f"{code}-from": starts}
    try:
        cents = parse_cents(price)
        if cents is None:
            raise errors.PriceInvalid()
        day = _day(starts, "effective_from") if starts else today_at(db, clinic.id)
        fees.set_fee(db, principal, clinic.id, code, cents, day)
    except ValidationFailed as exc:
        db.rollback()
        shown = {f"{code}-{k}": v for k, v in exc.fields.items()}
        return _fees_page(
            request, db, principal, clinic, errors_shown=shown, typed=typed, status_code=422
        )
    return RedirectResponse(
        f"/admin/fees?clinic_id={clinic.id}&saved={code}#f-{code}", status_code=303
    )


@router.post("/admin/fees/identifiers")
def identifiers_change(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    wanted = in_id_range(forms.text(form, "clinic_id"))
    clinic = _clinic(db, principal, Permission.SETTINGS_MANAGE, wanted)
    raw_user = forms.text(form, "user_id")
    user_id = in_id_range(raw_user) if raw_user else None
    if raw_user and (
        user_id is None or user_id not in {m.user.id for m in staff.list_staff(db, [clinic.id])}
    ):
        raise errors.NpiInvalid("choose one of the clinic's clinicians", field="user_id")
    npi, tin = forms.text(form, "npi"), forms.text(form, "tin")
    try:
        fees.set_identifier(db, principal, clinic.id, npi, tin, user_id)
    except ValidationFailed as exc:
        db.rollback()
        who = str(user_id) if user_id else "clinic"
        shown = {f"id-{who}-{k}": v for k, v in exc.fields.items()}
        typed = {f"id-{who}-npi": npi, f"id-{who}-tin": tin}
        return _fees_page(
            request, db, principal, clinic, errors_shown=shown, typed=typed, status_code=422
        )
    return RedirectResponse(
        f"/admin/fees?clinic_id={clinic.id}&saved=identifiers#identifiers", status_code=303
    )


# ---- superbills --------------------------------------------------------------------------


def _range(db: Session, clinic_id: int, since: str, until: str) -> tuple[date, date]:
    today = today_at(db, clinic_id)
    first = _day(since, "from") if since else today - timedelta(days=90)
    last = _day(until, "to") if until else today
    if last < first:
        raise errors.DateRangeInvalid(field="to")
    return first, last


def _staff_bill(
    db: Session, principal: Principal, patient_id: int, since: str, until: str
) -> superbill.Superbill:
    patient = superbill.patient_for_staff(db, principal, patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    first, last = _range(db, clinic.id, since, until)
    return superbill.build(db, principal, patient, clinic, first, last)


@router.get("/patients/{patient_id}/superbill.pdf")
def staff_superbill_pdf(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    since: FromText = "",
    until: ToText = "",
) -> Response:
    bill = _staff_bill(db, principal, patient_id, since, until)
    return deps.download(
        documents.to_pdf(bill), f"superbill-{bill.patient.mrn}.pdf", "application/pdf"
    )


@router.get("/patients/{patient_id}/superbill.csv")
def staff_superbill_csv(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    since: FromText = "",
    until: ToText = "",
) -> Response:
    bill = _staff_bill(db, principal, patient_id, since, until)
    return deps.download(documents.to_csv(bill), f"superbill-{bill.patient.mrn}.csv", "text/csv")


def _portal_form(
    request: Request,
    db: Session,
    patient: PortalPatient,
    *,
    first: str = "",
    last: str = "",
    errors_shown: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = today_at(db, patient.clinic_id)
    context = {
        "nav": "superbill",
        "first": first or date(today.year, 1, 1).isoformat(),
        "last": last or today.isoformat(),
        "errors": errors_shown or {},
    }
    return render_portal(
        request,
        "billing/portal_superbill.html",
        patient,
        context,
        db=db,
        status_code=status_code,
    )


@router.get("/portal/superbill")
def portal_superbill(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    return _portal_form(request, db, patient)


@router.get("/portal/superbill.pdf")
def portal_superbill_pdf(
    request: Request,
    db: DbSession,
    patient: CurrentPatient,
    since: FromText = "",
    until: ToText = "",
) -> Response:
    own = superbill.patient_of_own(db, patient.clinic_id, patient.patient_id)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    try:
        first, last = _range(db, clinic.id, since, until)
    except ValidationFailed as exc:
        # The form again with the message by the date, not an error page.
        return _portal_form(
            request,
            db,
            patient,
            first=since,
            last=until,
            errors_shown=exc.fields,
            status_code=422,
        )
    bill = superbill.build(
        db, None, own, clinic, first, last, actor=patient.actor, origin=patient.origin
    )
    return deps.download(documents.to_pdf(bill), "superbill.pdf", "application/pdf")


# The prescriber's evaluation page has its own module and routes.
router.include_router(evaluation_views.router)
