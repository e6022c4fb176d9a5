"""What stands between an observed patient and going home."""

from __future__ import annotations

from dataclasses import replace
from itertools import product

from ketaclinic.clinical.chairside.aldrete import Aldrete
from ketaclinic.clinical.chairside.discharge import (
    DischargeFacts,
    missing_for_discharge,
    missing_for_ready,
)

AWAKE = Aldrete(2, 2, 2, 2, 1)  # 9
DROWSY = Aldrete(2, 2, 2, 1, 1)  # 8
READY = DischargeFacts(
    aldrete=AWAKE,
    observed_min=30,
    minimum_observation_min=30,
    escort_present=True,
    instructions_given=True,
)
NO_ALDRETE = "no Aldrete score recorded"
LOW = "Aldrete score 8; 9 or more needed"
SHORT = "observed 20 of 30 minutes"
ESCORT = "escort not present"
INSTRUCTIONS = "discharge instructions not given (no driving until the next day after sleep)"


def test_it_lets_a_patient_go_when_everything_is_done() -> None:
    assert missing_for_ready(READY) == [] and missing_for_discharge(READY) == []


def test_it_needs_an_aldrete_score() -> None:
    facts = replace(READY, aldrete=None)
    assert missing_for_ready(facts) == [NO_ALDRETE] == missing_for_discharge(facts)


def test_it_needs_an_aldrete_score_of_9() -> None:
    assert missing_for_ready(replace(READY, aldrete=DROWSY)) == [LOW]
    assert missing_for_ready(replace(READY, aldrete=Aldrete(2, 2, 2, 2, 2))) == []


def test_it_uses_the_clinic_minimum_score() -> None:
    assert missing_for_ready(replace(READY, aldrete=DROWSY, min_score=8)) == []
    assert missing_for_ready(replace(READY, min_score=10)) == ["Aldrete score 9; 10 or more needed"]


def test_it_needs_the_observation_minimum() -> None:
    assert missing_for_ready(replace(READY, observed_min=20)) == [SHORT]
    assert missing_for_ready(replace(READY, observed_min=29)) == ["observed 29 of 30 minutes"]
    assert missing_for_ready(replace(READY, observed_min=31)) == []
    esketamine = replace(READY, observed_min=119, minimum_observation_min=120)
    assert missing_for_ready(esketamine) == ["observed 119 of 120 minutes"]


def test_it_is_ready_without_escort_or_instructions_but_may_not_leave() -> None:
    facts = replace(READY, escort_present=False, instructions_given=False)
    assert missing_for_ready(facts) == []
    assert missing_for_discharge(facts) == [ESCORT, INSTRUCTIONS]


def test_it_lists_every_reason_together_in_order() -> None:
    facts = DischargeFacts(
        aldrete=DROWSY,
        observed_min=20,
        minimum_observation_min=30,
        escort_present=False,
        instructions_given=False,
    )
    assert missing_for_ready(facts) == [LOW, SHORT]
    assert missing_for_discharge(facts) == [LOW, SHORT, ESCORT, INSTRUCTIONS]


def test_it_reports_each_reason_exactly_when_it_applies() -> None:
    for aldrete, observed, escort, told in product(
        (None, DROWSY, AWAKE), (20, 30), (False, True), (False, True)
    ):
        facts = replace(
            READY,
            aldrete=aldrete,
            observed_min=observed,
            escort_present=escort,
            instructions_given=told,
        )
        expected = [
            *([NO_ALDRETE] if aldrete is None else [LOW] if aldrete is DROWSY else []),
            *([SHORT] if observed < 30 else []),
        ]
        assert missing_for_ready(facts) == expected
        assert missing_for_discharge(facts) == [
            *expected,
            *([] if escort else [ESCORT]),
            *([] if told else [INSTRUCTIONS]),
        ]
