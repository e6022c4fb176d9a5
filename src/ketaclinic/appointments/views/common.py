"""What the calendar's pages share: the clinic and day asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments.models import Appointment
from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import today_in
from ketaclinic.patients.models import Patient

WIDTH, ROW, LABEL = 960, 54, 110  # the day view's drawing, in px
BAND_MIN = 30


def _clinic(request: Request, db: Session, principal: Principal) -> Clinic:
    wanted = requested_clinic_id(request)
    return resolve_clinic(db, principal, Permission.PATIENT_READ, wanted)


def _day(value: str | None, clinic: Clinic) -> date:
    today = today_in(clinic.timezone)
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise app_errors.DateInvalid() from exc


@dataclass(frozen=True)
class Block:
    appointment: Appointment
    patient: Patient
    y: int
    x: tuple[float, float, float, float]  # start, set-up end, administration end, end


def _minute(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.hour * 60 + local.minute
