"""What an administrator does with a clinic's clinical thresholds: see each with its
default, range and source, and change it, audited with the old and the new value.
Services read the values through ``clinics.settings.for_clinic``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.admin.errors import SettingInvalid
from ketaclinic.audit import service as audit
from ketaclinic.clinics import thresholds
from ketaclinic.clinics.models import ClinicSetting
from ketaclinic.clinics.settings import defaults, forget, stored
from ketaclinic.clinics.thresholds import SettingError, Value
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow


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
        raise SettingInvalid.on(exc.key, exc.message) from None
    row = db.scalar(
        select(ClinicSetting)
        .where(ClinicSetting.clinic_id == clinic_id, ClinicSetting.key == key)
        .with_for_update()
    )
    old = thresholds.parse(key, row.value) if row is not None else None
    in_force: dict[str, Value | None] = {**defaults()}
    in_force |= {k: thresholds.parse(k, r.value) for k, r in stored(db, clinic_id).items()}
    in_force[key] = new if new is not None else defaults().get(key)
    problem = thresholds.order_problem(key, in_force)
    if problem is not None:
        raise SettingInvalid.on(key, problem)
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
    forget(db, clinic_id)
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
