"""Every route in the app, called as every role, as nobody, and as a user of another
clinic, answers as ``identity.routes.ROUTE_RULES`` and ``identity.roles.ROLE_MATRIX`` say it must.

A route added without a rule fails ``test_it_has_a_rule_for_every_route``; a rule
left behind by a removed route fails it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.app import api_routes, create_app, declared_routes
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import ApiToken
from ketaclinic.auth.service import principal_for
from ketaclinic.billing.account_models import AccountEntry, Package
from ketaclinic.billing.models import ChargeLine
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinics.service import create_clinic
from ketaclinic.identity.roles import Role, roles_with
from ketaclinic.identity.routes import ROUTE_RULES, Access
from ketaclinic.identity.smart_routes import SMART_PERMISSIONS
from ketaclinic.intake.models import Inquiry
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import PortalRequest
from ketaclinic.scheduling.model import SessionSpec
from ketaclinic.settings import Settings
from tests.conftest import CLINIC_TZ, PASSWORD, Persona, _persona
from tests.intake.test_public import request_form
from tests.patients.test_api import valid_patient
from tests.plans.conftest import MOOD, clear, plan_body

Api = Callable[[Persona], TestClient]
PERSONAS = ("admin", "prescriber", "nurse", "front_desk", "custodian", "outsider", "anonymous")
# The outsider is a nurse, in another clinic.
ROLE_OF = {name: Role(name) for name in PERSONAS[:5]} | {"outsider": Role.NURSE}


def test_it_has_a_rule_for_every_route(app: FastAPI) -> None:
    served = {f"{method} {path}" for method, path in api_routes(app)}
    # The start-up check reads the routers directly; it must see what the app serves.
    assert {f"{method} {path}" for method, path in declared_routes(app)} == served
    assert served - set(ROUTE_RULES) == set(), "routes without a rule"
    assert set(ROUTE_RULES) - served == set(), "rules for routes that do not exist"


# One world for the whole module, built once inside an outer transaction; each route's
# test runs in a savepoint rolled back after it (``connection`` below), so it still
# starts from the same world and what one route writes never reaches the next.


@pytest.fixture(scope="module")
def matrix_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


def _signed_consent(db: Session, patient_id: int, clinic_id: int) -> int:
    """The patient signed the infusion consent (their plan asks for it) in the portal."""
    from ketaclinic.consents import service as consents
    from ketaclinic.portal.actor import PortalPatient

    me = PortalPatient(account_id=1, patient_id=patient_id, clinic_id=clinic_id)
    row = consents.sign(
        db, me, "iv_ketamine_infusion", "Maya Lindqvist", ip_address="", user_agent=""
    )
    db.commit()
    return row.id


@pytest.fixture(scope="module")
def world(
    matrix_connection: Connection, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A patient with a contact in the personas' clinic, and every persona."""
    factory = sessionmaker(
        bind=matrix_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    db = factory()
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=tmp_path_factory.mktemp("matrix"),
        secret_key="test-secret-key",
        log_level="WARNING",
    )
    app = create_app(settings, engine=engine)
    app.state.sessionmaker = factory
    clients: list[TestClient] = []

    def api(persona: Persona) -> TestClient:
        clients.append(TestClient(app, headers={"Authorization": f"Bearer {persona.token}"}))
        return clients[-1]

    clinic = create_clinic(
        db, slug="lakeside", name="Lakeside Ketamine", timezone="America/Chicago"
    )
    other = create_clinic(
        db, slug="hillcrest", name="Hillcrest Infusions", timezone="America/Denver"
    )
    people = {
        name: _persona(db, role, clinic, full)
        for name, role, full in (
            ("admin", "admin", "Ada Admin"),
            ("prescriber", "prescriber", "Pat Prescriber"),
            ("nurse", "nurse", "Nia Nurse"),
            ("front_desk", "front_desk", "Fran Desk"),
            ("custodian", "custodian", "Cy Custodian"),
        )
    }
    people["outsider"] = _persona(db, "nurse", other, "Oona Outsider")
    # The staff member the administration routes act on (deactivated, reset, their
    # token revoked) is none of the personas calling them.
    spare = _persona(db, "front_desk", clinic, "Sam Spare")
    spare_token = db.scalars(select(ApiToken.id).where(ApiToken.user_id == spare.user.id)).one()
    front_desk, nurse = people["front_desk"], people["nurse"]
    client = api(front_desk)
    patient = client.post("/api/v1/patients", json=valid_patient()).json()
    contact = client.post(
        f"/api/v1/patients/{patient['id']}/contacts",
        json={"name": "Erik Lindqvist", "relationship": "spouse", "phone": "+15125550123"},
    ).json()
    # One entry of each other list, for its own "/active" page route.
    item_ids = {"contacts": contact["id"]} | {
        kind: client.post(
            f"/api/v1/patients/{patient['id']}/{kind}",
            json=FORMS[f"/patients/{{patient_id}}/{kind}"],
        ).json()["id"]
        for kind in ("diagnoses", "medications", "allergies")
    }
    answers = {f"phq9_{i}": 1 for i in range(1, 10)}  # item 9 > 0: raises an alert
    response = client.post(
        f"/api/v1/patients/{patient['id']}/responses",
        json={"instrument_id": "phq9", "answers": answers},
    ).json()
    [alert] = response["alerts"]
    screening = client.post(
        f"/api/v1/patients/{patient['id']}/screenings", json={"rule_set_id": "iv_ketamine_mood"}
    ).json()
    plan, check = _signed_plan_with_a_dose_check(
        api, db, nurse, people["prescriber"], patient["id"]
    )
    with TestClient(app) as public:
        public.post(f"/consult/{front_desk.clinic.slug}", data=request_form())
    inquiry_id = db.scalars(
        select(Inquiry.id).where(Inquiry.clinic_id == front_desk.clinic.id)
    ).one()
    ledger = _ledger(api, people["custodian"], nurse, patient["id"])
    appointment = _booked(db, api, front_desk, patient["id"], plan)
    session = _in_chair(db, front_desk, appointment)
    signature = _signed_consent(db, patient["id"], front_desk.clinic.id)
    asked = PortalRequest(
        clinic_id=clinic.id, patient_id=patient["id"], appointment_id=appointment, kind="cancel"
    )
    db.add(asked)
    # issue 23: a draft charge line of the visit in the chair
    line = ChargeLine(
        clinic_id=clinic.id,
        patient_id=patient["id"],
        session_id=session,
        date_of_service=date(2026, 12, 9),
        place_of_service="11",
        code="96365",
        description="IV infusion, therapy, initial, up to 1 hour",
        modifiers="",
        units=1,
        diagnoses="F33.2",
        pointers="A",
        source="",
        status="draft",
        reason="",
    )
    db.add(line)
    # issue 23: a package of the clinic's catalogue, sold by the account's routes
    offered = Package(
        clinic_id=clinic.id,
        key="trio",
        name="Trio",
        kind="booster",
        visits=3,
        price_cents=1000,
        active=True,
    )
    db.add(offered)
    # issue 23: a card payment on the patient's account, whose receipt the reports print
    paid = AccountEntry(
        clinic_id=clinic.id,
        patient_id=patient["id"],
        kind="payment",
        amount_cents=-1000,
        posted_on=date(2026, 12, 9),
        method="card",
        reference="ch_matrix",
        purpose="payment",
        receipt_no="R-2026-90001",
        note="",
    )
    db.add(paid)
    db.flush()
    FORMS["/api/v1/patients/{patient_id}/account/packages"] = {"package_id": offered.id}
    FORMS["/patients/{patient_id}/account/packages"] = {"package_id": str(offered.id)}
    db.commit()
    for c in clients:
        c.close()
    db.close()
    params = {
        "patient_id": patient["id"],
        "item_id": contact["id"],
        "item_ids": item_ids,
        "user_id": spare.user.id,
        "token_id": spare_token,
        "clinic_id": clinic.id,
        "key": "aldrete_min_score",
        "alert_id": alert["id"],
        "instrument_id": "phq9",
        "token": "not-a-token",
        "clinic_slug": front_desk.clinic.slug,
        "inquiry_id": inquiry_id,
        "screening_id": screening["id"],
        "protocol_id": MOOD,
        "plan_id": plan,
        "check_id": check,
        **ledger,
        "appointment_id": appointment,
        "session_id": session,
        "display_id": 1,
        "fhir_client_id": 1,
        "suggestion_id": 1,
        # issue 21: the portal's questionnaires and consent documents
        "visit_id": appointment,
        "document_id": "iv_ketamine_infusion",
        "signature_id": signature,
        "share_id": 1,  # the portal's routes open to no staff persona
        "request_id": asked.id,
        # issue 22: a FHIR read names the resource by its id (the patient's, for Patient)
        "resource_id": patient["id"],
        # bulk export: a group is a clinic; an export no one asked for answers 404
        "group_id": front_desk.clinic.slug,
        "export_id": "0" * 32,
        "file_name": "Patient.ndjson",
        "line_id": line.id,
        "entry_id": paid.id,
    }
    return {"people": people, "params": params}


@pytest.fixture
def connection(matrix_connection: Connection, world: dict[str, Any]) -> Iterator[Connection]:
    """The module's connection, inside a savepoint rolled back after the test."""
    nested = matrix_connection.begin_nested()
    try:
        yield matrix_connection
    finally:
        if nested.is_active:
            nested.rollback()


def _signed_plan_with_a_dose_check(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, patient_id: int
) -> tuple[int, int]:
    """The patient cleared, with a signed plan and a dose calculated by a third
    clinician, so every persona may verify it."""
    clear(api, nurse, prescriber, patient_id)
    plan = api(nurse).post(f"/api/v1/patients/{patient_id}/plans", json=plan_body()).json()
    url = f"/api/v1/patients/{patient_id}/plans/{plan['id']}"
    api(prescriber).post(f"{url}/status", json={"action": "sign"})
    calculator = _persona(db, "nurse", nurse.clinic, "Cal Culator")
    check = api(calculator).post(f"{url}/dose-checks", json={"session_number": 1}).json()
    return plan["id"], check["id"]


def _ledger(api: Api, custodian: Persona, nurse: Persona, patient_id: int) -> dict[str, Any]:
    """A safe with two vials, an open draw, a short count's case and a loss."""
    from tests.ledger.conftest import receipt

    keeper = api(custodian)
    product = keeper.post("/api/v1/ledger/products", json=PRODUCT).json()
    safe = keeper.post("/api/v1/ledger/locations", json={"name": "Safe A"}).json()
    cart = keeper.post("/api/v1/ledger/locations", json={"name": "Cart"}).json()
    vials = keeper.post(
        "/api/v1/ledger/receipts", json=receipt(safe["id"], product["id"], containers=3)
    ).json()
    first, second = vials[0]["container_id"], vials[1]["container_id"]
    draw = (
        api(nurse)
        .post(
            "/api/v1/ledger/draws",
            json={"container_id": first, "patient_id": patient_id, "amount_mg": 100},
        )
        .json()
    )
    lines = [{"container_id": v["container_id"], "counted_mg": 500} for v in vials]
    lines[1]["counted_mg"] = 499
    counted = keeper.post(
        "/api/v1/ledger/counts", json={"location_id": safe["id"], "lines": lines}
    ).json()
    loss = keeper.post(
        f"/api/v1/ledger/containers/{vials[2]['container_id']}/loss",
        json={
            "amount_mg": 1,
            "loss_kind": "breakage",
            "discovered": today_in(CLINIC_TZ).isoformat(),
            "circumstances": "Dropped during the count.",
        },
    ).json()
    return {
        "container_id": second,
        "draw_id": draw["id"],
        "location_id": safe["id"],
        "to_location_id": cart["id"],
        "discrepancy_id": counted["discrepancies"][0],
        "loss_id": loss["id"],
        "report_kind": "dispensing",
    }


def _booked(db: Session, api: Api, desk: Persona, patient_id: int, plan_id: int) -> int:
    """Two chairs, and the plan's first session booked in a week (placed directly: the
    solver is tested elsewhere, and every route's world needs one); the visit's id."""
    chairs = [Chair(clinic_id=desk.clinic.id, name=f"Chair {n}") for n in (1, 2)]
    db.add_all(chairs)
    db.flush()
    start = utcnow().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(7)
    visit = Visit(
        1,
        chairs[0],
        start,
        start + timedelta(minutes=15),
        start + timedelta(minutes=55),
        start + timedelta(minutes=115),
        SessionSpec(15, 40, 60),
    )
    patient = db.get(Patient, patient_id)
    assert patient is not None
    [row] = book_visits(db, principal_for(db, desk.user), patient, plan_id, [visit])
    db.commit()
    return row.id


def _in_chair(db: Session, desk: Persona, appointment_id: int) -> int:
    """The visit's patient checked in (placed directly: check-in is on the visit's day)."""
    row = db.get(Appointment, appointment_id)
    assert row is not None and row.plan_id is not None
    session = ChairsideSession(
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        appointment_id=row.id,
        plan_id=row.plan_id,
        session_number=1,
        protocol_id=MOOD,
        state="checked_in",
        seq=0,
        checked_in_at=utcnow(),
    )
    db.add(session)
    db.commit()
    return session.id


NOW = utcnow().isoformat()
PRODUCT = {
    "ndc": "0143-9508-10",
    "drug": "ketamine",
    "name": "Ketamine HCl injection",
    "strength": "50 mg/mL",
    "form": "injection, vial",
    "container_mg": 500,
}
WITNESS = {"email": "cy.custodian@lakeside.example.org", "password": PASSWORD}


def _expected(rule: Any, persona: str, role: Role | None, path: str) -> str:
    if rule is Access.PUBLIC:
        return "open"
    if persona == "anonymous" or rule is Access.PATIENT:  # no staff role opens the portal
        return "unauthenticated"
    if persona == "anonymous":
        return "unauthenticated"
    if rule is Access.SIGNED_IN or rule is Access.SMART:  # SMART: any bearer token
        return "open"
    if role not in roles_with(rule):
        return "forbidden"
    if persona == "outsider" and "{patient_id}" in path:
        return "hidden"  # another clinic's patient: not found
    return "open"


# A body the handler accepts, so a refusal can only come from the access rules.
FORMS: dict[str, dict[str, Any]] = {
    "/api/v1/patients": valid_patient(),
    "/api/v1/patients/{patient_id}/measurements": {"weight_kg": 70},
    "/api/v1/patients/{patient_id}/contacts": {
        "name": "Ann",
        "relationship": "sister",
        "phone": "+15125550111",
    },
    "/api/v1/patients/{patient_id}/diagnoses": {"code": "F33.2", "label": "Major depression"},
    "/api/v1/patients/{patient_id}/medications": {"name": "Sertraline", "dose": "100 mg"},
    "/api/v1/patients/{patient_id}/allergies": {"substance": "Latex", "reaction": "Rash"},
    **{
        f"/api/v1/patients/{{patient_id}}/{kind}/{{item_id}}": {"active": False}
        for kind in ("contacts", "diagnoses", "medications", "allergies")
    },
    "/patients/{patient_id}/measurements": {"weight_kg": "70"},
    "/patients/{patient_id}/contacts": {
        "name": "Ann",
        "relationship": "sister",
        "phone": "+15125550111",
    },
    "/patients/{patient_id}/diagnoses": {"code": "F33.2", "label": "Major depression"},
    "/patients/{patient_id}/medications": {"name": "Sertraline", "dose": "100 mg"},
    "/patients/{patient_id}/allergies": {"substance": "Latex", "reaction": "Rash"},
    **{
        f"/patients/{{patient_id}}/{kind}/{{item_id}}/active": {"active": "false"}
        for kind in ("contacts", "diagnoses", "medications", "allergies")
    },
    "/api/v1/patients/{patient_id}/responses": {
        "instrument_id": "gad7",
        "answers": {f"gad7_{i}": 0 for i in range(1, 8)},
    },
    "/api/v1/patients/{patient_id}/alerts/{alert_id}/acknowledge": {"note": "Reviewed."},
    "/api/v1/patients/{patient_id}/treatments": {
        "given_at": "2026-01-05T10:00:00Z",
        "modality": "iv_ketamine",
    },
    "/api/v1/patients/{patient_id}/questionnaire-links": {"instrument_id": "phq9"},
    "/patients/{patient_id}/alerts/{alert_id}/acknowledge": {"note": "Reviewed."},
    "/api/v1/inquiries/{inquiry_id}/status": {"status": "contacted"},
    "/consult/{clinic_slug}": request_form(),
    "/api/v1/patients/{patient_id}/intake": {"facts": {"pregnant": False}},
    "/patients/{patient_id}/intake": {"pregnant": "no"},
    "/api/v1/patients/{patient_id}/screenings": {"rule_set_id": "iv_ketamine_mood"},
    "/patients/{patient_id}/screenings": {"rule_set_id": "iv_ketamine_mood"},
    "/api/v1/patients/{patient_id}/screenings/{screening_id}/sign": {
        "decision": "not_eligible",
        "reason": "Reviewed in clinic today.",
    },
    "/patients/{patient_id}/screenings/{screening_id}/sign": {
        "decision": "not_eligible",
        "reason": "Reviewed in clinic today.",
    },
    "/api/v1/patients/{patient_id}/plans": plan_body(),
    "/api/v1/patients/{patient_id}/plans/{plan_id}/revise": plan_body(),
    "/api/v1/patients/{patient_id}/plans/{plan_id}/status": {"action": "stop", "reason": "x"},
    "/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks": {"session_number": 1},
    "/api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks/{check_id}/verify": {
        "weight_kg": 68.4,
        "concentration_mg_per_ml": 1,
    },
    "/patients/{patient_id}/plans/new": plan_body(),
    "/patients/{patient_id}/plans/{plan_id}/revise": plan_body(),
    "/patients/{patient_id}/plans/{plan_id}/status": {"action": "stop", "reason": "x"},
    "/patients/{patient_id}/plans/{plan_id}/dose": {"session_number": "1"},
    "/patients/{patient_id}/plans/{plan_id}/dose/{check_id}/verify": {
        "weight_kg": "68.4",
        "concentration_mg_per_ml": "1",
    },
    "/api/v1/ledger/products": {**PRODUCT, "ndc": "0143-9508-25"},
    "/api/v1/ledger/locations": {"name": "Fridge safe"},
    "/api/v1/ledger/receipts": {"location_id": 0},
    "/api/v1/ledger/containers/{container_id}/transfer": {"to_location_id": 0},
    "/api/v1/ledger/containers/{container_id}/destruction": {
        "amount_mg": 1,
        "method": "chemical digestion",
        "reason": "expired",
        "destroyed_on": "2026-11-01",
        "witnesses": [WITNESS, WITNESS],
    },
    "/api/v1/ledger/containers/{container_id}/loss": {
        "amount_mg": 1,
        "loss_kind": "breakage",
        "discovered": "2026-11-01",
        "circumstances": "Dropped at the cart.",
    },
    "/api/v1/ledger/draws": {"container_id": 0, "patient_id": 0, "amount_mg": 1},
    "/api/v1/ledger/draws/{draw_id}/administrations": {"amount_mg": 1},
    "/api/v1/ledger/draws/{draw_id}/waste": {"amount_mg": 1, "witnesses": [WITNESS]},
    "/api/v1/ledger/draws/{draw_id}/returns": {"amount_mg": 1},
    "/api/v1/ledger/draws/{draw_id}/corrections": {
        "entry_id": 0,
        "amount_mg": 1,
        "reason": "Keyed in error at the cart.",
    },
    "/api/v1/ledger/counts": {"location_id": 0, "lines": []},
    "/api/v1/ledger/discrepancies/{discrepancy_id}/resolution": {
        "outcome": "count_in_error",
        "explanation": "Recounted: 500 mg.",
        "second_signer": {"email": "nia.nurse@lakeside.example.org", "password": PASSWORD},
    },
    "/api/v1/ledger/losses/{loss_id}/filings": {"kind": "notice", "filed_on": "2026-11-01"},
    "/ledger/receive": {"lot_number": "X"},
    "/ledger/draw": {"amount_mg": "1"},
    "/ledger/draws/{draw_id}/administer": {"amount_mg": "1"},
    "/ledger/draws/{draw_id}/waste": {"amount_mg": "1"},
    "/ledger/draws/{draw_id}/return": {"amount_mg": "1"},
    "/ledger/draws/{draw_id}/correct": {"amount_mg": "1", "reason": "Keyed in error."},
    "/ledger/containers/{container_id}/transfer": {"to_location_id": "1"},
    "/ledger/containers/{container_id}/destroy": {"amount_mg": "1", "method": "digestion"},
    "/ledger/containers/{container_id}/loss": {
        "amount_mg": "1",
        "loss_kind": "breakage",
        "discovered": "2026-11-01",
        "circumstances": "Dropped at the cart.",
    },
    "/ledger/locations/{location_id}/count": {"kind": "shift"},
    "/ledger/discrepancies/{discrepancy_id}": {
        "outcome": "count_in_error",
        "explanation": "Recounted: 500 mg.",
        "witness_email": "nia.nurse@lakeside.example.org",
        "witness_password": PASSWORD,
    },
    "/ledger/losses/{loss_id}/filings": {"kind": "form_106", "filed_on": "2026-11-01"},
    "/ledger/setup/location": {"name": "Back office safe"},
    "/ledger/setup/product": {"ndc": "12"},
    "/api/v1/patients/{patient_id}/plans/{plan_id}/appointments": {"option": 0},
    "/api/v1/patients/{patient_id}/plans/{plan_id}/waitlist": {"note": "Any weekday."},
    "/api/v1/appointments/{appointment_id}/reschedule": {
        "starts_at": "2026-01-05T15:00:00Z",
        "chair_id": 0,
    },
    "/api/v1/appointments/{appointment_id}/cancel": {"reason": "Patient unwell."},
    "/api/v1/appointments/{appointment_id}/escort": {"escort": "Erik Lindqvist"},
    "/schedule/appointments/{appointment_id}/escort": {"escort": "Erik Lindqvist"},
    "/schedule/appointments/{appointment_id}/cancel": {"reason": "Patient unwell."},
    "/schedule/appointments/{appointment_id}/reschedule": {"slot": "bad"},
    "/patients/{patient_id}/plans/{plan_id}/book": {"option": "0"},
    "/schedule/roster": {},
    "/api/v1/schedule/roster": {"day": "2026-12-01", "shifts": []},
    "/patients/{patient_id}/plans/{plan_id}/waitlist": {"note": "Any weekday."},
    "/api/v1/appointments/{appointment_id}/session": {"action": "check_in"},
    "/api/v1/sessions/{session_id}/checklist": {"items": {}},
    "/api/v1/sessions/{session_id}/release": {
        "checker": WITNESS,
        "weight_kg": 68.4,
        "concentration_mg_per_ml": 1,
        "container_id": 0,
        "drawn_mg": 35,
    },
    "/api/v1/sessions/{session_id}/actions": {"action": "pause"},
    "/api/v1/sessions/{session_id}/end": {"given_mg": 0},
    "/api/v1/sessions/{session_id}/stop": {"reason": "Patient asked to stop.", "given_mg": 0},
    "/api/v1/sessions/{session_id}/vitals": {
        "readings": [{"id": "m1", "taken_at": NOW, "systolic": 124, "diastolic": 78}]
    },
    "/api/v1/sessions/{session_id}/alerts/{alert_id}/acknowledge": {"action": "recheck"},
    "/api/v1/sessions/{session_id}/adverse-events": {"effect": "nausea", "grade": 1},
    "/api/v1/sessions/{session_id}/rescue-medications": {
        "drug": "ondansetron",
        "dose": 4,
        "route": "iv",
    },
    "/api/v1/sessions/{session_id}/discharge": {
        "activity": 2,
        "respiration": 2,
        "circulation": 2,
        "consciousness": 2,
        "oxygen_saturation": 2,
        "escort_present": True,
        "instructions_given": True,
    },
    "/api/v1/sessions/{session_id}/note/addenda": {"text": "Called the patient next day."},
    "/api/v1/sessions/{session_id}/rems": {"fields": {}},
    "/api/v1/sessions/{session_id}/rems/sent": {"sent_on": "2026-11-01"},
    "/sessions/{session_id}/vitals": {"systolic": "124", "diastolic": "78"},
    "/admin/displays": {"label": "Waiting room"},
    "/admin/fhir-clients": {"name": "State registry", "role": "nurse", "scopes": "system/*.rs"},
    # issue 23: billing
    "/api/v1/billing/charges/{line_id}/corrections": {"reason": "wrong code"},
    "/api/v1/billing/visits/{session_id}/evaluation": {
        "code": "99213",
        "note": "Insomnia assessed separately, plan changed",
    },
    "/api/v1/billing/fees": {"code": "96365", "price_cents": 45000, "effective_from": "2026-01-01"},
    "/admin/fees": {"code": "96365", "price": "450.00", "effective_from": "2026-01-01"},
    "/billing/lines/{line_id}/correct": {"reason": "wrong code"},
    "/billing/lines/{line_id}/ndc": {"ndc": "99999-0500-10"},
    "/admin/fees/identifiers": {"npi": "1234567893", "tin": "74-1234567"},
    "/billing/patients/{patient_id}/coverage": {"payer": "Lone Star", "member_id": "LS-1"},
    "/api/v1/billing/patients/{patient_id}/coverage": {"payer": "Lone Star", "member_id": "LS-1"},
    # issue 23: self-pay accounts (the package sold is the world's: see above)
    "/api/v1/patients/{patient_id}/account/payments": {"amount_cents": 1000, "method": "cash"},
    "/api/v1/patients/{patient_id}/account/refunds": {
        "payment_id": 1,
        "amount_cents": 100,
        "reason": "x",  # refused (422) before the payment is looked for
    },
    "/api/v1/patients/{patient_id}/account/adjustments": {"amount_cents": -100, "note": "waived"},
    "/api/v1/billing/packages": {"name": "Trio", "kind": "booster", "visits": 3, "price_cents": 1},
    "/patients/{patient_id}/account/payments": {"amount": "10.00", "method": "cash"},
    "/patients/{patient_id}/account/refunds": {"payment_id": "1", "amount": "1", "reason": "x"},
    "/patients/{patient_id}/account/adjustments": {"amount": "-1.00", "note": "waived"},
    "/admin/packages": {"name": "Trio", "kind": "booster", "visits": "3", "price": "10"},
    "/admin/packages/retire": {"key": "trio"},
    "/schedule/requests/{request_id}/close": {"outcome": "Called the patient back"},
    "/api/v1/patients/{patient_id}/consents/requests": {
        "document_id": "spravato_rems_acknowledgement"
    },
    "/api/v1/patients/{patient_id}/documents": {"document_id": "after_infusion_care"},
}
STATUS = {"unauthenticated": {401, 303}, "forbidden": {403}, "hidden": {404}}
REFUSALS = {
    "access.unauthenticated": "unauthenticated",
    "access.denied": "forbidden",
    "access.not_found": "hidden",
}


def _call(client: TestClient, method: str, path: str, url: str) -> Response:
    body = FORMS.get(path, {})
    if method not in ("POST", "PATCH", "PUT"):
        return client.request(method, url)
    if url.startswith("/api/"):
        return client.request(method, url, json=body)
    return client.request(method, url, data=body)


def _refusals(db: Session) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.outcome == "denied")
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


@pytest.mark.parametrize("route", sorted(ROUTE_RULES))
def test_it_answers_every_persona_as_the_matrix_says(
    route: str, world: dict[str, Any], app: FastAPI, api: Api, db: Session
) -> None:
    method, path = route.split(" ", 1)
    # A FHIR route resolves its bearer caller itself and checks the role's permission.
    rule = SMART_PERMISSIONS.get(route, ROUTE_RULES[route])
    params = world["params"]
    # A route of one list (page or API) acts on an entry of that list.
    local = path.removeprefix("/api/v1")
    kind = local.split("/")[3] if local.startswith("/patients/{patient_id}/") else ""
    url = path.format(**{**params, "item_id": params["item_ids"].get(kind, params["item_id"])})
    for persona in PERSONAS:
        who: Persona | None = world["people"].get(persona)
        client = api(who) if who is not None else TestClient(app, follow_redirects=False)
        client.follow_redirects = False
        role = ROLE_OF.get(persona)
        expected = _expected(rule, persona, role, path)
        before = _refusals(db)
        response = _call(client, method, path, url)
        # The access layer's verdict is what it recorded: one refusal, or none.
        new = _refusals(db)[len(before) :]
        got = REFUSALS.get(new[0], new[0]) if new else "open"
        assert len(new) <= 1, (persona, route, new)
        assert got == expected, (persona, route, got, response.status_code)
        if expected in STATUS:
            assert response.status_code in STATUS[expected], (persona, route, response.text)
        else:
            assert response.status_code < 500
