"""The outcome report's queries: the cohort and every figure counted in SQL (window
functions over treatment_sessions and questionnaire_responses), never row by row in
Python. Definitions: /work/notes issue 20 (induction, baseline, end-of-induction
measure, durability, boosters); thresholds come in as ``Params``.

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
    """WITH clauses ending in ``cohort``: patients whose induction was completed with
    its last treatment in [since, until]; ``tx`` numbers every treatment."""
    d = q.dialect
    where = [
        f"i.n >= {q.bind('min_sessions', p.induction_min_sessions)}",
        f"i.last_day - f.first_day + 1 >= {q.bind('min_days', p.induction_min_days)}",
        f"i.last_day >= {q.bind('from_day', (f.since - _EPOCH).days)}",
        f"i.last_day <= {q.bind('to_day', (f.until - _EPOCH).days)}",
    ]
    if f.protocol:
        where.append(
            "EXISTS (SELECT 1 FROM treatment_plans pl WHERE pl.id = f.first_plan "
            f"AND pl.protocol_id = {q.bind('protocol', f.protocol)})"
        )
    if f.route:
        where.append(f"f.modality = {q.bind('route', f.route)}")
    if f.sex:
        where.append(f"s.sex_at_birth = {q.bind('sex', f.sex)}")
    if f.diagnosis_prefixes:
        likes = " OR ".join(
            f"REPLACE(dx.code, '.', '') LIKE {q.bind(f'dx{i}', prefix + '%')}"
            for i, prefix in enumerate(f.diagnosis_prefixes)
        )
        where.append(
            f"EXISTS (SELECT 1 FROM diagnoses dx WHERE dx.patient_id = s.patient_id AND ({likes}))"
        )
    age = d.age("s.birth_date", "f.first_day")
    if f.age_low is not None:
        where.append(f"{age} >= {q.bind('age_low', f.age_low)}")
    if f.age_high is not None:
        where.append(f"{age} < {q.bind('age_high', f.age_high)}")
    return f"""
scoped AS ({_scoped(db, f.clinic_ids)}),
tx AS (
  SELECT t.patient_id, t.id AS tid, t.given_at, t.plan_id, t.modality,
         {d.day("t.given_at", "s.tz")} AS day,
         ROW_NUMBER() OVER (PARTITION BY t.patient_id ORDER BY t.given_at, t.id) AS rn
  FROM treatment_sessions t JOIN scoped s ON s.patient_id = t.patient_id
),
first_tx AS (
  SELECT patient_id, given_at AS first_at, day AS first_day, plan_id AS first_plan, modality
  FROM tx WHERE rn = 1
),
induction AS (
  SELECT tx.patient_id, COUNT(*) AS n, MAX(tx.day) AS last_day, MAX(tx.given_at) AS last_at,
         MAX(tx.rn) AS last_rn
  FROM tx JOIN first_tx f ON f.patient_id = tx.patient_id
  WHERE tx.rn <= {q.bind("max_sessions", p.induction_max_sessions)}
    AND tx.day - f.first_day + 1 <= {q.bind("max_days", p.induction_max_days)}
  GROUP BY tx.patient_id
),
cohort AS (
  SELECT s.patient_id, s.tz, f.first_at, f.first_day, i.last_at, i.last_rn
  FROM scoped s
  JOIN first_tx f ON f.patient_id = s.patient_id
  JOIN induction i ON i.patient_id = s.patient_id
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
    """WITH clauses after ``cohort``: ``qr`` (the cohort's scores), ``pairs`` (baseline
    and end-of-induction measure per patient and instrument, with the flags)."""
    d = q.dialect
    instruments = q.names("ins", p.instruments)
    meets = _meets(p, q, "b.instrument_id", "b.base", "e.total")
    return f""",
qr AS (
  SELECT r.id, r.patient_id, r.instrument_id, r.completed_at, r.total, c.first_at,
         {d.day("r.completed_at", "c.tz")} - c.first_day AS day
  FROM questionnaire_responses r JOIN cohort c ON c.patient_id = r.patient_id
  WHERE r.instrument_id IN ({instruments})
),
ranked_base AS (
  SELECT patient_id, instrument_id, total AS base,
         ROW_NUMBER() OVER (PARTITION BY patient_id, instrument_id
                            ORDER BY completed_at DESC, id DESC) AS k
  FROM qr WHERE completed_at <= first_at
),
ranked_end AS (
  SELECT patient_id, instrument_id, total, completed_at,
         ROW_NUMBER() OVER (PARTITION BY patient_id, instrument_id
                            ORDER BY completed_at DESC, id DESC) AS k
  FROM qr WHERE day >= {q.bind("win_from", p.outcome_window_from_day)}
    AND day <= {q.bind("win_to", p.outcome_window_to_day)}
),
pairs AS (
  SELECT b.patient_id, b.instrument_id, b.base, e.total AS end_total, e.completed_at AS end_at,
         CASE WHEN e.total IS NULL THEN NULL ELSE {meets} END AS responded,
         CASE WHEN e.total IS NULL THEN NULL
              WHEN b.instrument_id = 'phq9' AND b.base >= 10 THEN
                CASE WHEN e.total <= 4 THEN 1 ELSE 0 END
              WHEN b.instrument_id = 'madrs' THEN CASE WHEN e.total <= 10 THEN 1 ELSE 0 END
         END AS remitted
  FROM ranked_base b
  LEFT JOIN ranked_end e ON e.patient_id = b.patient_id AND e.instrument_id = b.instrument_id
    AND e.k = 1
  WHERE b.k = 1
)"""


def instrument_rows(db: Session, f: Filters, p: Params) -> tuple[int, list[Any]]:
    """The cohort's size, and per instrument: with a baseline, with an end measure,
    responders, remission assessable and remitted, sum and sum of squares of change."""
    q = Query(dialect_for(db, f))
    sql = f"""WITH {cohort_sql(db, f, p, q)}{_scores_sql(p, q)}
SELECT instrument_id, COUNT(*) AS with_baseline, COUNT(end_total) AS with_end,
       COALESCE(SUM(responded), 0) AS responders,
       COUNT(remitted) AS remission_assessable, COALESCE(SUM(remitted), 0) AS remitted,
       COALESCE(SUM(end_total - base), 0) AS change_sum,
       COALESCE(SUM((end_total - base) * (end_total - base)), 0) AS change_squares,
       (SELECT COUNT(*) FROM cohort) AS cohort_size
FROM pairs GROUP BY instrument_id
UNION ALL SELECT NULL, 0, 0, 0, 0, 0, 0, 0, (SELECT COUNT(*) FROM cohort)"""
    rows = db.execute(text(sql), q.binds).all()
    size = int(rows[-1].cohort_size) if rows else 0
    return size, [r for r in rows if r.instrument_id is not None]


def durability_rows(db: Session, f: Filters, p: Params, instrument: str) -> list[Any]:
    """Per responder at the end of induction: days from the end-of-induction measure
    to the loss of response (the first of ``relapse_consecutive`` later scores in a row
    that no longer meet response), or to the last score (censored)."""
    q = Query(dialect_for(db, f))
    run = max(1, int(p.relapse_consecutive))
    meets = _meets(p, q, "s.instrument_id", "r.base", "s.total")
    d = q.dialect
    sql = f"""WITH {cohort_sql(db, f, p, q)}{_scores_sql(p, q)},
responders AS (
  SELECT patient_id, base, end_at FROM pairs
  WHERE instrument_id = {q.bind("km_instrument", instrument)} AND responded = 1
),
later AS (
  SELECT s.patient_id, s.id, s.completed_at, {meets} AS meets
  FROM qr s JOIN responders r ON r.patient_id = s.patient_id
  WHERE s.instrument_id = :km_instrument AND s.completed_at > r.end_at
),
runs AS (
  SELECT patient_id, completed_at,
         SUM(1 - meets) OVER w AS misses, COUNT(*) OVER w AS seen
  FROM later
  WINDOW w AS (PARTITION BY patient_id ORDER BY completed_at, id
               ROWS BETWEEN CURRENT ROW AND {run - 1} FOLLOWING)
),
ends AS (
  SELECT patient_id,
         MIN(CASE WHEN misses = {run} AND seen = {run} THEN completed_at END) AS lost_at,
         MAX(completed_at) AS last_at
  FROM runs GROUP BY patient_id
)
SELECT {d.days_between("COALESCE(e.lost_at, e.last_at, r.end_at)", "r.end_at")} AS days,
       CASE WHEN e.lost_at IS NULL THEN 0 ELSE 1 END AS lost
FROM responders r LEFT JOIN ends e ON e.patient_id = r.patient_id"""
    return list(db.execute(text(sql), q.binds).all())


def booster_rows(db: Session, f: Filters, p: Params) -> list[Any]:
    """Per cohort patient: days from the induction's last treatment to the first later
    treatment not on a maintenance protocol (a booster), or to the last treatment or
    score (censored)."""
    q = Query(dialect_for(db, f))
    d = q.dialect
    maintenance = q.names("maint", p.maintenance_protocols)
    last_seen = d.greatest("c.last_at", "lt.last_tx", "ls.last_score")
    sql = f"""WITH {cohort_sql(db, f, p, q)},
boosters AS (
  SELECT tx.patient_id, MIN(tx.given_at) AS booster_at
  FROM tx JOIN cohort c ON c.patient_id = tx.patient_id
  LEFT JOIN treatment_plans pl ON pl.id = tx.plan_id
  WHERE tx.rn > c.last_rn AND (pl.protocol_id IS NULL OR pl.protocol_id NOT IN ({maintenance}))
  GROUP BY tx.patient_id
),
last_tx AS (
  SELECT tx.patient_id, MAX(tx.given_at) AS last_tx
  FROM tx JOIN cohort c ON c.patient_id = tx.patient_id GROUP BY tx.patient_id
),
last_score AS (
  SELECT r.patient_id, MAX(r.completed_at) AS last_score
  FROM questionnaire_responses r JOIN cohort c ON c.patient_id = r.patient_id
  GROUP BY r.patient_id
)
SELECT {d.days_between(f"COALESCE(b.booster_at, {last_seen})", "c.last_at")} AS days,
       CASE WHEN b.booster_at IS NULL THEN 0 ELSE 1 END AS boosted
FROM cohort c
LEFT JOIN boosters b ON b.patient_id = c.patient_id
LEFT JOIN last_tx lt ON lt.patient_id = c.patient_id
LEFT JOIN last_score ls ON ls.patient_id = c.patient_id"""
    return list(db.execute(text(sql), q.binds).all())


def safety_row(db: Session, f: Filters, p: Params) -> Any:
    """Over the cohort's charted sessions (the drug started): how many, and how many had
    each kind of event (alerts by severity come from ``alert_rows``)."""
    q = Query(dialect_for(db, f))
    effects = q.names("effect", p.nausea_effects)
    sql = f"""WITH {cohort_sql(db, f, p, q)},
sess AS (
  SELECT cs.id FROM chairside_sessions cs JOIN cohort c ON c.patient_id = cs.patient_id
  WHERE cs.administration_started_at IS NOT NULL
)
SELECT (SELECT COUNT(*) FROM sess) AS sessions,
  (SELECT COUNT(DISTINCT v.session_id) FROM vital_readings v JOIN sess ON sess.id = v.session_id
   WHERE v.systolic > {q.bind("sys_over", p.systolic_over)}
      OR v.diastolic > {q.bind("dia_over", p.diastolic_over)}) AS high_bp,
  (SELECT COUNT(DISTINCT a.session_id) FROM session_adverse_events a
   JOIN sess ON sess.id = a.session_id
   WHERE a.effect IN ({effects})) AS nausea,
  (SELECT COUNT(DISTINCT m.session_id) FROM rescue_medications m
   JOIN sess ON sess.id = m.session_id) AS rescue,
  (SELECT COUNT(DISTINCT e.session_id) FROM session_events e JOIN sess ON sess.id = e.session_id
   WHERE e.action = 'stop'
      OR (e.action = 'end_administration' AND e.detail LIKE '%"ended_early": true%'))
   AS stopped_early"""
    return db.execute(text(sql), q.binds).one()


def alert_rows(db: Session, f: Filters, p: Params) -> list[Any]:
    """Sessions with at least one vital-sign alert, by the alert's severity."""
    q = Query(dialect_for(db, f))
    sql = f"""WITH {cohort_sql(db, f, p, q)},
sess AS (
  SELECT cs.id FROM chairside_sessions cs JOIN cohort c ON c.patient_id = cs.patient_id
  WHERE cs.administration_started_at IS NOT NULL
)
SELECT a.severity, COUNT(DISTINCT a.session_id) AS sessions
FROM session_alerts a JOIN sess ON sess.id = a.session_id GROUP BY a.severity"""
    return list(db.execute(text(sql), q.binds).all())


def cadss_rows(db: Session, f: Filters, p: Params) -> list[Any]:
    """(session number, the session's highest CADSS, how many sessions)."""
    q = Query(dialect_for(db, f))
    sql = f"""WITH {cohort_sql(db, f, p, q)},
peaks AS (
  SELECT cs.session_number, MAX(v.cadss) AS peak
  FROM chairside_sessions cs JOIN cohort c ON c.patient_id = cs.patient_id
  JOIN vital_readings v ON v.session_id = cs.id
  WHERE v.cadss IS NOT NULL GROUP BY cs.id, cs.session_number
)
SELECT session_number, peak, COUNT(*) AS sessions FROM peaks
GROUP BY session_number, peak ORDER BY session_number, peak"""
    return list(db.execute(text(sql), q.binds).all())
