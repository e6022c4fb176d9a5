"""The dose calculator with dose-error reduction, as a smart pump's drug library
does it. Pure: every check runs here, on the server, whatever the page did.

From the weighing (and its date), the protocol's weight basis and dose rule, the
preparation (concentration, bag or syringe volume, or nasal devices) and the
clinic's rounding step, it works out the dose in mg, the volume in mL, the pump
rate in mL/h and the duration. Then:

- a weight older than the clinic's limit (default 30 days, a setting) must be
  re-measured first;
- a weight outside 2-400 kg, or a weight-based dose without "today", is refused;
- the volume is rounded to the preparation's measuring step, and the dose *as
  delivered* must stay within the clinic's tolerance of the dose ordered (default
  +-5%): otherwise the preparation's finer step is used if it has one, else the
  dose is refused with what would work (a weaker dilution or another vial);
- the dose as delivered is checked against the protocol's limits: above the hard
  limit it is refused, above the soft limit it needs a written reason;
- a second clinician re-enters weight and concentration, unseen, and they must
  match (``second_check``).

Limits are in the rule's own unit (mg/kg for a per-kg dose, mg/kg/h for a
weight-based infusion rate, mg/h for a fixed rate, mg for a fixed dose) so they
cannot be compared with the wrong quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ketaclinic.clinical.dosing.errors import DoseError
from ketaclinic.clinical.dosing.units import (
    Cm,
    Kg,
    Mg,
    MgPerHour,
    MgPerKg,
    MgPerKgPerHour,
    MgPerMl,
    Minutes,
    Ml,
    MlPerHour,
    amount_in,
    volume_of,
)
from ketaclinic.clinical.dosing.weight import WeightBasis, dosing_weight

# source: docs/clinical-references.md#weight-basis - a weight must be current to dose
# by it; 30 days is the default and a clinic setting (practice).
DEFAULT_MAX_WEIGHT_AGE_DAYS = 30
REASON_MIN_LENGTH = 10
# Volumes are rounded to this by default (a clinic setting; practice).
DEFAULT_STEP = Ml("0.1")
# source: docs/clinical-references.md#dose-rounding - rounding must keep the delivered
# dose within +-5% of the ordered one (practice; dose-rounding policies allow 5-10%):
# a clinic setting.
DEFAULT_ROUNDING_TOLERANCE = Decimal("0.05")
# Weights outside this range are entry errors, not patients (practice).
WEIGHT_RANGE_KG = (Decimal(2), Decimal(400))


# ---- dose rules ---------------------------------------------------------------


@dataclass(frozen=True)
class PerKg:
    """A weight-based dose, given over the session's duration (or as a bolus)."""

    amount: MgPerKg
    soft_limit: MgPerKg
    hard_limit: MgPerKg


@dataclass(frozen=True)
class PerKgPerHour:
    """A weight-based infusion rate held for the duration (e.g. CRPS)."""

    rate: MgPerKgPerHour
    soft_limit: MgPerKgPerHour
    hard_limit: MgPerKgPerHour


@dataclass(frozen=True)
class Fixed:
    """A fixed dose (esketamine 56 or 84 mg)."""

    amount: Mg
    soft_limit: Mg
    hard_limit: Mg


@dataclass(frozen=True)
class FixedRate:
    """A fixed infusion rate held for the duration (CRPS: 22 mg/h for 4 h)."""

    rate: MgPerHour
    soft_limit: MgPerHour
    hard_limit: MgPerHour


DoseRule = PerKg | PerKgPerHour | FixedRate | Fixed


# ---- preparations -------------------------------------------------------------


@dataclass(frozen=True)
class Infusion:
    """Drug diluted to ``concentration`` in a bag or syringe of ``container`` mL,
    given by pump; the volume is rounded to ``step`` mL."""

    concentration: MgPerMl
    container: Ml
    step: Ml = DEFAULT_STEP
    fine_step: Ml | None = None  # when the usual step rounds too far


@dataclass(frozen=True)
class Injection:
    """Drawn from a vial at ``concentration`` (IM) or measured as a liquid (sublingual)."""

    concentration: MgPerMl
    step: Ml = DEFAULT_STEP
    fine_step: Ml | None = None  # e.g. a 1 mL syringe marked in 0.01 mL


@dataclass(frozen=True)
class Devices:
    """Single-use nasal spray devices of ``per_device`` each (esketamine 28 mg)."""

    per_device: Mg


Preparation = Infusion | Injection | Devices


@dataclass(frozen=True)
class Weighing:
    weight: Kg
    measured_on: date
    height: Cm | None = None


@dataclass(frozen=True)
class DoseRequest:
    rule: DoseRule
    preparation: Preparation
    duration: Minutes | None  # None for an injection or nasal devices
    basis: WeightBasis = "actual"
    weighing: Weighing | None = None  # not needed for a fixed dose
    sex_at_birth: str = "unknown"
    today: date | None = None
    max_weight_age_days: int = DEFAULT_MAX_WEIGHT_AGE_DAYS
    over_soft_limit_reason: str | None = None
    # The delivered dose may differ from the ordered one by at most this fraction.
    rounding_tolerance: Decimal = DEFAULT_ROUNDING_TOLERANCE


@dataclass(frozen=True)
class Dose:
    dose: Mg  # as delivered, after rounding
    prescribed: Mg  # before rounding
    dosing_weight: Kg | None
    per_kg: MgPerKg | None  # delivered mg / dosing weight
    volume: Ml | None
    rate: MlPerHour | None
    duration: Minutes | None
    devices: int | None
    above_soft_limit: bool
    reason: str | None
    step: Ml | None = None  # the measuring step the volume was rounded to


def calculate(request: DoseRequest) -> Dose:
    """The dose, or ``DoseError`` naming every field that stops it."""
    weight = _weight_for(request)
    prescribed = _prescribed(request.rule, weight, request.duration)
    volume, dose, devices, step = _prepare(
        prescribed, request.preparation, request.rounding_tolerance
    )
    rate = None
    if isinstance(request.preparation, Infusion):
        if request.duration is None or request.duration.value <= 0:
            raise DoseError({"duration_min": "an infusion needs a duration above 0 minutes"})
        assert volume is not None
        rate = volume / request.duration
    above_soft = _check_limits(request.rule, dose, weight, request.duration)
    reason = (request.over_soft_limit_reason or "").strip() or None
    if above_soft and (reason is None or len(reason) < REASON_MIN_LENGTH):
        raise DoseError(
            {
                "reason": f"above the protocol's soft limit: give a reason "
                f"(at least {REASON_MIN_LENGTH} characters)"
            }
        )
    return Dose(
        dose=dose,
        prescribed=prescribed,
        dosing_weight=weight,
        per_kg=MgPerKg(dose.value / weight.value) if weight is not None else None,
        volume=volume,
        rate=rate,
        duration=request.duration,
        devices=devices,
        above_soft_limit=above_soft,
        reason=reason if above_soft else None,
        step=step,
    )


def second_check(
    *, weight: Kg, concentration: MgPerMl, entered_weight: Kg, entered_concentration: MgPerMl
) -> None:
    """The second clinician's independent entries must match the first's exactly.

    The message never says what the first clinician entered: the check is only
    independent if the second person cannot copy it.
    """
    problems = {}
    if entered_weight.value != weight.value:
        problems["weight_kg"] = "does not match the first clinician's entry: re-weigh or re-read"
    if entered_concentration.value != concentration.value:
        problems["concentration_mg_per_ml"] = (
            "does not match the first clinician's entry: read the label again"
        )
    if problems:
        raise DoseError(problems)


# ---- steps --------------------------------------------------------------------


def _weight_for(request: DoseRequest) -> Kg | None:
    if isinstance(request.rule, Fixed | FixedRate):
        return None
    weighing = request.weighing
    if weighing is None:
        raise DoseError({"weight_kg": "a weight-based dose needs a measured weight"})
    low, high = WEIGHT_RANGE_KG
    if not low <= weighing.weight.value <= high:
        raise DoseError({"weight_kg": f"must be between {low} and {high} kg: re-weigh"})
    if request.today is None:
        raise DoseError({"today": "a weight-based dose needs today's date to date the weight"})
    today = request.today
    age = (today - weighing.measured_on).days
    if age < 0:
        raise DoseError({"weight_kg": "measured in the future"})
    if age > request.max_weight_age_days:
        raise DoseError(
            {
                "weight_kg": f"measured {age} days ago; re-weigh (the limit is "
                f"{request.max_weight_age_days} days)"
            }
        )
    return dosing_weight(request.basis, weighing.weight, weighing.height, request.sex_at_birth)


def _prescribed(rule: DoseRule, weight: Kg | None, duration: Minutes | None) -> Mg:
    if isinstance(rule, Fixed):
        return rule.amount
    if isinstance(rule, FixedRate):
        if duration is None or duration.value <= 0:
            raise DoseError({"duration_min": "a rate needs a duration above 0 minutes"})
        return rule.rate.over(duration)
    assert weight is not None
    if isinstance(rule, PerKg):
        return rule.amount * weight
    if duration is None or duration.value <= 0:
        raise DoseError({"duration_min": "a rate in mg/kg/h needs a duration above 0 minutes"})
    return rule.rate.over(weight, duration)


def _round_to(volume: Ml, step: Ml) -> Ml:
    if step.value <= 0:
        raise DoseError({"step_ml": "the rounding step must be above 0 mL"})
    steps = (volume.value / step.value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Ml(steps * step.value)


def _prepare(
    prescribed: Mg, preparation: Preparation, tolerance: Decimal
) -> tuple[Ml | None, Mg, int | None, Ml | None]:
    """(volume, dose as delivered, devices, measuring step used)."""
    if isinstance(preparation, Devices):
        count = prescribed.ratio(preparation.per_device)
        if count != count.to_integral_value() or count < 1:
            raise DoseError(
                {"dose_mg": f"must be a whole number of {preparation.per_device} devices"}
            )
        return None, prescribed, int(count), None
    if preparation.concentration.value <= 0:
        raise DoseError({"concentration_mg_per_ml": "must be above 0 mg/mL"})
    exact = volume_of(prescribed, preparation.concentration)
    step = preparation.step
    volume = _round_to(exact, step)
    if _off_by(volume, preparation, prescribed) > tolerance and preparation.fine_step is not None:
        step = preparation.fine_step
        volume = _round_to(exact, step)
    if volume.value == 0:
        raise DoseError({"dose_mg": "rounds to 0 mL at this concentration"})
    if _off_by(volume, preparation, prescribed) > tolerance:
        raise DoseError({"dose_mg": _too_coarse(prescribed, preparation, volume, step, tolerance)})
    if isinstance(preparation, Infusion) and volume > preparation.container:
        raise DoseError(
            {
                "container_ml": f"{volume} does not fit in the {preparation.container} container; "
                "use a higher concentration or a larger container"
            }
        )
    return volume, amount_in(volume, preparation.concentration), None, step


def _off_by(volume: Ml, preparation: Injection | Infusion, prescribed: Mg) -> Decimal:
    """How far the delivered dose is from the ordered one, as a fraction of it."""
    delivered = amount_in(volume, preparation.concentration)
    return abs(delivered.value - prescribed.value) / prescribed.value


def _too_coarse(
    prescribed: Mg, preparation: Injection | Infusion, volume: Ml, step: Ml, tolerance: Decimal
) -> str:
    """Why rounding is refused, and what would work: any volume of at least
    step / (2 x tolerance) rounds within the tolerance, so a concentration of at most
    prescribed / that volume does."""
    delivered = amount_in(volume, preparation.concentration)
    change = (delivered.value - prescribed.value) / prescribed.value * 100
    weakest = prescribed.value * 2 * tolerance / step.value
    return (
        f"{prescribed.value.normalize():f} mg is "
        f"{volume_of(prescribed, preparation.concentration).value.normalize():f} mL of "
        f"{preparation.concentration}, which rounds to {volume} = "
        f"{delivered.value.normalize():f} mg ({change:+.0f}%, more than the "
        f"{tolerance * 100:.0f}% allowed): dilute to {weakest.quantize(Decimal(1)):f} mg/mL "
        f"or weaker, or measure in finer steps than {step}"
    )


def _check_limits(rule: DoseRule, dose: Mg, weight: Kg | None, duration: Minutes | None) -> bool:
    """Refuse above the hard limit; True when above the soft limit."""
    if isinstance(rule, Fixed):
        given: Decimal = dose.value
        soft, hard, unit = rule.soft_limit.value, rule.hard_limit.value, "mg"
    elif isinstance(rule, PerKg):
        assert weight is not None
        given = dose.value / weight.value
        soft, hard, unit = rule.soft_limit.value, rule.hard_limit.value, "mg/kg"
    elif isinstance(rule, FixedRate):
        assert duration is not None
        given = dose.value / duration.hours
        soft, hard, unit = rule.soft_limit.value, rule.hard_limit.value, "mg/h"
    else:
        assert weight is not None and duration is not None
        given = dose.value / weight.value / duration.hours
        soft, hard, unit = rule.soft_limit.value, rule.hard_limit.value, "mg/kg/h"
    if given > hard:
        raise DoseError(
            {
                "dose_mg": f"{given.normalize():f} {unit} is above the protocol's hard limit of "
                f"{hard.normalize():f} {unit}: refused"
            }
        )
    return given > soft
