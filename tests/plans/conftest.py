"""A patient cleared for treatment: intake, a screening and a prescriber's signature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.time import today_in
from tests.conftest import CLINIC_TZ, Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
MOOD = "depression_iv_twice_weekly"


def clear_patient(
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    rule_set: str = "iv_ketamine_mood",
    **patient: Any,
) -> int:
    """Register a patient (68.4 kg today) and clear them on ``rule_set``; their id."""
    body = api(nurse).post("/api/v1/patients", json=valid_patient(**patient)).json()
    pid = int(body["id"])
    clear(api, nurse, prescriber, pid, rule_set)
    return pid


def clear(
    api: Api, nurse: Persona, prescriber: Persona, pid: int, rule_set: str = "iv_ketamine_mood"
) -> None:
    """Intake, a screening on ``rule_set`` and a prescriber's eligible signature."""
    facts = {**CLEAR_INTAKE, "indications": ["crps"] if "pain" in rule_set else ["trd"]}
    api(nurse).post(f"/api/v1/patients/{pid}/intake", json={"facts": facts})
    screening = (
        api(nurse).post(f"/api/v1/patients/{pid}/screenings", json={"rule_set_id": rule_set}).json()
    )
    signed = api(prescriber).post(
        f"/api/v1/patients/{pid}/screenings/{screening['id']}/sign",
        json={"decision": "eligible", "reason": "Cleared in clinic by the prescriber."},
    )
    assert signed.status_code == 201, signed.text


def plan_body(protocol_id: str = MOOD, **overrides: Any) -> dict[str, Any]:
    return {"protocol_id": protocol_id, "start_date": today_in(CLINIC_TZ).isoformat(), **overrides}


@pytest.fixture
def patient_id(api: Api, nurse: Persona, prescriber: Persona) -> int:
    return clear_patient(api, nurse, prescriber)
