"""The whole JSON API fuzzed from its own OpenAPI description (schemathesis), as an
admin and as a nurse, on the database this pass runs on: no input may answer 5xx,
and every answer conforms to what the description documents (status, body schema,
headers; schema-valid input accepted, schema-violating input refused).

A well-formed request may still break a business rule JSON Schema cannot state (a
date against today, one field against another): such operations list their rules
under ``x-rules`` on their 422 response (kit.openapi.BUSINESS_RULES), and only there
is a 422 to schema-valid input conforming.

Bounded and seeded in `make test` (KETACLINIC_FUZZ_EXAMPLES cases per operation,
default 3, derandomized); `make fuzz` runs a longer campaign (bench/fuzz.py).
Everything written is rolled back with the test."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ketaclinic.kit.openapi import RULES_KEY
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


def _has_rules(operation: schemathesis.APIOperation) -> bool:
    refused = operation.definition.raw.get("responses", {}).get("422", {})
    return bool(refused.get(RULES_KEY))


def _fuzz(operation: schemathesis.APIOperation, caller: Persona) -> list[str]:
    """Run one operation's cases; the 5xx answers and conformance failures, described."""
    found: list[str] = []
    ruled = _has_rules(operation)

    # Cases inside the schema and outside it (ids beyond the range, wrong types, ...).
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @FUZZ
    @given(cases)
    def run(case: schemathesis.Case) -> None:
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = case.call(headers=headers)
        FOUND["cases"] += 1
        FOUND[f"{response.status_code // 100}xx"] += 1
        where = f"{case.method} {case.formatted_path}"
        if response.status_code >= 500:
            found.append(f"{where}: {response.text[:200]}")
            return
        excluded = [positive_data_acceptance] if ruled and response.status_code == 422 else []
        try:
            case.validate_response(response, headers=headers, excluded_checks=excluded)
        except (FailureGroup, Failure) as failed:
            failures = failed.exceptions if isinstance(failed, FailureGroup) else [failed]
            said = response.text[:160]
            found.extend(f"{where} -> {response.status_code} {f.title}: {said}" for f in failures)

    run()
    return found


@pytest.mark.parametrize("role", ["admin", "nurse"])
def test_it_answers_every_input_as_documented_and_never_5xx(
    role: str, request: pytest.FixtureRequest, app: FastAPI
) -> None:
    caller: Persona = request.getfixturevalue(role)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 90  # the whole API, not a corner of it
    problems = [problem for op in operations for problem in _fuzz(op, caller)]
    assert not problems, "\n".join(problems)
