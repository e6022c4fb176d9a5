"""Architecture rules that matter, checked on every run."""

from __future__ import annotations

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
