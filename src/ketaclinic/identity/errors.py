"""The refusal a principal answers when its role may not do something."""

from __future__ import annotations

from ketaclinic.kit.errors import Forbidden


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
