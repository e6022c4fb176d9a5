"""A malformed rule file is refused at load with its file, line and reason."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from ketaclinic.clinical.screening import (
    RuleSetError,
    load_rule_set_file,
    load_rule_sets,
    parse_rule_set,
)

# Line numbers matter below: line 7 is the first rule's condition, 11 the second
# rule, 14-15 its branches, 16 its severity.
GOOD = """\
id: demo
version: "1"
name: Demo
applies_to: tests
rules:
  - id: pregnancy
    when: {fact: pregnant, is: true}
    severity: exclude
    message: Pregnant.
    source: CLINICAL.md Contraindications
  - id: age_extreme
    when:
      any:
        - {fact: age_years, at_least: 65}
        - {fact: age_years, below: 18}
    severity: review
    message: Age extremes.
    source: CLINICAL.md Contraindications
"""


def with_line(number: int, text: str | None) -> str:
    """GOOD with line ``number`` replaced by ``text`` (or removed when None)."""
    lines = GOOD.splitlines()
    if text is None:
        del lines[number - 1]
    else:
        lines[number - 1] = text
    return "\n".join(lines) + "\n"


def test_it_loads_the_well_formed_example_remembering_where_each_rule_starts() -> None:
    rule_set = parse_rule_set(GOOD, "demo.yaml")
    assert [(rule.id, rule.line) for rule in rule_set.rules] == [
        ("pregnancy", 6),
        ("age_extreme", 11),
    ]
    assert rule_set.facts == ("pregnant", "age_years")


BROKEN = [
    ("unknown fact", 7, "    when: {fact: pregnancy, is: true}", 7, "unknown fact 'pregnancy'"),
    ("unknown nested", 15, "        - {fact: age, below: 18}", 15, "unknown fact 'age'"),
    ("bad operator", 14, "        - {fact: age_years, over: 65}", 14, "unknown operator 'over'"),
    (
        "operator of another kind",
        7,
        "    when: {fact: pregnant, at_least: 1}",
        7,
        "operator 'at_least' does not apply to bool fact 'pregnant' (use is)",
    ),
    ("two operators", 7, "    when: {fact: pregnant, is: true, in: [x]}", 7, "exactly one"),
    ("no operator", 7, "    when: {fact: pregnant}", 7, "exactly one operator"),
    ("wrong value type", 7, "    when: {fact: pregnant, is: 'yes'}", 7, "must be true or false"),
    ("text for a number", 14, "        - {fact: age_years, at_least: old}", 14, "whole number"),
    (
        "unknown code",
        7,
        "    when: {fact: medication_classes, contains: aspirin}",
        7,
        "'aspirin' is not one of benzodiazepine",
    ),
    ("empty any", 7, "    when: {any: []}", 7, "'any' needs a non-empty list"),
    ("combinator with company", 7, "    when: {not: {fact: pregnant, is: true}, x: 1}", 7, "stand"),
    ("not a condition", 7, "    when: pregnant", 7, "a condition must be a mapping"),
    ("unknown key", 7, "    when: {fact_name: pregnant, is: true}", 7, "unknown condition"),
    ("duplicate rule id", 11, "  - id: pregnancy", 11, "duplicate rule id 'pregnancy'"),
    ("bad severity", 16, "    severity: fatal", 16, "rules.1.severity: Input should be"),
    ("missing source", 10, None, 6, "rules.0.source: Field required"),
    ("empty source", 10, "    source: '  '", 10, "rules.0.source: String should have at least"),
    (
        "unknown rule key",
        9,
        "    message: Pregnant.\n    note: hi",
        10,
        "rules.0.note: Extra inputs are not permitted",
    ),
    ("bad rule id", 6, "  - id: Pregnancy", 6, "rules.0.id: String should match pattern"),
    ("numeric version", 2, "version: 1", 2, "version: Input should be a valid string"),
    ("missing name", 3, None, 1, "name: Field required"),
    ("duplicate key", 9, "    severity: review", 9, "duplicate key 'severity'"),
    ("yaml syntax", 9, "    message: [unclosed", 10, "invalid YAML"),
    ("yaml mapping error", 8, "    severity: exclude: now", 8, "invalid YAML"),
]


@pytest.mark.parametrize(
    ("number", "text", "line", "reason"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_it_refuses_a_broken_file_naming_file_line_and_reason(
    tmp_path: Path, number: int, text: str | None, line: int, reason: str
) -> None:
    (tmp_path / "demo.yaml").write_text(with_line(number, text), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rule_sets(tmp_path)
    assert str(caught.value).startswith(f"demo.yaml:{line}: ")
    assert reason in str(caught.value)
    assert (caught.value.source, caught.value.line) == ("demo.yaml", line)


def test_it_refuses_a_rule_set_whose_id_is_not_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"^other.yaml:1: id 'demo' does not match"):
        load_rule_set_file(path)


def test_it_refuses_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="expected a mapping"):
        load_rule_set_file(path)


def test_it_refuses_a_rule_set_without_rules() -> None:
    text = GOOD.split("rules:")[0] + "rules: []\n"
    with pytest.raises(RuleSetError, match=r"^demo.yaml:5: rules: .*at least 1"):
        parse_rule_set(text, "demo.yaml")


def test_it_names_the_line_of_a_mistake_in_a_packaged_file(tmp_path: Path) -> None:
    packaged = files("ketaclinic.clinical.screening") / "rules" / "esketamine_nasal.yaml"
    lines = packaged.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "fact: pregnant, is: true" in line)
    lines[number - 1] = lines[number - 1].replace("pregnant", "pregnent")
    (tmp_path / "esketamine_nasal.yaml").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rule_sets(tmp_path)
    assert str(caught.value).startswith(f"esketamine_nasal.yaml:{number}: ")
    assert "unknown fact 'pregnent'" in str(caught.value)


def test_it_reads_only_yaml_files_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "README.md").write_text("not a rule set", encoding="utf-8")
    assert list(load_rule_sets(tmp_path)) == ["demo"]
