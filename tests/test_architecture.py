"""Architecture rules that matter, checked on every run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_keeps_the_clinical_core_free_of_web_and_database_imports() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the dev dependencies"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_serves_no_asset_from_a_cdn() -> None:
    templates = (ROOT / "src" / "ketaclinic").rglob("*.html")
    for template in templates:
        text = template.read_text()
        assert "https://" not in text and "http://" not in text, template


# time_machine.escape_hatch is the suite's one way to the real clock, for a test that
# must put a server in another process on the suite's clock (test_serve_workers.py).
WALL_CLOCK = re.compile(
    r"\b(datetime\.(now|utcnow|today)|date\.today"
    r"|(?<!escape_hatch\.)time\.(time|time_ns|localtime|gmtime))\("
    r"|__import__\(\"datetime\"\)"
)


def test_it_asks_the_one_clock_for_now_and_today() -> None:
    """Only kit.time reads the clock: the app and the demo run on its (injectable,
    shiftable) clock, and the suite's clock is set by a time-travel library in
    tests/conftest.py, so nothing depends on the hour a test happens to run."""
    clock = ROOT / "src" / "ketaclinic" / "kit" / "time.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("src", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != clock
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == []
