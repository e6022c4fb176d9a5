"""The demo's billing (issue 23): each clinic has a fee schedule with a history, its
NPI and TIN, and a month of charges made from the charts: every visit's lines are
what the rules say of its chart, older visits final, the last week's to review, one
final line corrected by new lines."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import charges, claim, fees
from ketaclinic.clinical.billing import charges_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.loader import load_demo


def test_it_bills_the_demo_visits_by_the_rules(db: Session) -> None:
    load_demo(db, solve_seconds=1)
    db.flush()
    for slug in ("lakeside", "mesa"):
        clinic = db.scalars(select(Clinic).where(Clinic.slug == slug)).one()
        desk_user = get_user_by_email(db, f"frontdesk@{slug}.example.org")
        assert desk_user is not None
        desk = principal_for(db, desk_user)
        schedule = {row.code: row for row in fees.fee_schedule(db, desk, clinic.id)}
        assert schedule["96365"].current is not None and len(schedule["96365"].history) == 2
        lines = db.scalars(
            select(ChargeLine).where(ChargeLine.clinic_id == clinic.id).order_by(ChargeLine.id)
        ).all()
        by_visit: dict[int, list[ChargeLine]] = defaultdict(list)
        for line in lines:
            by_visit[line.session_id].append(line)
        assert len(by_visit) >= 20, slug
        statuses = {line.status for line in lines}
        assert statuses == {"draft", "final"}, slug
        assert any(line.corrects_id for line in lines), slug
        for session_id, made in by_visit.items():
            found = charges.visit_charges(db, desk, session_id, audited=False)
            visit = charges.visit_of(db, desk, found.session)
            assert visit is not None
            expected = [(x.code, x.units) for x in charges_for(visit).lines]
            original = [(x.code, x.units) for x in made if x.corrects_id is None and not x.reason]
            assert original == expected, (slug, session_id)
            assert all(x.amount_cents is not None for x in made)


def test_it_makes_the_cms1500_of_a_demo_esketamine_visit(db: Session) -> None:
    """Esketamine is billed to insurance (issue 23, point 5): a finalised demo visit
    yields its CMS-1500 with the G2082/G2083 visit and the J0013 drug lines."""
    load_demo(db, solve_seconds=1)
    db.flush()
    desk_user = get_user_by_email(db, "frontdesk@lakeside.example.org")
    assert desk_user is not None
    desk = principal_for(db, desk_user)
    finals = db.scalars(
        select(ChargeLine.session_id)
        .join(Clinic, Clinic.id == ChargeLine.clinic_id)
        .where(
            Clinic.slug == "lakeside",
            ChargeLine.code.in_(("G2082", "G2083")),
            ChargeLine.status == "final",
        )
        .order_by(ChargeLine.session_id)
    ).all()
    assert finals, "the demo has a finalised esketamine visit"
    found = claim.cms1500_forms(db, desk, finals[0])
    (form,) = found.forms
    codes = [s["24D"]["code"] for s in form["24"]]
    assert codes[0] in ("G2082", "G2083") and "J0013" in codes
    assert form["11c"] == "Northstar Health Plan" and form["1a"].startswith("NHP")
    assert form["21"]["icd_indicator"] == "0" and form["21"]["A"]
    assert form["33a"] and form["25"]["type"] == "EIN"
