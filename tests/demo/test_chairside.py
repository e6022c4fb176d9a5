"""The demo's day in the chairs: a session in every state, one with an open
hypertension alert, a REMS form due, and a ledger that still verifies."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ketaclinic.appointments.models import Appointment
from ketaclinic.chairside.models import (
    AdverseEvent,
    AlertAction,
    ChairsideSession,
    SessionAlert,
    SessionEvent,
)
from ketaclinic.clinical.treatment import breaches, gaps_of, get_protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.calendar import CONTINUED
from ketaclinic.demo.chairside import STORIES, end_state
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.time import utcnow
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.verify import verify
from tests.test_cli import _demo, cli_db  # noqa: F401 - the fixture


def test_it_has_today_s_sessions_in_every_state_and_an_open_hypertension_alert(
    cli_db: str,  # noqa: F811
) -> None:
    """Loaded by the command at the suite's clock (tests/demo/test_day.py loads it at
    every awkward hour): every story's state, visits still to come, one open alert."""
    _demo(cli_db)
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        for clinic in db.scalars(select(Clinic)):
            states = set(
                db.scalars(
                    select(ChairsideSession.state).where(ChairsideSession.clinic_id == clinic.id)
                )
            )
            # A story's goal is the state it ends in; an infusion stopped early for
            # an adverse event is observed afterwards.
            goals = {end_state(goal) for slug, _p, _m, goal in STORIES if slug == clinic.slug}
            assert goals - {"scheduled"} <= states, (clinic.slug, goals - states)
            later = db.scalars(
                select(Appointment).where(
                    Appointment.clinic_id == clinic.id,
                    Appointment.starts_at > utcnow(),
                    Appointment.starts_at < utcnow() + timedelta(hours=2),
                    Appointment.status == "booked",
                )
            )
            assert any(True for _ in later), clinic.slug
        open_alerts = [
            a
            for a in db.scalars(select(SessionAlert))
            if db.scalar(select(AlertAction.id).where(AlertAction.alert_id == a.id)) is None
        ]
        [alert] = open_alerts
        assert alert.rule_id == "bp_high" and alert.value >= 180
        holder = db.get(ChairsideSession, alert.session_id)
        assert holder is not None and holder.state == "administering"
        # An infusion stopped early for an adverse event: the reason, the side effect,
        # the amount given and the rest wasted before a witness.
        [early] = [
            e
            for e in db.scalars(
                select(SessionEvent).where(SessionEvent.action == "end_administration")
            )
            if json.loads(e.detail).get("ended_early")
        ]
        detail = json.loads(early.detail)
        assert early.reason.startswith("Adverse event: agitation")
        assert detail["early_reason"] == "adverse_event" and Decimal(detail["wasted_mg"]) > 0
        assert Decimal(detail["infused_min"]) == 12 and detail["planned_min"] == 40
        effects = db.scalars(
            select(AdverseEvent.effect).where(AdverseEvent.session_id == early.session_id)
        ).all()
        assert list(effects) == ["anxiety_agitation"]
        stopped = db.get(ChairsideSession, early.session_id)
        assert stopped is not None and stopped.state == "observing"
        wastes = db.scalars(
            select(CsEntry).where(
                CsEntry.kind == "waste", CsEntry.draw_entry_id == stopped.draw_entry_id
            )
        ).all()
        assert sum(w.amount_ug for w in wastes) >= Decimal(detail["wasted_mg"]) * 1000
        # The dose just released at Lakeside was drawn from the cart's opened vial and
        # the next: two draws for one session, with the same witness.
        [two] = db.scalars(
            select(ChairsideSession).where(ChairsideSession.second_draw_entry_id.is_not(None))
        ).all()
        assert two.state == "dose_released"
        draws = [db.get(CsEntry, d) for d in (two.draw_entry_id, two.second_draw_entry_id)]
        assert all(d is not None and d.kind == "draw" and d.witness_ids for d in draws)
        assert len({d.container_id for d in draws if d}) == 2
        assert verify(db)[1] is None
    engine.dispose()


def test_it_lists_the_unsent_rems_forms_on_the_command_line(cli_db: str) -> None:  # noqa: F811
    from sqlalchemy import update
    from typer.testing import CliRunner

    from ketaclinic.cli import app
    from ketaclinic.demo.chairside import NASAL

    _demo(cli_db)
    runner = CliRunner()
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        lakeside = db.scalars(select(Clinic).where(Clinic.slug == "lakeside")).one()
        given = db.scalars(
            select(ChairsideSession).where(
                ChairsideSession.clinic_id == lakeside.id,
                ChairsideSession.protocol_id == NASAL,
                ChairsideSession.administration_started_at.is_not(None),
            )
        ).all()
    args = ["rems", "due", "--clinic", "lakeside", "--by", "nurse@lakeside.example.org"]
    listed = runner.invoke(app, args)
    assert listed.exit_code == 0, listed.output
    assert given
    assert "REMS forms not sent" in listed.stdout and "overdue" not in listed.stdout
    # Nine days later the form is overdue: the command says so and exits 1.
    with make_sessionmaker(engine)() as db:
        db.execute(
            update(ChairsideSession)
            .where(ChairsideSession.id == given[0].id)
            .values(administration_started_at=utcnow() - timedelta(days=9))
        )
        db.commit()
    late = runner.invoke(app, args)
    assert late.exit_code == 1 and "overdue" in late.stdout, late.output
    # Another clinic's nurse may not read Lakeside's charts.
    outsider = runner.invoke(app, [*args[:-1], "nurse@mesa.example.org"])
    assert outsider.exit_code == 2 and "may not read" in outsider.output


def test_it_continues_a_series_after_its_first_session_inside_its_windows(
    cli_db: str,  # noqa: F811
) -> None:
    _demo(cli_db)
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        protocol = get_protocol(CONTINUED)
        continued = []
        for clinic in db.scalars(select(Clinic)):
            zone = ZoneInfo(clinic.timezone)
            rows = db.scalars(
                select(Appointment).where(
                    Appointment.clinic_id == clinic.id,
                    Appointment.status.in_(["booked", "completed"]),
                    Appointment.plan_id.is_not(None),
                )
            )
            by_plan: dict[int, dict[int, date]] = {}
            for row in rows:
                assert row.plan_id is not None
                day = row.starts_at.astimezone(zone).date()
                by_plan.setdefault(row.plan_id, {})[row.session_number] = day
            today = utcnow().astimezone(zone).date()
            for plan_id, days in by_plan.items():
                if days.get(1) == today and len(days) > 1:
                    continued.append(plan_id)
                    assert breaches(days, gaps_of(protocol)) == [], days
        assert continued, "no series continued after today's first session"
    engine.dispose()
