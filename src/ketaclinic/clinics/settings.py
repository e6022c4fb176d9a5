"""A clinic's clinical thresholds: its own values where an administrator set them,
the environment's defaults (``settings.Settings``) elsewhere. Services read them
through ``for_clinic``; every change is audited with the old and the new value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.clinics import thresholds
from ketaclinic.clinics.models import ClinicSetting
from ketaclinic.clinics.thresholds import SCALE_PREFIX, VITAL_PREFIX, SettingError, Value
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import utcnow
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


@dataclass(frozen=True)
class SettingView:
    spec: thresholds.Spec
    default: Value | None  # None: the protocol's own value
    own: Value | None  # the clinic's value, None when unset


def overview(db: Session, principal: Principal, clinic_id: int) -> list[SettingView]:
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    base = defaults()
    own = {k: thresholds.parse(k, r.value) for k, r in stored(db, clinic_id).items()}
    return [
        SettingView(s, base.get(s.key), own.get(s.key)) for s in thresholds.all_specs().values()
    ]


def change(
    db: Session, principal: Principal, clinic_id: int, key: str, text: str | None
) -> Value | None:
    """Set the clinic's value for ``key`` (``text`` None or empty: back to the
    default). Returns the value now in force for the clinic (None: the protocol's)."""
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    try:
        thresholds.spec(key)
        new = thresholds.parse(key, text) if text and text.strip() else None
    except SettingError as exc:
        raise ValidationFailed.on(exc.key, exc.message) from None
    row = db.scalar(
        select(ClinicSetting)
        .where(ClinicSetting.clinic_id == clinic_id, ClinicSetting.key == key)
        .with_for_update()
    )
    old = thresholds.parse(key, row.value) if row is not None else None
    if old == new:
        return new if new is not None else defaults().get(key)
    if new is None:
        assert row is not None
        db.delete(row)
    elif row is None:
        db.add(
            ClinicSetting(
                clinic_id=clinic_id,
                key=key,
                value=thresholds.stored(new),
                updated_at=utcnow(),
                updated_by_id=principal.user_id,
            )
        )
    else:
        row.value = thresholds.stored(new)
        row.updated_at = utcnow()
        row.updated_by_id = principal.user_id
    db.flush()
    db.info.get(_CACHE, {}).pop(clinic_id, None)
    default = defaults().get(key)
    audit.record(
        db,
        principal,
        "clinic.setting_changed",
        clinic_id=clinic_id,
        resource_type="clinic_setting",
        resource_id=key,
        detail={
            "key": key,
            "old": None if old is None else thresholds.stored(old),
            "new": None if new is None else thresholds.stored(new),
            "default": None if default is None else thresholds.stored(default),
        },
    )
    return new if new is not None else default
