"""The one clinic resolver: which clinic a request is about.

The clinic comes from the request itself (the route, the query or the form: ``wanted``)
or, for someone who holds the permission in one clinic only, is that clinic. It is never
guessed: a caller who works in several clinics and names none is asked which, and a
clinic the caller may not act in is refused, never replaced by another.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from ketaclinic.auth.errors import (
    ClinicIdNotANumber,
    ClinicNotAllowed,
    ClinicNotYours,
    ClinicRequired,
)
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import MAX_ID

CLINIC_FIELD = "clinic_id"


# The caller must choose: a page shows the choices (app._clinic_picker).
ClinicChoiceNeeded = ClinicRequired


def resolve_clinic_id(principal: Principal, permission: Permission, wanted: int | None) -> int:
    """The clinic's id (Forbidden without the permission anywhere; 422 when ambiguous or
    not one of the caller's clinics for this permission)."""
    allowed = principal.require_any(permission)
    if wanted is None:
        if len(allowed) > 1:
            raise ClinicChoiceNeeded([(cid, "") for cid in allowed])
        return allowed[0]
    if wanted not in allowed:
        raise ClinicNotAllowed()
    return wanted


def resolve_clinic(
    db: Session, principal: Principal, permission: Permission, wanted: int | None
) -> Clinic:
    """The clinic row for :func:`resolve_clinic_id`; when the caller must choose, the
    choices carry the clinics' names."""
    try:
        clinic_id = resolve_clinic_id(principal, permission, wanted)
    except ClinicChoiceNeeded as choose:
        raise ClinicChoiceNeeded(
            [(c.id, c.name) for cid, _ in choose.choices if (c := db.get(Clinic, cid))]
        ) from None
    clinic = db.get(Clinic, clinic_id)
    if clinic is None:  # a membership always names an existing clinic
        raise ClinicNotAllowed()
    return clinic


def resolve_own_clinic(
    db: Session, principal: Principal, permission: Permission, wanted: int | None
) -> Clinic:
    """:func:`resolve_clinic` for routes that answer a clinic not the caller's as one
    that is not there (404), as the API's clinic-scoped routes always have."""
    try:
        return resolve_clinic(db, principal, permission, wanted)
    except ClinicChoiceNeeded:
        raise
    except ClinicNotAllowed as refused:
        raise ClinicNotYours(
            f"No clinic {wanted} in your clinics.", {CLINIC_FIELD: "not one of your clinics"}
        ) from refused


def requested_clinic_id(request: Request) -> int | None:
    """The clinic the request names in its path or query (``clinic_id``), if any."""
    raw = request.path_params.get(CLINIC_FIELD) or request.query_params.get(CLINIC_FIELD)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ClinicIdNotANumber() from exc
    if not 1 <= value <= MAX_ID:
        raise ClinicNotAllowed()
    return value
