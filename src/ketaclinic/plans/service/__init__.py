"""Treatment plan use cases: draft from a protocol, revise as a new version, move
through the lifecycle, calculate a session's dose and have a second clinician
release it. Never commits; audits every read and write.

The rules are the pure core's (``clinical.treatment`` for protocols, schedules
and the lifecycle; ``clinical.dosing`` for the dose); this module stores what
they decide.
"""

from __future__ import annotations

from ketaclinic.plans.service.boosters import (
    add_boosters,
    booster_rule,
    current,
)
from ketaclinic.plans.service.building import (
    draft,
    revise,
    schedule,
)
from ketaclinic.plans.service.core import (
    REASON_MIN_LENGTH,
    PlanPolicy,
    PlanView,
)
from ketaclinic.plans.service.doses import (
    calculate_dose,
    dose_checks,
    dose_for,
    released,
    verify_dose,
)
from ketaclinic.plans.service.lifecycle import (
    transition,
)
from ketaclinic.plans.service.reading import (
    get,
    plans,
    sessions_of,
    versions,
)

__all__ = [
    "REASON_MIN_LENGTH",
    "PlanPolicy",
    "PlanView",
    "add_boosters",
    "booster_rule",
    "calculate_dose",
    "current",
    "dose_checks",
    "dose_for",
    "draft",
    "get",
    "plans",
    "released",
    "revise",
    "schedule",
    "sessions_of",
    "transition",
    "verify_dose",
    "versions",
]
