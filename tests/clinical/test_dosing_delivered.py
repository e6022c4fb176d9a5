"""Doses as delivered: rounding stays within the clinic's tolerance of the ordered
dose (docs/clinical-references.md#dose-rounding), implausible weights and a missing
"today" are refused, and a fixed rate is held in mg/h with limits in mg/h."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.dosing import (
    DoseError,
    DoseRequest,
    FixedRate,
    Infusion,
    Injection,
    Kg,
    Mg,
    MgPerHour,
    MgPerKg,
    MgPerMl,
    Minutes,
    Ml,
    PerKg,
    Weighing,
    calculate,
)
from ketaclinic.clinical.treatment import load_protocols

TODAY = date(2026, 11, 23)
IM = PerKg(MgPerKg("0.5"), MgPerKg("0.75"), MgPerKg("1.0"))


def im_dose(weight_kg: str, vial: Injection, **extra: object) -> DoseRequest:
    return DoseRequest(
        rule=IM,
        preparation=vial,
        duration=None,
        weighing=Weighing(Kg(weight_kg), TODAY - timedelta(days=1)),
        today=TODAY,
        **extra,  # type: ignore[arg-type]
    )


def test_it_refuses_to_round_25_mg_to_30_mg_and_says_what_would_work() -> None:
    # 50 kg x 0.5 mg/kg = 25 mg = 0.25 mL of 100 mg/mL; 0.1 mL steps give 0.3 mL = +20%.
    with pytest.raises(DoseError) as caught:
        calculate(im_dose("50", Injection(MgPerMl(100))))
    message = caught.value.fields["dose_mg"]
    assert "0.3 mL = 30 mg (+20%" in message and "5% allowed" in message
    assert "dilute to 25 mg/mL or weaker" in message and "finer steps" in message


def test_it_uses_the_preparations_finer_step_when_the_usual_one_rounds_too_far() -> None:
    dose = calculate(im_dose("50", Injection(MgPerMl(100), fine_step=Ml("0.01"))))
    assert (dose.volume, dose.dose, dose.step) == (Ml("0.25"), Mg(25), Ml("0.01"))
    # When the usual step is close enough it stays the usual step.
    usual = calculate(im_dose("70", Injection(MgPerMl(50), fine_step=Ml("0.01"))))
    assert (usual.volume, usual.step) == (Ml("0.7"), Ml("0.1"))


def test_it_lets_a_clinic_allow_a_wider_tolerance() -> None:
    dose = calculate(im_dose("50", Injection(MgPerMl(100)), rounding_tolerance=Decimal("0.2")))
    assert dose.dose == Mg(30)


@given(
    weight=st.decimals("2", "400", places=1),
    concentration=st.sampled_from([Decimal(10), Decimal(50), Decimal(100)]),
    step=st.sampled_from([Decimal("0.01"), Decimal("0.1")]),
)
def test_it_never_delivers_more_than_5_percent_away_from_the_order(
    weight: Decimal, concentration: Decimal, step: Decimal
) -> None:
    loose = PerKg(MgPerKg("0.5"), MgPerKg(1), MgPerKg(1))
    request = DoseRequest(
        rule=loose,
        preparation=Injection(MgPerMl(concentration), Ml(step)),
        duration=None,
        weighing=Weighing(Kg(weight), TODAY),
        today=TODAY,
    )
    try:
        dose = calculate(request)
    except DoseError as exc:
        assert set(exc.fields) == {"dose_mg"}
        return
    assert abs(dose.dose.value - dose.prescribed.value) <= dose.prescribed.value * Decimal("0.05")


@pytest.mark.parametrize("weight_kg", ["1.9", "0.5", "400.1", "700"])
def test_it_refuses_a_weight_outside_2_to_400_kg(weight_kg: str) -> None:
    with pytest.raises(DoseError) as caught:
        calculate(im_dose(weight_kg, Injection(MgPerMl(10))))
    assert "between 2 and 400 kg" in caught.value.fields["weight_kg"]


def test_it_refuses_a_weight_based_dose_without_today() -> None:
    request = DoseRequest(
        rule=IM,
        preparation=Injection(MgPerMl(10)),
        duration=None,
        weighing=Weighing(Kg(70), TODAY),
    )
    with pytest.raises(DoseError) as caught:
        calculate(request)
    assert set(caught.value.fields) == {"today"}


# CRPS: a fixed 22 mg/h for 4 hours (docs/clinical-references.md#dosing, Cohen 2018).
CRPS_FIXED = FixedRate(MgPerHour(22), soft_limit=MgPerHour(35), hard_limit=MgPerHour(70))


def test_it_holds_a_fixed_rate_in_mg_per_hour_whatever_the_weight() -> None:
    dose = calculate(
        DoseRequest(
            rule=CRPS_FIXED, preparation=Infusion(MgPerMl(1), Ml(250)), duration=Minutes(240)
        )
    )
    assert (dose.dose, dose.volume, dose.dosing_weight) == (Mg(88), Ml(88), None)
    assert dose.rate is not None and dose.rate.value == Decimal(22)


def test_it_checks_a_fixed_rate_against_limits_in_mg_per_hour() -> None:
    too_fast = FixedRate(MgPerHour(80), MgPerHour(35), MgPerHour(70))
    with pytest.raises(DoseError, match="80 mg/h is above the protocol's hard limit of 70 mg/h"):
        calculate(
            DoseRequest(
                rule=too_fast, preparation=Infusion(MgPerMl(1), Ml(500)), duration=Minutes(240)
            )
        )


def test_it_reads_a_fixed_rate_protocol_in_mg_per_hour() -> None:
    daily = load_protocols()["crps_iv_daily"]
    data = daily.model_dump(mode="json")
    data["dose"] = {
        "unit": "mg_per_hour",
        "amount": 22,
        "soft_limit": 35,
        "hard_limit": 70,
        "duration_min": 240,
        "source": "docs/clinical-references.md#dosing (Cohen 2018)",
    }
    protocol = type(daily).model_validate(data)
    assert protocol.dose.unit_label == "mg/h"
    assert protocol.dose.rule() == CRPS_FIXED
