"""Scheduling stays pure: no web or database import, only the clinical core beside it."""

from __future__ import annotations

import ast
from importlib.util import find_spec
from pathlib import Path

FORBIDDEN = {"sqlalchemy", "fastapi", "starlette", "alembic", "jinja2", "psycopg", "httpx"}
SPEC = find_spec("ketaclinic.scheduling")
assert SPEC is not None and SPEC.origin is not None
PACKAGE = Path(SPEC.origin).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_it_imports_nothing_from_the_web_database_or_other_domains() -> None:
    assert SOURCES
    allowed = ("ketaclinic.scheduling", "ketaclinic.clinical")
    offenders = {
        f"{path.name}: {name}"
        for path in SOURCES
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
        or (name.startswith("ketaclinic") and not name.startswith(allowed))
    }
    assert offenders == set()


def test_it_keeps_every_module_under_500_lines() -> None:
    assert {p.name for p in SOURCES if len(p.read_text().splitlines()) > 500} == set()
