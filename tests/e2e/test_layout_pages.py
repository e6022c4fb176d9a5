"""Tablet-true and accessible (issue 19, point 2): at 820 x 1180 no staff page
scrolls sideways, its navigation fits in one bar and its controls are thumb-sized;
at 390 x 844 the public pages do the same; axe-core (vendored, pinned) finds no
serious or critical violation on any page visited."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.chairside import service as chairside
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.chairside import policy
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.measures.service import create_link
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_chairside_pages import _discharged_esketamine, _world

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.3" / "axe.min.js"
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Where to save a full-page screenshot of every page visited, for a person to look at.
SHOTS = os.environ.get("KETACLINIC_E2E_SHOTS")

# Not pages: files, the API, signing out.
SKIP = re.compile(r"^/(api|static)/|\.(pdf|csv|svg|json|png)$|^/logout$")
# One page of each kind: /patients/12/plans/3 and /patients/40/plans/9 are the same page.
NUMBER = re.compile(r"/\d+(?=/|$)")
MAX_PAGES = 70
# The kinds of page the crawl must have reached.
KINDS = (
    "/patients/{id}",
    "/patients/{id}/plans/{id}",
    "/sessions/{id}",
    "/schedule/appointments/{id}",
    "/ledger/containers/{id}",
    "/ledger/reports",
    "/schedule",
    "/admin/audit",
    "/admin/staff",
    "/admin/roles",
)

# The controls a gloved finger aims at: at least 44 px high (links in running text
# and the boxes inside a 44 px label row are exempt).
SMALL_TARGETS_JS = """() => {
  const small = [];
  const targets = document.querySelectorAll(
    'button, select, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
    + ' a.button, header a, header button');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || el.closest('.hp')) continue;
    if (box.height < 44) small.push(`${el.tagName.toLowerCase()} "${(el.textContent
      || el.name || '').trim().slice(0, 30)}" ${Math.round(box.height)}px`);
  }
  return small;
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): `
      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def _problems(page: Page, *, width: int) -> list[str]:
    """What is wrong with the page on screen: sideways scrolling, small targets, axe."""
    problems: list[str] = []
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll > client or client > width:
        problems.append(f"scrolls sideways: {scroll} px wide in {client} px")
    problems += [f"small target: {s}" for s in page.evaluate(SMALL_TARGETS_JS)]
    page.evaluate(AXE.read_text(encoding="utf-8"))
    problems += page.evaluate(AXE_JS)
    return problems


def _shoot(page: Page, name: str) -> None:
    if SHOTS:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "home"
        page.screenshot(path=str(Path(SHOTS) / f"{slug}.png"), full_page=True)


def _crawl(
    page: Page, base_url: str, starts: list[str], max_depth: int
) -> tuple[dict[str, list[str]], set[str]]:
    """Visit the start pages and what they link to, one page of each kind, up to
    max_depth links away: each page's problems, and the kinds seen."""
    queue = [(path, 0) for path in starts]
    seen: set[str] = set()
    report: dict[str, list[str]] = {}
    while queue and len(report) < MAX_PAGES:
        path, depth = queue.pop(0)
        kind = NUMBER.sub("/{id}", path.split("?")[0])
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(base_url + path)
        assert response is not None
        if response.status >= 400:  # refusals are issue 19 point 1's crawl; not a layout
            continue
        report[path] = _problems(page, width=820)
        _shoot(page, f"tablet {path}")
        if depth < max_depth:
            queue += [(p, depth + 1) for p in _same_site_links(page, base_url)]
    return report, seen


def _checked_in(engine: Engine, live: LiveClinic, nurse: str, appointment_id: int) -> int:
    """The nurse checks the booked patient in (committed for real): the session's id."""
    session = make_sessionmaker(engine)()
    try:
        who = principal_for(session, get_user_by_email(session, nurse))
        opened = chairside.open_session(session, who, appointment_id, "check_in", policy())
        session.commit()
        return opened.id
    finally:
        session.close()


def _same_site_links(page: Page, base_url: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == base_url and not SKIP.search(parts.path):
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**TABLET)
    yield context
    context.close()


def test_it_fits_every_admin_page_on_a_tablet_without_an_axe_violation(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    admin = add_staff(engine, live_clinic, "admin", "Ada Admin")
    world = _world(engine, live_clinic, nurse, prescriber, custodian)
    session_id = _discharged_esketamine(engine, live_clinic, nurse, prescriber, custodian)
    page = tablet.new_page()
    sign_in_as(page, live_clinic, admin)
    page.wait_for_url(re.compile(r"/(patients|dashboard)?$"))

    # Every page the navigation reaches, the pages those link to, and one detail page
    # of each kind the seeded clinic has (the session is the discharged one's).
    nav: list[str] = page.eval_on_selector_all(
        "header a[href]", "els => els.map(e => new URL(e.href).pathname)"
    )
    assert len(nav) >= 10, nav
    seeds = [
        f"/patients/{world.patient_id}",
        f"/patients/{world.patient_id}/plans",
        f"/schedule/appointments/{world.appointment_id}",
        f"/sessions/{session_id}",
        f"/ledger/containers/{world.container_id}",
        "/ledger/reports",
    ]
    report, seen = _crawl(page, live_clinic.base_url, [*nav, *seeds], max_depth=2)
    assert len(report) >= 25, sorted(report)
    missing = [kind for kind in KINDS if kind not in seen]
    assert missing == [], sorted(seen)
    bad = "\n".join(f"{path}: {'; '.join(found)}" for path, found in report.items() if found)
    assert not bad, "\n" + bad


@pytest.mark.parametrize("role", ["nurse", "prescriber", "front_desk", "custodian", "admin"])
def test_it_keeps_the_navigation_to_one_bar_for_each_role(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine, role: str
) -> None:
    email = (
        live_clinic.front_desk_email
        if role == "front_desk"
        else add_staff(engine, live_clinic, role, f"{role.title()} Person")
    )
    page = tablet.new_page()
    sign_in_as(page, live_clinic, email)
    page.wait_for_url(re.compile(r"/(patients|dashboard|ledger)?$"))
    page.goto(f"{live_clinic.base_url}/account/mfa")
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 80, header
    assert _problems(page, width=820) == []
    # The links fold into a menu that opens without a script, every one a 44 px target.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.locator("header summary").click()
    expect(nav).to_be_visible()
    links = nav.get_by_role("link").all()
    assert links and all((link.bounding_box() or {"height": 0})["height"] >= 44 for link in links)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert _problems(page, width=820) == []
    _shoot(page, f"nav {role}")

    # Each page of the role's navigation and what those pages link to; for the nurse,
    # a session being charted (its checklist, vitals and dose forms).
    starts = nav.evaluate("n => [...n.querySelectorAll('a')].map(a => a.pathname)")
    if role == "nurse":
        prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
        custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
        world = _world(engine, live_clinic, email, prescriber, custodian)
        starts.append(f"/sessions/{_checked_in(engine, live_clinic, email, world.appointment_id)}")
    report, _seen = _crawl(page, live_clinic.base_url, starts, max_depth=1)
    assert len(report) >= len(starts) - 1, sorted(report)
    bad = "\n".join(f"{path}: {'; '.join(found)}" for path, found in report.items() if found)
    assert not bad, "\n" + bad


def _public_pages(live: LiveClinic, engine: Engine) -> list[str]:
    """The consultation form, a patient's questionnaire link, the sign-in pages."""
    nurse = add_staff(engine, live, "nurse", "Nia Nurse")
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live.slug)).one()
        assert clinic is not None
        principal = principal_for(session, get_user_by_email(session, nurse))
        patient = create_patient(
            session,
            principal,
            PatientCreate(
                given_name="Maya",
                family_name="Lindqvist",
                birth_date=date(1984, 3, 21),
                sex_at_birth="female",
            ),
        )
        _, token = create_link(session, principal, patient, "phq9", valid_hours=24)
        session.commit()
    finally:
        session.close()
    return [f"/consult/{live.slug}", f"/q/{token}", "/login", "/portal/sign-in"]


def test_it_fits_the_public_pages_on_a_phone(
    browser: Browser, live_clinic: LiveClinic, engine: Engine
) -> None:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        report: dict[str, list[str]] = {}
        for path in _public_pages(live_clinic, engine):
            response = page.goto(live_clinic.base_url + path)
            assert response is not None and response.status == 200, path
            report[path] = _problems(page, width=390)
            _shoot(page, f"phone {path.split('/')[1]}")
        bad = "\n".join(f"{path}: {'; '.join(found)}" for path, found in report.items() if found)
        assert not bad, "\n" + bad
    finally:
        context.close()


# What must not print: navigation, buttons, forms.
PRINTED_CONTROLS_JS = """() => [...document.querySelectorAll('header, nav, form, button, .button')]
  .filter(el => el.getBoundingClientRect().height > 0)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))"""
# Anything wider than the printed page (a table cut at the margin, the day view).
PRINTED_OVERFLOW_JS = """() => {
  const page = document.documentElement.clientWidth;
  return [...document.querySelectorAll('table, svg, img, .card')]
    .filter(el => el.getBoundingClientRect().right > page + 0.5)
    .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} ends at `
      + Math.round(el.getBoundingClientRect().right) + ` of ${page}`);
}"""


def test_it_prints_the_chart_day_session_note_and_reports_without_controls(
    browser: Browser, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    world = _world(engine, live_clinic, nurse, prescriber, custodian)
    session_id = _discharged_esketamine(engine, live_clinic, nurse, prescriber, custodian)
    # An A4 or Letter page's printable width at 96 px per inch, less 12 mm margins.
    context = browser.new_context(viewport={"width": 700, "height": 1000})
    try:
        page = context.new_page()
        sign_in_as(page, live_clinic, prescriber)
        page.wait_for_url(re.compile(r"/(patients|dashboard)?$"))
        page.emulate_media(media="print")
        printed = {
            f"/patients/{world.patient_id}": "Lindqvist, Maya",
            "/schedule": "Chairs through the day",
            f"/sessions/{session_id}": "Session note",
            "/ledger/reports?kind=dispensing": "Dispensing and administration log",
        }
        for path, heading in printed.items():
            # The reports print on a landscape page (their dozen columns need it).
            landscape = path.startswith("/ledger/reports")
            page.set_viewport_size({"width": 1000 if landscape else 700, "height": 1000})
            response = page.goto(live_clinic.base_url + path)
            assert response is not None and response.status == 200, path
            assert heading in page.content(), path
            assert page.evaluate(PRINTED_CONTROLS_JS) == [], path
            assert page.evaluate(PRINTED_OVERFLOW_JS) == [], path
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (path, scroll, client)
            if SHOTS:
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
                page.pdf(path=str(Path(SHOTS) / f"print-{name}.pdf"), format="A4")
        # The day view is drawn to the page's width, not its own 1,080 px.
        page.set_viewport_size({"width": 700, "height": 1000})
        page.goto(f"{live_clinic.base_url}/schedule")
        day = page.locator("svg.day-view").bounding_box()
        assert day is not None and day["width"] <= 700, day
    finally:
        context.close()


def test_it_fits_the_front_desks_pages_on_a_phone_without_sideways_scrolling(
    browser: Browser, live_clinic: LiveClinic, engine: Engine
) -> None:
    """A front-desk member on a phone: the bar wraps (sign-out stays on the screen), a
    long email wraps in the chart's summary, a page's buttons wrap."""
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    world = _world(engine, live_clinic, nurse, prescriber, custodian)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        sign_in_as(page, live_clinic, live_clinic.front_desk_email)
        page.wait_for_url(re.compile(r"/(patients|dashboard)?$"))
        wide = {}
        for path in ["/patients", f"/patients/{world.patient_id}", "/billing", "/schedule"]:
            response = page.goto(live_clinic.base_url + path)
            assert response is not None and response.status == 200, path
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > 390:
                wide[path] = scroll
            _shoot(page, f"phone staff {path}")
        assert wide == {}
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    finally:
        context.close()
