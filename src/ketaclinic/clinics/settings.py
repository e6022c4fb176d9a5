"""A clinic's clinical thresholds: its own values where an administrator set them,
the environment's defaults (``settings.Settings``) elsewhere. Services read them
through ``for_clinic``. An administrator changes them through
``admin.clinic_settings`` (audited there, with the old and the new value)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ketaclinic.clinics import thresholds
from ketaclinic.clinics.models import ClinicSetting
from ketaclinic.clinics.thresholds import SCALE_PREFIX, VITAL_PREFIX, Value
from ketaclinic.settings import Settings, get_settings

_CACHE = "ketaclinic.clinic_settings"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: object) -> None:
    """Read once per transaction: a later one sees a change made meanwhile."""
    session.info.pop(_CACHE, None)


@dataclass(frozen=True)
class ClinicSettings:
    """What the services use for one clinic."""

    aldrete_min_score: int
    repeat_reading_window_min: int
    early_end_fraction: Decimal
    pregnancy_test_max_age: int
    screening_valid_days: int
    weight_max_age_days: int
    dose_rounding_tolerance_pct: Decimal
    response_fall_fraction: float
    pcl5_fall_points: int
    relapse_consecutive: int
    futility_after_treatments: int
    induction_min_sessions: int = 4
    induction_max_sessions: int = 8
    induction_min_days: int = 7
    induction_max_days: int = 28
    outcome_window_from_day: int = 14
    outcome_window_to_day: int = 31
    booster_within_fraction: Decimal = Decimal("0.25")
    booster_consecutive: int = 2
    questionnaire_open_hours: int = 48
    portal_cancel_notice_hours: int = 24
    portal_show_scores: int = 0
    # Patient messages (issue 21, practice): sent between these hours, clinic time;
    # visit reminders this many hours before; the check-in at this hour the next morning.
    quiet_end_morning_hour: int = 8
    quiet_start_evening_hour: int = 21
    reminder_first_hours: int = 72
    reminder_second_hours: int = 24
    checkin_hour: int = 9
    rems_digest_days: int = 2
    # Overrides of the protocols' vital-sign thresholds, by threshold name.
    vital_thresholds: Mapping[str, int] = field(default_factory=dict)
    # Overrides of the questionnaires' flag thresholds, by instrument and flag.
    scale_thresholds: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def rounding_tolerance(self) -> Decimal:
        """``dose_rounding_tolerance_pct`` as a fraction."""
        return self.dose_rounding_tolerance_pct / 100


def defaults(base: Settings | None = None) -> dict[str, Value]:
    """Every setting's environment default, by key (a vital threshold with no
    environment override has none here: the protocol's own value applies)."""
    base = base or get_settings()
    found: dict[str, Value] = {}
    for spec in thresholds.SCALARS:
        raw = getattr(base, spec.key)
        found[spec.key] = Decimal(str(raw)) if spec.decimal else int(raw)
    for name, value in base.vital_thresholds.items():
        found[VITAL_PREFIX + name] = value
    found.update(thresholds.scale_defaults())
    for instrument_id, flags in base.scale_thresholds.items():
        for flag_id, value in flags.items():
            found[f"{SCALE_PREFIX}{instrument_id}.{flag_id}"] = value
    return found


def stored(db: Session, clinic_id: int) -> dict[str, ClinicSetting]:
    """The clinic's own values, by key (keys no longer known are skipped)."""
    known = thresholds.all_specs()
    rows = db.scalars(select(ClinicSetting).where(ClinicSetting.clinic_id == clinic_id))
    return {r.key: r for r in rows if r.key in known}


def _build(values: Mapping[str, Value]) -> ClinicSettings:
    scalars: dict[str, Any] = {s.key: values[s.key] for s in thresholds.SCALARS}
    scalars["response_fall_fraction"] = float(scalars["response_fall_fraction"])
    vital = {
        k.removeprefix(VITAL_PREFIX): int(v)
        for k, v in values.items()
        if k.startswith(VITAL_PREFIX)
    }
    scale: dict[str, dict[str, int]] = {}
    for key, value in values.items():
        if key.startswith(SCALE_PREFIX):
            instrument_id, flag_id = key.removeprefix(SCALE_PREFIX).split(".", 1)
            scale.setdefault(instrument_id, {})[flag_id] = int(value)
    return ClinicSettings(**scalars, vital_thresholds=vital, scale_thresholds=scale)


def for_clinic(db: Session, clinic_id: int, base: Settings | None = None) -> ClinicSettings:
    """The clinic's thresholds: its own values over the environment's defaults. Read
    once per transaction (the board charts every chair of a clinic)."""
    cache: dict[int, ClinicSettings] = db.info.setdefault(_CACHE, {})
    if base is None and clinic_id in cache:
        return cache[clinic_id]
    values = defaults(base)
    for key, row in stored(db, clinic_id).items():
        values[key] = thresholds.parse(key, row.value)
    found = _build(values)
    if base is None:
        cache[clinic_id] = found
    return found


def forget(db: Session, clinic_id: int) -> None:
    """Drop the transaction's copy of a clinic's values after a change."""
    db.info.get(_CACHE, {}).pop(clinic_id, None)
