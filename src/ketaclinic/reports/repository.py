"""The outcome report's query: the cohort and every figure counted in SQL, in one
statement (window functions and grouped aggregates over treatment_sessions and
questionnaire_responses), never row by row in Python. Definitions: issue 20's shared
ones (induction, baseline, end-of-induction measure, durability, boosters); thresholds
come in as ``Params``.

Every query starts from the patients ``in_clinics`` allows, so a report never reaches
a clinic the caller cannot read.
"""

# SQL is assembled from this module's own fragments; every value is a bound parameter.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Patient
from ketaclinic.reports.sql import Dialect

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Filters:
    clinic_ids: tuple[int, ...]
    since: date  # induction ended on or after (clinic-local day)
    until: date  # ... and on or before
    protocol: str | None = None
    route: str | None = None  # treatment modality
    diagnosis_prefixes: tuple[str, ...] = ()
    age_low: int | None = None
    age_high: int | None = None  # exclusive
    sex: str | None = None


@dataclass(frozen=True)
class Params:
    """The definitions' numbers (clinic settings; defaults per the issue 20 spec)."""

    induction_max_days: int = 28
    induction_max_sessions: int = 8
    induction_min_sessions: int = 4
    induction_min_days: int = 7
    outcome_window_from_day: int = 14
    outcome_window_to_day: int = 31
    response_fall_fraction: float = 0.5
    pcl5_fall_points: int = 10
    pain_fall_fraction: float = 0.3
    relapse_consecutive: int = 2
    instruments: tuple[str, ...] = ("phq9", "madrs", "gad7", "pcl5", "qids_sr16", "pain_nrs")
    maintenance_protocols: tuple[str, ...] = ("maintenance_taper",)
    systolic_over: int = 180
    diastolic_over: int = 110
    nausea_effects: tuple[str, ...] = ("nausea", "vomiting")


@dataclass
class Query:
    """SQL text and its bound values, built from the filters."""

    dialect: Dialect
    binds: dict[str, Any] = field(default_factory=dict)

    def bind(self, name: str, value: Any) -> str:
        self.binds[name] = value
        return f":{name}"

    def names(self, prefix: str, values: Sequence[Any]) -> str:
        return ", ".join(self.bind(f"{prefix}{i}", v) for i, v in enumerate(values)) or "NULL"


def _scoped(db: Session, clinic_ids: Sequence[int]) -> str:
    """The patients the caller's clinics hold, with the clinic's zone (SQL text; the
    clinic ids are integers, written in)."""
    stmt = in_clinics(
        select(
            Patient.id.label("patient_id"),
            Patient.clinic_id,
            Patient.birth_date,
            Patient.sex_at_birth,
            Clinic.timezone.label("tz"),
        ).join(Clinic, Clinic.id == Patient.clinic_id),
        Patient.clinic_id,
        clinic_ids,
    )
    compiled = stmt.compile(bind=db.get_bind(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def dialect_for(db: Session, f: Filters) -> Dialect:
    zones = db.scalars(select(Clinic.timezone).where(Clinic.id.in_(f.clinic_ids))).all()
    span_start = f.since - timedelta(days=120)
    span_end = f.until + timedelta(days=120)
    return Dialect(db.get_bind().dialect.name, list(zones), span_start, span_end)


def cohort_sql(db: Session, f: Filters, p: Params, q: Query) -> str:
    """WITH clauses ending in ``cohort``: one row per patient whose induction was
    completed with its last treatment in [since, until].

    Shaped for the planner: it cannot estimate how many rows an aggregate keeps, so an
    aggregate is only ever joined to a table through an index (patient, time), never
    to another aggregate (that estimate of one row made PostgreSQL loop 50,000 x 50,000)."""
    d = q.dialect
    where = [
        f"n >= {q.bind('min_sessions', p.induction_min_sessions)}",
        f"last_day - first_day + 1 >= {q.bind('min_days', p.induction_min_days)}",
        f"last_day >= {q.bind('from_day', (f.since - _EPOCH).days)}",
        f"last_day <= {q.bind('to_day', (f.until - _EPOCH).days)}",
    ]
    if f.protocol:
        where.append(
            "EXISTS (SELECT 1 FROM treatment_plans pl WHERE pl.id = first_plan "
            f"AND pl.protocol_id = {q.bind('protocol', f.protocol)})"
        )
    if f.route:
        where.append(f"first_modality = {q.bind('route', f.route)}")
    if f.sex:
        where.append(f"sex_at_birth = {q.bind('sex', f.sex)}")
    if f.diagnosis_prefixes:
        likes = " OR ".join(
            f"REPLACE(dx.code, '.', '') LIKE {q.bind(f'dx{i}', prefix + '%')}"
            for i, prefix in enumerate(f.diagnosis_prefixes)
        )
        where.append(
            "EXISTS (SELECT 1 FROM diagnoses dx WHERE dx.patient_id = induction.patient_id "
            f"AND ({likes}))"
        )
    age = d.age("birth_date", "first_day")
    if f.age_low is not None:
        where.append(f"{age} >= {q.bind('age_low', f.age_low)}")
    if f.age_high is not None:
        where.append(f"{age} < {q.bind('age_high', f.age_high)}")
    day = d.day("t.given_at", "s.tz")
    bounds = ""
    start = d.local_midnight(f"first_day + {q.bind('win_from', p.outcome_window_from_day)}", "tz")
    end = d.local_midnight(f"first_day + {q.bind('win_to', p.outcome_window_to_day)} + 1", "tz")
    if start and end:  # PostgreSQL: the end-of-induction window as instants
        bounds = f", {start} AS window_start, {end} AS window_end"
    return f"""
scoped AS ({_scoped(db, f.clinic_ids)}),
tx0 AS (
  SELECT t.patient_id, t.id, t.given_at, t.plan_id, t.modality, s.tz, s.birth_date,
         s.sex_at_birth, {day} AS day
  FROM treatment_sessions t JOIN scoped s ON s.patient_id = t.patient_id
),
tx AS (
  SELECT patient_id, given_at, tz, birth_date, sex_at_birth, day,
         ROW_NUMBER() OVER w AS rn,
         FIRST_VALUE(plan_id) OVER w AS first_plan,
         FIRST_VALUE(modality) OVER w AS first_modality,
         FIRST_VALUE(given_at) OVER w AS first_at,
         FIRST_VALUE(day) OVER w AS first_day
  FROM tx0 WINDOW w AS (PARTITION BY patient_id ORDER BY given_at, id)
),
induction AS (
  SELECT patient_id, MIN(tz) AS tz, MIN(birth_date) AS birth_date,
         MIN(sex_at_birth) AS sex_at_birth, MIN(first_plan) AS first_plan,
         MIN(first_modality) AS first_modality, MIN(first_at) AS first_at,
         MIN(first_day) AS first_day, COUNT(*) AS n, MAX(day) AS last_day,
         MAX(given_at) AS last_at
  FROM tx
  WHERE rn <= {q.bind("max_sessions", p.induction_max_sessions)}
    AND day - first_day + 1 <= {q.bind("max_days", p.induction_max_days)}
  GROUP BY patient_id
),
cohort AS (
  SELECT patient_id, tz, first_at, first_day, last_at{bounds} FROM induction
  WHERE {" AND ".join(where)}
)"""


def _meets(p: Params, q: Query, instrument: str, base: str, total: str) -> str:
    """SQL: 1 when ``total`` meets response against ``base`` (exact fractions)."""
    general = Fraction(str(p.response_fall_fraction))
    pain = Fraction(str(p.pain_fall_fraction))
    q.binds |= {
        "gen_num": general.numerator,
        "gen_den": general.denominator,
        "pain_num": pain.numerator,
        "pain_den": pain.denominator,
        "pcl5_points": p.pcl5_fall_points,
    }
    return f"""(CASE WHEN {base} <= 0 THEN 0
      WHEN {instrument} = 'pcl5' THEN CASE WHEN {base} - {total} >= :pcl5_points THEN 1 ELSE 0 END
      WHEN {instrument} = 'pain_nrs' THEN
        CASE WHEN ({base} - {total}) * :pain_den >= :pain_num * {base} THEN 1 ELSE 0 END
      ELSE CASE WHEN ({base} - {total}) * :gen_den >= :gen_num * {base} THEN 1 ELSE 0 END END)"""


def _scores_sql(p: Params, q: Query) -> str:
    """WITH clauses after ``cohort``: ``pairs``, one row per patient and instrument
    with a baseline: the baseline, the end-of-induction measure and its time (epoch
    seconds), the response and remission flags. The last score of each phase is the
    greatest (time, total) key of one grouped pass: no sort of every score."""
    d = q.dialect
    instruments = q.names("ins", p.instruments)
    meets = _meets(p, q, "instrument_id", "base", "end_total")
    win_from = q.bind("win_from", p.outcome_window_from_day)
    win_to = q.bind("win_to", p.outcome_window_to_day)
    at_s = d.epoch("r.completed_at")
    if d.postgres:
        in_window = "r.completed_at >= c.window_start AND r.completed_at < c.window_end"
    else:
        in_window = (
            f"{d.day('r.completed_at', 'c.tz')} - c.first_day BETWEEN {win_from} AND {win_to}"
        )
    return f""",
keyed AS (
  SELECT r.patient_id, r.instrument_id,
    MAX(CASE WHEN r.completed_at <= c.first_at THEN {at_s} * 1000 + r.total END) AS bkey,
    MAX(CASE WHEN r.completed_at > c.first_at AND {in_window}
             THEN {at_s} * 1000 + r.total END) AS ekey
  FROM cohort c JOIN questionnaire_responses r ON r.patient_id = c.patient_id
  WHERE r.instrument_id IN ({instruments})
  GROUP BY r.patient_id, r.instrument_id
),
measured AS (
  SELECT patient_id, instrument_id, bkey % 1000 AS base, ekey % 1000 AS end_total,
         ekey / 1000 AS end_s
  FROM keyed WHERE bkey IS NOT NULL
),
pairs AS (
  SELECT patient_id, instrument_id, base, end_total, end_s,
         CASE WHEN end_total IS NULL THEN NULL ELSE {meets} END AS responded,
         CASE WHEN end_total IS NULL THEN NULL
              WHEN instrument_id = 'phq9' AND base >= 10 THEN
                CASE WHEN end_total <= 4 THEN 1 ELSE 0 END
              WHEN instrument_id = 'madrs' THEN CASE WHEN end_total <= 10 THEN 1 ELSE 0 END
         END AS remitted
  FROM measured
)"""


@dataclass(frozen=True)
class Counted:
    """What the one statement returns, by kind."""

    cohort: int
    instruments: list[Any]
    durability: list[tuple[float, bool]]
    boosters: list[tuple[float, bool]]
    safety: dict[str, int]
    alerts: dict[str, int]
    cadss: list[tuple[int, int, int]]


def count(db: Session, f: Filters, p: Params, km_instrument: str) -> Counted:
    """Every figure of the report in one statement: rows tagged by kind."""
    q = Query(dialect_for(db, f))
    d = q.dialect
    run = max(1, int(p.relapse_consecutive))
    km = q.bind("km_instrument", km_instrument)
    meets = _meets(p, q, "r.instrument_id", "x.base", "r.total")
    at_s = d.epoch("r.completed_at")
    given_s = d.epoch("t.given_at")
    maintenance = q.names("maint", p.maintenance_protocols)
    effects = q.names("effect", p.nausea_effects)
    last_score = d.epoch(
        "(SELECT MAX(r.completed_at) FROM questionnaire_responses r "
        "WHERE r.patient_id = b.patient_id)"
    )
    sql = f"""WITH {cohort_sql(db, f, p, q)}{_scores_sql(p, q)},
later AS (
  SELECT x.patient_id, x.end_s, {at_s} AS at_s, r.id, {meets} AS meets
  FROM pairs x JOIN questionnaire_responses r
    ON r.patient_id = x.patient_id AND r.instrument_id = x.instrument_id
  WHERE x.instrument_id = {km} AND x.responded = 1 AND {at_s} >= x.end_s
),
runs AS (
  SELECT patient_id, end_s, at_s, SUM(1 - meets) OVER w AS misses, COUNT(*) OVER w AS seen
  FROM later
  WINDOW w AS (PARTITION BY patient_id ORDER BY at_s, id
               ROWS BETWEEN CURRENT ROW AND {run - 1} FOLLOWING)
),
ends AS (
  SELECT patient_id, MIN(end_s) AS end_s, MAX(at_s) AS last_s,
         MIN(CASE WHEN misses = {run} AND seen = {run} THEN at_s END) AS lost_s
  FROM runs GROUP BY patient_id
),
after AS (
  SELECT c.patient_id, {d.epoch("c.last_at")} AS end_s, MAX({given_s}) AS last_tx_s,
         MIN(CASE WHEN pl.protocol_id IS NULL OR pl.protocol_id NOT IN ({maintenance})
                  THEN {given_s} END) AS booster_s
  FROM cohort c
  LEFT JOIN treatment_sessions t ON t.patient_id = c.patient_id AND t.given_at > c.last_at
  LEFT JOIN treatment_plans pl ON pl.id = t.plan_id
  GROUP BY c.patient_id, c.last_at
),
sess AS (
  SELECT cs.id, cs.session_number
  FROM cohort c JOIN chairside_sessions cs ON cs.patient_id = c.patient_id
  WHERE cs.administration_started_at IS NOT NULL
),
peaks AS (
  SELECT sess.session_number, MAX(v.cadss) AS peak
  FROM sess JOIN vital_readings v ON v.session_id = sess.id
  WHERE v.cadss IS NOT NULL GROUP BY sess.id, sess.session_number
)
SELECT 'n' AS kind, NULL AS label, COUNT(*) AS v1, NULL AS v2, NULL AS v3, NULL AS v4,
       NULL AS v5, NULL AS v6, NULL AS v7 FROM cohort
UNION ALL
SELECT 'i', instrument_id, COUNT(*), COUNT(end_total), COALESCE(SUM(responded), 0),
       COUNT(remitted), COALESCE(SUM(remitted), 0), COALESCE(SUM(end_total - base), 0),
       COALESCE(SUM((end_total - base) * (end_total - base)), 0)
FROM pairs GROUP BY instrument_id
UNION ALL
SELECT 'd', NULL, (COALESCE(lost_s, last_s) - end_s) / 86400.0,
       CASE WHEN lost_s IS NULL THEN 0 ELSE 1 END, NULL, NULL, NULL, NULL, NULL
FROM ends
UNION ALL
SELECT 'b', NULL,
       (COALESCE(b.booster_s, {d.greatest("b.end_s", "b.last_tx_s", last_score)}) - b.end_s)
       / 86400.0,
       CASE WHEN b.booster_s IS NULL THEN 0 ELSE 1 END, NULL, NULL, NULL, NULL, NULL
FROM after b
UNION ALL
SELECT 's', 'sessions', COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL FROM sess
UNION ALL
SELECT 's', 'high_bp', COUNT(DISTINCT v.session_id), NULL, NULL, NULL, NULL, NULL, NULL
FROM sess JOIN vital_readings v ON v.session_id = sess.id
WHERE v.systolic > {q.bind("sys_over", p.systolic_over)}
   OR v.diastolic > {q.bind("dia_over", p.diastolic_over)}
UNION ALL
SELECT 's', 'nausea', COUNT(DISTINCT a.session_id), NULL, NULL, NULL, NULL, NULL, NULL
FROM sess JOIN session_adverse_events a ON a.session_id = sess.id WHERE a.effect IN ({effects})
UNION ALL
SELECT 's', 'rescue', COUNT(DISTINCT m.session_id), NULL, NULL, NULL, NULL, NULL, NULL
FROM sess JOIN rescue_medications m ON m.session_id = sess.id
UNION ALL
SELECT 's', 'stopped_early', COUNT(DISTINCT e.session_id), NULL, NULL, NULL, NULL, NULL, NULL
FROM sess JOIN session_events e ON e.session_id = sess.id
WHERE e.action = 'stop'
   OR (e.action = 'end_administration' AND e.detail LIKE '%"ended_early": true%')
UNION ALL
SELECT 'a', al.severity, COUNT(DISTINCT al.session_id), NULL, NULL, NULL, NULL, NULL, NULL
FROM sess JOIN session_alerts al ON al.session_id = sess.id GROUP BY al.severity
UNION ALL
SELECT 'c', NULL, session_number, peak, COUNT(*), NULL, NULL, NULL, NULL
FROM peaks GROUP BY session_number, peak"""
    rows = list(db.execute(text(sql), q.binds).all())

    def of(kind: str) -> list[Any]:
        return [r for r in rows if r.kind == kind]

    return Counted(
        cohort=int(of("n")[0].v1),
        instruments=[
            Instrument(
                instrument_id=r.label,
                with_baseline=int(r.v1),
                with_end=int(r.v2),
                responders=int(r.v3),
                remission_assessable=int(r.v4),
                remitted=int(r.v5),
                change_sum=float(r.v6),
                change_squares=float(r.v7),
            )
            for r in of("i")
        ],
        durability=[(max(0.0, float(r.v1)), bool(int(r.v2))) for r in of("d")],
        boosters=[(max(0.0, float(r.v1)), bool(int(r.v2))) for r in of("b")],
        safety={r.label: int(r.v1) for r in of("s")},
        alerts={r.label: int(r.v1) for r in of("a")},
        cadss=[(int(r.v1), int(r.v2), int(r.v3)) for r in of("c")],
    )


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    with_baseline: int
    with_end: int
    responders: int
    remission_assessable: int
    remitted: int
    change_sum: float
    change_squares: float
