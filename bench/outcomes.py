"""``python -m bench outcomes``: the clinic outcomes report over ~1,000,000 questionnaire
responses (~50,000 patients, 20 scores and 6-10 treatments each) in a scratch
database, on SQLite and on PostgreSQL; the wall time of the full report
(``reports.service.build``: every figure, both Kaplan-Meier curves) per database.

Prints one JSON line per database (``"bench": "outcomes"``, ``db``, ``responses``,
``wall_s``, ``baseline_s``: one grouped pass over every response and treatment on the
same data in the same run, and their ratio) and a table. Target (issue 20): at most
2 s on PostgreSQL. The tables are vacuumed and analysed after loading, as autovacuum
would have them in a clinic's database.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from lifelines import KaplanMeierFitter  # noqa: F401 - loaded before the clock starts
from sqlalchemy import create_engine, insert, make_url, text

from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.migrate import upgrade
from ketaclinic.kit.time import utcnow
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient
from ketaclinic.reports import service
from ketaclinic.reports.repository import Filters
from ketaclinic.treatments.models import TreatmentSession

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SINCE, UNTIL = date(2026, 1, 1), date(2026, 12, 31)
SCORES = 20  # per patient: PHQ-9 and GAD-7, ten each
# The floor in the same run, on the same machine and data: one grouped pass over every
# response and every treatment (what any report over them must at least read).
BASELINE = (
    "SELECT instrument_id, COUNT(*), SUM(total) FROM questionnaire_responses "
    "GROUP BY instrument_id UNION ALL "
    "SELECT modality, COUNT(*), COUNT(DISTINCT patient_id) FROM treatment_sessions "
    "GROUP BY modality"
)


@contextmanager
def _scratch(kind: str, admin: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'outcomes.db'}"
        return
    name = f"ketaclinic_bench_outcomes_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _load(url: str, patients: int, seed: int) -> int:
    """The clinic, its patients, their treatments and scores; how many responses."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    engine = make_engine(url)
    responses = 0
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO clinics (slug, name, address, timezone, created_at) VALUES "
                "('bench', 'Bench Clinic', '', 'America/Chicago', :now)"
            ),
            {"now": utcnow()},
        )
        clinic_id = conn.execute(text("SELECT id FROM clinics WHERE slug = 'bench'")).scalar_one()
    batch = 5_000
    for start in range(0, patients, batch):
        people, treatments, scores = [], [], []
        count = min(batch, patients - start)
        for k in range(start, start + count):
            people.append(
                {
                    "id": k + 1,
                    "clinic_id": clinic_id,
                    "mrn": f"B{k:09d}",
                    "given_name": "Bench",
                    "family_name": f"Patient{k}",
                    "search_name": f"bench patient{k}",
                    "birth_date": date(1950 + k % 50, 1 + k % 12, 1 + k % 28),
                    "sex_at_birth": "female" if k % 5 < 3 else "male",
                }
            )
            first = SINCE - timedelta(days=20) + timedelta(days=rng.randrange(380))
            days = sorted(rng.sample(range(0, 24), rng.randint(3, 8)))
            days = [0, *[d for d in days if d > 0]]
            if rng.random() < 0.3:
                days.append(days[-1] + rng.randint(40, 120))  # a booster
            treatments += [
                {
                    "patient_id": k + 1,
                    "given_at": _at(first + timedelta(days=d), 16),
                    "modality": "iv_ketamine",
                }
                for d in days
            ]
            base = rng.randint(10, 26)
            responder = rng.random() < 0.55
            for instrument in ("phq9", "gad7"):
                for week in range(SCORES // 2):
                    fall = (0.6 if responder else 0.2) * min(1.0, week / 3)
                    relapse = 0.4 if responder and week > 6 and rng.random() < 0.4 else 0.0
                    total = max(0, round(base * (1 - fall + relapse)) + rng.randint(-2, 2))
                    scores.append(
                        {
                            "patient_id": k + 1,
                            "instrument_id": instrument,
                            "instrument_version": "1.0",
                            "completed_at": _at(first + timedelta(days=7 * week - 1), 15),
                            "completed_by": "patient",
                            "answers": "{}",
                            "total": min(total, 21 if instrument == "gad7" else 27),
                            "max_total": 21 if instrument == "gad7" else 27,
                            "band": "",
                        }
                    )
        with engine.begin() as conn:
            conn.execute(insert(Patient), people)
            conn.execute(insert(TreatmentSession), treatments)
            conn.execute(insert(QuestionnaireResponse), scores)
        responses += len(scores)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('patients_id_seq', :n)"), {"n": patients})
    # A clinic's tables have been vacuumed and analysed by autovacuum long before anyone
    # asks for a report; a freshly bulk-loaded one has not (hint bits unset, no
    # statistics), which would measure the load, not the report.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return responses


def run(kind: str, patients: int, repeats: int, admin: str, seed: int) -> dict[str, Any]:
    with _scratch(kind, admin) as url:
        upgrade(url)
        loaded = time.perf_counter()
        responses = _load(url, patients, seed)
        load_s = time.perf_counter() - loaded
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        walls, floors, cohort = [], [], 0
        for _ in range(repeats):
            with factory() as db:
                if engine.dialect.name == "postgresql":
                    db.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))
                clinic_id = db.execute(text("SELECT id FROM clinics")).scalar_one()
                f = Filters(clinic_ids=(clinic_id,), since=SINCE, until=UNTIL)
                p = service.params_for(db, [clinic_id])
                r = service.Request(since=SINCE, until=UNTIL)
                started = time.perf_counter()
                report = service.build(db, f, p, r, ("Bench Clinic",))
                walls.append(time.perf_counter() - started)
                cohort = report.cohort
                started = time.perf_counter()
                db.execute(text(BASELINE)).all()
                floors.append(time.perf_counter() - started)
        engine.dispose()
    return {
        "bench": "outcomes",
        "db": kind,
        "patients": patients,
        "responses": responses,
        "cohort": cohort,
        "load_s": round(load_s, 1),
        "wall_s": round(min(walls), 3),
        "wall_s_max": round(max(walls), 3),
        "baseline_s": round(min(floors), 3),
        "ratio": round(min(walls) / min(floors), 1),
    }


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench outcomes", description=__doc__)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)
    results = []
    for kind in args.databases.split(","):
        figures = run(kind.strip(), args.patients, args.repeats, args.pg_admin, args.seed)
        print(json.dumps(figures), flush=True)
        results.append(figures)
    print(
        f"{'db':<12}{'responses':>12}{'cohort':>9}{'load s':>9}{'report s':>10}"
        f"{'baseline s':>12}{'ratio':>7}"
    )
    for f in results:
        print(
            f"{f['db']:<12}{f['responses']:>12}{f['cohort']:>9}{f['load_s']:>9}{f['wall_s']:>10}"
            f"{f['baseline_s']:>12}{f['ratio']:>7}"
        )
