"""Reading a report request from a query string: the dates (clinic-local days; by
default the twelve months to today at the caller's first clinic) and the filters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import today_in
from ketaclinic.reports import service
from ketaclinic.reports.errors import ReportClinicUnknown
from ketaclinic.reports.service import Request

SEXES = {"female": "Female", "male": "Male", "intersex": "Intersex", "unknown": "Unknown"}
ROUTES = {
    "iv_ketamine": "Intravenous ketamine",
    "im_ketamine": "Intramuscular ketamine",
    "sl_ketamine": "Sublingual ketamine",
    "esketamine_nasal": "Esketamine nasal spray",
}


Text = Annotated[str, Query(max_length=40)]


async def filter_values(
    clinic: Text = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
    protocol: Text = "",
    route: Text = "",
    diagnosis: Text = "",
    age: Text = "",
    sex: Text = "",
) -> dict[str, str]:
    """The report's filters as the page, its CSV and its PDF take them (stripped,
    named as in the query string). Async: reading them costs no threadpool step."""
    given = {
        "clinic": clinic,
        "from": since,
        "to": until,
        "protocol": protocol,
        "route": route,
        "diagnosis": diagnosis,
        "age": age,
        "sex": sex,
    }
    return {k: v.strip() for k, v in given.items()}


FilterValues = Annotated[dict[str, str], Depends(filter_values)]


def clinics_of(db: Session, principal: Principal) -> list[Clinic]:
    ids = service.readable_clinics(principal, None)
    return list(db.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name)))


def clinic_by_slug(db: Session, principal: Principal, slug: str) -> int:
    """The clinic a caller names by its slug (API and command line)."""
    for c in clinics_of(db, principal):
        if c.slug == slug:
            return c.id
    raise ReportClinicUnknown()


def default_range(clinics: list[Clinic]) -> tuple[date, date]:
    until = today_in(clinics[0].timezone if clinics else "UTC")
    return until - timedelta(days=365), until


def build_request(
    clinics: list[Clinic],
    *,
    since: date | None,
    until: date | None,
    clinic_id: int | None = None,
    protocol: str | None = None,
    route: str | None = None,
    diagnosis: str | None = None,
    age_band: str | None = None,
    sex: str | None = None,
) -> Request:
    until = until or default_range(clinics)[1]
    return Request(
        since=since or until - timedelta(days=365),
        until=until,
        clinic_id=clinic_id,
        protocol=protocol or None,
        route=route or None,
        diagnosis=diagnosis or None,
        age_band=age_band or None,
        sex=sex or None,
    )
