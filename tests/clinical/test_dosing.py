"""The dose calculator: typed units, weight bases, limits, rounding and the second check."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketaclinic.clinical.dosing import (
    Cm,
    Devices,
    DoseError,
    DoseRequest,
    Fixed,
    Infusion,
    Injection,
    Kg,
    Mcg,
    Mg,
    MgPerKg,
    MgPerKgPerHour,
    MgPerMl,
    Minutes,
    Ml,
    PerKg,
    PerKgPerHour,
    Weighing,
    adjusted_body_weight,
    calculate,
    ideal_body_weight,
    second_check,
)

TODAY = date(2026, 11, 23)
# Depression IV: 0.5 mg/kg over 40 min, published range up to 0.75 mg/kg
# (docs/clinical-references.md#dosing).
DEPRESSION = PerKg(MgPerKg("0.5"), soft_limit=MgPerKg("0.75"), hard_limit=MgPerKg("1.0"))
BAG = Infusion(MgPerMl("1"), container=Ml(100))


def request(**overrides: Any) -> DoseRequest:
    arguments: dict[str, Any] = {
        "rule": DEPRESSION,
        "preparation": BAG,
        "duration": Minutes(40),
        "weighing": Weighing(Kg("70"), TODAY - timedelta(days=3), Cm(175)),
        "sex_at_birth": "male",
        "today": TODAY,
    }
    arguments.update(overrides)
    return DoseRequest(**arguments)


# ---- units --------------------------------------------------------------------


def test_it_makes_unit_mix_ups_a_type_error() -> None:
    with pytest.raises(TypeError):
        Mg(1) + Mcg(1)  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Mg(1) < Mcg(500)  # type: ignore[operator]
    with pytest.raises(TypeError):
        MgPerKg("0.5") * Mg(70)  # type: ignore[operator]
    with pytest.raises(TypeError, match="not float"):
        Mg(0.5)  # type: ignore[arg-type]
    assert Mg(1) != Mcg(1)
    assert Mcg(500).to_mg() == Mg("0.5") and Mg("0.5").to_mcg() == Mcg(500)


def test_it_refuses_negative_and_non_numeric_amounts() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        Kg(-1)
    with pytest.raises(ValueError, match="not a number of mg"):
        Mg("five")


# ---- weight bases ---------------------------------------------------------------


def test_it_computes_devine_ideal_and_adjusted_weight() -> None:
    # 70 in = 177.8 cm: men 50 + 2.3 x 10 = 73 kg; 64 in = 162.56 cm: women 45.5 + 9.2.
    assert ideal_body_weight(Cm("177.8"), "male").value == Decimal("73.0")
    assert ideal_body_weight(Cm("162.56"), "female").value == Decimal("54.7")
    assert adjusted_body_weight(Kg(123), Kg(73)).value == Decimal("93.0")


def test_it_refuses_an_ideal_weight_it_cannot_define() -> None:
    with pytest.raises(DoseError) as short:
        ideal_body_weight(Cm(150), "female")
    assert "5 ft" in short.value.fields["height_cm"]
    with pytest.raises(DoseError) as unknown:
        ideal_body_weight(Cm(170), "intersex")
    assert "male or female" in unknown.value.fields["sex_at_birth"]
    with pytest.raises(DoseError) as no_height:
        calculate(request(basis="ideal", weighing=Weighing(Kg(70), TODAY)))
    assert "needs a measured height" in no_height.value.fields["height_cm"]


# ---- the calculation ------------------------------------------------------------


def test_it_calculates_the_depression_infusion() -> None:
    dose = calculate(request())
    assert (dose.dose, dose.volume, dose.rate, dose.duration) == (
        Mg(35),
        Ml(35),
        Ml(35) / Minutes(40),
        Minutes(40),
    )
    assert dose.rate is not None and dose.rate.value == Decimal("52.5")
    assert dose.per_kg == MgPerKg("0.5") and not dose.above_soft_limit


def test_it_doses_on_the_adjusted_weight_when_the_protocol_says_so() -> None:
    heavy = Weighing(Kg(123), TODAY, Cm("177.8"))
    dose = calculate(request(basis="adjusted", weighing=heavy))
    assert dose.dosing_weight == Kg("93.0") and dose.dose == Mg("46.5")


def test_it_holds_a_crps_rate_for_four_hours() -> None:
    # CRPS: 0.35 mg/kg/h over 4 h (CLINICAL.md Dosing, Cohen 2018).
    crps = PerKgPerHour(MgPerKgPerHour("0.35"), MgPerKgPerHour("0.5"), MgPerKgPerHour("1.0"))
    dose = calculate(
        request(rule=crps, duration=Minutes(240), preparation=Infusion(MgPerMl(1), Ml(250)))
    )
    assert dose.dose == Mg(98) and dose.rate is not None and dose.rate.value == Decimal("24.5")


def test_it_counts_esketamine_devices() -> None:
    esketamine = Fixed(Mg(84), soft_limit=Mg(84), hard_limit=Mg(84))
    dose = calculate(
        request(rule=esketamine, preparation=Devices(Mg(28)), duration=None, weighing=None)
    )
    assert (dose.dose, dose.devices, dose.volume, dose.rate) == (Mg(84), 3, None, None)
    with pytest.raises(DoseError, match="whole number of 28 mg devices"):
        calculate(
            request(
                rule=Fixed(Mg(70), Mg(84), Mg(84)),
                preparation=Devices(Mg(28)),
                duration=None,
                weighing=None,
            )
        )


def test_it_draws_an_im_injection_from_the_vial() -> None:
    im = PerKg(MgPerKg("0.5"), MgPerKg("1.0"), MgPerKg("1.0"))
    dose = calculate(request(rule=im, preparation=Injection(MgPerMl(50)), duration=None))
    assert dose.volume == Ml("0.7") and dose.dose == Mg(35) and dose.rate is None


def test_it_asks_for_a_reweigh_when_the_weight_is_old() -> None:
    old = Weighing(Kg(70), TODAY - timedelta(days=31))
    with pytest.raises(DoseError) as refused:
        calculate(request(weighing=old))
    assert (
        refused.value.fields["weight_kg"] == "measured 31 days ago; re-weigh (the limit is 30 days)"
    )
    assert calculate(request(weighing=old, max_weight_age_days=45)).dose == Mg(35)


def test_it_needs_a_reason_above_the_soft_limit_and_refuses_above_the_hard_limit() -> None:
    high = PerKg(MgPerKg("0.8"), DEPRESSION.soft_limit, DEPRESSION.hard_limit)
    with pytest.raises(DoseError) as no_reason:
        calculate(request(rule=high))
    assert "soft limit" in no_reason.value.fields["reason"]
    reason = "Partial response at 0.75 mg/kg, tolerated well."
    dose = calculate(request(rule=high, over_soft_limit_reason=reason))
    assert dose.above_soft_limit and dose.reason == reason
    too_high = PerKg(MgPerKg("1.1"), DEPRESSION.soft_limit, DEPRESSION.hard_limit)
    with pytest.raises(DoseError) as refused:
        calculate(request(rule=too_high, over_soft_limit_reason=reason))
    assert "above the protocol's hard limit of 1 mg/kg" in refused.value.fields["dose_mg"]


def test_it_refuses_a_volume_that_does_not_fit_the_container() -> None:
    with pytest.raises(DoseError) as refused:
        calculate(request(preparation=Infusion(MgPerMl(1), Ml(20))))
    assert "does not fit in the 20 mL container" in refused.value.fields["container_ml"]


def test_it_requires_the_second_clinicians_entries_to_match_without_showing_them() -> None:
    second_check(
        weight=Kg("70.0"),
        concentration=MgPerMl(1),
        entered_weight=Kg("70"),
        entered_concentration=MgPerMl("1.00"),
    )
    with pytest.raises(DoseError) as mismatch:
        second_check(
            weight=Kg("70.4"),
            concentration=MgPerMl(1),
            entered_weight=Kg("74.0"),
            entered_concentration=MgPerMl(10),
        )
    assert set(mismatch.value.fields) == {"weight_kg", "concentration_mg_per_ml"}
    assert "70.4" not in str(mismatch.value)


# ---- properties -----------------------------------------------------------------

weights = st.decimals("20", "250", places=1)
per_kg = st.decimals("0.05", "2.0", places=2)
concentrations = st.sampled_from([Decimal(1), Decimal(2), Decimal(10), Decimal(50)])
steps = st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal("0.5"), Decimal(1)])
minutes = st.integers(2, 240)


@given(weight=weights, amount=per_kg, concentration=concentrations, step=steps, mins=minutes)
def test_it_never_returns_a_dose_above_the_hard_limit(
    weight: Decimal, amount: Decimal, concentration: Decimal, step: Decimal, mins: int
) -> None:
    rule = PerKg(MgPerKg(amount), DEPRESSION.soft_limit, DEPRESSION.hard_limit)
    try:
        dose = calculate(
            request(
                rule=rule,
                weighing=Weighing(Kg(weight), TODAY),
                preparation=Infusion(MgPerMl(concentration), Ml(1000), Ml(step)),
                duration=Minutes(mins),
                over_soft_limit_reason="Reviewed with the prescriber today.",
            )
        )
    except DoseError:
        return
    assert dose.per_kg is not None and dose.per_kg <= DEPRESSION.hard_limit


@given(weight=weights, factor=st.decimals("0.5", "3", places=2), amount=per_kg)
def test_it_scales_the_dose_linearly_with_weight_within_a_basis(
    weight: Decimal, factor: Decimal, amount: Decimal
) -> None:
    loose = PerKg(MgPerKg(amount), MgPerKg(5), MgPerKg(5))
    exact = Injection(MgPerMl(1), step=Ml("0.0001"))

    def prescribed(kg: Decimal, basis: str = "actual") -> Decimal:
        weighing = Weighing(Kg(kg), TODAY, Cm("177.8"))
        found = calculate(request(rule=loose, weighing=weighing, preparation=exact, basis=basis))
        return found.prescribed.value

    assume(weight * factor <= 400)
    assert prescribed(weight * factor) == prescribed(weight) * factor
    # Adjusted weight is affine in actual weight: equal steps give equal dose steps.
    a, b, c = (prescribed(weight + step, "adjusted") for step in (0, 10, 20))
    assert b - a == c - b
    # Ideal weight ignores actual weight altogether.
    assert prescribed(weight, "ideal") == prescribed(weight + 10, "ideal")


@given(
    weight=weights,
    amount=st.decimals("0.1", "0.75", places=2),
    concentration=concentrations,
    step=steps,
    mins=minutes,
)
def test_it_keeps_rate_times_hours_times_concentration_equal_to_the_dose(
    weight: Decimal, amount: Decimal, concentration: Decimal, step: Decimal, mins: int
) -> None:
    try:
        dose = calculate(
            request(
                rule=PerKg(MgPerKg(amount), MgPerKg(1), MgPerKg(1)),
                weighing=Weighing(Kg(weight), TODAY),
                preparation=Infusion(MgPerMl(concentration), Ml(1000), Ml(step)),
                duration=Minutes(mins),
            )
        )
    except DoseError:
        return
    assert dose.rate is not None and dose.duration is not None
    delivered = dose.rate.value * dose.duration.hours * concentration
    assert abs(delivered - dose.dose.value) < Decimal("1e-20")
