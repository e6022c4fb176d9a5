"""How each history patient's year went: an induction series on a real protocol
(4-8 infusions over 7-28 days, some left incomplete), questionnaires at baseline,
during the induction, 14-31 days after its start and about monthly after, and for
responders maintenance, loss of response and boosters.

The proportions follow the real-world figures the outcomes report draws as reference
lines (docs/clinical-references.md#outcomes-reference, McInnes et al. 2022): about 54%
of PHQ-9 responders and 29% remitters at the end of induction; of responders about 20%
lose response by 4 weeks and 40% by 8 weeks. Dates are open weekdays (no holiday
closure) in clinic hours, all before the demo's "now"."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# End-of-induction outcome on PHQ-9 (or the primary scale) and its weight.
OUTCOMES = {"remitter": 30, "responder": 27, "partial": 19, "non_responder": 24}
DROP_OUT = 0.08  # inductions left incomplete (1-3 infusions)
MISSING_END = 0.11  # completed inductions without an end-of-induction measure
MAINTENANCE = 0.3  # responders put on the maintenance taper
# For responders off maintenance: the follow-up (about monthly) at which response is
# lost, None = kept; on maintenance fewer lose it.
LOSS_AT = {1: 24, 2: 24, 3: 12, None: 40}
LOSS_AT_MAINTAINED = {2: 10, 4: 10, None: 80}
BOOSTED = 0.65  # of those who lose response, how many come back for boosters
# The patient's instruments (besides PHQ-9, which all but some CRPS patients answer).
PRIMARY = {"mdd": "phq9", "gad": "phq9", "ptsd": "pcl5", "crps": "pain_nrs"}
BASELINE = {
    "phq9": (12, 25),
    "gad7": (9, 19),
    "madrs": (24, 42),
    "qids_sr16": (13, 22),
    "pcl5": (38, 66),
    "pain_nrs": (6, 9),
}
# Induction day offsets (from the first infusion) per protocol, before skipping
# weekends and closures.
INDUCTION = {
    "depression_iv_twice_weekly": [0, 3, 7, 10, 14, 17],
    "depression_iv_accelerated": [0, 2, 4, 7, 9, 11],
    "crps_iv_daily": [0, 1, 2, 3, 4, 7],
}
MINUTES = {"crps_iv_daily": 240}  # the rest: 40


@dataclass
class Infusion:
    at: datetime  # administration start, UTC
    plan: int  # index into Course.plans
    number: int  # session number within that plan
    minutes: int


@dataclass
class Score:
    instrument: str
    total: int
    at: datetime
    infusion: int | None = None  # index into Course.infusions (taken just before it)


@dataclass
class Plan:
    protocol_id: str
    start: date
    ends: str  # completed, stopped, active


@dataclass
class Course:
    outcome: str
    instruments: list[str]
    plans: list[Plan] = field(default_factory=list)
    infusions: list[Infusion] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    dropped_out: bool = False
    missing_end: bool = False
    maintained: bool = False
    boosted: bool = False


class Planner:
    """Dates a course on the clinic's open days, never on or after ``today``."""

    def __init__(self, rng: random.Random, zone: ZoneInfo, today: date, closed: set[date]):
        self.rng = rng
        self.zone = zone
        self.today = today
        self.closed = closed

    def open_day(self, day: date) -> date:
        while day.weekday() >= 5 or day in self.closed:
            day += timedelta(days=1)
        return day

    def moment(self, day: date, earliest: int = 9, latest: int = 15) -> datetime:
        hour = self.rng.randint(earliest, latest)
        local = datetime.combine(day, time(hour, self.rng.choice((0, 15, 30))), self.zone)
        return local.astimezone(ZoneInfo("UTC"))

    def past(self, day: date) -> bool:
        return day < self.today

    def course(self, kind: str) -> Course:
        rng = self.rng
        instruments = self._instruments(kind)
        outcome = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
        c = Course(outcome=outcome, instruments=instruments)
        protocol = (
            "crps_iv_daily"
            if kind == "crps"
            else rng.choices(list(INDUCTION)[:2], weights=(75, 25))[0]
        )
        first = self.open_day(self.today - timedelta(days=rng.randint(45, 360)))
        baselines = {i: rng.randint(*BASELINE[i]) for i in instruments}
        c.dropped_out = rng.random() < DROP_OUT
        c.missing_end = not c.dropped_out and rng.random() < MISSING_END
        days = self._induction_days(first, protocol, c.dropped_out)
        c.plans.append(Plan(protocol, first, "stopped" if c.dropped_out else "completed"))
        minutes = MINUTES.get(protocol, 40)
        for number, day in enumerate(days, start=1):
            latest = 11 if minutes > 60 else 15
            c.infusions.append(Infusion(self.moment(day, 9, latest), 0, number, minutes))
        end_fraction = self._end_fraction(outcome)
        # Questionnaires before the first infusion (all), the 3rd and 5th (primary).
        for index, inf in enumerate(c.infusions):
            if index not in (0, 2, 4):
                continue
            if c.missing_end and (inf.at.astimezone(self.zone).date() - first).days >= 14:
                continue
            step = index / max(len(days) - 1, 1)
            fraction = 1 + (end_fraction - 1) * step * 0.9
            for instrument in instruments if index == 0 else instruments[:1]:
                at = inf.at - timedelta(minutes=rng.randint(20, 45))
                total = baselines[instrument] if index == 0 else None
                total = (
                    total if total is not None else self._scaled(baselines[instrument], fraction)
                )
                c.scores.append(Score(instrument, total, at, index))
        if c.dropped_out:
            return c
        end_day = days[-1]
        measured = self._end_measure(c, first, end_day, baselines, end_fraction)
        self._after(c, measured, end_day, baselines, end_fraction)
        return c

    def _instruments(self, kind: str) -> list[str]:
        rng = self.rng
        primary = PRIMARY[kind]
        found = [primary]
        if (kind == "crps" and rng.random() < 0.4) or kind in {"ptsd", "gad"}:
            found.append("phq9")
        if kind in {"mdd", "ptsd", "gad"} and (kind == "gad" or rng.random() < 0.55):
            found.append("gad7")
        if kind == "mdd" and rng.random() < 0.25:
            found.append("madrs")
        if kind == "mdd" and rng.random() < 0.2:
            found.append("qids_sr16")
        return found

    def _induction_days(self, first: date, protocol: str, dropped: bool) -> list[date]:
        rng = self.rng
        offsets = list(INDUCTION[protocol])
        if dropped:
            offsets = offsets[: rng.randint(1, 3)]
        elif rng.random() < 0.12:
            offsets = offsets[: rng.choice((4, 5))]
        days: list[date] = []
        for offset in offsets:
            day = self.open_day(first + timedelta(days=offset))
            if days and day <= days[-1]:
                day = self.open_day(days[-1] + timedelta(days=1))
            days.append(day)
        if not dropped and (days[-1] - days[0]).days < 6:  # an induction spans 7 days
            days[-1] = self.open_day(days[0] + timedelta(days=7))
        return days

    def _end_fraction(self, outcome: str) -> float:
        low, high = {
            "remitter": (0.0, 0.25),
            "responder": (0.3, 0.5),
            "partial": (0.52, 0.75),
            "non_responder": (0.78, 1.05),
        }[outcome]
        return self.rng.uniform(low, high)

    def _scaled(self, baseline: int, fraction: float) -> int:
        return max(0, round(baseline * max(0.0, fraction + self.rng.uniform(-0.05, 0.05))))

    def _end_total(self, instrument: str, baseline: int, fraction: float, outcome: str) -> int:
        """The end-of-induction total, exact on the PHQ-9 response and remission rules."""
        if instrument != "phq9":
            return self._scaled(baseline, fraction)
        rng = self.rng
        half = baseline // 2
        if outcome == "remitter":
            return rng.randint(0, 4)
        if outcome == "responder":
            return rng.randint(5, max(5, half))
        if outcome == "partial":
            return rng.randint(half + 1, max(half + 1, round(baseline * 0.75)))
        return rng.randint(round(baseline * 0.78), min(27, round(baseline * 1.05)))

    def _end_measure(
        self, c: Course, first: date, end_day: date, baselines: dict[str, int], fraction: float
    ) -> datetime:
        """Day 14-31 after the first infusion (none when the measure is missing)."""
        offset = max(14, (end_day - first).days + self.rng.randint(3, 8))
        day = self.open_day(first + timedelta(days=min(offset, 27)))
        at = self.moment(day, 8, 16)
        if c.missing_end:
            return at
        for instrument in c.instruments:
            total = self._end_total(instrument, baselines[instrument], fraction, c.outcome)
            c.scores.append(Score(instrument, total, at))
        return at

    def _after(
        self,
        c: Course,
        measured: datetime,
        end_day: date,
        baselines: dict[str, int],
        fraction: float,
    ) -> None:
        rng = self.rng
        responder = c.outcome in {"remitter", "responder"}
        c.maintained = responder and rng.random() < MAINTENANCE
        table = LOSS_AT_MAINTAINED if c.maintained else LOSS_AT
        loss_at = rng.choices(list(table), weights=list(table.values()))[0] if responder else None
        visits = rng.randint(4, 9) if responder else rng.randint(0, 2)
        if c.maintained:
            self._maintenance(c, end_day)
        base_day = measured.astimezone(self.zone).date()
        for k in range(1, visits + 1):
            day = self.open_day(base_day + timedelta(days=28 * k + rng.randint(-4, 0)))
            if not self.past(day):
                break
            lost = loss_at is not None and (
                k in (loss_at, loss_at + 1) or (k > loss_at + 1 and not c.boosted)
            )
            if lost:
                now_fraction = rng.uniform(0.62, 0.95)
            elif responder:
                now_fraction = rng.uniform(0.1, 0.42)
            else:
                now_fraction = min(1.1, fraction + rng.uniform(-0.05, 0.1))
            at = self.moment(day, 8, 16)
            for instrument in c.instruments if k == 1 else c.instruments[:2]:
                total = self._scaled(baselines[instrument], now_fraction)
                if instrument == "phq9" and responder:
                    half = baselines["phq9"] // 2
                    total = max(half + 1, total) if lost else min(half, total)
                c.scores.append(Score(instrument, total, at))
            if loss_at is not None and k == loss_at + 1 and rng.random() < BOOSTED:
                self._booster(c, day)

    def _maintenance(self, c: Course, end_day: date) -> None:
        gaps = [7, 7, 7, 7, 14, 14, 14, 14, 28, 28, 28]
        start = self.open_day(end_day + timedelta(days=7))
        c.plans.append(Plan("maintenance_taper", start, "active"))
        day = start
        for number, gap in enumerate(gaps, start=1):
            if not self.past(day):
                break
            c.infusions.append(Infusion(self.moment(day), len(c.plans) - 1, number, 40))
            day = self.open_day(day + timedelta(days=gap))
        else:
            c.plans[-1].ends = "completed"

    def _booster(self, c: Course, lost_on: date) -> None:
        """One or two booster infusions on the booster protocol, within two weeks."""
        start = self.open_day(lost_on + timedelta(days=self.rng.randint(3, 10)))
        if not self.past(start):
            return
        c.boosted = True
        c.plans.append(Plan("depression_iv_twice_weekly", start, "completed"))
        day = start
        taken = {i.at.astimezone(self.zone).date() for i in c.infusions}
        for number in range(1, self.rng.choice((1, 2, 2, 3)) + 1):
            while day in taken:
                day = self.open_day(day + timedelta(days=1))
            if not self.past(day):
                break
            c.infusions.append(Infusion(self.moment(day), len(c.plans) - 1, number, 40))
            day = self.open_day(day + timedelta(days=3))
        c.infusions.sort(key=lambda i: i.at)
