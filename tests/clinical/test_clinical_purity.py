"""The clinical core stays pure: no web or database imports, small modules."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

FORBIDDEN = {"sqlalchemy", "fastapi", "starlette", "alembic", "jinja2", "psycopg", "httpx"}
SPEC = find_spec("ketaclinic.clinical")
assert SPEC is not None and SPEC.origin is not None
CLINICAL = Path(SPEC.origin).parent
SRC = CLINICAL.parents[1]
SOURCES = sorted(CLINICAL.rglob("*.py"))

PROBE = """
import json, sys
from ketaclinic.clinical import outcomes
from ketaclinic.clinical.scales import load_instruments, score
score("phq9", {f"phq9_{n}": 0 for n in range(1, 10)})
load_instruments()
print(json.dumps(sorted(sys.modules)))
"""


def test_it_imports_nothing_from_the_web_or_database_layers_at_runtime() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(run.stdout)}
    assert loaded & FORBIDDEN == set()


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_it_names_no_forbidden_package_in_any_clinical_source_file() -> None:
    assert SOURCES
    offenders = {
        f"{path.relative_to(SRC)}: {name}"
        for path in SOURCES
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
        or (name.startswith("ketaclinic") and not name.startswith("ketaclinic.clinical"))
    }
    assert offenders == set()


def test_it_keeps_every_clinical_module_under_400_lines() -> None:
    long = {str(p.relative_to(SRC)) for p in SOURCES if len(p.read_text().splitlines()) > 400}
    assert long == set()
