"""Staff see words, never our ids: the demo's staff pages, crawled as its admin and
its prescriber from the navigation, show no slug-like token (``iv_ketamine_mood``),
no data file name (``CLINICAL.md``, ``checklist.yaml``) and no "seed documents" in
their visible text. Attributes and URLs may hold ids; what is read may not."""

from __future__ import annotations

import re
from collections import deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.auth.service import create_api_token, get_user_by_email
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import shifted_clock

SLUG = re.compile(r"\b[a-z]+(?:_[a-z0-9]+){2,}\b")
FILE_NAME = re.compile(r"\b[\w-]+\.(?:md|yaml|yml)\b", re.IGNORECASE)
INTERNAL = ("seed document", "rule_id", "protocol_id")
SKIP = (".pdf", ".svg", ".csv", ".png", "/api/", "/static/", "/logout", "/q/", "/consult/")
# The enforced route table is shown to the admin as routes, on purpose.
NOT_WORDS = {"/admin/roles"}
PER_PATTERN = 2  # pages of one shape (/patients/{n}) visited
# ...but every session on the board: the demo has one in each state.
PER_SHAPE = {"/sessions/{n}": 40}
MAX_PAGES = 200


class _Text(HTMLParser):
    """The page's visible text and its links (scripts, styles and attributes apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <code> holds what staff copy as typed (an API token's first characters, random
        # and sometimes slug-shaped), not words.
        if tag in ("script", "style", "template", "code"):
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _shape(path: str) -> str:
    return re.sub(r"/\d+", "/{n}", path)


def _problems(text: str) -> list[str]:
    found = [m.group(0) for m in SLUG.finditer(text)]
    found += [m.group(0) for m in FILE_NAME.finditer(text)]
    found += [w for w in INTERNAL if w in text.lower()]
    return found


def _crawl(client: TestClient) -> tuple[dict[str, list[str]], int]:
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(["/", "/board", "/patients", "/screenings", "/protocols", "/schedule"])
    problems: dict[str, list[str]] = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = _shape(urlsplit(url).path)
        if shapes.get(shape, 0) >= PER_SHAPE.get(shape, PER_PATTERN):
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        pages += 1
        parser = _Text()
        parser.feed(response.text)
        found = _problems("\n".join(parser.text))
        if found and url not in NOT_WORDS:
            problems[url] = sorted(set(found))
        for href in parser.links:
            link = urldefrag(href).url
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/"):
                continue
            if any(s in link for s in SKIP) or link in seen:
                continue
            queue.append(link)
    return problems, pages


@pytest.mark.parametrize("role", ["admin", "prescriber"])
def test_it_shows_staff_words_never_ids(role: str, db: Session, app: FastAPI) -> None:
    load_demo(db, solve_seconds=1)
    shift = db.get(ClockShift, 1)
    user = get_user_by_email(db, f"{role}@lakeside.example.org")
    assert user is not None
    token = create_api_token(db, user, label="words")
    db.commit()
    with (
        shifted_clock(timedelta(seconds=shift.shift_seconds if shift else 0)),
        TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        problems, pages = _crawl(client)
    assert pages > 20
    assert problems == {}, "\n".join(f"{u}: {p}" for u, p in problems.items())
