"""Who is asking, from where, and what may they do where."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketaclinic.identity.errors import RoleNotAllowed
from ketaclinic.identity.roles import Permission, Role, roles_with


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for the audit trail."""

    channel: str = "system"  # api, web, cli, system
    ip: str = ""
    user_agent: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    name: str
    # clinic id -> the user's role in that clinic
    roles: dict[int, Role] = field(default_factory=dict)
    via_token: bool = False
    csrf_token: str | None = None
    origin: Origin = field(default_factory=Origin)

    def can(self, permission: Permission, clinic_id: int) -> bool:
        role = self.roles.get(clinic_id)
        return role is not None and role in roles_with(permission)

    def clinics_with(self, permission: Permission) -> list[int]:
        allowed = roles_with(permission)
        return sorted(cid for cid, role in self.roles.items() if role in allowed)

    def require(self, permission: Permission, clinic_id: int) -> None:
        if not self.can(permission, clinic_id):
            raise RoleNotAllowed()

    def require_any(self, permission: Permission) -> list[int]:
        """Clinics where the permission is held; Forbidden if there are none."""
        clinics = self.clinics_with(permission)
        if not clinics:
            raise RoleNotAllowed()
        return clinics
