"""The clinic outcomes report: who may read it, the cohort's figures with their
intervals, durability and boosters as Kaplan-Meier curves, safety per 100 sessions,
and the published reference. Reading it is audited on each clinic it covers.

Aggregates only: nothing here carries a patient's name, id or date of birth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical import stats
from ketaclinic.clinical.report_reference import (
    AGE_BY_ID,
    DIAGNOSIS_BY_ID,
    MCINNES_2022,
    PAIN_FALL_FRACTION,
    REFERENCE_INSTRUMENT,
    REPORT_INSTRUMENTS,
    Reference,
)
from ketaclinic.clinical.scales import load_instruments
from ketaclinic.clinical.treatment import Protocol, load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.reports import errors
from ketaclinic.reports import repository as repo
from ketaclinic.reports.repository import Filters, Params

MAX_SPAN = timedelta(days=3653)
SEVERITY_WORDS = {"hold": "Hold", "warning": "Warning", "urgent": "Urgent"}


@dataclass(frozen=True)
class Request:
    """What the caller asked for, as typed ids (validated here)."""

    since: date
    until: date
    clinic_id: int | None = None
    protocol: str | None = None
    route: str | None = None
    diagnosis: str | None = None
    age_band: str | None = None
    sex: str | None = None

    def audit_detail(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class InstrumentFigures:
    instrument_id: str
    name: str
    with_baseline: int
    with_end: int
    missing: int  # a baseline but no end-of-induction measure
    response: stats.Proportion
    remission: stats.Proportion | None  # None: not assessable on this instrument
    change: stats.MeanChange


@dataclass(frozen=True)
class SafetyFigure:
    label: str
    sessions: int  # sessions with at least one

    def per_100(self, total: int) -> float | None:
        return 100 * self.sessions / total if total else None


@dataclass(frozen=True)
class OutcomeReport:
    request: Request
    clinics: tuple[str, ...]
    cohort: int
    instruments: tuple[InstrumentFigures, ...]
    durability_instrument: str
    durability: stats.KmCurve
    boosters: stats.KmCurve
    sessions: int
    safety: tuple[SafetyFigure, ...]
    cadss: tuple[tuple[int, stats.Quartiles], ...]
    reference: Reference
    params: Params

    @property
    def missing(self) -> int:
        return sum(i.missing for i in self.instruments)


def readable_clinics(principal: Principal, clinic_id: int | None) -> list[int]:
    """The clinics whose reports the caller may read, narrowed to one if asked."""
    clinics = principal.require_any(Permission.REPORT_READ)
    if clinic_id is None:
        return clinics
    if clinic_id not in clinics:
        raise errors.ReportClinicUnknown()
    return [clinic_id]


def params_for(
    db: Session, clinic_ids: list[int], protocols: Mapping[str, Protocol] | None = None
) -> Params:
    """The definitions' numbers: the clinic's own thresholds for a one-clinic report,
    the defaults across several (their settings may differ)."""
    library = protocols if protocols is not None else load_protocols()
    maintenance = sorted(
        {
            p.maintenance.protocol
            for p in library.values()
            if p.maintenance and p.maintenance.protocol
        }
    )
    base = Params(
        instruments=REPORT_INSTRUMENTS,
        maintenance_protocols=tuple(maintenance),
        pain_fall_fraction=PAIN_FALL_FRACTION,
    )
    if len(clinic_ids) != 1:
        return base
    own = for_clinic(db, clinic_ids[0])
    return replace(
        base,
        response_fall_fraction=own.response_fall_fraction,
        pcl5_fall_points=own.pcl5_fall_points,
        relapse_consecutive=own.relapse_consecutive,
        induction_min_sessions=own.induction_min_sessions,
        induction_max_sessions=own.induction_max_sessions,
        induction_min_days=own.induction_min_days,
        induction_max_days=own.induction_max_days,
        outcome_window_from_day=own.outcome_window_from_day,
        outcome_window_to_day=own.outcome_window_to_day,
    )


def _filters(r: Request, clinic_ids: list[int]) -> Filters:
    if r.until < r.since:
        raise errors.ReportRangeReversed()
    if r.until - r.since > MAX_SPAN:
        raise errors.ReportRangeTooLong()
    prefixes: tuple[str, ...] = ()
    if r.diagnosis:
        group = DIAGNOSIS_BY_ID.get(r.diagnosis)
        if group is None:
            raise errors.ReportFilterUnknown(field="diagnosis")
        prefixes = group.prefixes
    low = high = None
    if r.age_band:
        band = AGE_BY_ID.get(r.age_band)
        if band is None:
            raise errors.ReportFilterUnknown(field="age_band")
        low, high = band.low, band.high
    return Filters(
        clinic_ids=tuple(clinic_ids),
        since=r.since,
        until=r.until,
        protocol=r.protocol or None,
        route=r.route or None,
        diagnosis_prefixes=prefixes,
        age_low=low,
        age_high=high,
        sex=r.sex or None,
    )


def build(
    db: Session, f: Filters, p: Params, r: Request, clinics: tuple[str, ...]
) -> OutcomeReport:
    """Every figure for the cohort ``f`` selects (no access check, no audit: the
    benchmark and the service's callers)."""
    names = {i.id: i.name for i in load_instruments().values()}
    counted = repo.count(db, f, p, REFERENCE_INSTRUMENT)
    by_id = {row.instrument_id: row for row in counted.instruments}
    remission_scales = ("phq9", "madrs")
    figures = []
    for instrument in p.instruments:
        row = by_id.get(instrument) or repo.Instrument(instrument, 0, 0, 0, 0, 0, 0.0, 0.0)
        figures.append(
            InstrumentFigures(
                instrument_id=instrument,
                name=names.get(instrument, instrument),
                with_baseline=row.with_baseline,
                with_end=row.with_end,
                missing=row.with_baseline - row.with_end,
                response=stats.wilson(row.responders, row.with_end),
                remission=stats.wilson(row.remitted, row.remission_assessable)
                if instrument in remission_scales
                else None,
                change=stats.mean_change(row.with_end, row.change_sum, row.change_squares),
            )
        )
    peaks: dict[int, dict[int, int]] = {}
    for number, peak, sessions in counted.cadss:
        peaks.setdefault(number, {})[peak] = sessions
    cadss = tuple(
        (number, q) for number, counts in sorted(peaks.items()) if (q := stats.quartiles(counts))
    )
    alerts, safety = counted.alerts, counted.safety
    safety_figures = [
        SafetyFigure(f"Blood-pressure alert: {SEVERITY_WORDS.get(s, s.title())}", alerts.get(s, 0))
        for s in ("warning", "urgent", "hold")
    ] + [
        SafetyFigure(
            f"Reading over {p.systolic_over}/{p.diastolic_over} mmHg", safety.get("high_bp", 0)
        ),
        SafetyFigure("Nausea or vomiting", safety.get("nausea", 0)),
        SafetyFigure("Rescue medication given", safety.get("rescue", 0)),
        SafetyFigure("Infusion stopped or ended early", safety.get("stopped_early", 0)),
    ]
    return OutcomeReport(
        request=r,
        clinics=clinics,
        instruments=tuple(figures),
        durability_instrument=names.get(REFERENCE_INSTRUMENT, REFERENCE_INSTRUMENT),
        durability=stats.kaplan_meier(
            [days for days, _ in counted.durability], [lost for _, lost in counted.durability]
        ),
        boosters=stats.kaplan_meier(
            [days for days, _ in counted.boosters], [done for _, done in counted.boosters]
        ),
        cohort=counted.cohort,
        sessions=safety.get("sessions", 0),
        safety=tuple(safety_figures),
        cadss=cadss,
        reference=MCINNES_2022,
        params=p,
    )


def outcomes(
    db: Session,
    principal: Principal,
    r: Request,
    *,
    protocols: Mapping[str, Protocol] | None = None,
) -> OutcomeReport:
    """The report for the caller's clinics (or the one asked for), audited on each."""
    clinic_ids = readable_clinics(principal, r.clinic_id)
    f = _filters(r, clinic_ids)
    p = params_for(db, clinic_ids, protocols)
    names = tuple(
        db.scalars(select(Clinic.name).where(Clinic.id.in_(clinic_ids)).order_by(Clinic.name))
    )
    report = build(db, f, p, r, names)
    for clinic_id in clinic_ids:
        audit.record(
            db,
            principal,
            "report.outcomes.read",
            clinic_id=clinic_id,
            resource_type="report",
            resource_id="outcomes",
            detail=r.audit_detail() | {"cohort": report.cohort},
        )
    return report


def outcomes_at_terminal(
    db: Session, clinic_id: int, r: Request, *, actor: str, origin: Origin
) -> OutcomeReport:
    """The report for one clinic from the command line (system work, like every
    command: whoever holds the server's shell), audited on the clinic as ``actor``."""
    f = _filters(r, [clinic_id])
    p = params_for(db, [clinic_id])
    names = tuple(db.scalars(select(Clinic.name).where(Clinic.id == clinic_id)))
    report = build(db, f, p, r, names)
    audit.record(
        db,
        None,
        "report.outcomes.read",
        clinic_id=clinic_id,
        resource_type="report",
        resource_id="outcomes",
        detail=r.audit_detail() | {"cohort": report.cohort},
        actor=actor,
        origin=origin,
    )
    return report
