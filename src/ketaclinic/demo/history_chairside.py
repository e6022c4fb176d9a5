"""The chairside record of each history infusion, as rows for bulk insert: the
session's steps from check-in to discharge, vital signs every 10 minutes during the
infusion and every 15 after (with a CADSS at the end of the infusion), and in
realistic proportions high blood pressure (a few readings over 180/110, alerts by
severity and what was done), nausea and vomiting and other side effects, rescue
medications, and a few infusions stopped early.

The alert rules' labels and messages come from the rule file (``alert_rules.yaml``),
the side effects and rescue medicines from the chairside vocabulary."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from ketaclinic.clinical.chairside import load_alert_rules

# Per infusion (practice figures for IV ketamine at 0.5 mg/kg; docs/clinical-references.md
# #monitoring names hypertension, nausea and dissociation as the common effects).
BP_SPIKE = 0.035  # readings over 180/110, confirmed: a "High BP" alert
BP_SEVERE = 0.25  # of those, over 200/120: "Severe hypertension"
NAUSEA = 0.11
VOMITING = 0.03
HEADACHE = 0.04
AGITATION = 0.025
STOPPED_EARLY = 0.02


@cache
def _rule(rule_id: str) -> tuple[str, str, str]:
    rule = next(r for r in load_alert_rules().rules if r.id == rule_id)
    return rule.severity, rule.label, " ".join(rule.message.split())


@dataclass
class Charted:
    """One session's rows (ids filled in by the loader)."""

    session: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)
    # (index of the reading that raised it, alert row, action row or None)
    alerts: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    adverse: list[dict[str, Any]] = field(default_factory=list)
    rescue: list[dict[str, Any]] = field(default_factory=list)


def chart(
    rng: random.Random,
    start: datetime,
    minutes: int,
    number: int,
    nurse: int,
    resting: tuple[int, int, int],
) -> Charted:
    """A session whose administration started at ``start`` and was planned to run
    ``minutes``; ``resting`` is the patient's usual systolic, diastolic and pulse."""
    stopped = rng.random() < STOPPED_EARLY
    ran = rng.randint(12, max(13, minutes // 2)) if stopped else minutes
    end = start + timedelta(minutes=ran)
    ready = end + timedelta(minutes=rng.randint(40, 60))
    out = ready + timedelta(minutes=rng.randint(5, 15))
    c = Charted(
        session={
            "session_number": number,
            "state": "discharged",
            "checked_in_at": start - timedelta(minutes=rng.randint(25, 40)),
            "administration_started_at": start,
            "administration_ended_at": end,
            "discharged_at": out,
            "created_by_id": nurse,
            "created_at": start - timedelta(days=rng.randint(2, 10)),
        }
    )
    checked_in = c.session["checked_in_at"]
    effects = _effects(rng, stopped)
    steps: list[tuple[str, str, str, datetime, str, dict[str, Any] | None]] = [
        ("check_in", "scheduled", "checked_in", checked_in, "", None),
        (
            "complete_checks",
            "checked_in",
            "prechecked",
            checked_in + timedelta(minutes=10),
            "",
            None,
        ),
        ("release_dose", "prechecked", "dose_released", start - timedelta(minutes=5), "", None),
        ("start", "dose_released", "administering", start, "", None),
    ]
    if stopped:
        why = "adverse_event" if effects else "patient_request"
        words = (
            "Adverse event: vomiting and distress; infusion stopped"
            if effects
            else "Patient's request: felt overwhelmed and asked to stop"
        )
        steps += [
            (
                "stop",
                "administering",
                "stopped_early",
                end,
                words,
                {"early_reason": why, "infused_min": ran},
            ),
            ("observe", "stopped_early", "observing", end + timedelta(minutes=1), "", None),
        ]
    else:
        steps.append(
            (
                "end_administration",
                "administering",
                "observing",
                end,
                "",
                {"infused_min": ran, "planned_min": minutes},
            )
        )
    steps += [
        ("mark_ready", "observing", "ready_for_discharge", ready, "", None),
        ("discharge", "ready_for_discharge", "discharged", out, "", None),
    ]
    for seq, (action, before, after, at, reason, detail) in enumerate(steps, start=1):
        c.events.append(
            {
                "seq": seq,
                "action": action,
                "from_state": before,
                "to_state": after,
                "reason": reason,
                "detail": json.dumps(detail, sort_keys=True) if detail else "",
                "by_id": nurse,
                "at": at,
            }
        )
    c.session["seq"] = len(steps)
    _vitals(rng, c, start, end, out, number, resting)
    for effect, grade in effects:
        onset = start + timedelta(minutes=rng.randint(5, max(6, ran)))
        c.adverse.append(
            {
                "effect": effect,
                "grade": grade,
                "serious": False,
                "onset_at": onset,
                "note": "",
                "by_id": nurse,
                "at": onset + timedelta(minutes=2),
            }
        )
        drug = _rescue_for(rng, effect)
        if drug is not None:
            name, dose, route = drug
            given = onset + timedelta(minutes=rng.randint(2, 8))
            c.rescue.append(
                {
                    "drug": name,
                    "dose": dose,
                    "unit": "mg",
                    "route": route,
                    "given_at": given,
                    "reason": effect,
                    "by_id": nurse,
                    "at": given,
                }
            )
    return c


def _effects(rng: random.Random, stopped: bool) -> list[tuple[str, int]]:
    found = []
    if rng.random() < NAUSEA:
        found.append(("nausea", rng.choice((1, 1, 2))))
    if rng.random() < VOMITING or (stopped and rng.random() < 0.6):
        found.append(("vomiting", 2))
    if rng.random() < HEADACHE:
        found.append(("headache", 1))
    if rng.random() < AGITATION:
        found.append(("anxiety_agitation", rng.choice((1, 2))))
    return found


def _rescue_for(rng: random.Random, effect: str) -> tuple[str, Decimal, str] | None:
    if effect == "vomiting" or (effect == "nausea" and rng.random() < 0.55):
        return "ondansetron", Decimal(4), rng.choice(("iv", "odt"))
    if effect == "anxiety_agitation" and rng.random() < 0.5:
        return "midazolam", Decimal(1), "iv"
    return None


def _cadss(rng: random.Random, number: int) -> int:
    """Dissociation at the end of the infusion: highest at the first sessions."""
    mean = max(6.0, 22.0 - 2.5 * (number - 1))
    return max(0, min(92, round(rng.gauss(mean, 6))))


def _vitals(
    rng: random.Random,
    c: Charted,
    start: datetime,
    end: datetime,
    out: datetime,
    number: int,
    resting: tuple[int, int, int],
) -> None:
    sys0, dia0, hr0 = resting
    spike = rng.random() < BP_SPIKE
    severe = spike and rng.random() < BP_SEVERE
    times = [start - timedelta(minutes=10)]
    at = start + timedelta(minutes=10)
    while at <= end:
        times.append(at)
        at += timedelta(minutes=10)
    if times[-1] != end:
        times.append(end)
    at = end + timedelta(minutes=15)
    while at < out:
        times.append(at)
        at += timedelta(minutes=15)
    during = [i for i, t in enumerate(times) if start < t <= end]
    peak = during[len(during) // 2] if during else 0
    raised = False
    for index, taken in enumerate(times):
        rise = 0.0
        if start < taken <= end:
            rise = 18 * (1 - abs(index - peak) / max(len(during), 1))
        systolic = round(sys0 + rise + rng.gauss(0, 4))
        diastolic = round(dia0 + rise * 0.55 + rng.gauss(0, 3))
        if spike and index in (peak, peak + 1) and peak:
            systolic = rng.randint(202, 214) if severe else rng.randint(182, 196)
            diastolic = max(diastolic, rng.randint(96, 112))
        reading = {
            "reading_key": f"h{index + 1}",
            "taken_at": taken,
            "systolic": systolic,
            "diastolic": diastolic,
            "heart_rate": round(hr0 + rise * 0.4 + rng.gauss(0, 3)),
            "spo2": rng.choice((96, 97, 97, 98, 98, 99)),
            "respiratory_rate": rng.randint(12, 18),
            "cadss": _cadss(rng, number) if taken == end else None,
            "on_oxygen": False,
            "source": "device",
            "device": "Chair monitor",
            "by_id": c.session["created_by_id"],
            "at": taken + timedelta(minutes=1),
        }
        c.readings.append(reading)
        if spike and not raised and peak and index in (peak, peak + 1):
            rule_id = "bp_severe" if severe else ("bp_high" if index == peak + 1 else None)
            if rule_id is None:
                continue
            raised = True
            severity, label, message = _rule(rule_id)
            over_sys = systolic > (200 if severe else 180)
            limit = (200 if over_sys else 120) if severe else (180 if over_sys else 110)
            alert = {
                "rule_id": rule_id,
                "severity": severity,
                "label": label,
                "message": message,
                "measure": "systolic" if over_sys else "diastolic",
                "value": systolic if over_sys else diastolic,
                "limit": limit,
                "by_id": c.session["created_by_id"],
                "at": reading["at"],
            }
            act = "rescue_medication" if severe or rng.random() < 0.4 else "recheck"
            action = {
                "action": act,
                "note": "Labetalol 10 mg IV; prescriber informed" if act != "recheck" else "",
                "by_id": c.session["created_by_id"],
                "at": reading["at"] + timedelta(minutes=2),
            }
            c.alerts.append((index, alert, action))
            if act == "rescue_medication":
                c.rescue.append(
                    {
                        "drug": "labetalol",
                        "dose": Decimal(10),
                        "unit": "mg",
                        "route": "iv",
                        "given_at": action["at"],
                        "reason": "hypertension",
                        "by_id": action["by_id"],
                        "at": action["at"],
                    }
                )
