"""Every resource the server emits over the whole demo validates against the
``fhir.resources`` R4B models (the closest to R4 the library ships), and every
resource claiming a US Core profile fills that profile's must-support elements
(the table below)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class

from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.fhir.search import RESOURCE_TYPES, values_at
from tests.fhir.conftest import DemoServer

# Profile -> the elements every resource claiming it must fill (US Core 6.1.0's
# mandatory and must-support elements that the clinic's records hold).
MUST_SUPPORT: dict[str, tuple[str, ...]] = {
    "us-core-patient": (
        "identifier.system", "identifier.value", "name.family", "name.given", "gender",
        "birthDate", "extension.valueCode", "telecom.value",
    ),
    "us-core-practitioner": ("identifier.value", "name.family"),
    "us-core-practitionerrole": ("practitioner.reference", "organization.reference", "code"),
    "us-core-organization": ("identifier.value", "active", "name"),
    "us-core-location": ("name", "status", "managingOrganization.reference"),
    "us-core-encounter": (
        "identifier.value", "status", "class.code", "type", "subject.reference",
        "period.start", "location.location", "serviceProvider.reference",
    ),
    "us-core-blood-pressure": (
        "status", "category.coding.code", "code.coding.code", "subject.reference",
        "effectiveDateTime", "component.code.coding.code", "component.valueQuantity.value",
        "component.valueQuantity.code",
    ),
    **{
        name: (
            "status", "category.coding.code", "code.coding.code", "subject.reference",
            "effectiveDateTime", "valueQuantity.value", "valueQuantity.unit",
            "valueQuantity.system", "valueQuantity.code",
        )
        for name in (
            "us-core-heart-rate", "us-core-respiratory-rate", "us-core-pulse-oximetry",
            "us-core-body-weight", "us-core-body-height",
        )
    },
    "us-core-observation-screening-assessment": (
        "status", "category.coding.code", "code.coding.code", "subject.reference",
        "effectiveDateTime", "valueQuantity.value", "derivedFrom.reference",
    ),
    "us-core-questionnaireresponse": (
        "questionnaire", "status", "subject.reference", "authored", "author.reference",
        "item.linkId", "item.answer",
    ),
    "us-core-condition-problems-health-concerns": (
        "clinicalStatus.coding.code", "verificationStatus.coding.code",
        "category.coding.code", "code.coding.code", "subject.reference", "recordedDate",
        "meta.lastUpdated",
    ),
    "us-core-allergyintolerance": (
        "clinicalStatus.coding.code", "verificationStatus.coding.code", "code.text",
        "patient.reference",
    ),
    "us-core-medicationrequest": (
        "status", "intent", "medicationCodeableConcept.coding.code", "subject.reference",
        "authoredOn", "requester.reference", "dosageInstruction.text", "reportedBoolean",
    ),
    "us-core-careplan": (
        "text.status", "text.div", "status", "intent", "category.coding.code",
        "subject.reference",
    ),
}  # fmt: skip
# Codes a profile fixes (pattern or required slice).
FIXED_CODES: dict[str, set[str]] = {
    "us-core-blood-pressure": {"85354-9", "8480-6", "8462-4"},
    "us-core-pulse-oximetry": {"59408-5", "2708-6"},
    "us-core-heart-rate": {"8867-4"},
    "us-core-respiratory-rate": {"9279-1"},
    "us-core-body-weight": {"29463-7"},
    "us-core-body-height": {"8302-2"},
}


def _pages(client: TestClient, url: str | None) -> Iterator[dict[str, Any]]:
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        # The searchset's own elements (its resources are validated by the tests).
        get_fhir_model_class("Bundle").model_validate({**bundle, "entry": []})
        yield from (e["resource"] for e in bundle.get("entry", []))
        url = next((x["url"] for x in bundle["link"] if x["relation"] == "next"), None)


@pytest.fixture(scope="module")
def emitted(demo: DemoServer) -> dict[str, list[dict[str, Any]]]:
    """Everything the server emits for the demo, by resource type."""
    found: dict[str, list[dict[str, Any]]] = {}
    with TestClient(demo.app, headers={"Authorization": f"Bearer {demo.token}"}) as client:
        for name in RESOURCE_TYPES:
            if name == "Observation":
                continue
            found[name] = list(_pages(client, f"/fhir/{name}?_count=200"))
        observations = []
        for patient in found["Patient"]:
            url = f"/fhir/Observation?patient={patient['id']}&_count=200"
            observations += list(_pages(client, url))
        found["Observation"] = observations
    return found


def test_it_emits_only_valid_r4b_resources_over_the_whole_demo(
    emitted: dict[str, list[dict[str, Any]]], demo: DemoServer
) -> None:
    counts = Counter({name: len(rows) for name, rows in emitted.items()})
    # Every type has demo records (the demo is the proof, not an empty server).
    assert all(counts[name] > 0 for name in RESOURCE_TYPES), counts
    problems = []
    for name, rows in emitted.items():
        model = get_fhir_model_class(name)
        for resource in rows:
            try:
                model.model_validate(resource)
            except ValueError as exc:  # pydantic's ValidationError
                problems.append(f"{name}/{resource.get('id')}: {exc}")
    assert problems == []
    with TestClient(demo.app) as client:
        metadata = client.get("/fhir/metadata").json()
    get_fhir_model_class("CapabilityStatement").model_validate(metadata)


def test_it_fills_the_must_support_elements_of_each_profile(
    emitted: dict[str, list[dict[str, Any]]],
) -> None:
    claimed: Counter[str] = Counter()
    missing = []
    for rows in emitted.values():
        for resource in rows:
            for url in resource.get("meta", {}).get("profile", []):
                name = url.removeprefix(fc.US_CORE).split("|")[0]
                claimed[name] += 1
                for path in MUST_SUPPORT[name]:
                    if not any(v not in ("", [], {}) for v in values_at(resource, path)):
                        missing.append(f"{resource['resourceType']}/{resource['id']}: {path}")
                codes = {c for c in values_at(resource, "code.coding.code")}
                codes |= set(values_at(resource, "component.code.coding.code"))
                assert FIXED_CODES.get(name, set()) <= codes, (name, resource["id"])
    assert missing == []
    assert set(claimed) == set(MUST_SUPPORT), set(MUST_SUPPORT) - set(claimed)


def test_it_keeps_ids_stable_and_unique_per_type(
    emitted: dict[str, list[dict[str, Any]]],
) -> None:
    for name, rows in emitted.items():
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), name
