"""JSON API for the audit trail: /api/v1/audit-events (admins of the clinics read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ketaclinic.audit import service as audit
from ketaclinic.audit.errors import TimeWithoutOffset
from ketaclinic.auth import audit_access as access
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.kit.fields import Id, IsoDateTime
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


class AuditEventOut(BaseModel):
    id: Id
    occurred_at: IsoDateTime
    clinic_id: Id | None
    chain_key: int
    seq: int
    user_id: Id | None
    actor: str
    action: str
    resource_type: str
    resource_id: str
    patient_id: Id | None
    outcome: str
    channel: str
    ip: str
    user_agent: str
    request_id: str
    detail: str
    prev_hash: str
    hash: str


AuditEventPage = Page[AuditEventOut]


def _aware(name: str, value: IsoDateTime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise TimeWithoutOffset.on(name, "must include a time zone offset, e.g. 2026-11-01T00:00Z")
    return value


@router.get(
    "",
    response_model=AuditEventPage,
    responses={
        401: {"description": "No credentials"},
        403: {"description": "Not an admin of that clinic"},
        422: {"description": "A filter is invalid; `error.fields` names it"},
    },
)
def list_audit_events(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    clinic_id: Id | None = None,
    patient_id: Id | None = None,
    user_id: Id | None = None,
    action: Annotated[
        str | None, Query(max_length=80, description="Action or prefix, e.g. patient.")
    ] = None,
    outcome: Literal["allowed", "denied"] | None = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    include_system: Annotated[
        bool, Query(description="Also sign-ins and other events outside any clinic")
    ] = False,
) -> Any:
    """The audit trail of your clinics, newest first. Reading it is recorded."""
    clinics = access.readable_clinics(principal, clinic_id)
    f = audit.AuditFilter(
        clinic_ids=clinics,
        include_system=include_system,
        system_user_ids=access.staff_of(db, clinics),
        patient_id=patient_id,
        user_id=user_id,
        action=action,
        outcome=outcome,
        since=_aware("since", since),
        until=_aware("until", until),
    )
    events, total = audit.search(db, f, offset=paging.offset, limit=paging.page_size)
    access.record_reading(db, principal, clinics, f)
    return paging.envelope([audit.as_row(e) for e in events], total)
