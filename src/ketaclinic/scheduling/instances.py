"""Seeded benchmark instances. No public infusion-centre benchmark exists, so we
generate ours from the shipped protocols and plausible clinic parameters.

Sizes follow issue 7: ``small`` 4 chairs, 2 nurses, 2 weeks, 40 series;
``medium`` 10 chairs, 4 nurses, 4 weeks, 150 series; ``large`` 24 chairs, 8
nurses, 8 weeks, 600 series. The ``_tight`` variant asks for 60% more series on
the same resources. Visits take their phases and windows from the protocol YAMLs
(IV depression 20 + 40 + 30 min; CRPS 20 + 240 + 30 min in an equipped chair;
esketamine 20 + 15 + 120 min; IM 20 + 5 + 30 min; sublingual 20 + 15 + 60 min).
Every administration needs a prescriber on site (issue 7; REMS for esketamine).

Clinic (practice, chosen for the benchmark): Monday-Friday 08:00-17:00, running
to 18:00 at the latest; Saturday 09:00-13:00; Sunday closed. Half the nurses work
07:30-16:00, half 09:30-18:00; Saturday half of them 08:30-13:30. The prescriber
is on site 08:00-17:00 (Wednesday afternoons off) and Saturday 09:00-13:00. A
public holiday in the third week and one nurse absent on a few days. A tenth of
the series are under way: their first two sessions are booked and locked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ketaclinic.clinical.treatment import Protocol, expand, get_protocol
from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.greedy import book_series
from ketaclinic.scheduling.model import (
    SLOTS_PER_DAY,
    Assignment,
    Chair,
    Clinic,
    Hours,
    Instance,
    SeriesRequest,
    SessionSpec,
    Shift,
    Span,
    clock,
)


@dataclass(frozen=True)
class Size:
    chairs: int
    long_chairs: int
    nurses: int
    weeks: int
    series: int


SIZES = {
    "small": Size(chairs=4, long_chairs=1, nurses=2, weeks=2, series=40),
    "medium": Size(chairs=10, long_chairs=3, nurses=4, weeks=4, series=150),
    "large": Size(chairs=24, long_chairs=6, nurses=8, weeks=8, series=600),
}
TIGHT_FACTOR = 1.6
# Share of each protocol among requests (practice: mostly IV depression).
MIX = {
    "depression_iv_twice_weekly": 35,
    "depression_iv_accelerated": 15,
    "crps_iv_daily": 10,
    "esketamine_nasal": 20,
    "depression_im": 10,
    "depression_sublingual": 10,
}
PREFERRED = (clock(8, 30), clock(10), clock(12), clock(14), clock(15, 30))
MORNINGS = Span(clock(7), clock(13, 30))
AFTERNOONS = Span(clock(12), clock(19))
WEEKDAYS = tuple(range(6))  # Monday-Saturday: the days the clinic opens


def clinic_for(size: Size, rng: random.Random) -> Clinic:
    weekday_hours = Hours(clock(8), clock(17), clock(18))
    saturday = Hours(clock(9), clock(13), clock(13))
    days = 7 * size.weeks
    closures = frozenset({14}) if days > 14 else frozenset()  # a Monday holiday
    early, late = Span(clock(7, 30), clock(16)), Span(clock(9, 30), clock(18))
    absent_days = set(rng.sample([d for d in range(days) if d % 7 < 5], k=size.weeks))
    nurse_shifts: list[Shift] = []
    prescriber: list[Shift] = []
    for day in range(days):
        weekday = day % 7
        if weekday == 6 or day in closures:
            continue
        if weekday == 5:
            nurse_shifts += [Shift(day, Span(clock(8, 30), clock(13, 30)))] * max(
                1, size.nurses // 2
            )
            prescriber.append(Shift(day, Span(clock(9), clock(13))))
            continue
        working = size.nurses - (1 if day in absent_days else 0)
        nurse_shifts += [Shift(day, early if n % 2 == 0 else late) for n in range(working)]
        until = clock(12) if weekday == 2 else clock(17)
        prescriber.append(Shift(day, Span(clock(8), until)))
    chairs = tuple(
        Chair(f"C{n + 1:02d}", long_infusion=n < size.long_chairs) for n in range(size.chairs)
    )
    return Clinic(
        chairs=chairs,
        days=days,
        first_weekday=0,
        hours=(weekday_hours,) * 5 + (saturday, None),
        nurse_shifts=tuple(nurse_shifts),
        prescriber_hours=tuple(prescriber),
        closures=closures,
    )


def sessions_of(protocol: Protocol) -> tuple[SessionSpec, ...]:
    phases = protocol.phases
    long_chair = (protocol.dose.duration_min or 0) >= 180  # the 4-hour pain infusions
    return tuple(
        SessionSpec(
            setup_min=phases.pre_assessment_min,
            administration_min=phases.administration_min,
            observation_min=phases.observation_min,
            long_chair=long_chair,
            prescriber=True,
            gap_min_days=planned.gap.min if planned.gap else 0,
            gap_max_days=planned.gap.max if planned.gap else 0,
        )
        for planned in expand(protocol)
    )


def request(rng: random.Random, number: int, days: int, first_day: int) -> SeriesRequest | None:
    """One patient's request arriving on ``first_day`` or later; None when no session fits."""
    protocol = get_protocol(rng.choices(list(MIX), weights=list(MIX.values()))[0])
    requested = first_day
    earliest = requested + rng.randint(0, 3)
    # Book only what can fall inside the horizon; the rest waits for the next plan.
    specs: list[SessionSpec] = []
    reach = earliest
    for index, spec in enumerate(sessions_of(protocol)):
        reach += spec.gap_min_days if index else 0
        if reach >= days:
            break
        specs.append(spec)
    if not specs:
        return None
    weekdays = frozenset(WEEKDAYS)
    if rng.random() < 0.3:
        weekdays = frozenset(rng.sample(WEEKDAYS, k=rng.randint(3, 5)))
    times: tuple[Span, ...] = (Span(0, SLOTS_PER_DAY),)
    roll = rng.random()
    if roll < 0.2 and not specs[0].long_chair:
        times = (MORNINGS,)
    elif roll < 0.4:
        times = (AFTERNOONS,)
    preferred = rng.choice(PREFERRED) if rng.random() < 0.5 else None
    return SeriesRequest(
        id=f"S{number:04d}",
        patient_id=f"P{number:04d}",
        protocol=protocol.id,
        sessions=tuple(specs),
        requested_day=requested,
        earliest_day=earliest,
        weekdays=weekdays,
        times=times,
        preferred_start=preferred,
    )


def generate(size_name: str, seed: int = 2026, *, tight: bool = False) -> Instance:
    """The instance ``size_name`` (``small``, ``medium``, ``large``), or its tight variant."""
    size = SIZES[size_name]
    rng = random.Random(f"{size_name}-{seed}-{tight}")  # noqa: S311 - a benchmark, not a secret
    clinic = clinic_for(size, rng)
    wanted = round(size.series * (TIGHT_FACTOR if tight else 1))
    series: list[SeriesRequest] = []
    number = 1
    while len(series) < wanted:
        # Requests arrive over the whole horizon (the last few days excepted).
        made = request(rng, number, clinic.days, rng.randint(0, clinic.days - 3))
        number += 1
        if made is not None:
            series.append(made)
    locked = lock_under_way(clinic, series, rng)
    name = f"{size_name}_tight" if tight else size_name
    return Instance(name, clinic, tuple(series), locked)


def lock_under_way(
    clinic: Clinic, series: list[SeriesRequest], rng: random.Random
) -> tuple[Assignment, ...]:
    """Series already under way: their first two sessions booked (first fit, in an
    otherwise empty calendar) and locked. A tenth of the series, from day 0."""
    calendar = Calendar(Grid.of(clinic))
    locked: list[Assignment] = []
    for index in sorted(rng.sample(range(len(series)), k=len(series) // 10)):
        original = series[index]
        under_way = SeriesRequest(
            id=original.id,
            patient_id=original.patient_id,
            protocol=original.protocol,
            sessions=original.sessions,
            requested_day=0,
            earliest_day=0,
            weekdays=original.weekdays,
            times=original.times,
            preferred_start=original.preferred_start,
        )
        series[index] = under_way
        probe = calendar.copy()
        booked = book_series(probe, under_way)[:2]
        for assignment in booked:
            calendar.book(assignment, under_way.sessions[assignment.session])
        locked += booked
    return tuple(sorted(locked))


def arrivals(instance: Instance, count: int, seed: int = 2026) -> list[SeriesRequest]:
    """``count`` new series arriving one by one over the horizon, in arrival order,
    for booking online into ``instance``'s calendar."""
    rng = random.Random(f"arrivals-{instance.name}-{seed}")  # noqa: S311 - not a secret
    days = instance.clinic.days
    made: list[SeriesRequest] = []
    number = 9000
    while len(made) < count:
        new = request(rng, number, days, rng.randint(0, days * 2 // 3))
        number += 1
        if new is not None:
            made.append(new)
    return sorted(made, key=lambda r: (r.requested_day, r.id))
