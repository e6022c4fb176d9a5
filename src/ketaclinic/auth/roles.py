"""Staff roles and the single table of what each may do.

Every route names one permission; the matrix below is the only place that says
which roles hold it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    CUSTODIAN = "custodian"


class Permission(StrEnum):
    PATIENT_READ = "patient.read"
    PATIENT_WRITE = "patient.write"
    CLINIC_ADMIN = "clinic.admin"


_CLINICAL_STAFF = frozenset({Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK})

# The controlled-substance custodian works with stock, not charts, so holds no
# patient permission here; draws for a session come through the session flow.
ROLE_MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.PATIENT_READ: _CLINICAL_STAFF,
    Permission.PATIENT_WRITE: _CLINICAL_STAFF,
    Permission.CLINIC_ADMIN: frozenset({Role.ADMIN}),
}


def roles_with(permission: Permission) -> frozenset[Role]:
    return ROLE_MATRIX[permission]
