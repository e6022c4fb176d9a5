"""SMART App Launch scopes (v2, with v1's ``.read``/``.write`` read as v2), pure.

A resource scope is ``context/Resource.permissions``: the context is ``patient``,
``user`` or ``system``; the resource a FHIR resource type or ``*``; the permissions
a non-empty subset of ``c r u d s`` written in that order (create, read, update,
delete, search). SMART v1's ``.read`` means ``.rs``, ``.write`` ``.cud`` and ``.*``
``.cruds``. A scope with a query (``?category=…``) is refused: this server does not
narrow by search parameters. Other scopes (``openid``, ``launch``…) are not resource
scopes and grant nothing here.

No database, no web: the token endpoint, the admin page and the FHIR routes all ask
these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Context(StrEnum):
    PATIENT = "patient"
    USER = "user"
    SYSTEM = "system"


class Interaction(StrEnum):
    """A FHIR interaction, named by the letter a scope grants it with."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    SEARCH = "search"

    @property
    def letter(self) -> str:
        return LETTERS[self]


LETTERS: dict[Interaction, str] = {
    Interaction.CREATE: "c",
    Interaction.READ: "r",
    Interaction.UPDATE: "u",
    Interaction.DELETE: "d",
    Interaction.SEARCH: "s",
}
ORDER = "cruds"
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
ANY_RESOURCE = "*"
_RESOURCE = re.compile(r"[A-Z][A-Za-z]{0,63}\Z")
_SCOPE = re.compile(r"(patient|user|system)/([^./?\s]+)\.([^?\s]+)\Z")
MAX_SCOPES = 50


class ScopeInvalid(ValueError):
    """A scope string that is not a SMART resource scope, with the reason in words."""


@dataclass(frozen=True, order=True)
class Scope:
    context: Context
    resource: str  # a FHIR resource type or "*"
    permissions: str  # letters of "cruds", in that order, at least one

    def __str__(self) -> str:
        return f"{self.context.value}/{self.resource}.{self.permissions}"

    def allows(self, resource_type: str, interaction: Interaction) -> bool:
        return self.resource in (ANY_RESOURCE, resource_type) and (
            interaction.letter in self.permissions
        )


def _permissions(text: str, scope: str) -> str:
    if text in V1:
        return V1[text]
    if not text or any(c not in ORDER for c in text):
        raise ScopeInvalid(f"{scope}: permissions are letters of c, r, u, d, s (or read, write)")
    if "".join(c for c in ORDER if c in text) != text:
        raise ScopeInvalid(f"{scope}: permissions are written once each, in the order cruds")
    return text


def parse_scope(text: str) -> Scope:
    """One resource scope; ``ScopeInvalid`` names what is wrong."""
    if "?" in text:
        raise ScopeInvalid(f"{text}: scopes narrowed by a search are not supported")
    found = _SCOPE.match(text)
    if found is None:
        raise ScopeInvalid(f"{text}: not a scope like system/Observation.rs")
    context, resource, permissions = found.groups()
    if resource != ANY_RESOURCE and not _RESOURCE.match(resource):
        raise ScopeInvalid(f"{text}: {resource} is not a FHIR resource type")
    return Scope(Context(context), resource, _permissions(permissions, text))


def parse_scopes(text: str, *, contexts: Iterable[Context] = tuple(Context)) -> list[Scope]:
    """Every scope of a space-separated list, each checked, in the given contexts only;
    duplicates once. An empty list is an empty list."""
    allowed = set(contexts)
    words = text.split()
    if len(words) > MAX_SCOPES:
        raise ScopeInvalid(f"at most {MAX_SCOPES} scopes")
    scopes: list[Scope] = []
    for word in words:
        scope = parse_scope(word)
        if scope.context not in allowed:
            names = " or ".join(sorted(c.value for c in allowed))
            raise ScopeInvalid(f"{word}: only {names} scopes here")
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def resource_scopes(text: str) -> list[Scope]:
    """The resource scopes a client asked for, leaving out what is not one (``openid``,
    ``launch``…) or not valid; the token endpoint grants from these."""
    found: list[Scope] = []
    for word in text.split()[:MAX_SCOPES]:
        try:
            scope = parse_scope(word)
        except ScopeInvalid:
            continue
        if scope not in found:
            found.append(scope)
    return found


def permits(scopes: Iterable[Scope], resource_type: str, interaction: Interaction | str) -> bool:
    """Does any scope grant ``interaction`` (read, search, create, update, delete) on
    ``resource_type``?"""
    wanted = Interaction(interaction)
    return any(s.allows(resource_type, wanted) for s in scopes)


def _meet(a: Scope, b: Scope) -> Scope | None:
    if a.context != b.context:
        return None
    if a.resource == ANY_RESOURCE:
        resource = b.resource
    elif b.resource in (ANY_RESOURCE, a.resource):
        resource = a.resource
    else:
        return None
    permissions = "".join(c for c in ORDER if c in a.permissions and c in b.permissions)
    return Scope(a.context, resource, permissions) if permissions else None


def intersect(asked: Iterable[Scope], allowed: Iterable[Scope]) -> list[Scope]:
    """What may be granted: every interaction both the asked and the allowed scopes
    permit, as scopes (``system/*.rs`` asked, ``system/Patient.cruds`` allowed →
    ``system/Patient.rs``)."""
    allowed = list(allowed)
    granted: list[Scope] = []
    for a in asked:
        for b in allowed:
            meet = _meet(a, b)
            if meet is not None and meet not in granted:
                granted.append(meet)
    return granted


def render(scopes: Iterable[Scope]) -> str:
    """The space-separated form stored and answered."""
    return " ".join(str(s) for s in scopes)
