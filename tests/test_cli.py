"""The ketaclinic command line, run in-process against a fresh database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ketaclinic.auth.models import ApiToken, User
from ketaclinic.auth.passwords import verify_password
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.cli import app
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The CLI commits for real, so it gets its own SQLite file rather than the shared test DB.
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_it_migrates_creates_a_clinic_a_user_and_a_token(cli_db: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    made = runner.invoke(
        app,
        [
            "clinic",
            "create",
            "--slug",
            "riverside",
            "--name",
            "Riverside Ketamine",
            "--timezone",
            "America/New_York",
        ],
    )
    assert made.exit_code == 0, made.output
    user = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "Nia@Riverside.example.org",
            "--name",
            "Nia Nurse",
            "--role",
            "nurse",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
    )
    assert user.exit_code == 0, user.output
    token = runner.invoke(app, ["token", "create", "--email", "nia@riverside.example.org"])
    assert token.exit_code == 0, token.output
    printed = token.stdout.strip().splitlines()[0]
    assert printed.startswith("kc_")

    session = make_sessionmaker(make_engine(cli_db))()
    saved = session.scalar(select(User).where(User.email == "nia@riverside.example.org"))
    assert saved is not None
    assert saved.password_hash.startswith("$argon2id$")
    assert verify_password(saved.password_hash, "a long enough passphrase")
    hashes = list(session.scalars(select(ApiToken.token_hash)))
    assert printed not in hashes and len(hashes) == 1
    session.close()


def test_it_names_the_bad_option_and_writes_nothing(cli_db: str) -> None:
    runner.invoke(app, ["migrate"])
    bad_clinic = runner.invoke(
        app,
        ["clinic", "create", "--slug", "Bad Slug!", "--name", "X", "--timezone", "Mars/Olympus"],
    )
    assert bad_clinic.exit_code == 2
    assert "--slug" in bad_clinic.stderr and "--timezone" in bad_clinic.stderr
    runner.invoke(app, ["clinic", "create", "--slug", "ok", "--name", "OK", "--timezone", "UTC"])
    short = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "a@ok.example.org",
            "--name",
            "A",
            "--role",
            "surgeon",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert short.exit_code == 2
    assert "--password" in short.stderr and "--role" in short.stderr
    session = make_sessionmaker(make_engine(cli_db))()
    assert session.scalar(select(User)) is None
    session.close()


def test_it_loads_the_demo_once_and_resets_on_request(cli_db: str) -> None:
    _demo(cli_db)  # loaded by the command, once per run (the reset below loads it again)
    again = runner.invoke(app, ["demo"])
    assert "already loaded" in again.stdout
    reset = runner.invoke(app, ["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "custodian@lakeside.example.org" in reset.stdout
    assert "frontdesk@lakeside.example.org" in reset.stdout
    # One patient login per clinic, for the portal (issue 21), with the demo password.
    portal = [line for line in reset.stdout.splitlines() if line.startswith("Patient portal")]
    assert len(portal) == 2, reset.stdout
    assert "http://127.0.0.1:8000/portal" in portal[0]
    assert "patient@lakeside.example.org" in portal[0] and "ketamine-demo-2026" in portal[0]
    assert "patient@mesa.example.org" in again.stdout  # printed again when already loaded


_DEMO_COPY: list[Path] = []


def _demo(cli_db: str) -> None:
    """The demo in ``cli_db``: loaded by the command once per run (it runs the
    optimizer), copied from that first load afterwards. The rest of the test runs on
    the demo's clock, as the app and the CLI do on it (reset after the test)."""
    import shutil
    import sqlite3
    import tempfile

    from ketaclinic.kit.clock_store import read_clock
    from ketaclinic.kit.time import set_clock_shift

    target = Path(cli_db.removeprefix("sqlite:///"))
    if _DEMO_COPY:
        shutil.copy(_DEMO_COPY[0], target)
        set_clock_shift(read_clock(make_sessionmaker(make_engine(cli_db))()).shift)
        return
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    set_clock_shift(read_clock(make_sessionmaker(make_engine(cli_db))()).shift)
    with sqlite3.connect(target) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kept = Path(tempfile.mkdtemp(prefix="ketaclinic-demo-")) / "demo.db"
    shutil.copy(target, kept)
    _DEMO_COPY.append(kept)


def test_it_loads_a_second_clinic_whose_staff_see_only_their_patients(cli_db: str) -> None:
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.frontdesk.patient_list import search_patients

    _demo(cli_db)
    session = make_sessionmaker(make_engine(cli_db))()
    try:
        lakeside = principal_for(session, get_user_by_email(session, "nurse@lakeside.example.org"))
        mesa = principal_for(session, get_user_by_email(session, "nurse@mesa.example.org"))
        mine, mine_total = search_patients(session, lakeside, status=None, limit=100)
        theirs, theirs_total = search_patients(session, mesa, status=None, limit=100)
        # 40 and 12 registered, plus the newcomers today's chairside stories draw on
        # (twice the stories, and six), plus a year of history (200 each, demo.history),
        # and at Mesa the chart demo.boosters registers for its fading responder
        # (Lakeside has an untreated chart to give that story to); the README says how
        # many a newcomer will see.
        assert (mine_total, theirs_total) == (40 + 2 * 12 + 6 + 200, 12 + 2 * 4 + 6 + 1 + 200)
        readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
        told = dict(re.findall(r"<!-- demo:(\w+) -->(\d+)<!-- /demo -->", readme))
        assert told == {"lakeside": str(mine_total), "mesa": str(theirs_total)}
        assert {v.patient.clinic_id for v in mine}.isdisjoint({v.patient.clinic_id for v in theirs})
    finally:
        session.close()


def test_it_verifies_the_audit_trail_and_finds_tampering(cli_db: str) -> None:
    import sqlite3

    _demo(cli_db)
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "Audit trail intact" in ok.stdout
    raw = sqlite3.connect(cli_db.removeprefix("sqlite:///"))
    raw.executescript(
        "DROP TRIGGER audit_events_no_update;UPDATE audit_events SET actor = 'nobody' WHERE id = 7;"
    )
    raw.close()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "Audit trail broken" in broken.stderr
    assert "event id 7" in broken.stderr and "modified" in broken.stderr


def test_it_exports_the_trail_as_jsonl_and_csv(cli_db: str, tmp_path: Path) -> None:
    import csv
    import json

    _demo(cli_db)
    jsonl = runner.invoke(app, ["audit", "export", "--since", "2000-01-01", "--format", "jsonl"])
    assert jsonl.exit_code == 0, jsonl.output
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert {"patient.create", "patient.read", "access.not_found"} <= {r["action"] for r in rows}
    assert all(len(r["hash"]) == 64 for r in rows)
    target = tmp_path / "mesa.csv"
    exported = runner.invoke(
        app,
        [
            "audit",
            "export",
            "--since",
            "2000-01-01",
            "--clinic",
            "mesa",
            "--format",
            "csv",
            "-o",
            str(target),
        ],
    )
    assert exported.exit_code == 0, exported.output
    with target.open() as f:
        mesa = list(csv.DictReader(f))
    assert mesa and {r["clinic_id"] for r in mesa} == {mesa[0]["clinic_id"]}
    assert f"Exported {len(mesa)} audit events" in exported.stderr
    # The export itself is on the trail.
    again = runner.invoke(app, ["audit", "export", "--since", "2000-01-01"])
    assert '"action": "audit.export"' in again.stdout


def test_it_refuses_an_export_window_that_ends_before_it_starts(cli_db: str) -> None:
    _demo(cli_db)
    result = runner.invoke(
        app, ["audit", "export", "--since", "2026-11-20", "--until", "2026-11-01"]
    )
    assert result.exit_code == 2 and "--until" in result.stderr


def test_it_loads_courses_of_every_outcome_and_one_open_alert(cli_db: str) -> None:
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.measures import service as measures
    from ketaclinic.measures.models import QuestionnaireResponse
    from ketaclinic.patients.service import get_patient

    _demo(cli_db)
    session = make_sessionmaker(make_engine(cli_db))()
    try:
        nurse = principal_for(session, get_user_by_email(session, "nurse@lakeside.example.org"))
        [(alert, patient)] = measures.open_alerts(session, nurse)
        assert alert.kind == "suicide_risk" and patient.clinic_id in nurse.roles
        statuses = set()
        for patient_id in set(session.scalars(select(QuestionnaireResponse.patient_id))):
            if patient_id not in {p.id for p in _lakeside(session, nurse)}:
                continue
            chart = get_patient(session, nurse, patient_id)
            summaries = measures.outcome_summaries(session, nurse, chart, measures.OutcomeRules())
            statuses |= {s["status"] for s in summaries}
        assert {"remission", "response", "response lost", "no response: review"} <= statuses
    finally:
        session.close()


def _lakeside(session, nurse):  # type: ignore[no-untyped-def]
    from ketaclinic.frontdesk.patient_list import search_patients

    return [v.patient for v in search_patients(session, nurse, status=None, limit=100)[0]]


def test_it_loads_a_patient_in_every_screening_state(cli_db: str) -> None:
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.frontdesk.patient_list import search_patients
    from ketaclinic.screenings import service as screenings

    _demo(cli_db)
    session = make_sessionmaker(make_engine(cli_db))()
    try:
        for clinic in ("lakeside", "mesa"):
            who = principal_for(
                session, get_user_by_email(session, f"prescriber@{clinic}.example.org")
            )
            found, _ = search_patients(session, who, status="active", limit=1000)
            policy = screenings.ScreeningPolicy()
            states = [screenings.status(session, who, v.patient, policy) for v in found]
            assert {s.clearance.state for s in states} == {
                "not_screened",
                "cleared",
                "not_eligible",
                "awaiting_signature",
                "expired",
                "facts_changed",
            }
            overrides = [s for s in states if s.signature is not None and s.signature.override]
            assert len(overrides) == 1 and overrides[0].clearance.cleared
    finally:
        session.close()


def test_it_checks_the_protocol_files_and_names_a_broken_one(cli_db: str, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["protocols", "check"])
    assert ok.exit_code == 0, ok.output
    assert "8 protocols valid" in ok.stdout and "maintenance_taper" in ok.stdout
    (tmp_path / "clinic_iv.yaml").write_text("id: clinic_iv\nversion: '1'\nroute: [iv\n")
    broken = runner.invoke(app, ["protocols", "check", "--dir", str(tmp_path)])
    assert broken.exit_code == 1
    assert "clinic_iv.yaml:" in broken.stderr and "invalid YAML" in broken.stderr


def test_it_loads_a_plan_on_every_protocol(cli_db: str) -> None:
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.clinical.treatment import load_protocols
    from ketaclinic.frontdesk.patient_list import search_patients
    from ketaclinic.plans import service as plans

    _demo(cli_db)
    session = make_sessionmaker(make_engine(cli_db))()
    try:
        who = principal_for(session, get_user_by_email(session, "nurse@lakeside.example.org"))
        found, _ = search_patients(session, who, status="active", limit=1000)
        views = [(p.patient, v) for p in found for v in plans.plans(session, who, p.patient)]
        assert {v.plan.protocol_id for _, v in views} == set(load_protocols())
        assert {v.status for _, v in views} >= {"draft", "signed", "active", "paused", "superseded"}
        # Two doses released on the plans' own stories (today's chairside visits, in
        # tests/demo/test_chairside.py, release their own).
        charted = set(session.scalars(select(ChairsideSession.patient_id)))
        checks = [
            c
            for p, v in views
            if p.id not in charted
            for c in plans.dose_checks(session, who, p, v.plan.id)
        ]
        assert sum(plans.released(verifications) for _, verifications in checks) == 2
    finally:
        session.close()


def test_it_loads_a_ledger_month_that_verifies_and_catches_tampering(cli_db: str) -> None:
    import sqlite3

    _demo(cli_db)
    ok = runner.invoke(app, ["ledger", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "Ledger intact" in ok.stdout
    raw = sqlite3.connect(cli_db.removeprefix("sqlite:///"))
    kinds = dict(raw.execute("SELECT kind, COUNT(*) FROM cs_entries GROUP BY kind").fetchall())
    assert kinds["draw"] >= 40 and kinds["waste"] >= 20 and kinds["destroy"] == 1
    assert raw.execute("SELECT COUNT(*) FROM cs_resolutions").fetchone()[0] >= 1
    raw.executescript(
        "DROP TRIGGER cs_entries_no_update;"
        "UPDATE cs_entries SET amount_ug = amount_ug + 1000 WHERE kind = 'waste' "
        "AND id = (SELECT MIN(id) FROM cs_entries WHERE kind = 'waste');"
    )
    raw.close()
    broken = runner.invoke(app, ["ledger", "verify", "--clinic", "lakeside"])
    assert broken.exit_code == 1
    assert "content does not match its hash" in broken.stderr


def test_it_plans_a_clinics_weeks_with_the_optimizer_and_prints_a_summary(cli_db: str) -> None:
    import sqlite3

    _demo(cli_db)
    raw = sqlite3.connect(cli_db.removeprefix("sqlite:///"))
    before = raw.execute("SELECT COUNT(*) FROM appointments WHERE status = 'booked'").fetchone()[0]
    assert before > 20  # the demo's next four weeks, booked by the optimizer
    # Every demo series is booked already: a re-plan keeps them and books nothing twice.
    result = runner.invoke(
        app,
        [
            "schedule",
            "plan",
            "--clinic",
            "lakeside",
            "--from",
            "2026-11-23",
            "--weeks",
            "2",
            "--seconds",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "violations (independent check)" in result.stdout
    after = raw.execute("SELECT COUNT(*) FROM appointments WHERE status = 'booked'").fetchone()[0]
    overlaps = raw.execute(
        "SELECT COUNT(*) FROM appointments a JOIN appointments b ON a.chair_id = b.chair_id "
        "AND a.id < b.id AND a.status = 'booked' AND b.status = 'booked' "
        "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
    ).fetchone()[0]
    raw.close()
    assert after >= before and overlaps == 0
    unknown = runner.invoke(
        app, ["schedule", "plan", "--clinic", "nowhere", "--from", "2026-11-23"]
    )
    assert unknown.exit_code == 2


def test_it_fills_a_years_holiday_closures(cli_db: str) -> None:
    runner.invoke(app, ["migrate"])
    oak = ["clinic", "create", "--slug", "oak", "--name", "Oak", "--timezone", "America/New_York"]
    wrong = runner.invoke(app, [*oak, "--state", "ZZ"])
    assert wrong.exit_code == 2 and "--state: 'ZZ' is not a state or province of US" in wrong.output
    runner.invoke(app, [*oak, "--state", "NY"])
    done = runner.invoke(app, ["schedule", "holidays", "--clinic", "oak", "--year", "2027"])
    assert done.exit_code == 0, done.output
    assert "Public holidays of US-NY" in done.output
    assert "2027-11-25  Thanksgiving Day" in done.output and "9 closures added" in done.output
    # The flags still override the clinic's own country and state.
    german = runner.invoke(
        app,
        [
            "schedule",
            "holidays",
            "--clinic",
            "oak",
            "--year",
            "2028",
            "--country",
            "DE",
            "--state",
            "BY",
        ],
    )
    assert german.exit_code == 0 and "Public holidays of DE-BY" in german.output


def test_it_evaluates_the_booster_rules_again_without_raising_one_twice(cli_db: str) -> None:
    """``ketaclinic outcomes evaluate``: the demo loader ran the booster job, so
    evaluating every patient again (as after a change of thresholds) stores nothing new."""
    _demo(cli_db)
    again = runner.invoke(app, ["outcomes", "evaluate", "--clinic", "lakeside"])
    assert again.exit_code == 0, again.output
    assert re.search(r"Evaluated [1-9]\d* patients: 0 new booster suggestions\.", again.stdout)
    unknown = runner.invoke(app, ["outcomes", "evaluate", "--clinic", "nowhere"])
    assert unknown.exit_code != 0 and "nowhere" in unknown.stderr


def test_it_checks_a_clinics_documents_and_names_the_file_and_field(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["documents", "check"])
    assert ok.exit_code == 0, ok.output
    assert "5 documents valid" in ok.stdout and "first_infusion" in ok.stdout
    (tmp_path / "after_infusion_care.yaml").write_text(
        "kind: shared\nid: after_infusion_care\nversion: '2.0'\ntitle: Lakeside care\n"
        "summary: Ours.\nbody: |\n  Rest today. Do not drive until the next day after sleep. 988.\n"
    )
    (tmp_path / "parking.yaml").write_text(
        "kind: shared\nid: parking\nversion: '1.0'\ntitle: Parking and arrival\n"
        "summary: Ours.\nbody: |\n  Park behind the building; the entrance is on the left side.\n"
    )
    listed = runner.invoke(app, ["documents", "check", str(tmp_path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "6 documents valid" in listed.stdout
    assert "replaces packaged 1.0" in listed.stdout and "parking.yaml" in listed.stdout
    (tmp_path / "parking.yaml").write_text("kind: leaflet\nid: parking\n")
    broken = runner.invoke(app, ["documents", "check", str(tmp_path)])
    assert broken.exit_code == 1
    assert "parking.yaml:1: kind:" in broken.stderr
