"""Treatment protocols as data (``protocols/*.yaml``) and their session schedules."""

from ketaclinic.clinical.treatment.lifecycle import (
    PLAN_STATUSES,
    PlanStatus,
    TransitionError,
    actions_from,
    next_status,
)
from ketaclinic.clinical.treatment.loader import (
    ProtocolError,
    UnknownProtocolError,
    get_protocol,
    load_protocols,
    parse_protocol,
)
from ketaclinic.clinical.treatment.model import (
    ROUTES,
    DoseSpec,
    FollowOn,
    Gap,
    Monitoring,
    Phases,
    PreparationSpec,
    Protocol,
    SessionBlock,
)
from ketaclinic.clinical.treatment.schedule import (
    PlannedSession,
    Window,
    breaches,
    expand,
    gaps_of,
    target_days,
    window_after,
    window_before,
    window_between,
)

__all__ = [
    "PLAN_STATUSES",
    "ROUTES",
    "DoseSpec",
    "FollowOn",
    "Gap",
    "Monitoring",
    "Phases",
    "PlanStatus",
    "PlannedSession",
    "PreparationSpec",
    "Protocol",
    "ProtocolError",
    "SessionBlock",
    "TransitionError",
    "UnknownProtocolError",
    "Window",
    "actions_from",
    "breaches",
    "expand",
    "gaps_of",
    "get_protocol",
    "load_protocols",
    "next_status",
    "parse_protocol",
    "target_days",
    "window_after",
    "window_before",
    "window_between",
]
