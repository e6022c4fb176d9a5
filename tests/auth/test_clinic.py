"""The one clinic resolver: the clinic a request names, or the caller's only one."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.requests import Request

from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.kit.errors import Forbidden, ValidationFailed
from tests.auth.test_login import login
from tests.conftest import Persona


def _nurse_in(*clinics: Clinic) -> Principal:
    return Principal(
        user_id=7, email="sam@example.org", name="Sam", roles={c.id: Role.NURSE for c in clinics}
    )


def _request(query: bytes = b"", path_params: dict[str, str] | None = None) -> Request:
    scope = {"type": "http", "query_string": query, "path_params": path_params or {}}
    return Request(scope)


def test_it_gives_a_one_clinic_caller_their_clinic_without_asking(
    db: Session, front_desk: Persona
) -> None:
    from ketaclinic.auth.service import principal_for

    who = principal_for(db, front_desk.user)
    found = resolve_clinic(db, who, Permission.PATIENT_READ, None)
    assert found.id == front_desk.clinic.id


def test_it_asks_which_clinic_when_the_caller_works_in_several(
    db: Session, clinic: Clinic, other_clinic: Clinic
) -> None:
    nurse = _nurse_in(clinic, other_clinic)
    with pytest.raises(ValidationFailed) as refused:
        resolve_clinic(db, nurse, Permission.PATIENT_READ, None)
    assert refused.value.fields == {"clinic_id": "is required: you work in more than one clinic"}
    assert resolve_clinic(db, nurse, Permission.PATIENT_READ, other_clinic.id) == other_clinic


def test_it_refuses_a_clinic_not_the_callers_instead_of_falling_back(
    db: Session, clinic: Clinic, other_clinic: Clinic
) -> None:
    nurse = _nurse_in(clinic)
    with pytest.raises(ValidationFailed) as refused:
        resolve_clinic(db, nurse, Permission.PATIENT_READ, other_clinic.id)
    assert refused.value.fields == {"clinic_id": "not one of your clinics"}


def test_it_forbids_a_caller_without_the_permission_anywhere(db: Session, clinic: Clinic) -> None:
    with pytest.raises(Forbidden):
        resolve_clinic(db, _nurse_in(clinic), Permission.LEDGER_STOCK, None)


def test_it_reads_the_clinic_from_the_path_or_the_query() -> None:
    assert requested_clinic_id(_request()) is None
    assert requested_clinic_id(_request(b"clinic_id=12")) == 12
    assert requested_clinic_id(_request(path_params={"clinic_id": "3"})) == 3
    with pytest.raises(ValidationFailed) as refused:
        requested_clinic_id(_request(b"clinic_id=twelve"))
    assert refused.value.fields == {"clinic_id": "must be a whole number"}


def test_it_asks_a_two_clinic_nurse_which_clinic_a_page_is_about(
    client: TestClient, two_clinic_nurse: Persona, clinic: Clinic, other_clinic: Clinic
) -> None:
    assert login(client, two_clinic_nurse.email).status_code == 303
    page = client.get("/schedule?day=2026-03-02&view=day")
    assert page.status_code == 200
    assert "Which clinic?" in page.text
    links = re.findall(r'href="(/schedule\?[^"]+)"[^>]*>([^<]+)<', page.text)
    assert sorted(name for _href, name in links) == sorted([clinic.name, other_clinic.name])
    for href, name in links:
        assert "day=2026-03-02" in href and "view=day" in href
        wanted = clinic if name == clinic.name else other_clinic
        assert f"clinic_id={wanted.id}" in href.replace("&amp;", "&")
        assert client.get(href.replace("&amp;", "&")).status_code == 200


def test_it_keeps_the_api_answer_naming_clinic_id_for_a_two_clinic_caller(
    api: Callable[[Persona], TestClient], two_clinic_nurse: Persona
) -> None:
    answer = api(two_clinic_nurse).get("/api/v1/schedule/day", params={"on": "2026-03-02"})
    assert answer.status_code == 422
    assert "clinic_id" in answer.json()["error"]["fields"]


def test_it_asks_a_two_clinic_nurse_which_board_and_polls_the_one_chosen(
    client: TestClient, two_clinic_nurse: Persona, other_clinic: Clinic
) -> None:
    assert login(client, two_clinic_nurse.email).status_code == 303
    assert "Which clinic?" in client.get("/board").text
    chosen = client.get("/board", params={"clinic_id": other_clinic.id})
    assert chosen.status_code == 200 and "Which clinic?" not in chosen.text
    assert f'hx-get="/board/rows?clinic_id={other_clinic.id}"' in chosen.text
