"""What still stands between an observed patient and going home. Pure.

docs/clinical-references.md#discharge: modified Aldrete score >= 9; escort present; no driving
until the next day after sleep; observation minimum 30-60 min IV (practice),
120 min esketamine - the minimum comes from the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.clinical.chairside.aldrete import DEFAULT_MIN_SCORE, Aldrete


@dataclass(frozen=True)
class DischargeFacts:
    aldrete: Aldrete | None
    observed_min: int
    minimum_observation_min: int
    escort_present: bool
    instructions_given: bool
    min_score: int = DEFAULT_MIN_SCORE


def missing_for_ready(facts: DischargeFacts) -> list[str]:
    """Why the patient is not yet ready for discharge; empty when ready."""
    missing = []
    if facts.aldrete is None:
        missing.append("no Aldrete score recorded")
    elif not facts.aldrete.passes(facts.min_score):
        missing.append(f"Aldrete score {facts.aldrete.total}; {facts.min_score} or more needed")
    if facts.observed_min < facts.minimum_observation_min:
        missing.append(f"observed {facts.observed_min} of {facts.minimum_observation_min} minutes")
    return missing


def missing_for_discharge(facts: DischargeFacts) -> list[str]:
    """Why the patient may not leave yet; empty when they may."""
    missing = missing_for_ready(facts)
    if not facts.escort_present:
        missing.append("escort not present")
    if not facts.instructions_given:
        missing.append(
            "discharge instructions not given (no driving until the next day after sleep)"
        )
    return missing
