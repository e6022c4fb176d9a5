"""A clinic's own rule sets reach every server process: each looks at the directory
again every few seconds and re-reads it when a file changed; a malformed change is
refused and the previous files keep serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketaclinic.clinic_data import RECHECK_SECONDS, Watcher
from ketaclinic.kit.logging import configure_logging
from ketaclinic.settings import Settings

RULE_SET = (
    "id: clinic_mood\nversion: '{version}'\nname: Clinic mood\napplies_to: IV ketamine\n"
    "rules:\n  - id: bp\n    when: {{fact: {fact}, at_least: 160}}\n"
    "    severity: exclude\n    message: BP too high\n    source: clinic policy 12\n"
)


@pytest.fixture(autouse=True)
def _logging() -> None:
    """Log as the app does (create_app would set this up; an earlier test may have
    left logging pointed at its own, closed, captured output)."""
    configure_logging(json=True, level="WARNING")


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def _write(rules: Path, version: str, fact: str = "systolic_bp_mmhg") -> None:
    (rules / "clinic_mood.yaml").write_text(RULE_SET.format(version=version, fact=fact))


def _watching(tmp_path: Path) -> tuple[Watcher, Clock, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    _write(rules, "2026.1")
    clock = Clock()
    return Watcher(Settings(rules_dir=rules, data_dir=tmp_path), clock), clock, rules


def _version(watcher: Watcher) -> str:
    return watcher.current().rule_sets["clinic_mood"].version


def test_it_serves_a_changed_rule_set_within_the_recheck_interval(tmp_path: Path) -> None:
    watcher, clock, rules = _watching(tmp_path)
    assert _version(watcher) == "2026.1" and "iv_ketamine_mood" in watcher.current().rule_sets
    _write(rules, "2026.2 revised")
    assert _version(watcher) == "2026.1"  # not looked at again yet: no cost per request
    clock.seconds += RECHECK_SECONDS
    assert _version(watcher) == "2026.2 revised"


def test_it_keeps_serving_the_last_good_files_when_a_change_is_malformed(
    tmp_path: Path,
) -> None:
    watcher, clock, rules = _watching(tmp_path)
    _write(rules, "2026.2", fact="systolic_pressure")  # no such fact
    clock.seconds += RECHECK_SECONDS
    assert _version(watcher) == "2026.1"
    _write(rules, "2026.3")
    clock.seconds += RECHECK_SECONDS
    assert _version(watcher) == "2026.3"


def test_it_never_looks_at_the_disk_when_the_clinic_has_no_files_of_its_own(
    tmp_path: Path,
) -> None:
    watcher = Watcher(Settings(data_dir=tmp_path))
    assert watcher.current() is watcher.data


def _care_sheet(directory: Path, version: str, title: str) -> None:
    (directory / "after_infusion_care.yaml").write_text(
        f"kind: shared\nid: after_infusion_care\nversion: '{version}'\ntitle: {title}\n"
        "summary: Reviewed by the clinic.\nbody: |\n"
        "  Rest today. Do not drive until the next day after a night's sleep. Call 988.\n"
    )


def test_it_serves_the_clinics_own_documents_over_the_packaged_ones(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    _care_sheet(documents, "1.1", "Lakeside care sheet")
    clock = Clock()
    watcher = Watcher(Settings(documents_dir=documents, data_dir=tmp_path), clock)
    assert watcher.current().shared_documents["after_infusion_care"].title == "Lakeside care sheet"
    assert "iv_ketamine_infusion" in watcher.current().consents
    _care_sheet(documents, "1.2", "Lakeside care sheet, revised")
    clock.seconds += RECHECK_SECONDS
    assert watcher.current().shared_documents["after_infusion_care"].version == "1.2"
    _care_sheet(documents, "1.0", "Older than the packaged")  # refused: not newer
    clock.seconds += RECHECK_SECONDS
    assert watcher.current().shared_documents["after_infusion_care"].version == "1.2"
