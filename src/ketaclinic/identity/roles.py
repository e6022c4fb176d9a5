"""Staff roles, the single table of what each may do, and which permission each
route needs.

Every route in the app must appear in ``ROUTE_RULES`` (the app refuses to start
otherwise, and a test calls every route as every role).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    CUSTODIAN = "custodian"
    NETWORK_OPERATOR = "network_operator"


class Permission(StrEnum):
    PATIENT_READ = "patient.read"
    PATIENT_WRITE = "patient.write"
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    SCREENING_SIGN = "screening.sign"
    PLAN_WRITE = "plan.write"
    PLAN_SIGN = "plan.sign"
    LEDGER_READ = "ledger.read"
    LEDGER_STOCK = "ledger.stock"
    LEDGER_ADMINISTER = "ledger.administer"
    LEDGER_WITNESS = "ledger.witness"
    SCHEDULE_MANAGE = "schedule.manage"
    SESSION_CHART = "session.chart"
    AUDIT_READ = "audit.read"
    STAFF_ADMIN = "staff.admin"
    DISPLAY_MANAGE = "display.manage"
    SETTINGS_MANAGE = "settings.manage"
    REPORT_READ = "report.read"
    RESEARCH_EXPORT = "research.export"
    RECORDS_EXPORT = "records.export"
    BILLING = "billing"


class Access(StrEnum):
    """Routes that need no clinic permission.

    ``PATIENT``: a patient portal page. Staff authorization lets the request through
    (no staff session is looked for); the portal's own dependency
    (``portal.deps.CurrentPatient``) then requires a signed-in patient and names them.

    ``SMART``: a FHIR route. Staff authorization lets the request through; the route
    asks ``smart.deps.smart_caller`` for the bearer token's caller (an API token or a
    backend client's access token) and ``require_scope`` for the scope it needs.
    """

    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    PATIENT = "patient"
    SMART = "smart"


ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Configures the clinic: staff, settings; reviews the audit trail.",
    Role.PRESCRIBER: "Screens, signs plans and doses, reviews alerts and outcomes.",
    Role.NURSE: "Runs the chairside checklist, infusions, vitals and discharge.",
    Role.FRONT_DESK: "Registers patients, books and reschedules, confirms escorts.",
    Role.CUSTODIAN: "Receives and counts controlled-substance stock; no patient charts.",
    Role.NETWORK_OPERATOR: "Reads outcome and safety reports across its clinics: "
    "aggregates only, never a patient's identity or chart.",
}

PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.PATIENT_READ: "Find patients and open their charts",
    Permission.PATIENT_WRITE: "Register patients and change their charts",
    Permission.ALERT_ACKNOWLEDGE: "Acknowledge a safety alert with a note",
    Permission.SCREENING_SIGN: "Sign an eligibility screening, or override it with a reason",
    Permission.PLAN_WRITE: "Draft and run treatment plans; calculate and double-check doses",
    Permission.PLAN_SIGN: "Sign a treatment plan (its protocol, dose and sessions)",
    Permission.LEDGER_READ: "See controlled-substance stock, entries, counts and reports",
    Permission.LEDGER_STOCK: "Receive, move, count, destroy controlled stock; resolve cases",
    Permission.LEDGER_ADMINISTER: "Draw controlled stock for a session; record dose and waste",
    Permission.LEDGER_WITNESS: "Witness waste, destruction and count resolutions",
    Permission.SCHEDULE_MANAGE: "Set who is on site each day (the staff roster) and the "
    "public-holiday closures",
    Permission.SESSION_CHART: "Chart a session: checklist, dose release, vitals, alerts, "
    "discharge, the signed note",
    Permission.AUDIT_READ: "Read and export the audit trail",
    Permission.DISPLAY_MANAGE: "Make and switch off wall-screen board links (initials only)",
    Permission.STAFF_ADMIN: "Manage staff accounts: invite, deactivate, change roles, reset "
    "passwords and two-factor, unlock, revoke API tokens",
    Permission.SETTINGS_MANAGE: "Set the clinic's clinical thresholds (alerts, discharge, "
    "outcomes, screening, dosing)",
    Permission.REPORT_READ: "See outcome and safety reports (aggregates, no patient names)",
    Permission.RESEARCH_EXPORT: "Export the clinic's data de-identified for research (HIPAA "
    "Safe Harbor)",
    Permission.RECORDS_EXPORT: "Export the clinic's whole record, identified (FHIR bulk export)",
    Permission.BILLING: "Review and finalise a visit's charges, add corrections, print superbills",
}

_CLINICAL_STAFF = frozenset({Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK})

# The controlled-substance custodian works with stock, not charts, so holds no
# patient permission; draws for a session come through the session flow.
ROLE_MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.PATIENT_READ: _CLINICAL_STAFF,
    Permission.PATIENT_WRITE: _CLINICAL_STAFF,
    # Safety alerts are clinical: reviewed by whoever treats (docs/clinical-references.md#scales).
    Permission.ALERT_ACKNOWLEDGE: frozenset({Role.PRESCRIBER, Role.NURSE}),
    # Eligibility is a prescribing decision (issue 5;
    # docs/clinical-references.md#contraindications).
    Permission.SCREENING_SIGN: frozenset({Role.PRESCRIBER}),
    # Plans and doses are clinical work; only a prescriber signs
    # (docs/clinical-references.md#dosing).
    Permission.PLAN_WRITE: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Permission.PLAN_SIGN: frozenset({Role.PRESCRIBER}),
    # The Schedule III ledger (docs/clinical-references.md#controlled-substances): the
    # custodian keeps the stock, those who give the drug draw it, any of them may witness.
    Permission.LEDGER_READ: frozenset({Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.CUSTODIAN}),
    Permission.LEDGER_STOCK: frozenset({Role.PRESCRIBER, Role.CUSTODIAN}),
    Permission.LEDGER_ADMINISTER: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Permission.LEDGER_WITNESS: frozenset({Role.PRESCRIBER, Role.NURSE, Role.CUSTODIAN}),
    # The roster is the front desk's and the administrator's to keep.
    Permission.SCHEDULE_MANAGE: frozenset({Role.ADMIN, Role.FRONT_DESK}),
    # Chairside charting is the treating clinicians' work (docs/clinical-references.md#monitoring).
    Permission.SESSION_CHART: frozenset({Role.PRESCRIBER, Role.NURSE}),
    Permission.AUDIT_READ: frozenset({Role.ADMIN}),
    Permission.STAFF_ADMIN: frozenset({Role.ADMIN}),
    # A wall screen shows the board to whoever passes by: the administrator decides.
    Permission.DISPLAY_MANAGE: frozenset({Role.ADMIN}),
    Permission.SETTINGS_MANAGE: frozenset({Role.ADMIN}),
    # Clinic reports are aggregates (issue 20): whoever answers for the clinic's results;
    # the network operator sees them across its clinics and holds nothing else.
    Permission.REPORT_READ: frozenset({Role.ADMIN, Role.PRESCRIBER, Role.NETWORK_OPERATOR}),
    # A de-identified export leaves the clinic: the administrator decides
    # (docs/clinical-references.md#privacy).
    Permission.RESEARCH_EXPORT: frozenset({Role.ADMIN}),
    # Every chart at once, identified, leaves the clinic: the administrator decides.
    Permission.RECORDS_EXPORT: frozenset({Role.ADMIN}),
    # Charges are the front desk's and the administrator's to review and finalise
    # (issue 23); clinicians chart, the charges follow from the chart.
    Permission.BILLING: frozenset({Role.ADMIN, Role.FRONT_DESK}),
}

P = Permission
ROUTE_RULES: dict[str, Permission | Access] = {
    # ops and sign-in
    "GET /healthz": Access.PUBLIC,
    "GET /": Access.SIGNED_IN,  # to the first page the role may open (auth.access)
    "GET /login": Access.PUBLIC,
    "POST /login": Access.PUBLIC,
    "GET /login/mfa": Access.PUBLIC,
    "POST /login/mfa": Access.PUBLIC,
    "POST /logout": Access.SIGNED_IN,
    "GET /api/v1/me": Access.SIGNED_IN,
    # the API's description (/api/openapi.json, public like it) shown by Swagger UI
    "GET /api/docs": Access.PUBLIC,
    "GET /account/mfa": Access.SIGNED_IN,
    "POST /account/mfa": Access.SIGNED_IN,
    "POST /account/mfa/disable": Access.SIGNED_IN,
    # patient registry: API
    "GET /api/v1/patients": P.PATIENT_READ,
    "POST /api/v1/patients": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}": P.PATIENT_READ,
    "PATCH /api/v1/patients/{patient_id}": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/measurements": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/contacts": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/diagnoses": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/medications": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/allergies": P.PATIENT_WRITE,
    "PATCH /api/v1/patients/{patient_id}/contacts/{item_id}": P.PATIENT_WRITE,
    "PATCH /api/v1/patients/{patient_id}/diagnoses/{item_id}": P.PATIENT_WRITE,
    "PATCH /api/v1/patients/{patient_id}/medications/{item_id}": P.PATIENT_WRITE,
    "PATCH /api/v1/patients/{patient_id}/allergies/{item_id}": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/access-log": P.PATIENT_READ,
    # patient registry: pages
    "GET /patients": P.PATIENT_READ,
    "GET /patients/new": P.PATIENT_WRITE,
    "POST /patients/new": P.PATIENT_WRITE,
    "GET /patients/{patient_id}": P.PATIENT_READ,
    "GET /patients/{patient_id}/edit": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/edit": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/measurements": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/contacts": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/diagnoses": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/medications": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/allergies": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/contacts/{item_id}/active": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/diagnoses/{item_id}/active": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/medications/{item_id}/active": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/allergies/{item_id}/active": P.PATIENT_WRITE,
    # measurement-based care: API
    "GET /api/v1/instruments": P.PATIENT_READ,
    "GET /api/v1/alerts": P.PATIENT_READ,
    "GET /api/v1/patients/{patient_id}/responses": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/responses": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/outcomes": P.PATIENT_READ,
    "GET /api/v1/patients/{patient_id}/alerts": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/alerts/{alert_id}/acknowledge": P.ALERT_ACKNOWLEDGE,
    "GET /api/v1/patients/{patient_id}/treatments": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/treatments": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/questionnaire-links": P.PATIENT_WRITE,
    # the patient's course and booster suggestions (issue 20)
    "GET /api/v1/patients/{patient_id}/course": P.PATIENT_READ,
    "GET /api/v1/booster-suggestions": P.PATIENT_READ,
    "POST /api/v1/booster-suggestions/{suggestion_id}/accept": P.PLAN_SIGN,
    "POST /api/v1/booster-suggestions/{suggestion_id}/dismiss": P.PLAN_SIGN,
    "GET /patients/{patient_id}/course": P.PATIENT_READ,
    "POST /booster-suggestions/{suggestion_id}/accept": P.PLAN_SIGN,
    "POST /booster-suggestions/{suggestion_id}/dismiss": P.PLAN_SIGN,
    # measurement-based care: staff pages
    "GET /dashboard": P.PATIENT_READ,
    "GET /patients/{patient_id}/measures": P.PATIENT_READ,
    "GET /patients/{patient_id}/measures/{instrument_id}/plot.svg": P.PATIENT_READ,
    "GET /patients/{patient_id}/measures/{instrument_id}/new": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/measures/{instrument_id}/new": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/alerts/{alert_id}/acknowledge": P.ALERT_ACKNOWLEDGE,
    "POST /patients/{patient_id}/treatments": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/questionnaire-links": P.PATIENT_WRITE,
    # a patient completing a questionnaire from a one-time link (the token is the key)
    "GET /q/{token}": Access.PUBLIC,
    "POST /q/{token}": Access.PUBLIC,
    # intake: the public consultation request and the front desk's queue
    "GET /consult/{clinic_slug}": Access.PUBLIC,
    "POST /consult/{clinic_slug}": Access.PUBLIC,
    "GET /inquiries": P.PATIENT_READ,
    "GET /inquiries/{inquiry_id}": P.PATIENT_READ,
    "POST /inquiries/{inquiry_id}/status": P.PATIENT_WRITE,
    "POST /inquiries/{inquiry_id}/convert": P.PATIENT_WRITE,
    "GET /api/v1/inquiries": P.PATIENT_READ,
    "POST /api/v1/inquiries/{inquiry_id}/status": P.PATIENT_WRITE,
    "POST /api/v1/inquiries/{inquiry_id}/convert": P.PATIENT_WRITE,
    # intake and eligibility screening: API
    "GET /api/v1/screening/facts": P.PATIENT_READ,
    "GET /api/v1/screening/rule-sets": P.PATIENT_READ,
    "GET /api/v1/screenings/awaiting-signature": P.PATIENT_READ,
    "GET /api/v1/patients/{patient_id}/intake": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/intake": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/screenings": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/screenings": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/screenings/{screening_id}": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/screenings/{screening_id}/sign": P.SCREENING_SIGN,
    # intake and eligibility screening: staff pages
    "GET /screenings": P.PATIENT_READ,
    "GET /patients/{patient_id}/intake": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/intake": P.PATIENT_WRITE,
    "GET /patients/{patient_id}/screenings": P.PATIENT_READ,
    "POST /patients/{patient_id}/screenings": P.PATIENT_WRITE,
    "GET /patients/{patient_id}/screenings/{screening_id}": P.PATIENT_READ,
    "POST /patients/{patient_id}/screenings/{screening_id}/sign": P.SCREENING_SIGN,
    # protocols and treatment plans: API
    "GET /api/v1/protocols": P.PATIENT_READ,
    "GET /api/v1/protocols/{protocol_id}": P.PATIENT_READ,
    "GET /api/v1/patients/{patient_id}/plans": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/plans": P.PLAN_WRITE,
    "GET /api/v1/patients/{patient_id}/plans/{plan_id}": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/revise": P.PLAN_WRITE,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/status": P.PLAN_WRITE,
    "GET /api/v1/patients/{patient_id}/plans/{plan_id}/pk": P.PATIENT_READ,
    "GET /api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks": P.PLAN_WRITE,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks/{check_id}/verify": (
        P.PLAN_WRITE
    ),
    # protocols and treatment plans: staff pages
    "GET /protocols": P.PATIENT_READ,
    "GET /protocols/{protocol_id}": P.PATIENT_READ,
    "GET /patients/{patient_id}/plans": P.PATIENT_READ,
    "GET /patients/{patient_id}/plans/new": P.PLAN_WRITE,
    "POST /patients/{patient_id}/plans/new": P.PLAN_WRITE,
    "GET /patients/{patient_id}/plans/preview.svg": P.PLAN_WRITE,
    "GET /patients/{patient_id}/plans/{plan_id}": P.PATIENT_READ,
    "POST /patients/{patient_id}/plans/{plan_id}/status": P.PLAN_WRITE,
    "GET /patients/{patient_id}/plans/{plan_id}/pk.svg": P.PATIENT_READ,
    "GET /patients/{patient_id}/plans/{plan_id}/revise": P.PLAN_WRITE,
    "POST /patients/{patient_id}/plans/{plan_id}/revise": P.PLAN_WRITE,
    "GET /patients/{patient_id}/plans/{plan_id}/dose": P.PLAN_WRITE,
    "POST /patients/{patient_id}/plans/{plan_id}/dose": P.PLAN_WRITE,
    "POST /patients/{patient_id}/plans/{plan_id}/dose/{check_id}/verify": P.PLAN_WRITE,
    # audit and administration
    "GET /api/v1/audit-events": P.AUDIT_READ,
    # notifications (issue 21): the chart's message log and contact preference, the
    # administrator's outbox, and Twilio's inbound-SMS webhook (its signature checked)
    "GET /patients/{patient_id}/messages": P.PATIENT_READ,
    "GET /patients/{patient_id}/contact-preferences": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/contact-preferences": P.PATIENT_WRITE,
    "GET /admin/outbox": P.SETTINGS_MANAGE,
    "POST /admin/outbox/clinics/{clinic_id}/message-name": P.SETTINGS_MANAGE,
    "GET /api/v1/admin/outbox": P.SETTINGS_MANAGE,
    "POST /notifications/sms/inbound": Access.PUBLIC,
    "GET /admin/audit": P.AUDIT_READ,
    "GET /admin/roles": P.STAFF_ADMIN,
    "GET /admin/staff": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/unlock": P.STAFF_ADMIN,
    # clinic administration (issue 19 point 5): staff, API tokens, clinic settings
    "GET /admin/staff/new": P.STAFF_ADMIN,
    "POST /admin/staff/new": P.STAFF_ADMIN,
    "GET /admin/staff/{user_id}": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/deactivate": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/reactivate": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/role": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/password-reset": P.STAFF_ADMIN,
    "POST /admin/staff/{user_id}/mfa-reset": P.STAFF_ADMIN,
    "GET /admin/tokens": P.STAFF_ADMIN,
    "POST /admin/tokens": P.STAFF_ADMIN,
    "POST /admin/tokens/{token_id}/revoke": P.STAFF_ADMIN,
    "GET /admin/settings": P.SETTINGS_MANAGE,
    "POST /admin/settings": P.SETTINGS_MANAGE,
    "GET /api/v1/admin/staff": P.STAFF_ADMIN,
    "POST /api/v1/admin/staff": P.STAFF_ADMIN,
    "POST /api/v1/admin/staff/{user_id}/deactivate": P.STAFF_ADMIN,
    "POST /api/v1/admin/staff/{user_id}/reactivate": P.STAFF_ADMIN,
    "PUT /api/v1/admin/staff/{user_id}/roles/{clinic_id}": P.STAFF_ADMIN,
    "POST /api/v1/admin/staff/{user_id}/password-reset": P.STAFF_ADMIN,
    "GET /api/v1/admin/tokens": P.STAFF_ADMIN,
    "POST /api/v1/admin/tokens/{token_id}/revoke": P.STAFF_ADMIN,
    "GET /api/v1/admin/settings": P.SETTINGS_MANAGE,
    "PUT /api/v1/admin/settings/{key}": P.SETTINGS_MANAGE,
    # a new or reset staff member setting their password from a one-time link
    "GET /account/password/{token}": Access.PUBLIC,
    "POST /account/password/{token}": Access.PUBLIC,
    # controlled-substance ledger: API
    "GET /api/v1/ledger/products": P.LEDGER_READ,
    "POST /api/v1/ledger/products": P.LEDGER_STOCK,
    "GET /api/v1/ledger/locations": P.LEDGER_READ,
    "POST /api/v1/ledger/locations": P.LEDGER_STOCK,
    "GET /api/v1/ledger/stock": P.LEDGER_READ,
    "GET /api/v1/ledger/entries": P.LEDGER_READ,
    "POST /api/v1/ledger/receipts": P.LEDGER_STOCK,
    "POST /api/v1/ledger/containers/{container_id}/transfer": P.LEDGER_STOCK,
    "POST /api/v1/ledger/containers/{container_id}/destruction": P.LEDGER_STOCK,
    "POST /api/v1/ledger/containers/{container_id}/loss": P.LEDGER_STOCK,
    "POST /api/v1/ledger/draws": P.LEDGER_ADMINISTER,
    "GET /api/v1/ledger/draws/{draw_id}": P.LEDGER_READ,
    "POST /api/v1/ledger/draws/{draw_id}/administrations": P.LEDGER_ADMINISTER,
    "POST /api/v1/ledger/draws/{draw_id}/waste": P.LEDGER_ADMINISTER,
    "POST /api/v1/ledger/draws/{draw_id}/returns": P.LEDGER_ADMINISTER,
    "POST /api/v1/ledger/draws/{draw_id}/corrections": P.LEDGER_ADMINISTER,
    "POST /api/v1/ledger/counts": P.LEDGER_STOCK,
    "GET /api/v1/ledger/discrepancies": P.LEDGER_READ,
    "POST /api/v1/ledger/discrepancies/{discrepancy_id}/resolution": P.LEDGER_STOCK,
    "GET /api/v1/ledger/losses": P.LEDGER_READ,
    "POST /api/v1/ledger/losses/{loss_id}/filings": P.LEDGER_STOCK,
    "GET /api/v1/ledger/reports/{report_kind}": P.LEDGER_READ,
    "GET /api/v1/ledger/verify": P.LEDGER_STOCK,
    # controlled-substance ledger: staff pages
    "GET /ledger": P.LEDGER_READ,
    "GET /ledger/receive": P.LEDGER_STOCK,
    "POST /ledger/receive": P.LEDGER_STOCK,
    "GET /ledger/draw": P.LEDGER_ADMINISTER,
    "POST /ledger/draw": P.LEDGER_ADMINISTER,
    "GET /ledger/draws/{draw_id}": P.LEDGER_READ,
    "POST /ledger/draws/{draw_id}/administer": P.LEDGER_ADMINISTER,
    "POST /ledger/draws/{draw_id}/waste": P.LEDGER_ADMINISTER,
    "POST /ledger/draws/{draw_id}/return": P.LEDGER_ADMINISTER,
    "POST /ledger/draws/{draw_id}/correct": P.LEDGER_ADMINISTER,
    "GET /ledger/containers/{container_id}": P.LEDGER_READ,
    "POST /ledger/containers/{container_id}/transfer": P.LEDGER_STOCK,
    "POST /ledger/containers/{container_id}/destroy": P.LEDGER_STOCK,
    "POST /ledger/containers/{container_id}/loss": P.LEDGER_STOCK,
    "GET /ledger/locations/{location_id}/count": P.LEDGER_STOCK,
    "POST /ledger/locations/{location_id}/count": P.LEDGER_STOCK,
    "GET /ledger/discrepancies/{discrepancy_id}": P.LEDGER_READ,
    "POST /ledger/discrepancies/{discrepancy_id}": P.LEDGER_STOCK,
    "POST /ledger/losses/{loss_id}/filings": P.LEDGER_STOCK,
    "GET /ledger/reports": P.LEDGER_READ,
    "GET /ledger/setup": P.LEDGER_STOCK,
    "POST /ledger/setup/product": P.LEDGER_STOCK,
    "POST /ledger/setup/location": P.LEDGER_STOCK,
    "GET /patients/{patient_id}/administrations": P.PATIENT_READ,
    # scheduling: API
    "GET /api/v1/patients/{patient_id}/plans/{plan_id}/availability": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/appointments": P.PATIENT_WRITE,
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/waitlist": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/appointments": P.PATIENT_READ,
    "GET /api/v1/schedule/day": P.PATIENT_READ,
    "GET /api/v1/appointments/{appointment_id}/suggestions": P.PATIENT_WRITE,
    "POST /api/v1/appointments/{appointment_id}/reschedule": P.PATIENT_WRITE,
    "POST /api/v1/appointments/{appointment_id}/cancel": P.PATIENT_WRITE,
    "POST /api/v1/appointments/{appointment_id}/no-show": P.PATIENT_WRITE,
    "POST /api/v1/appointments/{appointment_id}/escort": P.PATIENT_WRITE,
    # scheduling: staff pages
    "GET /schedule": P.PATIENT_READ,
    "GET /schedule/week": P.PATIENT_READ,
    "GET /schedule/waitlist": P.PATIENT_READ,
    # Who is on site is read by all who read the schedule (the day view draws from it,
    # as GET /api/v1/schedule/roster); only who keeps the roster changes it.
    "GET /schedule/roster": P.PATIENT_READ,
    "POST /schedule/roster": P.SCHEDULE_MANAGE,
    "POST /schedule/roster/holidays": P.SCHEDULE_MANAGE,
    "GET /api/v1/schedule/roster": P.PATIENT_READ,
    "PUT /api/v1/schedule/roster": P.SCHEDULE_MANAGE,
    "GET /schedule/appointments/{appointment_id}": P.PATIENT_READ,
    "POST /schedule/appointments/{appointment_id}/cancel": P.PATIENT_WRITE,
    "POST /schedule/appointments/{appointment_id}/no-show": P.PATIENT_WRITE,
    "POST /schedule/appointments/{appointment_id}/escort": P.PATIENT_WRITE,
    "POST /schedule/appointments/{appointment_id}/reschedule": P.PATIENT_WRITE,
    "GET /patients/{patient_id}/plans/{plan_id}/book": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/plans/{plan_id}/book": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/plans/{plan_id}/waitlist": P.PATIENT_WRITE,
    # chairside sessions: API
    "POST /api/v1/appointments/{appointment_id}/session": P.PATIENT_WRITE,
    "GET /api/v1/sessions/{session_id}": P.PATIENT_READ,
    "POST /api/v1/sessions/{session_id}/checklist": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/release": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/actions": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/end": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/stop": P.SESSION_CHART,
    "GET /api/v1/sessions/{session_id}/vitals": P.PATIENT_READ,
    "POST /api/v1/sessions/{session_id}/vitals": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/alerts/{alert_id}/acknowledge": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/adverse-events": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/rescue-medications": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/discharge": P.SESSION_CHART,
    "GET /api/v1/sessions/{session_id}/note": P.PATIENT_READ,
    "POST /api/v1/sessions/{session_id}/note/signatures": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/note/addenda": P.SESSION_CHART,
    "GET /api/v1/sessions/{session_id}/rems": P.PATIENT_READ,
    "PUT /api/v1/sessions/{session_id}/rems": P.SESSION_CHART,
    "POST /api/v1/sessions/{session_id}/rems/sent": P.SESSION_CHART,
    "GET /api/v1/rems/due": P.PATIENT_READ,
    "GET /api/v1/board": P.PATIENT_READ,
    # chairside sessions: staff pages
    "GET /board": P.PATIENT_READ,
    "GET /board/rows": P.PATIENT_READ,
    "POST /board/appointments/{appointment_id}/check-in": P.PATIENT_WRITE,
    "POST /board/appointments/{appointment_id}/no-show": P.PATIENT_WRITE,
    "GET /sessions/{session_id}": P.PATIENT_READ,
    "GET /sessions/{session_id}/status": P.PATIENT_READ,
    "POST /sessions/{session_id}/vitals": P.SESSION_CHART,
    "POST /sessions/{session_id}/checklist": P.SESSION_CHART,
    "POST /sessions/{session_id}/release": P.SESSION_CHART,
    "POST /sessions/{session_id}/start": P.SESSION_CHART,
    "POST /sessions/{session_id}/pause": P.SESSION_CHART,
    "POST /sessions/{session_id}/resume": P.SESSION_CHART,
    "POST /sessions/{session_id}/observe": P.SESSION_CHART,
    "POST /sessions/{session_id}/change_rate": P.SESSION_CHART,
    "POST /sessions/{session_id}/end": P.SESSION_CHART,
    "POST /sessions/{session_id}/stop": P.SESSION_CHART,
    "POST /sessions/{session_id}/acknowledge": P.SESSION_CHART,
    "POST /sessions/{session_id}/adverse": P.SESSION_CHART,
    "POST /sessions/{session_id}/rescue": P.SESSION_CHART,
    "POST /sessions/{session_id}/discharge": P.SESSION_CHART,
    "POST /sessions/{session_id}/sign": P.SESSION_CHART,
    "POST /sessions/{session_id}/addendum": P.SESSION_CHART,
    "POST /sessions/{session_id}/rems": P.SESSION_CHART,
    "POST /sessions/{session_id}/rems-sent": P.SESSION_CHART,
    "GET /sessions/{session_id}/note.pdf": P.PATIENT_READ,
    "GET /sessions/{session_id}/rems.pdf": P.PATIENT_READ,
    "GET /rems": P.PATIENT_READ,
    # wall screens: the board for a screen left on (the link's token is the key)
    "GET /admin/displays": P.DISPLAY_MANAGE,
    "POST /admin/displays": P.DISPLAY_MANAGE,
    "POST /admin/displays/{display_id}/revoke": P.DISPLAY_MANAGE,
    "GET /display/{token}": Access.PUBLIC,
    "GET /display/{token}/rows": Access.PUBLIC,
    # clinic outcome and safety reports (issue 20): aggregates only
    "GET /reports/outcomes": P.REPORT_READ,
    "GET /reports/outcomes.csv": P.REPORT_READ,
    "GET /reports/outcomes.pdf": P.REPORT_READ,
    "GET /api/v1/reports/outcomes": P.REPORT_READ,
    # the patient portal (issue 21): signing in is public (the emailed link or the
    # password is the key); every other page is the signed-in patient's own record
    "GET /portal/sign-in": Access.PUBLIC,
    "POST /portal/sign-in": Access.PUBLIC,
    "POST /portal/sign-in/password": Access.PUBLIC,
    "GET /portal/sign-in/code": Access.PUBLIC,
    "POST /portal/sign-in/code": Access.PUBLIC,
    "GET /portal/link/{token}": Access.PUBLIC,
    "POST /portal/link/{token}": Access.PUBLIC,
    "GET /portal/welcome/{token}": Access.PUBLIC,
    "POST /portal/welcome/{token}": Access.PUBLIC,
    "POST /portal/sign-out": Access.PATIENT,
    "GET /portal": Access.PATIENT,
    # the patient's questionnaires and consent documents (issue 21)
    "GET /portal/forms": Access.PATIENT,
    "GET /portal/questionnaires": Access.PATIENT,
    "GET /portal/questionnaires/{visit_id}/{instrument_id}": Access.PATIENT,
    "POST /portal/questionnaires/{visit_id}/{instrument_id}": Access.PATIENT,
    "GET /portal/documents": Access.PATIENT,
    "GET /portal/documents/{document_id}": Access.PATIENT,
    "POST /portal/documents/{document_id}/sign": Access.PATIENT,
    "GET /portal/documents/signed/{signature_id}.pdf": Access.PATIENT,
    "GET /portal/documents/shared/{share_id}": Access.PATIENT,
    # billing (issue 23): the patient's own superbill
    "GET /portal/superbill": Access.PATIENT,
    "GET /portal/superbill.pdf": Access.PATIENT,
    "GET /patients/{patient_id}/consents/{signature_id}.pdf": P.PATIENT_READ,
    "POST /patients/{patient_id}/consents/share": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/documents/share": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/consents": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/consents/requests": P.PATIENT_WRITE,
    "GET /api/v1/patients/{patient_id}/documents": P.PATIENT_READ,
    "POST /api/v1/patients/{patient_id}/documents": P.PATIENT_WRITE,
    "GET /api/v1/consent-documents": P.PATIENT_READ,
    "GET /portal/visits/{appointment_id}": Access.PATIENT,
    "POST /portal/visits/{appointment_id}/cancel": Access.PATIENT,
    "POST /portal/visits/{appointment_id}/reschedule": Access.PATIENT,
    "POST /portal/visits/{appointment_id}/escort": Access.PATIENT,
    "GET /portal/requests/{request_id}": Access.PATIENT,
    "GET /portal/scores": Access.PATIENT,
    "GET /portal/scores/{instrument_id}/plot": Access.PATIENT,
    "GET /portal/account": Access.PATIENT,
    "POST /portal/account/password": Access.PATIENT,
    "POST /portal/account/two-factor": Access.PATIENT,
    "POST /portal/account/two-factor/off": Access.PATIENT,
    # portal: staff invite a patient from the chart (or switch the access off); the
    # front desk's queue of what patients asked (cancel inside the notice, move a visit)
    "POST /patients/{patient_id}/portal-invitation": P.PATIENT_WRITE,
    "POST /patients/{patient_id}/portal-account/disable": P.PATIENT_WRITE,
    "GET /schedule/requests": P.PATIENT_READ,
    "POST /schedule/requests/{request_id}/close": P.PATIENT_WRITE,
    # SMART access (issue 22): backend clients, their token endpoint (the signed
    # assertion is the key) and the SMART configuration documents
    "GET /admin/fhir-clients": P.STAFF_ADMIN,
    "POST /admin/fhir-clients": P.STAFF_ADMIN,
    "POST /admin/fhir-clients/{fhir_client_id}/revoke": P.STAFF_ADMIN,
    "POST /fhir/auth/token": Access.PUBLIC,
    "GET /fhir/auth/introspect": Access.SMART,
    "GET /.well-known/smart-configuration": Access.PUBLIC,
    "GET /fhir/.well-known/smart-configuration": Access.PUBLIC,
    # billing (issue 23): charges from the chart, reviewed and finalised by billing staff;
    # the fee schedule is the administrator's; the evaluation is the prescriber's.
    "GET /billing": P.BILLING,
    "POST /billing/charges": P.BILLING,
    "GET /billing/visits/{session_id}": P.BILLING,
    "POST /billing/visits/{session_id}/charges": P.BILLING,
    "POST /billing/visits/{session_id}/finalise": P.BILLING,
    "POST /billing/lines/{line_id}/finalise": P.BILLING,
    "POST /billing/lines/{line_id}/correct": P.BILLING,
    "POST /billing/lines/{line_id}/ndc": P.BILLING,
    "POST /billing/patients/{patient_id}/coverage": P.BILLING,
    "GET /admin/fees": P.SETTINGS_MANAGE,
    "POST /admin/fees": P.SETTINGS_MANAGE,
    "POST /admin/fees/identifiers": P.SETTINGS_MANAGE,
    "GET /patients/{patient_id}/superbill.pdf": P.BILLING,
    "GET /patients/{patient_id}/superbill.csv": P.BILLING,
    "GET /api/v1/billing/visits": P.BILLING,
    "GET /api/v1/billing/visits/{session_id}/charges": P.BILLING,
    "POST /api/v1/billing/visits/{session_id}/charges": P.BILLING,
    "POST /api/v1/billing/visits/{session_id}/finalise": P.BILLING,
    "POST /api/v1/billing/charges/{line_id}/finalise": P.BILLING,
    "POST /api/v1/billing/charges/{line_id}/corrections": P.BILLING,
    "POST /api/v1/billing/visits/{session_id}/evaluation": P.PLAN_SIGN,
    "GET /api/v1/billing/fees": P.SETTINGS_MANAGE,
    "POST /api/v1/billing/fees": P.SETTINGS_MANAGE,
    "POST /api/v1/billing/patients/{patient_id}/coverage": P.BILLING,
    # self-pay accounts (issue 23): billing staff take payments, refund, sell packages;
    # the package catalogue is the administrator's, read by billing staff too.
    "GET /patients/{patient_id}/account": P.BILLING,
    "POST /patients/{patient_id}/account/payments": P.BILLING,
    "POST /patients/{patient_id}/account/refunds": P.BILLING,
    "POST /patients/{patient_id}/account/adjustments": P.BILLING,
    "POST /patients/{patient_id}/account/packages": P.BILLING,
    "GET /admin/packages": P.SETTINGS_MANAGE,
    "POST /admin/packages": P.SETTINGS_MANAGE,
    "POST /admin/packages/retire": P.SETTINGS_MANAGE,
    "GET /api/v1/patients/{patient_id}/account": P.BILLING,
    "POST /api/v1/patients/{patient_id}/account/payments": P.BILLING,
    "POST /api/v1/patients/{patient_id}/account/refunds": P.BILLING,
    "POST /api/v1/patients/{patient_id}/account/adjustments": P.BILLING,
    "POST /api/v1/patients/{patient_id}/account/packages": P.BILLING,
    "GET /api/v1/billing/packages": P.BILLING,
    "POST /api/v1/billing/packages": P.SETTINGS_MANAGE,
}

# FHIR R4 (issue 22): the CapabilityStatement is public; reading or searching any
# resource type is reading charts (fhir.deps.require_fhir narrows it per type).
FHIR_TYPES = (  # noqa: SIM905 - a list of sixteen, one a line, would crowd the table
    "Patient Practitioner PractitionerRole Organization Location Encounter Appointment "
    "Observation Questionnaire QuestionnaireResponse Condition MedicationStatement "
    "AllergyIntolerance MedicationAdministration MedicationRequest CarePlan"
).split()
ROUTE_RULES["GET /fhir/metadata"] = Access.PUBLIC
# The FHIR routes take bearer tokens only, a staff member's API token or a backend
# client's SMART access token (Access.SMART: the route resolves the caller, see
# smart.deps). Each still needs its permission in the caller's role, checked by the
# route (fhir.deps.require_fhir, fhir.bulk.kick_off), and a scope that allows it.
SMART_PERMISSIONS: dict[str, Permission] = {
    # Bulk Data export: kick-off, status, delete and the files (fhir.bulk).
    "GET /fhir/$export": P.RECORDS_EXPORT,
    "GET /fhir/Patient/$export": P.RECORDS_EXPORT,
    "GET /fhir/Group/{group_id}/$export": P.RECORDS_EXPORT,
    "GET /fhir/bulk/{export_id}": P.RECORDS_EXPORT,
    "DELETE /fhir/bulk/{export_id}": P.RECORDS_EXPORT,
    "GET /fhir/bulk/{export_id}/{file_name}": P.RECORDS_EXPORT,
}
for _type in FHIR_TYPES:
    SMART_PERMISSIONS[f"GET /fhir/{_type}"] = P.PATIENT_READ
    SMART_PERMISSIONS[f"GET /fhir/{_type}/{{resource_id}}"] = P.PATIENT_READ
for _route in SMART_PERMISSIONS:
    ROUTE_RULES[_route] = Access.SMART


def roles_with(permission: Permission) -> frozenset[Role]:
    return ROLE_MATRIX[permission]


def rule_for(method: str, path: str) -> Permission | Access | None:
    if method == "HEAD":
        method = "GET"
    return ROUTE_RULES.get(f"{method} {path}")
