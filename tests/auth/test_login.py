"""Signing in and out of the staff web app."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Persona


def _login_csrf(client: TestClient) -> str:
    page = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = _login_csrf(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/patients"},
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/patients") -> str:
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def test_it_sends_anonymous_visitors_to_the_login_page(client: TestClient) -> None:
    response = client.get("/patients", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/patients"


def test_it_signs_in_with_a_session_cookie(client: TestClient, nurse: Persona) -> None:
    response = login(client, nurse.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/patients"
    cookie = response.headers["set-cookie"]
    assert "kc_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert client.get("/patients").status_code == 200


def test_it_rejects_a_wrong_password_without_saying_which_part(
    client: TestClient, nurse: Persona
) -> None:
    wrong = login(client, nurse.email, "not the password at all")
    unknown = login(client, "nobody@lakeside.example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is not right." in wrong.text
    assert "kc_session" not in client.cookies


def test_it_refuses_a_login_without_its_form_token(client: TestClient, nurse: Persona) -> None:
    response = client.post(
        "/login", data={"email": nurse.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "kc_session" not in client.cookies


def test_it_never_redirects_off_site_after_login(client: TestClient, nurse: Persona) -> None:
    token = _login_csrf(client)
    response = client.post(
        "/login",
        data={
            "email": nurse.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example.com",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/patients"


def test_it_signs_out_and_ends_the_session_on_the_server(
    client: TestClient, nurse: Persona
) -> None:
    login(client, nurse.email)
    old_cookie = client.cookies["kc_session"]
    response = client.post(
        "/logout", data={"csrf_token": page_csrf(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    client.cookies.set("kc_session", old_cookie)  # a stolen copy is now worthless
    assert client.get("/patients", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_it_requires_the_csrf_token_for_cookie_writes(client: TestClient, nurse: Persona) -> None:
    login(client, nurse.email)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    api_write = client.post("/api/v1/patients", json={})
    assert api_write.status_code == 403
    with_header = client.post(
        "/api/v1/patients", json={}, headers={"X-CSRF-Token": page_csrf(client)}
    )
    assert with_header.status_code == 422
