"""The demo's day in the chairs: a session in every state, one with an open
hypertension alert, a REMS form due, and a ledger that still verifies."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ketaclinic.appointments.models import Appointment
from ketaclinic.chairside.models import AlertAction, ChairsideSession, SessionAlert
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.chairside import STORIES
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.ledger.verify import verify
from tests.test_cli import _demo, cli_db  # noqa: F401 - the fixture


def test_it_has_today_s_sessions_in_every_state_and_an_open_hypertension_alert(
    cli_db: str,  # noqa: F811
) -> None:
    _demo(cli_db)
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        clinics = {c.slug: c for c in db.scalars(select(Clinic))}
        loaded = max(as_utc(s.created_at) for s in db.scalars(select(ChairsideSession)))
        expected: dict[str, set[str]] = {}
        for slug, _protocol, offset, goal in STORIES:
            zone = ZoneInfo(clinics[slug].timezone)
            if (loaded + timedelta(minutes=offset)).astimezone(zone).date() == loaded.astimezone(
                zone
            ).date():
                expected.setdefault(slug, set()).add(goal)
        for slug, goals in expected.items():
            clinic = clinics[slug]
            states = set(
                db.scalars(
                    select(ChairsideSession.state).where(ChairsideSession.clinic_id == clinic.id)
                )
            )
            assert goals - {"scheduled"} <= states, (slug, goals - states)
            if "scheduled" in goals:
                later = db.scalars(
                    select(Appointment).where(
                        Appointment.clinic_id == clinic.id,
                        Appointment.starts_at > utcnow(),
                        Appointment.status == "booked",
                    )
                )
                assert any(True for _ in later)
        open_alerts = [
            a
            for a in db.scalars(select(SessionAlert))
            if db.scalar(select(AlertAction.id).where(AlertAction.alert_id == a.id)) is None
        ]
        if "administering" in expected.get("lakeside", set()):
            [alert] = open_alerts
            assert alert.rule_id == "bp_high" and alert.value >= 180
            holder = db.get(ChairsideSession, alert.session_id)
            assert holder is not None and holder.state == "administering"
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
    if not given:  # loaded just after midnight: today's esketamine visit was skipped
        assert "Nothing due" in listed.stdout
        return
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
