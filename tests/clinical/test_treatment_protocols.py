"""The protocol library: every shipped file loads, cites its source, expands to the
documented session pattern and doses a typical patient inside its limits; broken
files are refused with the file, the line and the reason."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ketaclinic.clinical.dosing import Cm, DoseRequest, Kg, Minutes, Ml, Weighing, calculate
from ketaclinic.clinical.treatment import (
    Gap,
    ProtocolError,
    UnknownProtocolError,
    expand,
    get_protocol,
    load_protocols,
    parse_protocol,
    target_days,
    window_after,
)

PACKAGED = Path(__file__).parents[2] / "src/ketaclinic/clinical/treatment/protocols"

# The documented pattern of each protocol (docs/clinical-references.md#schedules and
# #dosing), as target days from the first session.
PATTERNS = {
    # twice weekly x 3 weeks = 6 infusions (ELEKT-D)
    "depression_iv_twice_weekly": [0, 3, 6, 9, 12, 15],
    # three times weekly, six over two weeks (KetECT; seed documents)
    "depression_iv_accelerated": [0, 2, 4, 6, 8, 10],
    # 3 in week 1, 2 in week 2, weekly x 3, then monthly (seed document 004)
    "depression_iv_321_monthly": [0, 2, 4, 7, 10, 17, 24, 31, 59, 87, 115],
    # CRPS daily for 5 days, up to 10 (Cohen 2018)
    "crps_iv_daily": [0, 1, 2, 3, 4],
    "depression_im": [0, 3, 6, 9, 12, 15],
    "depression_sublingual": [0, 3, 6, 9, 12, 15],
    # Spravato: weeks 1-4 twice weekly (8), weeks 5-8 weekly (4), then every 2 weeks
    "esketamine_nasal": [0, 3, 6, 9, 12, 15, 18, 21, 28, 35, 42, 49, 63, 77, 91, 105],
    # weekly x 4, every 2 weeks x 4, monthly x 3 (PMC7265624)
    "maintenance_taper": [0, 7, 14, 21, 35, 49, 63, 77, 105, 133, 161],
}


def test_it_ships_every_protocol_the_issue_names() -> None:
    assert set(load_protocols()) == set(PATTERNS)


@pytest.mark.parametrize("protocol_id", sorted(PATTERNS))
def test_it_expands_each_protocol_to_its_documented_pattern(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    assert target_days(protocol) == PATTERNS[protocol_id]
    cites = "docs/clinical-references.md#"
    assert cites in protocol.source and cites in protocol.dose.source
    sessions = expand(protocol, include_optional=True)
    assert len(sessions) == protocol.max_sessions
    assert [s.number for s in sessions] == list(range(1, len(sessions) + 1))
    assert sessions[0].gap is None and all(s.gap is not None for s in sessions[1:])


@pytest.mark.parametrize("protocol_id", sorted(PATTERNS))
def test_it_doses_a_typical_adult_inside_the_protocols_limits(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    today = date(2026, 11, 23)
    for spec in protocol.preparations:
        dose = calculate(
            DoseRequest(
                rule=protocol.dose.rule(),
                preparation=spec.to_preparation(Ml("0.1")),
                duration=Minutes(protocol.dose.duration_min) if spec.kind == "infusion" else None,
                basis=protocol.dose.weight_basis,
                weighing=Weighing(Kg("72.5"), today - timedelta(days=2), Cm(170)),
                sex_at_birth="female",
                today=today,
            )
        )
        assert not dose.above_soft_limit
        if spec.kind == "infusion":
            assert dose.rate is not None and dose.volume is not None


def test_it_marks_sessions_beyond_the_count_optional() -> None:
    crps = expand(get_protocol("crps_iv_daily"), include_optional=True)
    assert [s.optional for s in crps] == [False] * 5 + [True] * 5


def test_it_opens_the_next_window_from_the_day_the_last_session_happened() -> None:
    window = window_after(date(2026, 11, 23), Gap(min=2, target=3, max=4))
    assert (window.earliest, window.target, window.latest) == (
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 27),
    )
    assert window.contains(date(2026, 11, 27)) and not window.contains(date(2026, 11, 24))


def test_it_flags_esketamine_as_rems_with_a_first_dose_of_56_mg() -> None:
    esketamine = get_protocol("esketamine_nasal")
    assert esketamine.rems and esketamine.phases.observation_min >= 120
    assert esketamine.dose.first_session_amount == 56 and esketamine.dose.options == (56, 84)
    assert not any(get_protocol(p).rems for p in PATTERNS if p != "esketamine_nasal")


def test_it_refuses_an_unknown_protocol() -> None:
    with pytest.raises(UnknownProtocolError, match="known: crps_iv_daily"):
        get_protocol("depression_iv_weekly")


# ---- malformed files ------------------------------------------------------------


def _text(protocol_id: str = "depression_iv_twice_weekly") -> str:
    return (PACKAGED / f"{protocol_id}.yaml").read_text()


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("  soft_limit: 0.75", "  soft_limit: 1.5"), 15, "amount <= soft_limit <= hard_limit"),
        (
            ("gap: {min: 2, target: 3, max: 4}", "gap: {min: 4, target: 3, max: 2}"),
            32,
            "min <= target <= max",
        ),
        (("route: iv", "route: oral"), 8, "Input should be 'iv'"),
        (("  duration_min: 40\n", ""), 2, "infusion protocol needs dose.duration_min"),
        (
            ('kind: infusion, label: "1 mg/mL', 'kind: devices, label: "1 mg/mL'),
            13,
            "does not take concentration_mg_per_ml",
        ),
        (
            ("    administration: 10", "    administration: 10\n    administration: 5"),
            67,
            "duplicate key",
        ),
        (("indications: [trd,", "indications: [bunions,"), 10, "unknown indications"),
    ],
)
def test_it_refuses_a_broken_protocol_naming_file_line_and_reason(
    change: tuple[str, str], line: int, reason: str
) -> None:
    old, new = change
    text = _text()
    assert old in text
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(text.replace(old, new, 1), "depression_iv_twice_weekly.yaml")
    assert refused.value.source == "depression_iv_twice_weekly.yaml"
    assert refused.value.line == line, str(refused.value)
    assert reason in refused.value.problem


def test_it_refuses_a_clinic_protocol_pointing_at_nothing(tmp_path: Path) -> None:
    text = _text().replace("id: depression_iv_twice_weekly", "id: clinic_series")
    (tmp_path / "clinic_series.yaml").write_text(text.replace("maintenance_taper", "taper_v9"))
    with pytest.raises(ProtocolError, match=r"clinic_series\.yaml: maintenance\.protocol"):
        load_protocols(tmp_path)
    (tmp_path / "clinic_series.yaml").write_text(text)
    with pytest.raises(ProtocolError, match="rule_set: no screening rule set"):
        load_protocols(tmp_path, rule_set_ids=["esketamine_nasal"])
    assert set(load_protocols(tmp_path)) == {"clinic_series"}


def test_it_refuses_a_file_whose_id_is_not_its_name(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(_text())
    with pytest.raises(ProtocolError, match="does not match the file name"):
        load_protocols(tmp_path)


def test_it_refuses_esketamine_without_the_rems_flag() -> None:
    with pytest.raises(ProtocolError, match="REMS"):
        parse_protocol(_text("esketamine_nasal").replace("rems: true", "rems: false"), "x.yaml")


def test_it_says_what_an_accepted_booster_adds() -> None:
    """The booster rule's sessions (docs/clinical-references.md#boosters, practice):
    two, the first within a week, the second about two weeks later."""
    rule = get_protocol("depression_iv_twice_weekly").booster
    assert rule is not None and rule.sessions == 2 and rule.first_within_days == 7
    assert rule.gap is not None and (rule.gap.min, rule.gap.target, rule.gap.max) == (12, 14, 16)
    broken = _text().replace(
        "  sessions: 2\n  first_within_days: 7\n  gap: {min: 12, target: 14, max: 16}",
        "  sessions: 3",
    )
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(broken, "depression_iv_twice_weekly.yaml")
    assert "more than one session needs the gap" in refused.value.problem
