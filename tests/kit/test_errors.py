"""Every business error is its own class with its own stable code."""

from __future__ import annotations

from fastapi import FastAPI

from ketaclinic.kit.errors import FieldInvalid, KetaClinicError
from ketaclinic.plans.errors import PlanStartInPast, UnknownProtocol


def _family() -> list[type[KetaClinicError]]:
    found: list[type[KetaClinicError]] = []
    pending: list[type[KetaClinicError]] = [KetaClinicError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def test_it_gives_every_error_class_its_own_code(app: FastAPI) -> None:
    # The app has imported every domain (and so every errors module) by now.
    without = [c.__qualname__ for c in _family() if "code" not in vars(c)]
    assert without == []


def test_it_never_gives_two_error_classes_the_same_code(app: FastAPI) -> None:
    seen: dict[str, str] = {}
    for cls in _family():
        name = f"{cls.__module__}.{cls.__qualname__}"
        assert cls.code not in seen, f"{name} repeats {seen.get(cls.code)}'s code {cls.code}"
        seen[cls.code] = name
    assert len(seen) > 100  # the domains' errors modules are all there


def test_it_names_the_field_of_a_field_error_and_keeps_its_message() -> None:
    default = PlanStartInPast()
    assert isinstance(default, FieldInvalid)
    assert default.message == "start_date: must not be in the past"
    assert default.fields == {"start_date": "must not be in the past"}
    assert default.status_code == 422
    other = UnknownProtocol("unknown protocol; known: a, b", field="protocol")
    assert other.fields == {"protocol": "unknown protocol; known: a, b"}
    assert other.to_body()["error"]["code"] == "unknown_protocol"
