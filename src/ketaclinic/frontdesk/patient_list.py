"""The patient list at the front desk: the search box's page of patients, each with
its latest weight and height and its next booked visit, in any column's order.

A read model over two domains' tables (patients and appointments) in one statement,
so it sits above both: neither domain imports the other for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import repository as patients_repo
from ketaclinic.patients import search_query
from ketaclinic.patients.models import Patient
from ketaclinic.patients.service import PatientView


def search_patients(
    db: Session,
    principal: Principal,
    *,
    q: str | None = None,
    birth_date: date | None = None,
    status: str | None = None,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[PatientView], int]:
    """A page of the caller's patients matching the search box (``search_query``:
    name or MRN words, a birth date as the pages show it, phone digits), in the
    order asked for, each with its latest weight and height and next visit."""
    clinics = principal.require_any(Permission.PATIENT_READ)
    query = search_query.parse(q)
    birth = birth_date or query.birth_date
    now = utcnow()
    if sort == "name" and not descending and not query.phone_digits:
        # The common case keeps the search statement tuned for it.
        rows, total = patients_repo.search(
            db,
            clinics,
            terms=query.terms,
            birth_date=birth,
            status=status,
            offset=offset,
            limit=limit,
        )
        upcoming = next_visits(db, clinics, [p.id for p in rows], now)
    else:
        rows, total = search_sorted(
            db,
            clinics,
            now=now,
            terms=query.terms,
            birth_date=birth,
            phone_digits=query.phone_digits,
            status=status,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )
        upcoming = {p.id: p.next_visit for p in rows if p.next_visit is not None}
    body = patients_repo.latest_body(db, clinics, [p.id for p in rows])
    # A search shows names and birth dates: each clinic's trail records who searched
    # for what and which of its patients were listed.
    shown: dict[int, list[int]] = {cid: [] for cid in clinics}
    for p in rows:
        shown[p.clinic_id].append(p.id)
    for clinic_id, ids in shown.items():
        audit.record(
            db,
            principal,
            "patient.search",
            clinic_id=clinic_id,
            resource_type="patient",
            detail={
                "q": q or "",
                "birth_date": str(birth_date or ""),
                "status": status or "",
                "sort": f"-{sort}" if descending else sort,
                "offset": offset,
                "patient_ids": ids,
            },
        )
    return [PatientView(p, *body[p.id], upcoming.get(p.id)) for p in rows], total


def _next_visit_column(clinic_ids: Sequence[int], now: datetime) -> Any:
    """The patient's next booked visit from ``now`` (a correlated subquery)."""
    stmt = in_clinics(select(func.min(Appointment.starts_at)), Appointment.clinic_id, clinic_ids)
    return (
        stmt.where(
            Appointment.patient_id == Patient.id,
            Appointment.status == "booked",
            Appointment.starts_at >= now,
        )
        .correlate(Patient)
        .scalar_subquery()
    )


SORT_COLUMNS = ("name", "mrn", "birth_date", "next_visit")


def search_sorted(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    now: datetime,
    terms: Sequence[str] = (),
    birth_date: date | None = None,
    phone_digits: Sequence[str] = (),
    status: str | None = None,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Row[Any]], int]:
    """The patient list's search in any column order, with each row's next visit
    (its last column before the count); patients without one sort last."""
    next_visit = _next_visit_column(clinic_ids, now).label("next_visit")
    table = Patient.__table__
    stmt = in_clinics(select(table, next_visit, func.count().over()), Patient.clinic_id, clinic_ids)
    stmt = stmt.where(*patients_repo.search_conditions(terms, birth_date))
    stmt = stmt.where(*(patients_repo.phone_condition(d) for d in phone_digits))
    if status is not None:
        stmt = stmt.where(Patient.status == status)
    keys: dict[str, list[Any]] = {
        "name": [Patient.family_name, Patient.given_name],
        "mrn": [Patient.mrn],
        "birth_date": [Patient.birth_date],
        "next_visit": [next_visit],
    }
    order = [k.desc() if descending else k.asc() for k in keys[sort]]
    if sort == "next_visit":
        order = [next_visit.is_(None), *order]
    page = db.execute(stmt.order_by(*order, Patient.id).offset(offset).limit(limit)).all()
    if page:
        return list(page), page[0][-1]
    if offset == 0:
        return [], 0
    return [], db.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def next_visits(
    db: Session, clinic_ids: Sequence[int], patient_ids: Sequence[int], now: datetime
) -> dict[int, datetime]:
    """Each listed patient's next booked visit from ``now`` (patients without one are
    left out)."""
    if not patient_ids:
        return {}
    stmt = select(Appointment.patient_id, func.min(Appointment.starts_at)).join(
        Patient, Patient.id == Appointment.patient_id
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids).where(
        Appointment.patient_id.in_(list(patient_ids)),
        Appointment.status == "booked",
        Appointment.starts_at >= now,
    )
    return {pid: at for pid, at in db.execute(stmt.group_by(Appointment.patient_id))}
