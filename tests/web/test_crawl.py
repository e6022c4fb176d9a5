"""Every role signs in on the demo clinic, starts at the home page and follows every
link, poll and form it is shown, to depth 3, and meets no dead end: no 403, no 404,
no 405, no 5xx. Links are fetched (GET); a posted form is not submitted (it would
change the clinic under the crawl): its action must be a route that answers POST and
whose rule in ``ROUTE_RULES`` lets the role in.

URLs are deduplicated by pattern (numbers in the path and query values set aside),
so the crawl stays bounded: one patient's chart stands for every chart."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pytest import TempPathFactory

from ketaclinic.app import create_app
from ketaclinic.auth.access import route_for
from ketaclinic.demo.loader import DEMO_PASSWORD, load_demo
from ketaclinic.identity.roles import Role, roles_with
from ketaclinic.identity.routes import Access, rule_for
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import Settings

MAX_DEPTH = 3
# A session's page differs with its state: every session on the demo's board is opened.
EVERY_ONE = frozenset({"GET /sessions/{n}?"})
# The first of each role at the demo's Lakeside clinic.
STAFF = {
    Role.ADMIN: "admin@lakeside.example.org",
    Role.PRESCRIBER: "prescriber@lakeside.example.org",
    Role.NURSE: "nurse@lakeside.example.org",
    Role.FRONT_DESK: "frontdesk@lakeside.example.org",
    Role.CUSTODIAN: "custodian@lakeside.example.org",
    Role.NETWORK_OPERATOR: "network@lakeside.example.org",
}


@dataclass(frozen=True)
class Link:
    method: str
    url: str
    found_on: str


@dataclass
class Page(HTMLParser):
    """The links (a, hx-get) and form actions of one page."""

    url: str
    links: list[Link] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self._add("GET", a["href"])
        if tag == "form":
            self._add(a.get("method", "get").upper(), a.get("action") or self.url)
        for verb in ("get", "post", "put", "patch", "delete"):
            if f"hx-{verb}" in a:
                self._add(verb.upper(), a[f"hx-{verb}"] or self.url)
        if tag in ("button", "input") and "formaction" in a:
            self._add("POST", a["formaction"])

    def _add(self, method: str, href: str) -> None:
        url = urljoin(self.url, href).split("#", 1)[0]
        if url.startswith("/") and not url.startswith("/static/"):
            self.links.append(Link(method, url, self.url))


def pattern(method: str, url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", parts.path)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{method} {path}?{'&'.join(keys)}"


def allowed(role: Role, method: str, template: str) -> bool:
    rule = rule_for(method, template)
    if rule is None:
        return False
    return isinstance(rule, Access) or role in roles_with(rule)


def sign_in(client: TestClient, email: str) -> None:
    page = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def crawl(app: FastAPI, client: TestClient, role: Role) -> tuple[list[str], int]:
    """Problems found (each naming the page that showed the link) and pages fetched."""
    problems: list[str] = []
    seen: set[str] = set()
    queue: deque[tuple[Link, int]] = deque([(Link("GET", "/", "(start)"), 0)])
    fetched = 0
    while queue:
        link, depth = queue.popleft()
        key = pattern(link.method, link.url)
        if (key in seen and key not in EVERY_ONE) or link.url in seen:
            continue
        seen |= {key, link.url}
        where = f"{link.method} {link.url} (on {link.found_on})"
        if link.method != "GET":
            path = urlsplit(link.url).path
            template = route_for(app, link.method, path)
            if template is None:
                problems.append(f"{where}: no such route")
            elif not allowed(role, link.method, template):
                problems.append(f"{where}: {role.value} may not {link.method} {template}")
            continue
        response = client.get(link.url)
        fetched += 1
        if response.status_code >= 400:
            problems.append(f"{where}: {response.status_code}")
            continue
        final = urlsplit(str(response.url)).path
        if final == "/login":
            problems.append(f"{where}: sent to the sign-in page")
            continue
        if depth >= MAX_DEPTH or "text/html" not in response.headers.get("content-type", ""):
            continue
        page = Page(url=final + (f"?{response.url.query.decode()}" if response.url.query else ""))
        page.feed(response.text)
        queue.extend((found, depth + 1) for found in page.links)
    return problems, fetched


@pytest.fixture(scope="module")
def demo_app(fresh_url: str, tmp_path_factory: TempPathFactory) -> Iterator[FastAPI]:
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as db:
        load_demo(db, solve_seconds=1)
        db.commit()
    settings = Settings(
        database_url=fresh_url,
        data_dir=tmp_path_factory.mktemp("crawl"),
        secret_key="crawl-secret",
        log_level="WARNING",
    )
    yield create_app(settings, engine=engine)
    engine.dispose()


@pytest.mark.parametrize("role", list(STAFF), ids=[r.value for r in STAFF])
def test_it_shows_each_role_only_what_it_may_open(demo_app: FastAPI, role: Role) -> None:
    with TestClient(demo_app) as client:
        sign_in(client, STAFF[role])
        problems, fetched = crawl(demo_app, client, role)
    assert fetched > 5  # the crawl went somewhere
    assert problems == []
