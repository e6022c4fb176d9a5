"""Why a session of a series finds no place in its window. Pure.

Online booking places what it can; a session it cannot place must be named with
the reason, so the front desk can widen the patient's times, refill the calendar or
put the rest on the waitlist instead of booking part of a course without knowing.
The causes are tried in the order a person would: the window itself (past, beyond
the horizon), the patient's days, the clinic's closures, the patient's hours against
the opening hours, the prescriber, the nurses, the chairs. The first that leaves no
start anywhere in the window is the reason.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from ketaclinic.scheduling.calendar import BoolArray, Calendar, _all_in_window, _shift
from ketaclinic.scheduling.model import SLOTS_PER_DAY, SeriesRequest, SessionSpec


class Blocked(StrEnum):
    PAST = "window_past"  # the window ended before the first bookable day
    HORIZON = "beyond_horizon"  # the window starts after the booking horizon
    PATIENT_DAYS = "patient_days"  # none of the window's days is one the patient can come
    CLOSED = "clinic_closed"  # the clinic is closed on all of them
    TIMES = "patient_times"  # the visit does not fit the patient's hours and the opening
    PRESCRIBER = "prescriber"  # no prescriber on site for the administration
    NURSES = "nurses"  # no nurse capacity left (set-up takes one nurse fully)
    CHAIRS = "chairs"  # no (suitable) chair free for the whole visit
    ORDER = "after_unplaced"  # the session before it found no place


def why_not(calendar: Calendar, request: SeriesRequest, index: int, low: int, high: int) -> Blocked:
    """Why session ``index`` of ``request`` has no start on days ``[low, high]``."""
    clinic = calendar.grid.clinic
    spec = request.sessions[index]
    if high < 0:
        return Blocked.PAST
    days = [d for d in range(max(0, low), high + 1) if d < clinic.days]
    if not days:
        return Blocked.HORIZON
    days = [d for d in days if clinic.weekday(d) in request.weekdays]
    if not days:
        return Blocked.PATIENT_DAYS
    days = [d for d in days if clinic.hours_on(d) is not None]
    if not days:
        return Blocked.CLOSED
    allowed = {d: _in_times(calendar, request, spec, d) for d in days}
    if not any(ok.any() for ok in allowed.values()):
        return Blocked.TIMES
    allowed = {d: ok & _prescriber(calendar, spec, d) for d, ok in allowed.items()}
    if not any(ok.any() for ok in allowed.values()):
        return Blocked.PRESCRIBER
    used = calendar.nurse_used
    allowed = {d: ok & calendar.grid.nurse_fits(spec, d, used[d]) for d, ok in allowed.items()}
    if not any(ok.any() for ok in allowed.values()):
        return Blocked.NURSES
    # Chairs: the last cause; also what is left when every cause allows a start and
    # the solver ran out of time.
    return Blocked.CHAIRS


def _in_times(calendar: Calendar, request: SeriesRequest, spec: SessionSpec, day: int) -> BoolArray:
    allowed = np.zeros(SLOTS_PER_DAY, dtype=np.bool_)
    hours = calendar.grid.clinic.hours_on(day)
    if hours is None:
        return allowed
    for span in request.times:
        first = max(span.start, hours.open)
        last = min(span.end, hours.close) - spec.duration_slots
        if last >= first:
            allowed[first : last + 1] = True
    return allowed


def _prescriber(calendar: Calendar, spec: SessionSpec, day: int) -> BoolArray:
    if not spec.prescriber:
        return np.ones(SLOTS_PER_DAY, dtype=np.bool_)
    covered = _all_in_window(calendar.grid.prescriber[day], spec.administration_slots)
    return _shift(covered, spec.setup_slots)
