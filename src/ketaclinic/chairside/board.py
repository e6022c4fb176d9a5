"""The clinic board: every chair now - who is in it, the phase, minutes elapsed,
the last vitals, open alerts and when the next reading is due - and the rest of
today's visits, for the check-in desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import service as appointments
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.audit import service as audit
from ketaclinic.auth.clinic import resolve_own_clinic
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside import service
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinical.chairside import STATE_LABELS
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.patients.models import Patient


@dataclass
class Visit:
    appointment: Appointment
    patient: Patient
    chair: Chair
    session: ChairsideSession | None
    chart: service.Chart | None

    @property
    def state(self) -> str:
        return self.session.state if self.session else "scheduled"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]  # type: ignore[index]

    @property
    def overdue(self) -> bool:
        due = self.chart.next_due if self.chart else None
        return due is not None and as_utc(due) < utcnow()


@dataclass
class ChairRow:
    chair: Chair
    now: Visit | None
    next: Visit | None


@dataclass
class Board:
    clinic: Clinic
    at: datetime
    chairs: list[ChairRow]
    visits: list[Visit]

    @property
    def patient_ids(self) -> list[int]:
        return sorted({v.patient.id for v in self.visits})

    @property
    def shown(self) -> str:
        """What the board shows, for a poll's view id (auth.polls): a poll is covered
        by the recorded view only while the same patients are on it."""
        return f"board:{self.clinic.id}:" + ",".join(map(str, self.patient_ids))

    @property
    def open_alerts(self) -> int:
        return sum(len(v.chart.open_alerts) for v in self.visits if v.chart)


def _clinic(db: Session, principal: Principal, wanted: int | None) -> Clinic:
    return resolve_own_clinic(db, principal, Permission.PATIENT_READ, wanted)


def board(
    db: Session,
    principal: Principal,
    policy: service.ChairsidePolicy,
    clinic_id: int | None = None,
    *,
    audited: bool = True,
) -> Board:
    """The board as ``principal`` sees it; the read is audited unless the caller
    records it itself (``record_view``: a page's poll covered by its opening)."""
    b = board_of(db, _clinic(db, principal, clinic_id), policy)
    if audited:
        record_view(db, principal, b)
    return b


def board_of(db: Session, clinic: Clinic, policy: service.ChairsidePolicy) -> Board:
    """The board of ``clinic`` now (no check, no audit: the callers do both)."""
    zone = ZoneInfo(clinic.timezone)
    now = utcnow()
    start = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    day = repo.day(db, [clinic.id], start, start + timedelta(days=1))
    # Every session's chart in a fixed number of queries; the read is audited below.
    sessions = [(s, p) for _a, p, _chair, s in day if s is not None]
    charted = {c.session.id: c for c in service.charts(db, sessions, policy)}
    visits = [Visit(a, p, chair, s, charted[s.id] if s else None) for a, p, chair, s in day]
    rows = []
    for chair in appointments.chairs(db, clinic.id):
        mine = [v for v in visits if v.chair.id == chair.id]
        current = next((v for v in mine if v.chart is not None and v.chart.in_chair), None)
        upcoming = next(
            (
                v
                for v in mine
                if v.session is None
                and v.appointment.status == "booked"
                and as_utc(v.appointment.ends_at) > now
            ),
            None,
        )
        rows.append(ChairRow(chair, current, upcoming))
    return Board(clinic, now, rows, visits)


def record_view(db: Session, principal: Principal, b: Board) -> None:
    audit.record(
        db,
        principal,
        "board.viewed",
        clinic_id=b.clinic.id,
        resource_type="board",
        detail={"patients": b.patient_ids},
    )


def _vitals(v: Visit) -> dict[str, Any] | None:
    r = v.chart.last_reading if v.chart else None
    if r is None:
        return None
    return {
        "taken_at": r.taken_at,
        "systolic": r.systolic,
        "diastolic": r.diastolic,
        "heart_rate": r.heart_rate,
        "spo2": r.spo2,
        "respiratory_rate": r.respiratory_rate,
    }


def as_json(b: Board) -> dict[str, Any]:
    def visit(v: Visit | None) -> dict[str, Any] | None:
        if v is None:
            return None
        c = v.chart
        return {
            "appointment_id": v.appointment.id,
            "session_id": v.session.id if v.session else None,
            "patient_id": v.patient.id,
            "patient": f"{v.patient.given_name} {v.patient.family_name}",
            "starts_at": v.appointment.starts_at,
            "state": v.state,
            "state_label": v.state_label,
            "minutes_elapsed": c.minutes_elapsed if c else None,
            "last_vitals": _vitals(v),
            "open_alerts": [
                {
                    "id": a.alert.id,
                    "label": a.alert.label,
                    "value": a.alert.value,
                    "severity": a.alert.severity,
                }
                for a in c.open_alerts
            ]
            if c
            else [],
            "next_reading_due": c.next_due if c else None,
        }

    return {
        "clinic_id": b.clinic.id,
        "at": b.at,
        "chairs": [
            {
                "chair_id": r.chair.id,
                "chair": r.chair.name,
                "now": visit(r.now),
                "next": visit(r.next),
            }
            for r in b.chairs
        ],
        "visits": [visit(v) for v in b.visits],
    }


# ---- the wall screen: initials only ----------------------------------------------------


def initials(patient: Patient) -> str:
    """ "Maya Lindqvist" -> "M. L.": all a wall screen shows of who is in the chair."""
    return " ".join(
        f"{name.strip()[:1].upper()}."
        for name in (patient.given_name, patient.family_name)
        if name.strip()
    )


@dataclass(frozen=True)
class WallRow:
    """One chair as a wall screen shows it: no name, no id, no vital sign values."""

    chair: str
    initials: str
    state: str
    state_label: str
    minutes_elapsed: int | None
    open_alerts: int
    next_due: datetime | None
    overdue: bool
    next_at: datetime | None
    next_initials: str


def wall(b: Board) -> list[WallRow]:
    rows = []
    for r in b.chairs:
        v, n = r.now, r.next
        c = v.chart if v else None
        rows.append(
            WallRow(
                chair=r.chair.name,
                initials=initials(v.patient) if v else "",
                state=v.state if v else "",
                state_label=v.state_label if v else "",
                minutes_elapsed=c.minutes_elapsed if c else None,
                open_alerts=len(c.open_alerts) if c else 0,
                next_due=c.next_due if c else None,
                overdue=v.overdue if v else False,
                next_at=n.appointment.starts_at if n else None,
                next_initials=initials(n.patient) if n else "",
            )
        )
    return rows
