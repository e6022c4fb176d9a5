"""A tiny clinic written by hand, and a strategy for random small instances."""

from __future__ import annotations

from hypothesis import strategies as st

from ketaclinic.scheduling.model import (
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

WEEKDAY = Hours(clock(8), clock(17), clock(18))
# Monday to Friday; two nurses all day; the prescriber leaves at noon on Wednesday.
CLINIC = Clinic(
    chairs=(Chair("LONG", long_infusion=True), Chair("REG")),
    days=7,
    first_weekday=0,
    hours=(WEEKDAY,) * 5 + (None, None),
    nurse_shifts=tuple(Shift(day, Span(clock(8), clock(18))) for day in range(5) for _ in range(2)),
    prescriber_hours=tuple(
        Shift(day, Span(clock(8), clock(12) if day == 2 else clock(17))) for day in range(5)
    ),
)
IV = SessionSpec(20, 40, 30, gap_min_days=2, gap_max_days=4)  # 90 minutes, 18 slots
CRPS = SessionSpec(20, 240, 30, long_chair=True)


def series(
    series_id: str,
    sessions: tuple[SessionSpec, ...] = (IV, IV),
    **changes: object,
) -> SeriesRequest:
    fields: dict[str, object] = {
        "id": series_id,
        "patient_id": f"P-{series_id}",
        "protocol": "depression_iv_twice_weekly",
        "sessions": sessions,
        "requested_day": 0,
        "earliest_day": 0,
    }
    fields.update(changes)
    return SeriesRequest(**fields)  # type: ignore[arg-type]


@st.composite
def small_instances(draw: st.DrawFn) -> Instance:
    """A clinic of 1-3 chairs and 1-2 nurses over a week, with 1-6 series of 1-4
    sessions of random phases, windows, weekdays and hours."""
    chairs = tuple(
        Chair(f"C{n}", long_infusion=draw(st.booleans())) for n in range(draw(st.integers(1, 3)))
    )
    nurses = draw(st.integers(1, 2))
    open_slot = draw(st.sampled_from([clock(7), clock(8), clock(9)]))
    close_slot = open_slot + draw(st.integers(60, 120))
    hours = Hours(open_slot, close_slot - 12, close_slot)
    days = 7
    clinic = Clinic(
        chairs=chairs,
        days=days,
        first_weekday=draw(st.integers(0, 6)),
        hours=tuple(hours if draw(st.booleans()) or n == 0 else None for n in range(7)),
        nurse_shifts=tuple(
            Shift(day, Span(open_slot + 6 * n, close_slot))
            for day in range(days)
            for n in range(nurses)
        ),
        prescriber_hours=tuple(
            Shift(day, Span(open_slot, close_slot - draw(st.integers(0, 24))))
            for day in range(days)
        ),
        closures=frozenset(draw(st.sets(st.integers(0, days - 1), max_size=2))),
        nurse_capacity_k=draw(st.integers(1, 3)),
    )
    requests = []
    for number in range(draw(st.integers(1, 6))):
        count = draw(st.integers(1, 4))
        specs = tuple(
            SessionSpec(
                setup_min=draw(st.integers(1, 25)),
                administration_min=draw(st.integers(1, 120)),
                observation_min=draw(st.integers(1, 60)),
                long_chair=draw(st.booleans()),
                prescriber=draw(st.booleans()),
                gap_min_days=(low := draw(st.integers(1, 2))) if index else 0,
                gap_max_days=low + draw(st.integers(0, 2)) if index else 0,
            )
            for index in range(count)
        )
        requested = draw(st.integers(0, 3))
        start, end = draw(st.sampled_from([(0, 288), (clock(7), clock(13)), (clock(12), 288)]))
        requests.append(
            SeriesRequest(
                id=f"S{number}",
                patient_id=f"P{number}",
                protocol="random",
                sessions=specs,
                requested_day=requested,
                earliest_day=requested + draw(st.integers(0, 2)),
                weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                times=(Span(start, end),),
                preferred_start=draw(st.none() | st.integers(clock(8), clock(15))),
            )
        )
    return Instance("random", clinic, tuple(requests))
