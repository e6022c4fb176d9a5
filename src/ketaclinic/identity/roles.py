"""Staff roles, their permissions, and the single table of which role holds each.

Which permission each route needs is ``identity.routes.ROUTE_RULES``.
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


def roles_with(permission: Permission) -> frozenset[Role]:
    return ROLE_MATRIX[permission]
