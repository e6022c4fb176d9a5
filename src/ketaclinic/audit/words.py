"""What the audit page shows for each recorded action: words, not codes.

The code stays the record (searched, filtered and exported as it is); the page shows
a label per action and, for a code without one, a readable form of the code.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    # refusals
    "access.denied": "Access refused",
    "access.not_found": "Access refused (record hidden)",
    "access.unauthenticated": "Access refused (not signed in)",
    # signing in
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.locked": "Account locked",
    "auth.unlocked": "Account unlocked",
    "auth.mfa_enrolled": "Two-factor set up",
    "auth.mfa_disabled": "Two-factor removed",
    "auth.mfa_disable_failed": "Two-factor removal refused",
    "auth.recovery_code_used": "Recovery code used",
    "auth.token_revoked": "API token revoked",
    # the audit trail itself
    "audit.read": "Audit trail read",
    "audit.export": "Audit trail exported",
    # staff and settings
    "staff.admin": "Staff list opened",
    "staff.invited": "Staff member invited",
    "staff.deactivated": "Staff member deactivated",
    "staff.reactivated": "Staff member reactivated",
    "staff.role_changed": "Staff role changed",
    "staff.password_reset_link": "Password reset link made",
    "staff.password_set": "Password set",
    "settings.manage": "Clinic settings opened",
    "clinic.setting_changed": "Clinic setting changed",
    "clinic.message_name_changed": "Name in patient messages changed",
    # wall-screen boards
    "display.created": "Wall screen added",
    "display.manage": "Wall screens opened",
    "display.opened": "Wall screen opened",
    "display.viewed": "Wall screen shown",
    "display.refused": "Wall screen refused",
    "display.revoked": "Wall screen revoked",
    # the controlled-substance ledger
    "ledger.read": "Ledger opened",
    "ledger.viewed": "Ledger opened",
    "ledger.stock": "Stock changed",
    "ledger.receive": "Stock received",
    "ledger.administer": "Dose drawn or given",
    "ledger.count": "Stock counted",
    "ledger.discrepancy_resolved": "Count discrepancy resolved",
    "ledger.location_added": "Storage location added",
    "ledger.product_added": "Product added",
    "ledger.report": "Ledger report made",
    "ledger.verify": "Ledger checked for tampering",
    "ledger.witness": "Witness asked",
    "ledger.witness_confirmed": "Witness confirmed",
    "ledger.witness_failed": "Witness not confirmed",
    # the chart
    "patient.read": "Chart opened",
    "patient.search": "Patient search",
    "patient.create": "Patient registered",
    "patient.update": "Demographics changed",
    "patient.write": "Chart changed",
    "patient.duplicate_warning": "Possible duplicate shown",
    "patient.administrations_viewed": "Administrations viewed",
    "patient.contacts.create": "Contact added",
    "patient.contacts.update": "Contact changed",
    "patient.diagnoses.create": "Diagnosis added",
    "patient.diagnoses.update": "Diagnosis changed",
    "patient.medications.create": "Medication added",
    "patient.medications.update": "Medication changed",
    "patient.allergies.create": "Allergy added",
    "patient.allergies.update": "Allergy changed",
    "patient.alert.raise": "Alert raised",
    "patient.alert.acknowledge": "Alert acknowledged",
    "patient.alert.list": "Alerts viewed",
    "patient.course.read": "Course viewed",
    "patient.booster.suggest": "Booster suggested",
    "patient.booster.list": "Booster suggestions viewed",
    "patient.booster.accept": "Booster suggestion accepted",
    "patient.booster.dismiss": "Booster suggestion dismissed",
    "patient.intake.record": "Intake recorded",
    "patient.measurement.create": "Measurement recorded",
    "patient.questionnaire.create": "Questionnaire recorded",
    "patient.questionnaire_link.create": "Questionnaire link made",
    "patient.questionnaire_link.open": "Questionnaire link opened",
    "patient.screening.run": "Screening run",
    "patient.screening.list": "Screenings viewed",
    "patient.screening.sign": "Screening signed",
    "patient.screening.override": "Screening overridden",
    "patient.treatment.create": "Treatment recorded",
    "patient.dose.calculate": "Dose calculated",
    "patient.dose.verify": "Dose checked",
    # plans
    "patient.plan.draft": "Plan drafted",
    "patient.plan.revise": "Plan revised",
    "patient.plan.sign": "Plan signed",
    "patient.plan.start": "Plan started",
    "patient.plan.pause": "Plan paused",
    "patient.plan.resume": "Plan resumed",
    "patient.plan.complete": "Plan completed",
    "patient.plan.stop": "Plan stopped",
    "patient.plan.supersede": "Plan replaced",
    # the schedule
    "patient.schedule_proposed": "Schedule proposed",
    "patient.appointments_booked": "Visits booked",
    "patient.appointment_cancelled": "Visit cancelled",
    "patient.appointment_no_show": "No-show recorded",
    "patient.appointment_rescheduled": "Visit moved",
    "patient.appointment_window_override": "Visit booked outside its window",
    "patient.escort_confirmed": "Escort confirmed",
    "patient.waitlisted": "Added to the waitlist",
    # the session
    "session.chart": "Session chart opened",
    "patient.session.check_in": "Checked in",
    "patient.session.checks": "Session checklist recorded",
    "patient.session.complete_checks": "Pre-checks completed",
    "patient.session.release_dose": "Dose released",
    "patient.session.start": "Administration started",
    "patient.session.pause": "Administration paused",
    "patient.session.resume": "Administration resumed",
    "patient.session.change_rate": "Rate changed",
    "patient.session.end_administration": "Administration ended",
    "patient.session.observe": "Observation started",
    "patient.session.mark_ready": "Marked ready for discharge",
    "patient.session.discharge": "Discharged",
    "patient.session.discharge_refused": "Discharge refused",
    "patient.session.sign_note": "Note signed",
    "patient.session.note_signed": "Note signed",
    "patient.session.stop": "Session stopped early",
    "patient.session.no_show": "No-show recorded",
    "patient.session.vitals": "Vital signs recorded",
    "patient.session.alert_acknowledged": "Vital-sign alert acknowledged",
    "patient.session.adverse_event": "Adverse event recorded",
    "patient.session.rescue_medication": "Rescue medication given",
    "patient.session.addendum": "Note addendum added",
    "patient.session.rems_saved": "REMS form saved",
    "patient.session.rems_sent": "REMS form sent",
    # the patient portal (the patient's account as actor, or staff for the invitation)
    "portal.invited": "Invited to the patient portal",
    "portal.account_activated": "Portal account set up by the patient",
    "portal.account_disabled": "Portal access switched off",
    "portal.sign_in_link_sent": "Portal sign-in link emailed",
    "portal.sign_in": "Patient signed in to the portal",
    "portal.sign_in_failed": "Portal sign-in failed",
    "portal.second_factor": "Patient entered the portal code",
    "portal.sign_out": "Patient signed out of the portal",
    "portal.password_set": "Patient set a portal password",
    "portal.two_factor_on": "Patient turned portal two-factor on",
    "portal.two_factor_off": "Patient turned portal two-factor off",
    "portal.visits_read": "Patient viewed their visits",
    "portal.visit_read": "Patient viewed a visit",
    "portal.visit_cancelled": "Patient cancelled a visit in the portal",
    "portal.request_made": "Patient asked the front desk about a visit",
    "portal.request_read": "Patient viewed their request",
    "portal.escort_confirmed": "Patient confirmed the escort",
    "portal.scores_read": "Patient viewed their scores",
    "portal.requests_read": "Patient requests queue opened",
    "portal.request_closed": "Patient request closed",
    "portal.questionnaires_read": "Patient viewed their questionnaires",
    "portal.documents_read": "Patient viewed their documents",
    "portal.consent_signed": "Patient signed a consent document",
    "portal.consent_copy_read": "Patient opened a signed consent copy",
    "patient.consent.share": "Document shared with the patient to sign",
    # billing (issue 23)
    "patient.billing.charges_made": "Charges made from the chart",
    "patient.billing.charge_finalised": "Charge line finalised",
    "patient.billing.charge_corrected": "Charge line corrected",
    "patient.billing.evaluation_documented": "Separate evaluation documented for billing",
    "patient.billing.ndc_set": "Drug's NDC added to a charge",
    "patient.billing.coverage_set": "Insurance member id recorded",
    "patient.billing.superbill": "Superbill made",
    "billing.visits_read": "Billing list opened",
    "billing.fee_set": "Fee schedule price set",
    "billing.identifier_set": "Billing NPI or TIN set",
    # messages to patients (issue 21)
    "notification.queued": "Message to the patient queued",
    "notification.sent": "Message to the patient sent",
    "notification.failed": "Message to the patient failed",
    "notification.not_sent": "Message to the patient not sent",
    "notification.cancelled": "Message to the patient cancelled",
    "notification.outbox_read": "Outbox opened",
    "rems.digest_queued": "REMS forms due: staff digest queued",
    "patient.messages_read": "Messages to the patient read",
    "patient.contact_preference_changed": "Contact preference changed",
    "patient.sms_stopped": "Patient stopped text messages",
    "patient.sms_restarted": "Patient restarted text messages",
}

_PREFIX_WORDS = {"patient": "", "auth": "sign-in", "ledger": "ledger", "staff": "staff"}


def action_label(code: str) -> str:
    """The words for an action code: its label, or the code made readable
    (``patient.session.new_thing`` → "Session: new thing")."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return label
    parts = [_PREFIX_WORDS.get(p, p) if i == 0 else p for i, p in enumerate(code.split("."))]
    words = [p.replace("_", " ").replace("-", " ").strip() for p in parts]
    words = [w for w in words if w]
    if not words:
        return "Other"
    head, *rest = words
    text = f"{head}: {' '.join(rest)}" if rest else head
    return text[:1].upper() + text[1:]
