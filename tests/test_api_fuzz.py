"""The whole JSON API fuzzed from its own OpenAPI description (schemathesis), as an
admin and as a nurse, on the database this pass runs on: no input may answer 5xx.

Bounded and seeded in `make test` (KETACLINIC_FUZZ_EXAMPLES cases per operation,
default 3, derandomized); `make fuzz` runs a longer campaign (tests/fuzz_report.py
prints what it found). Everything written is rolled back with the test."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from tests.conftest import Persona

EXAMPLES = int(os.environ.get("KETACLINIC_FUZZ_EXAMPLES", "3"))
FOUND: Counter[str] = Counter()
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _fuzz(operation: schemathesis.APIOperation, caller: Persona) -> list[str]:
    """Run one operation's cases; the 5xx answers, described."""
    found: list[str] = []

    # Cases inside the schema and outside it (ids beyond the range, wrong types, ...).
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @FUZZ
    @given(cases)
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {caller.token}"})
        FOUND["cases"] += 1
        FOUND[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            found.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

    run()
    return found


@pytest.mark.parametrize("role", ["admin", "nurse"])
def test_it_never_answers_5xx_to_any_input(
    role: str, request: pytest.FixtureRequest, app: FastAPI
) -> None:
    caller: Persona = request.getfixturevalue(role)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 90  # the whole API, not a corner of it
    server_errors = [error for op in operations for error in _fuzz(op, caller)]
    assert server_errors == []
