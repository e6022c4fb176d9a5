"""Staff pages for intake and eligibility screening: the intake form, a patient's
screenings with their clearance, one screening's explained result with the
prescriber's sign/override form, and the clinic's signing queue.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.screening import FACTS, INDICATIONS, Fact
from ketaclinic.clinical.screening.medications import interacting_medications
from ketaclinic.clinics.service import list_clinics, timezone_of
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.screenings import service
from ketaclinic.screenings.deps import policy_of

router = APIRouter(include_in_schema=False)

# How the intake form groups the facts (every enterable fact appears once; a test checks).
SECTIONS: list[tuple[str, list[str]]] = [
    ("Indication", ["indications", "prior_antidepressant_trials"]),
    (
        "Psychiatric history",
        [
            "active_psychosis",
            "schizophrenia_spectrum_disorder",
            "psychosis_history",
            "current_mania",
            "substance_use_disorder",
            "ketamine_misuse_history",
        ],
    ),
    (
        "Cardiovascular",
        [
            "uncontrolled_hypertension",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "unstable_cardiovascular_disease",
            "aneurysmal_vascular_disease",
            "arteriovenous_malformation",
            "intracerebral_hemorrhage_history",
        ],
    ),
    (
        "Intracranial and intraocular pressure",
        [
            "raised_intracranial_pressure",
            "raised_intraocular_pressure",
        ],
    ),
    ("Liver", ["hepatic_impairment"]),
    ("Pregnancy", ["pregnant", "breastfeeding"]),
    ("Medications and reactions", ["medication_classes", "ketamine_hypersensitivity"]),
]
NONE_OF_THESE = "none"
MEDICATION_LABELS = {entry.code: entry.label for entry in interacting_medications().classes}
CODE_LABELS: dict[str, dict[str, str]] = {
    "indications": {
        code: f"{i.label} ({i.icd10})" if i.icd10 else i.label for code, i in INDICATIONS.items()
    },
    "medication_classes": MEDICATION_LABELS,
    "chart_medication_classes": MEDICATION_LABELS,
}
PAIN_INDICATIONS = {"chronic_pain", "crps", "migraine"}
DECISION_LABELS = {
    "eligible": "Eligible",
    "needs_review": "Needs review",
    "not_eligible": "Not eligible",
}


def display(fact: Fact, value: Any) -> str:
    """A stored fact value in words, for staff."""
    if value is None:
        return "not asked"
    if fact.kind == "bool":
        return "yes" if value else "no"
    if fact.kind == "codes":
        labels = CODE_LABELS.get(fact.name, {})
        return ", ".join(labels.get(v, v) for v in value) or "none of these"
    if fact.kind == "int" and fact.unit:
        return f"{value} {fact.unit}"
    return str(value).replace("_", " ")


def _templates_common(db: Session, principal: Principal, patient: Patient) -> dict[str, Any]:
    return {
        "patient": patient,
        "tz": timezone_of(db, patient.clinic_id),
        "facts": FACTS,
        "display": display,
        "decision_labels": DECISION_LABELS,
        "can_write": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
        "can_sign": principal.can(Permission.SCREENING_SIGN, patient.clinic_id),
    }


# ---- the intake form ----------------------------------------------------------


def _form_values(facts: dict[str, Any]) -> dict[str, Any]:
    """Stored facts as the form shows them (strings; lists for checkboxes)."""
    values: dict[str, Any] = {}
    for name, value in facts.items():
        fact = FACTS.get(name)
        if fact is None:
            continue
        if fact.kind == "bool":
            values[name] = "yes" if value else "no"
        elif fact.kind == "codes":
            values[name] = list(value) or [NONE_OF_THESE]
        else:
            values[name] = str(value)
    return values


def _read_form(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(facts, raw values for re-display, errors) from the posted intake form."""
    facts: dict[str, Any] = {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for _, names in SECTIONS:
        for name in names:
            fact = FACTS[name]
            if fact.kind == "codes":
                picked = [v for v in form.getlist(name) if isinstance(v, str) and v]
                values[name] = picked
                if not picked:
                    facts[name] = None
                elif NONE_OF_THESE in picked and len(picked) > 1:
                    errors[name] = "tick 'none of these' or some of the list, not both"
                else:
                    facts[name] = [v for v in picked if v != NONE_OF_THESE]
                continue
            text = form_text(form, name).strip()
            values[name] = text
            if not text:
                facts[name] = None
            elif fact.kind == "bool":
                if text not in {"yes", "no"}:
                    errors[name] = "choose yes, no or not asked"
                facts[name] = text == "yes"
            elif fact.kind == "int":
                try:
                    facts[name] = int(text)
                except ValueError:
                    errors[name] = (
                        f"enter a whole number ({fact.unit})"
                        if fact.unit
                        else ("enter a whole number")
                    )
            else:
                facts[name] = text
    return {k: v for k, v in facts.items() if k not in errors}, values, errors


def _intake_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    values: dict[str, Any],
    notes: str,
    errors: dict[str, str] | None = None,
) -> Response:
    history = service.intake_history(db, principal, patient)
    context = {
        **_templates_common(db, principal, patient),
        "sections": [(title, [FACTS[n] for n in names]) for title, names in SECTIONS],
        "code_labels": CODE_LABELS,
        "values": values,
        "notes": notes,
        "errors": errors or {},
        "history": history,
        "names": user_names(db, [h.recorded_by_id for h in history]),
        "chart": patients.detail(db, principal, patient),
    }
    return render(request, "screenings/intake.html", context, status_code=422 if errors else 200)


@router.get("/patients/{patient_id}/intake")
def intake_form(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    current = service.intake(db, principal, patient)
    values = _form_values(service.intake_facts(current))
    return _intake_page(request, db, principal, patient, values, current.notes if current else "")


@router.post("/patients/{patient_id}/intake")
def save_intake(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    facts, values, errors = _read_form(form)
    notes = form_text(form, "notes")
    if len(notes) > 4000:
        errors["notes"] = "at most 4000 characters"
    # Every problem at once: the values that did parse are range-checked too.
    try:
        service.parse_facts(facts)
    except KetaClinicError as exc:
        errors.update({k.removeprefix("facts."): v for k, v in exc.fields.items()})
    if not errors:
        try:
            service.record_intake(db, principal, patient, facts, notes)
        except KetaClinicError as exc:
            errors = {k.removeprefix("facts."): v for k, v in forms.field_errors(exc).items()}
    if errors:
        return _intake_page(request, db, principal, patient, values, notes, errors)
    return RedirectResponse(f"/patients/{patient.id}/screenings", status_code=303)


# ---- a patient's screenings ---------------------------------------------------


def _suggested_rule_set(facts: dict[str, Any]) -> str:
    indications = set(facts.get("indications") or [])
    if indications and indications <= PAIN_INDICATIONS:
        return "iv_ketamine_pain"
    return "iv_ketamine_mood"


def _screenings_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    errors: dict[str, str] | None = None,
) -> Response:
    policy = policy_of(request)
    rows = service.screenings(db, principal, patient)
    current = service.intake(db, principal, patient, audited=False)
    facts = service.intake_facts(current)
    status = service.status(db, principal, patient, policy)
    context = {
        **_templates_common(db, principal, patient),
        "rows": rows,
        "status": status,
        "changed": status.changed,
        "intake": current,
        "intake_facts": facts,
        "rule_sets": sorted(policy.rule_sets.values(), key=lambda rs: rs.id),
        "suggested": _suggested_rule_set(facts),
        "valid_days": for_clinic(db, patient.clinic_id).screening_valid_days,
        "names": user_names(
            db,
            [s.run_by_id for s, _ in rows],
            [sig.signed_by_id for _, sig in rows if sig is not None],
            [current.recorded_by_id if current else None],
        ),
        "errors": errors or {},
    }
    return render(request, "screenings/patient.html", context, status_code=422 if errors else 200)


@router.get("/patients/{patient_id}/screenings")
def patient_screenings(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    return _screenings_page(request, db, principal, patient)


@router.post("/patients/{patient_id}/screenings")
def run_screening(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    try:
        row = service.run(
            db, principal, patient, form_text(form, "rule_set_id"), policy_of(request)
        )
    except KetaClinicError as exc:
        return _screenings_page(request, db, principal, patient, forms.field_errors(exc))
    return RedirectResponse(f"/patients/{patient.id}/screenings/{row.id}", status_code=303)


# ---- one screening: the explained result and the signature --------------------


def _screening_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    screening_id: Id,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 422,
) -> Response:
    row, signature = service.get(db, principal, patient, screening_id)
    status = service.status(db, principal, patient, policy_of(request), rule_set_id=row.rule_set_id)
    superseded = status.screening is not None and status.screening.id != row.id
    stale = not superseded and status.clearance.state == "facts_changed"
    rule_set = policy_of(request).rule_sets.get(row.rule_set_id)
    context = {
        **_templates_common(db, principal, patient),
        "s": row,
        "result": service.result_of(row),
        "used": service.facts_of(row),
        "chart_medicines": service.chart_interactions(db, principal, patient),
        "signature": signature,
        "rule_set": rule_set,
        "superseded": superseded,
        "stale": stale,
        "status": status,
        "names": user_names(db, [row.run_by_id, signature.signed_by_id if signature else None]),
        "errors": errors or {},
        "values": values or {},
    }
    return render(
        request, "screenings/detail.html", context, status_code=status_code if errors else 200
    )


@router.get("/patients/{patient_id}/screenings/{screening_id}")
def screening_detail(
    request: Request,
    patient_id: Id,
    screening_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    return _screening_page(request, db, principal, patient, screening_id)


@router.post("/patients/{patient_id}/screenings/{screening_id}/sign")
def sign_screening(
    request: Request,
    form: Form,
    patient_id: Id,
    screening_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    values = forms.values(form, ("decision", "reason"))
    if len(values["reason"]) > 4000:
        errors = {"reason": "at most 4000 characters"}
        return _screening_page(request, db, principal, patient, screening_id, errors, values)
    try:
        service.sign(
            db,
            principal,
            patient,
            screening_id,
            decision=values["decision"],
            reason=values["reason"],
        )
    except KetaClinicError as exc:
        # 409: signed meanwhile, superseded, or the intake changed - say so on the page.
        errors = form_errors(exc)
        return _screening_page(
            request, db, principal, patient, screening_id, errors, values, exc.status_code
        )
    return RedirectResponse(f"/patients/{patient.id}/screenings/{screening_id}", status_code=303)


# ---- the signing queue --------------------------------------------------------


@router.get("/screenings")
def signing_queue(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    rows = service.awaiting_signature(db, principal)
    zones = {c.id: c.timezone for c in list_clinics(db)}
    context = {
        "rows": [(s, p, zones.get(p.clinic_id, "UTC")) for s, p in rows],
        "decision_labels": DECISION_LABELS,
        "can_sign": bool(principal.clinics_with(Permission.SCREENING_SIGN)),
    }
    return render(request, "screenings/queue.html", context)
