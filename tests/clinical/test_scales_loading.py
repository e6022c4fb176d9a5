"""Instrument definitions load from packaged YAML and are checked on load."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketaclinic.clinical.scales import (
    InstrumentDefinitionError,
    UnknownInstrumentError,
    get_instrument,
    load_instrument_file,
    load_instruments,
)

ALL_IDS = {"phq9", "gad7", "pcl5", "qids_sr16", "cssrs_screener", "madrs", "cadss", "pain_nrs"}


def test_it_loads_every_packaged_instrument() -> None:
    assert set(load_instruments()) == ALL_IDS


def test_it_ships_one_yaml_file_per_instrument_inside_the_package() -> None:
    folder = files("ketaclinic.clinical.scales") / "instruments"
    assert {entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml")} == {
        f"{instrument_id}.yaml" for instrument_id in ALL_IDS
    }


@pytest.mark.parametrize("instrument_id", sorted(ALL_IDS))
def test_it_gives_every_instrument_a_version_a_source_and_who_completes_it(
    instrument_id: str,
) -> None:
    instrument = get_instrument(instrument_id)
    # C-SSRS 1.1: question 6 asks lifetime, then past-3-months behaviour (issue 18).
    assert instrument.version == ("1.1" if instrument.id == "cssrs_screener" else "1.0")
    assert instrument.completed_by in {"self", "clinician"}
    assert instrument.sources[0].authors and instrument.sources[0].year > 1900
    assert all(item.text.strip() for item in instrument.items)


@pytest.mark.parametrize(
    ("instrument_id", "scored_items", "max_total", "completed_by"),
    [
        ("phq9", 9, 27, "self"),
        ("gad7", 7, 21, "self"),
        ("pcl5", 20, 80, "self"),
        ("qids_sr16", 16, 27, "self"),
        ("cssrs_screener", 7, 7, "clinician"),
        ("madrs", 10, 60, "clinician"),
        ("cadss", 23, 92, "clinician"),
        ("pain_nrs", 1, 10, "self"),
    ],
)
def test_it_knows_the_published_item_count_and_maximum_total(
    instrument_id: str, scored_items: int, max_total: int, completed_by: str
) -> None:
    instrument = get_instrument(instrument_id)
    assert len(instrument.scored_items) == scored_items
    assert instrument.max_total == max_total
    assert instrument.completed_by == completed_by


def test_it_records_the_loinc_codes_from_clinical_md() -> None:
    codes = {i.id: i.loinc_total for i in load_instruments().values() if i.loinc_total}
    assert codes == {"phq9": "44261-6", "gad7": "70274-6", "pain_nrs": "72514-3"}
    assert get_instrument("phq9").loinc_panel == "44249-1"


def test_it_names_items_after_their_instrument() -> None:
    assert get_instrument("phq9").item_ids[0] == "phq9_1"
    assert get_instrument("cssrs_screener").item_ids == (
        *(f"cssrs_{n}" for n in range(1, 7)),
        "cssrs_6_recent",
    )


def test_it_refuses_an_unknown_instrument_id_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownInstrumentError, match="phq9"):
        get_instrument("beck")


def test_it_hands_out_frozen_definitions() -> None:
    with pytest.raises(ValueError, match="frozen"):
        get_instrument("phq9").version = "2.0"  # type: ignore[misc]


# -- a broken file is refused, naming the file and the problem -------------------

PACKAGED = Path(str(files("ketaclinic.clinical.scales") / "instruments"))


def _phq9() -> dict[str, Any]:
    data = yaml.safe_load((PACKAGED / "phq9.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[key]

    return change


def _both(
    first: Callable[[dict[str, Any]], None], second: Callable[[dict[str, Any]], None]
) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        first(data)
        second(data)

    return change


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("duplicate item", _set("items.1.id", "phq9_1"), "duplicate item id 'phq9_1'"),
    ("item of another scale", _set("items.0.id", "gad7_1"), "must start with 'phq9_'"),
    ("unsorted bands", _set("bands.2.min_total", 3), "bands must be sorted"),
    ("band not from 0", _set("bands.0.min_total", 1), "first band must start at 0"),
    ("band past the max", _set("bands.4.min_total", 28), "above the maximum total 27"),
    ("gap in options", _set("options.3.value", 4), "option values must run 0, 1, 2"),
    ("bool option value", _set("options.0.value", False), "valid integer"),
    ("flag on no item", _set("flags.0.item", "phq9_99"), "unknown item 'phq9_99'"),
    ("flag never fires", _set("flags.0.threshold", 3), "threshold 3 must be in 0..2"),
    ("missing name", _drop("name"), "name: Field required"),
    ("missing sources", _drop("sources"), "sources: Field required"),
    ("unknown key", _set("colour", "blue"), "colour: Extra inputs are not permitted"),
    ("numeric version", _set("version", 1.0), "version: Input should be a valid string"),
    ("bad completer", _set("completed_by", "nurse"), "completed_by"),
    ("id not file name", _both(_set("id", "phq8"), _set("item_prefix", "phq9")), "file name"),
    ("no bands source", _drop("bands_source"), "bands need a bands_source"),
]


@pytest.mark.parametrize(
    ("change", "problem"), [(c, p) for _, c, p in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_it_refuses_a_broken_file_naming_the_file_and_the_problem(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    data = _phq9()
    change(data)
    (tmp_path / "phq9.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instruments(tmp_path)
    assert str(caught.value).startswith("phq9.yaml: ")
    assert problem in str(caught.value)


def test_it_refuses_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "phq9.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match=r"^phq9.yaml: invalid YAML"):
        load_instrument_file(path)


def test_it_refuses_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "phq9.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match="expected a mapping"):
        load_instrument_file(path)


def test_it_refuses_a_skip_rule_or_domain_naming_a_missing_item(tmp_path: Path) -> None:
    qids = yaml.safe_load((PACKAGED / "qids_sr16.yaml").read_text(encoding="utf-8"))
    qids["domains"][0]["items"].append("qids_sr16_99")
    (tmp_path / "qids_sr16.yaml").write_text(yaml.safe_dump(qids), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match="'sleep' names unknown item"):
        load_instruments(tmp_path)

    cssrs = yaml.safe_load((PACKAGED / "cssrs_screener.yaml").read_text(encoding="utf-8"))
    cssrs["skip_rules"][0]["skip"].append("cssrs_9")
    path = tmp_path / "cssrs_screener.yaml"
    path.write_text(yaml.safe_dump(cssrs), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match="skip rule names unknown item 'cssrs_9'"):
        load_instrument_file(path)


def test_it_refuses_items_in_two_domains(tmp_path: Path) -> None:
    qids = yaml.safe_load((PACKAGED / "qids_sr16.yaml").read_text(encoding="utf-8"))
    qids["domains"][1]["items"].append("qids_sr16_1")
    path = tmp_path / "qids_sr16.yaml"
    path.write_text(yaml.safe_dump(qids), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match="in two domains"):
        load_instrument_file(path)
