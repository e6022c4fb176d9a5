"""Calendar use cases over the pure scheduler (``ketaclinic.scheduling``): the
clinic's resources as its model, a plan's unbooked sessions as a series request,
the booked visits as a calendar; book a series (online, the best few options),
reschedule, cancel, no-show, escort, waitlist offers, and the batch plan. Never
commits; audits every read and write of patient data.
"""

from __future__ import annotations

from ketaclinic.appointments.service.booking import (
    Proposal,
    Visit,
    _flush_or_taken,
    _visits,
    book,
    book_visits,
    propose,
)
from ketaclinic.appointments.service.changes import (
    _event,
    _writable,
    cancel,
    cancel_for_patient,
    chairs,
    complete,
    confirm_escort,
    confirm_escort_for_patient,
    get,
    no_show,
)
from ketaclinic.appointments.service.core import (
    BOOKABLE,
    DEFAULT_HOURS,
    Horizon,
    SchedulePolicy,
    calendar_of,
    horizon,
    locked,
    spec_of,
)
from ketaclinic.appointments.service.waitlist import (
    add_to_waitlist,
)

__all__ = [
    "BOOKABLE",
    "DEFAULT_HOURS",
    "Horizon",
    "Proposal",
    "SchedulePolicy",
    "Visit",
    "_event",
    "_flush_or_taken",
    "_visits",
    "_writable",
    "add_to_waitlist",
    "book",
    "book_visits",
    "calendar_of",
    "cancel",
    "cancel_for_patient",
    "chairs",
    "complete",
    "confirm_escort",
    "confirm_escort_for_patient",
    "get",
    "horizon",
    "locked",
    "no_show",
    "propose",
    "spec_of",
]
