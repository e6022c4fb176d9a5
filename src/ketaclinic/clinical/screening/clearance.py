"""Whether a patient is cleared to start (or continue) treatment. Pure.

A screening clears a patient only when a prescriber signed it as eligible, the
signature is younger than the clinic's validity period, and the intake facts
are still the ones screened. Anything else names what is needed next, so staff
see "re-screen: intake changed" rather than a bare "no".

The validity period is a clinic setting (``screening_valid_days``). docs/clinical-references.md
gives no interval; the default of 90 days is practice (quarterly re-check during
maintenance), not a cited figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

ClearanceState = Literal[
    "not_screened",
    "facts_changed",
    "awaiting_signature",
    "not_eligible",
    "expired",
    "cleared",
]
DEFAULT_VALID_DAYS = 90


@dataclass(frozen=True)
class Signed:
    decision: Literal["eligible", "not_eligible"]
    signed_at: datetime
    override: bool


@dataclass(frozen=True)
class Clearance:
    state: ClearanceState
    message: str
    valid_until: datetime | None = None

    @property
    def cleared(self) -> bool:
        return self.state == "cleared"

    @property
    def rescreen_offered(self) -> bool:
        """Running a new screening is the next step."""
        return self.state in {"not_screened", "facts_changed", "expired"}


def clearance(
    *,
    screened_facts: Mapping[str, Any] | None,
    signed: Signed | None,
    current_facts: Mapping[str, Any],
    now: datetime,
    valid_days: int,
) -> Clearance:
    """The state of the newest screening against today's facts.

    ``screened_facts`` and ``current_facts`` must be in the same canonical form
    (``facts_to_json``); ``screened_facts`` is None when nothing was screened.
    """
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    if screened_facts is None:
        return Clearance("not_screened", "No screening yet: run one from the intake.")
    if dict(screened_facts) != dict(current_facts):
        changed = changed_facts(screened_facts, current_facts)
        return Clearance(
            "facts_changed",
            f"Intake changed since the last screening ({', '.join(changed)}): re-screen.",
        )
    if signed is None:
        return Clearance("awaiting_signature", "Screened; a prescriber has not signed it yet.")
    if signed.decision == "not_eligible":
        return Clearance("not_eligible", "A prescriber signed this screening as not eligible.")
    valid_until = signed.signed_at + timedelta(days=valid_days)
    if now >= valid_until:
        return Clearance(
            "expired",
            f"The signed screening is older than {valid_days} days: re-screen.",
            valid_until,
        )
    how = "eligible by override" if signed.override else "eligible"
    return Clearance("cleared", f"Signed {how}.", valid_until)


def changed_facts(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Fact names added, removed or changed, sorted."""
    names = set(before) | set(after)
    return sorted(name for name in names if before.get(name) != after.get(name))
