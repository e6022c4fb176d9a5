"""A nurse runs a whole infusion session on a tablet: checks the patient in from the
board, records vitals and the checklist, releases the dose with a prescriber's
second check, starts, acknowledges a severe-BP alert, ends, is refused discharge
at an Aldrete score of 8 and then discharges; nurse and prescriber sign the note."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import Engine, select, update

from ketaclinic.appointments.models import Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.chairside import service as chairside
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.chairside.schemas import DischargeIn, GivenIn, ReadingIn, ReleaseIn
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.chairside import policy as chairside_policy
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import LocationIn, ProductIn, ReceiptIn, WitnessIn
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.scheduling.model import SessionSpec
from ketaclinic.screenings import service as screenings
from tests.chairside.conftest import a_moment_ago
from tests.conftest import CLINIC_TZ
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.ledger.conftest import VIAL_MG, receipt

pytestmark = pytest.mark.e2e

CALM = {
    "systolic": "128",
    "diastolic": "80",
    "heart_rate": "72",
    "spo2": "98",
    "respiratory_rate": "14",
    "sedation": "0",
    "cadss": "0",
}
ALDRETE = ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation")


@dataclass
class World:
    appointment_id: int
    patient_id: int
    container_id: int


def _world(engine: Engine, live: LiveClinic, nurse: str, prescriber: str, custodian: str) -> World:
    """Chair 1, a safe with a ketamine vial, and Maya Lindqvist (68.4 kg today,
    cleared, a signed twice-weekly IV plan) booked in the chair from five minutes
    ago; committed for real, as the browser talks to another thread."""
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live.slug)).one()
        who = {
            e: principal_for(session, get_user_by_email(session, e))
            for e in (nurse, prescriber, custodian, live.front_desk_email)
        }
        chair = Chair(clinic_id=clinic.id, name="Chair 1")
        session.add(chair)
        patient = create_patient(
            session,
            who[nurse],
            PatientCreate(
                given_name="Maya",
                family_name="Lindqvist",
                birth_date=date(1984, 3, 21),
                sex_at_birth="female",
                weight_kg=Decimal("68.4"),
                height_cm=Decimal(167),
            ),
        )
        screenings.record_intake(session, who[nurse], patient, CLEAR_INTAKE)
        screening = screenings.run(
            session, who[nurse], patient, "iv_ketamine_mood", screenings.ScreeningPolicy()
        )
        screenings.sign(
            session,
            who[prescriber],
            patient,
            screening.id,
            decision="eligible",
            reason="Cleared in clinic by the prescriber.",
        )
        policy = plans.PlanPolicy()
        plan = plans.draft(
            session,
            who[nurse],
            patient,
            PlanIn(protocol_id="depression_iv_twice_weekly", start_date=today_in(CLINIC_TZ)),
            policy,
        )
        plans.transition(session, who[prescriber], patient, plan.id, "sign", None, policy)
        product = ledger.add_product(
            session,
            who[custodian],
            ProductIn(
                ndc=f"8{secrets.randbelow(10000):04d}-0500-10",
                drug="ketamine",
                name="Ketamine HCl injection",
                strength="50 mg/mL",
                form="injection, multi-dose vial",
                container_mg=VIAL_MG,
                container_ml=Decimal(10),
            ),
        )
        safe = ledger.add_location(session, who[custodian], clinic.id, LocationIn(name="Safe A"))
        [vial, *_] = ledger.receive(
            session, who[custodian], ReceiptIn(**receipt(safe.id, product.id))
        )
        start = a_moment_ago()
        visit = Visit(
            1,
            chair,
            start,
            start + timedelta(minutes=20),
            start + timedelta(minutes=60),
            start + timedelta(minutes=90),
            SessionSpec(20, 40, 30),
        )
        [booked] = book_visits(session, who[live.front_desk_email], patient, plan.id, [visit])
        session.commit()
        return World(booked.id, patient.id, vial.container_id)
    finally:
        session.close()


def _discharged_esketamine(
    engine: Engine, live: LiveClinic, nurse: str, prescriber: str, custodian: str
) -> int:
    """Ines Varga (cleared for esketamine, a signed 84 mg plan) given day 1's 56 mg
    from a dose kit today, observed for two hours and discharged, all through the
    service: her REMS monitoring form is due and not sent. The session's id."""
    policy = chairside_policy()
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live.slug)).one()
        who = {
            e: principal_for(session, get_user_by_email(session, e))
            for e in (nurse, prescriber, custodian, live.front_desk_email)
        }
        chair = Chair(clinic_id=clinic.id, name="Chair 2")
        session.add(chair)
        patient = create_patient(
            session,
            who[nurse],
            PatientCreate(
                given_name="Ines",
                family_name="Varga",
                birth_date=date(1977, 9, 14),
                sex_at_birth="female",
                weight_kg=Decimal(70),
                height_cm=Decimal(164),
            ),
        )
        screenings.record_intake(session, who[nurse], patient, CLEAR_INTAKE)
        screening = screenings.run(
            session, who[nurse], patient, "esketamine_nasal", screenings.ScreeningPolicy()
        )
        screenings.sign(
            session,
            who[prescriber],
            patient,
            screening.id,
            decision="eligible",
            reason="Cleared for esketamine by the prescriber.",
        )
        plan = plans.draft(
            session,
            who[nurse],
            patient,
            PlanIn(
                protocol_id="esketamine_nasal",
                start_date=today_in(CLINIC_TZ),
                dose_amount=Decimal(84),
            ),
            policy.plan,
        )
        plans.transition(session, who[prescriber], patient, plan.id, "sign", None, policy.plan)
        product = ledger.add_product(
            session,
            who[custodian],
            ProductIn(
                ndc=f"7{secrets.randbelow(10000):04d}-0056-02",
                drug="esketamine",
                name="Esketamine nasal spray 56 mg dose kit",
                strength="28 mg per device",
                form="nasal spray, 2 devices",
                container_mg=Decimal(56),
            ),
        )
        safe = ledger.add_location(session, who[custodian], clinic.id, LocationIn(name="Safe B"))
        [kit] = ledger.receive(
            session,
            who[custodian],
            ReceiptIn(**receipt(safe.id, product.id, containers=1, lot_number="SPV2611")),
        )
        phases = policy.protocol("esketamine_nasal").phases
        start = a_moment_ago()
        admin = start + timedelta(minutes=phases.pre_assessment_min)
        visit = Visit(
            1,
            chair,
            start,
            admin,
            admin + timedelta(minutes=phases.administration_min),
            admin + timedelta(minutes=phases.administration_min + phases.observation_min),
            SessionSpec(
                phases.pre_assessment_min, phases.administration_min, phases.observation_min
            ),
        )
        [booked] = book_visits(session, who[live.front_desk_email], patient, plan.id, [visit])
        n = who[nurse]
        sid = chairside.open_session(session, n, booked.id, "check_in", policy).id
        calm = {k: int(v) for k, v in CALM.items()}
        chairside.record_vitals(
            session, n, sid, [ReadingIn(id=f"rems-{sid}-1", taken_at=utcnow(), **calm)], policy
        )
        items = {i.key for i in chairside.chart(session, n, sid, policy, audited=False).checklist}
        manual = ("consent_on_file", "fasting", "escort_present", "pregnancy_test", "rems_enrolled")
        chairside.record_checks(
            session, n, sid, {k: ("pass", "") for k in manual if k in items}, policy
        )
        checker = who[prescriber]
        release = ReleaseIn(
            checker=WitnessIn(email=prescriber, password="-"),
            weight_kg=Decimal(70),
            container_id=kit.container_id,
            drawn_mg=Decimal(56),
        )
        chairside.release_dose(
            session, n, sid, release, checker, [Witness(checker.user_id, checker.name)], policy
        )
        chairside.act(session, n, sid, "start", policy)
        chairside.end_administration(session, n, sid, GivenIn(given_mg=Decimal(56)), [], policy)
        session.commit()
    finally:
        session.close()
    _backdate(engine, sid, 125)
    session = make_sessionmaker(engine)()
    try:
        n = principal_for(session, get_user_by_email(session, nurse))
        aldrete = dict.fromkeys(ALDRETE, 2)
        chairside.discharge(
            session,
            n,
            sid,
            DischargeIn(**aldrete, escort_present=True, instructions_given=True),
            policy,
        )
        session.commit()
    finally:
        session.close()
    return sid


def _backdate(engine: Engine, session_id: int, minutes: int, column: str = "ended") -> None:
    """Let time pass: the administration ended (or started) ``minutes`` ago."""
    session = make_sessionmaker(engine)()
    when = utcnow() - timedelta(minutes=minutes)
    try:
        session.execute(
            update(ChairsideSession)
            .where(ChairsideSession.id == session_id)
            .values({f"administration_{column}_at": when})
        )
        session.commit()
    finally:
        session.close()


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    """A touch tablet at the chair; a script error or CSP violation fails the test."""
    context = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and "status of 422" not in msg.text:
            errors.append(msg.text)

    context.on("console", on_console)
    context.on("weberror", lambda e: errors.append(str(e.error)))
    yield context
    context.close()
    assert errors == [], errors


def _signed_in(page: Page, live: LiveClinic, email: str) -> None:
    sign_in_as(page, live, email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _vitals(page: Page, **values: str) -> None:
    form = page.locator("#vitals-form")
    for key, value in values.items():
        form.locator(f"#f-{key}").fill(value)
    form.get_by_role("button", name="Record vitals").tap()
    bp = f"{values['systolic']}/{values['diastolic']}"
    expect(page.locator("#vitals tbody tr").first).to_contain_text(bp)


def test_it_runs_a_whole_session_on_a_tablet(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    world = _world(engine, live_clinic, nurse, prescriber, custodian)
    chair = tablet.new_page()
    _signed_in(chair, live_clinic, nurse)

    # Check in from the board.
    chair.goto(f"{live_clinic.base_url}/board")
    visit = chair.locator(f'tr[data-visit="{world.appointment_id}"]')
    expect(visit).to_contain_text("Lindqvist, Maya")
    visit.get_by_role("button", name="Check in").tap()
    state = chair.locator("#state")
    expect(state).to_have_text("Checked in")
    expect(chair.get_by_role("heading", name="Pre-infusion checklist")).to_be_visible()
    session_url = chair.url
    session_id = int(session_url.rsplit("/", 1)[1].split("#")[0])

    # The checklist, with the baseline vitals inside it: one submit.
    expect(chair.locator("#vitals-form")).to_have_count(0)
    checklist = chair.locator("#checklist-form")
    for key, value in CALM.items():
        checklist.locator(f"#f-{key}").fill(value)
    for item in ("consent_on_file", "fasting", "escort_present", "pregnancy_test"):
        checklist.locator(f'input[name="item_{item}"][value="pass"]').tap()
    checklist.get_by_role("button", name="Record checks").tap()
    expect(state).to_have_text("Pre-checks done")
    expect(chair.locator("#vitals tbody tr").first).to_contain_text("128/80")

    # The dose, released with the prescriber's second check; 0.8 mg drawn over the
    # dose is wasted before them.
    programme = chair.locator("#pump-programme")
    expect(programme).to_contain_text("34.2 mg")
    expect(programme).to_contain_text("51.3 mL/h")
    release = chair.locator("#release-form")
    container = release.locator("#f-container_id")
    expect(container.locator("option").first).to_have_text(
        "Lot KX2611, 500 mg/10 mL vial, 500 mg left"
    )
    container.select_option(str(world.container_id))
    expect(release.get_by_label("Concentration in the bag (mg/mL)")).to_be_visible()
    expect(release.locator("#f-drawn_mg")).to_have_value("34.2")
    release.locator("#f-drawn_mg").fill("35")
    release.locator("#f-witness_email").fill(prescriber)
    release.locator("#f-witness_password").fill(live_clinic.password)
    release.locator("#f-weight_kg").fill("68.4")
    release.locator("#f-concentration_mg_per_ml").fill("1")
    release.get_by_role("button", name="Release dose").tap()
    expect(state).to_have_text("Dose released")
    chair.get_by_role("button", name="Start administration").tap()
    expect(state).to_have_text("Administering")

    # Round two: a severe BP raises an urgent alert, acknowledged with a note.
    _vitals(chair, systolic="205", diastolic="100")
    alerts = chair.locator("#alerts")
    expect(alerts).to_contain_text("Severe hypertension")
    expect(alerts).to_contain_text("205")
    expect(chair.locator("#open-alert-count")).to_have_text("1 open alert")
    alerts.locator('input[name="ack_action"][value="notify_prescriber"]').tap()
    alerts.get_by_label("Note").fill("Told Pat Prescriber; recheck in 5 minutes.")
    alerts.get_by_role("button", name="Acknowledge").tap()
    expect(alerts).to_have_count(0)
    expect(chair.locator("#open-alert-count")).to_have_count(0)

    # Round three: back to calm, and no new alert.
    _vitals(chair, systolic="132", diastolic="84")
    expect(alerts).to_have_count(0)
    # The form is empty, with the last values beside each field.
    again = chair.locator("#vitals-form")
    expect(again.locator("#f-systolic")).to_have_value("")
    expect(again.locator('[data-last="systolic"]')).to_have_text("last 132")
    # Ending now, 0 of 40 minutes in, would be an early stop: it asks why.
    end = chair.locator("#end-form")
    expect(end.locator("#early-stop")).to_be_visible()
    # The infusion runs its 40 minutes; the amount given is typed, never pre-filled.
    _backdate(engine, session_id, 41, "started")
    chair.reload()
    expect(end.locator("#early-stop")).to_have_count(0)
    expect(end.locator("#f-given_mg")).to_have_value("")
    end.locator("#f-given_mg").fill("34.2")
    end.get_by_role("button", name="End administration").tap()
    expect(state).to_have_text("Observing")

    # The observation time passes; an Aldrete score of 8 is refused, 10 goes home.
    _backdate(engine, session_id, 40)
    chair.reload()
    expect(chair.locator("#observed")).to_contain_text("Observed 40 of 30 minutes")
    discharge = chair.locator("#discharge-form")
    for item in ALDRETE:
        discharge.locator(f'input[name="{item}"][value="{0 if item == "activity" else 2}"]').tap()
    discharge.get_by_role("button", name="Discharge").tap()
    refused = chair.locator("#discharge-refused")
    expect(refused).to_contain_text("Discharge refused")
    expect(refused).to_contain_text("Aldrete score 8")
    expect(refused).not_to_contain_text("observed")
    expect(state).to_have_text("Observing")
    expect(chair).to_have_url(session_url)  # a reload stays on the session
    discharge.locator('input[name="activity"][value="2"]').tap()
    discharge.get_by_label("Escort present").tap()
    discharge.get_by_label("Discharge instructions given").tap()
    discharge.get_by_role("button", name="Discharge").tap()
    expect(state).to_have_text("Discharged")
    expect(refused).to_have_count(0)

    # The note: the nurse signs, then the prescriber on the same tablet.
    chair.locator("#sign-form").get_by_role("button", name="Sign the note").tap()
    expect(chair.locator("#note")).to_contain_text("Signed by the nurse Nia Nurse")
    expect(chair.locator("#awaiting")).to_have_text("Awaiting the prescriber's signature.")
    expect(chair.locator("#sign-form")).to_have_count(0)
    expect(state).to_have_text("Discharged")
    chair.get_by_role("button", name="Sign out").tap()
    expect(chair.get_by_role("heading", name="Sign in")).to_be_visible()
    _signed_in(chair, live_clinic, prescriber)
    chair.goto(f"{live_clinic.base_url}/sessions/{session_id}")
    chair.locator("#sign-form").get_by_role("button", name="Sign the note").tap()
    expect(state).to_have_text("Note signed")
    expect(chair.locator("#note")).to_contain_text("Signed by the prescriber Pat Prescriber")
    expect(chair.locator("#sign-form")).to_have_count(0)

    # The ledger holds the draw, the witnessed waste and the dose given.
    session = make_sessionmaker(engine)()
    try:
        entries = session.scalars(
            select(CsEntry).where(CsEntry.patient_id == world.patient_id).order_by(CsEntry.id)
        ).all()
        moved = [(e.kind, e.amount_ug) for e in entries]
        assert ("draw", 35_000) in moved and ("waste", 800) in moved, moved
        assert ("administer", 34_200) in moved, moved
        [waste] = [e for e in entries if e.kind == "waste"]
        assert waste.witness_ids, "the waste has a witness"
    finally:
        session.close()


def test_it_completes_and_sends_a_rems_form_on_a_tablet(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    sid = _discharged_esketamine(engine, live_clinic, nurse, prescriber, custodian)
    today = today_in(CLINIC_TZ)
    chair = tablet.new_page()
    _signed_in(chair, live_clinic, nurse)

    # The due list: treated today, due within 7 days.
    chair.goto(f"{live_clinic.base_url}/rems")
    expect(
        chair.get_by_role("heading", name="Spravato REMS monitoring forms not sent")
    ).to_be_visible()
    row = chair.locator("#rems-due tbody tr", has_text="Varga, Ines")
    expect(row).to_contain_text((today + timedelta(days=7)).isoformat())
    row.get_by_role("link", name="Open the form").tap()
    expect(chair).to_have_url(f"{live_clinic.base_url}/sessions/{sid}#rems")
    form = chair.locator("#rems-form")
    missing = chair.locator("#rems-missing")
    expect(missing).to_be_visible()
    expect(missing).to_have_text(
        "Missing: Minutes from the first device to end of monitoring, "
        "BP about 40 minutes after the dose"
    )
    expect(form.locator("#f-rems-dose")).to_have_value("56")
    expect(form.locator("#f-rems-lot_number")).to_have_value("SPV2611")
    expect(form.locator("#f-rems-ready_to_leave_at")).to_have_attribute("type", "time")

    # Under two hours of monitoring is refused, naming the field; what was typed stays.
    form.locator("#f-rems-minutes_monitored").fill("95")
    form.locator("#f-rems-bp_40_min").fill("138/86")
    form.locator("#f-rems-ready_to_leave_at").fill("11:40")
    form.locator("#f-rems-vitals_acceptable_before_completion").select_option("yes")
    form.get_by_role("button", name="Save the form").tap()
    expect(form.locator("#e-minutes_monitored")).to_contain_text("at least 120 minutes")
    expect(form.locator("#f-rems-bp_40_min")).to_have_value("138/86")
    expect(form.locator("#f-rems-ready_to_leave_at")).to_have_value("11:40")
    form.locator("#f-rems-minutes_monitored").fill("130")
    form.get_by_role("button", name="Save the form").tap()
    expect(missing).to_have_count(0)
    expect(form.locator("#f-rems-minutes_monitored")).to_have_value("130")
    expect(form.locator("#f-rems-ready_to_leave_at")).to_have_value("11:40")

    # Sent today (the clinic's today), with the REMS confirmation.
    sent = chair.locator("#rems-sent-form")
    expect(sent.locator("#f-sent_on")).to_have_value(today.isoformat())
    sent.locator("#f-reference").fill("REMS-55120")
    sent.get_by_role("button", name="Mark sent").tap()
    section = chair.locator("#rems")
    expect(section).to_contain_text(f"Sent {today.isoformat()} (REMS-55120)")
    expect(form).to_have_count(0)
    expect(sent).to_have_count(0)
    pdf = chair.request.get(f"{live_clinic.base_url}/sessions/{sid}/rems.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF"), pdf.status

    chair.goto(f"{live_clinic.base_url}/rems")
    expect(chair.locator("#rems-due")).to_contain_text("Nothing due: every form is sent.")
