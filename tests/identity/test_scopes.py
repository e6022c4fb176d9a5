"""SMART v2 scopes, pure: parsing, v1 mapped to v2, what a set of scopes permits and
the intersection the token endpoint grants (issue 22 point 3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.identity.scopes import (
    ORDER,
    Context,
    Interaction,
    Scope,
    ScopeInvalid,
    intersect,
    parse_scope,
    parse_scopes,
    permits,
    render,
    resource_scopes,
)

TYPES = st.sampled_from(
    ["Patient", "Observation", "Encounter", "Condition", "MedicationAdministration", "CarePlan"]
)
INTERACTIONS = st.sampled_from(list(Interaction))
CONTEXTS = st.sampled_from(list(Context))
PERMISSIONS = st.sets(st.sampled_from(ORDER), min_size=1).map(
    lambda s: "".join(c for c in ORDER if c in s)
)
SCOPES = st.builds(Scope, CONTEXTS, st.one_of(st.just("*"), TYPES), PERMISSIONS)


@given(TYPES, CONTEXTS)
def test_it_lets_star_rs_read_and_search_every_type(resource: str, context: Context) -> None:
    scopes = [parse_scope(f"{context.value}/*.rs")]
    assert permits(scopes, resource, "read") and permits(scopes, resource, "search")
    assert not any(permits(scopes, resource, i) for i in ("create", "update", "delete"))


@given(TYPES)
def test_it_never_lets_patient_r_search(resource: str) -> None:
    scopes = [parse_scope("user/Patient.r")]
    assert not permits(scopes, resource, Interaction.SEARCH)
    assert permits(scopes, resource, Interaction.READ) == (resource == "Patient")


@given(CONTEXTS, st.one_of(st.just("*"), TYPES))
def test_it_reads_v1_read_as_rs_and_write_as_cud(context: Context, resource: str) -> None:
    prefix = f"{context.value}/{resource}"
    assert parse_scope(f"{prefix}.read") == parse_scope(f"{prefix}.rs")
    assert parse_scope(f"{prefix}.write") == parse_scope(f"{prefix}.cud")
    assert parse_scope(f"{prefix}.*") == parse_scope(f"{prefix}.cruds")


@given(SCOPES)
def test_it_parses_what_it_renders(scope: Scope) -> None:
    assert parse_scope(str(scope)) == scope
    assert parse_scopes(render([scope, scope])) == [scope]


@given(st.lists(SCOPES, max_size=4), st.lists(SCOPES, max_size=4), TYPES, INTERACTIONS)
def test_it_grants_exactly_what_both_sides_permit(
    asked: list[Scope], allowed: list[Scope], resource: str, interaction: Interaction
) -> None:
    granted = intersect(asked, allowed)
    both = any(
        a.context == b.context
        and a.allows(resource, interaction)
        and b.allows(resource, interaction)
        for a in asked
        for b in allowed
    )
    assert permits(granted, resource, interaction) == both


@given(st.lists(SCOPES, max_size=4), st.lists(SCOPES, max_size=4))
def test_it_never_grants_more_than_was_allowed(asked: list[Scope], allowed: list[Scope]) -> None:
    for scope in intersect(asked, allowed):
        for interaction in Interaction:
            if scope.allows(scope.resource, interaction):
                assert permits(
                    [s for s in allowed if s.context == scope.context], scope.resource, interaction
                )


def test_it_narrows_a_wide_ask_to_what_was_allowed() -> None:
    granted = intersect(parse_scopes("system/*.cruds"), parse_scopes("system/Patient.rs"))
    assert render(granted) == "system/Patient.rs"
    assert intersect(parse_scopes("user/*.rs"), parse_scopes("system/*.rs")) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("system/Patient.sr", "order cruds"),
        ("system/Patient.rr", "order cruds"),
        ("system/Patient.x", "letters"),
        ("system/Patient.", "not a scope"),
        ("system/patient.rs", "not a FHIR resource type"),
        ("clinic/Patient.rs", "not a scope"),
        ("system/Observation.rs?category=vital-signs", "not supported"),
        ("openid", "not a scope"),
    ],
)
def test_it_refuses_a_malformed_scope_naming_why(text: str, words: str) -> None:
    with pytest.raises(ScopeInvalid, match=words):
        parse_scope(text)


def test_it_keeps_a_context_to_where_it_is_allowed() -> None:
    with pytest.raises(ScopeInvalid, match="only system scopes"):
        parse_scopes("user/*.rs", contexts=[Context.SYSTEM])


def test_it_leaves_out_what_is_not_a_resource_scope_from_an_ask() -> None:
    asked = resource_scopes("openid fhirUser system/Patient.rs bad/scope system/Patient.rs")
    assert render(asked) == "system/Patient.rs"


@given(st.text(max_size=80))
def test_it_answers_any_text_with_a_scope_or_a_reason(text: str) -> None:
    try:
        scope = parse_scope(text)
    except ScopeInvalid as exc:
        assert str(exc)
    else:
        assert parse_scope(str(scope)) == scope
    assert all(isinstance(s, Scope) for s in resource_scopes(text))
