"""Pharmacokinetics: published ketamine models, exact curves, virtual populations."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.pk import (
    CLEMENTS_NIMMO,
    DOMINO,
    HIJAZI,
    MODELS,
    Infusion,
    InfusionPerKg,
    PkModel,
    decay_modes,
    infusion_series,
    plasma_ng_per_ml,
    population,
    simulate,
    typical_kinetics,
    vary,
)
from ketaclinic.clinical.pk.infusions import schedule

# The reference exposure of CLINICAL.md "Pharmacokinetics": 0.5 mg/kg over 40 min, 70 kg.
WEIGHT_KG = 70.0
REFERENCE = Infusion(start_min=0, duration_min=40, amount_mg=0.5 * WEIGHT_KG)
COURSE = infusion_series((0, 3, 7, 10, 14, 17), duration_min=40, dose_mg_per_kg=0.5)
ALL_MODELS = list(MODELS.values())
BY_KEY = pytest.mark.parametrize("model", ALL_MODELS, ids=list(MODELS))


def assert_same_curve(actual: Any, expected: Any, rel: float = 1e-9) -> None:
    """Equal within ``rel`` of the curve's peak: a concentration is compared on the
    scale of its curve, never relative to a value near zero in its tail (floating-
    point noise at 3e-10 ng/mL is not a wrong model)."""
    scale = float(np.max(np.abs(expected))) or 1.0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rel * scale)


# --- the models as data ------------------------------------------------------------


@BY_KEY
def test_it_cites_the_references_for_every_model(model: PkModel) -> None:
    assert "docs/clinical-references.md#pharmacokinetics" in model.source


def test_it_knows_how_many_compartments_each_model_has() -> None:
    assert (DOMINO.compartments, CLEMENTS_NIMMO.compartments, HIJAZI.compartments) == (3, 2, 2)


def test_it_refuses_a_model_with_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="k21_per_min must be a positive number"):
        PkModel("bad", "Bad", "nowhere", 1.0, 0.1, 0.1, 0.0)


def test_it_refuses_a_third_compartment_with_only_one_rate() -> None:
    with pytest.raises(ValueError, match="come as a pair"):
        PkModel("bad", "Bad", "nowhere", 1.0, 0.1, 0.1, 0.1, k13_per_min=0.1)


@BY_KEY
def test_it_splits_a_dose_between_decay_modes_that_all_decay(model: PkModel) -> None:
    alpha, share = decay_modes(typical_kinetics(model, np.array([WEIGHT_KG])))
    assert np.all(alpha > 0)
    assert share.sum() == pytest.approx(1.0, rel=1e-12)
    # The rates are the eigenvalues of the compartment matrix, so they add up to its trace.
    trace = model.k10_per_min + sum(k1i + ki1 for k1i, ki1 in model.exchange_per_min)
    assert alpha.sum() == pytest.approx(trace, rel=1e-12)


# --- one patient -------------------------------------------------------------------

# CLINICAL.md says "roughly 180-240 ng/mL at 40 min across these models". With the listed
# parameters the three models give (and opentiva 1.1.2 agrees, see below) Domino 240.3,
# Clements & Nimmo 177.3 and Hijazi 225.3 ng/mL: two sit just outside the band, within
# its "roughly". The parameters stay as published; the band is widened by 2%.
ROUGHLY_180_TO_240 = (0.98 * 180, 1.02 * 240)


@BY_KEY
def test_it_reaches_roughly_180_to_240_ng_per_ml_at_the_end_of_the_reference_infusion(
    model: PkModel,
) -> None:
    (at_40_min,) = simulate(model, WEIGHT_KG, [REFERENCE], [40.0])
    low, high = ROUGHLY_180_TO_240
    assert low <= at_40_min <= high


def test_it_puts_the_icu_adult_model_inside_the_strict_band() -> None:
    (at_40_min,) = simulate(HIJAZI, WEIGHT_KG, [REFERENCE], [40.0])
    assert 180 <= at_40_min <= 240


@BY_KEY
def test_it_gives_nothing_before_the_first_infusion(model: PkModel) -> None:
    later = Infusion(start_min=30, duration_min=10, amount_mg=20)
    assert simulate(model, WEIGHT_KG, [later], [-5.0, 0.0, 29.9]).tolist() == [0, 0, 0]


@BY_KEY
def test_it_treats_a_few_seconds_of_infusion_as_a_bolus(model: PkModel) -> None:
    seconds = 1 / 60
    (just_after,) = simulate(model, WEIGHT_KG, [Infusion(0, seconds, 35)], [seconds])
    all_in_v1 = 35 / (model.v1_l_per_kg * WEIGHT_KG) * 1000  # mg/L -> ng/mL
    assert just_after == pytest.approx(all_in_v1, rel=0.02)


@BY_KEY
def test_it_gives_the_same_values_on_a_regular_and_an_irregular_time_grid(model: PkModel) -> None:
    regular = np.arange(0.0, 600.0)
    irregular = np.sort(np.append(regular, 123.4567))
    on_grid = simulate(model, WEIGHT_KG, [REFERENCE, Infusion(300, 20, 10)], regular)
    off_grid = simulate(model, WEIGHT_KG, [REFERENCE, Infusion(300, 20, 10)], irregular)
    assert_same_curve(off_grid[np.isin(irregular, regular)], on_grid)


def test_it_accepts_plain_tuples_and_ranges() -> None:
    from_tuples = simulate(DOMINO, WEIGHT_KG, [(0, 40, 35)], range(0, 61, 10))
    assert np.array_equal(from_tuples, simulate(DOMINO, WEIGHT_KG, [REFERENCE], range(0, 61, 10)))


@pytest.mark.parametrize(
    ("weight_kg", "infusions", "times_min", "message"),
    [
        (0, [REFERENCE], [1.0], "weight_kg must be > 0"),
        (-70, [REFERENCE], [1.0], "weight_kg must be > 0"),
        (70, [], [1.0], "infusions must contain at least one"),
        (70, [REFERENCE, Infusion(60, 0, 10)], [1.0], r"infusions\[1\].duration_min must be > 0"),
        (70, [Infusion(0, 40, -1)], [1.0], r"infusions\[0\].amount_mg must be >= 0"),
        (
            70,
            [Infusion(float("nan"), 40, 1)],
            [1.0],
            r"infusions\[0\].start_min must be a finite number",
        ),
        (70, [REFERENCE], [10.0, 5.0], "times_min must be sorted"),
        (70, [REFERENCE], [[1.0, 2.0]], "times_min must be one-dimensional"),
    ],
)
def test_it_names_the_argument_that_is_out_of_range(
    weight_kg: float, infusions: list[Infusion], times_min: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(DOMINO, weight_kg, infusions, times_min)


# --- an independent implementation: opentiva ---------------------------------------

OPENTIVA_CLASS = {"domino": "Domino", "clements_nimmo": "Clements250", "hijazi": "Hijazi"}


def _opentiva_model(model: PkModel) -> Any:
    import opentiva.ketamine

    with warnings.catch_warnings():
        # opentiva 1.1.2 labels Hijazi as validated to age 18 (CLINICAL.md: ICU adults);
        # its warning is about that label, not the arithmetic we compare.
        warnings.simplefilter("ignore", UserWarning)
        made = getattr(opentiva.ketamine, OPENTIVA_CLASS[model.key])
        return made(sex=0, age=40, weight=WEIGHT_KG, height=175)


def _opentiva_ng_per_ml(model: PkModel, infusions: list[Infusion], end_min: int) -> Any:
    """opentiva's plasma curve, one value per second from 0 to ``end_min`` inclusive."""
    from opentiva.pump import Pump

    pump = Pump(_opentiva_model(model), drug_concentration=10, end_time=end_min * 60 + 1)
    for infusion in infusions:
        # Whole seconds and a dose per second (mg/s); its V1 is in L, so ug/mL out.
        duration_s = round(infusion.duration_min * 60)
        pump.add_infusion(
            round(infusion.start_min * 60), infusion.amount_mg / duration_s, duration_s
        )
    return pump.run()[:, 1] * 1000


@BY_KEY
def test_it_codes_the_same_parameters_as_opentiva(model: PkModel) -> None:
    theirs = _opentiva_model(model)
    assert theirs.v1 == pytest.approx(model.v1_l_per_kg * WEIGHT_KG, rel=1e-12)
    assert theirs.k10 == model.k10_per_min
    for i, (k1i, ki1) in enumerate(model.exchange_per_min, start=2):
        assert (getattr(theirs, f"k1{i}"), getattr(theirs, f"k{i}1")) == (k1i, ki1)


@BY_KEY
@pytest.mark.parametrize(
    "infusions",
    [[REFERENCE], [REFERENCE, Infusion(20, 60, 15), Infusion(180, 1, 10)]],
    ids=["reference infusion", "overlapping infusions and a bolus"],
)
def test_it_agrees_with_opentiva_within_1_percent(
    model: PkModel, infusions: list[Infusion]
) -> None:
    theirs = _opentiva_ng_per_ml(model, infusions, end_min=480)[::60]
    ours = simulate(model, WEIGHT_KG, infusions, np.arange(0.0, 481.0))
    # Compared wherever the concentration is non-trivial (> 1% of its peak).
    shown = theirs > 0.01 * theirs.max()
    relative = np.abs(ours[shown] - theirs[shown]) / theirs[shown]
    assert relative.max() < 0.01


# --- properties ----------------------------------------------------------------------

models = st.sampled_from(ALL_MODELS)
weights = st.floats(30, 200)
infusions = st.builds(
    Infusion,
    start_min=st.floats(0, 600),
    duration_min=st.floats(0.05, 240),
    amount_mg=st.floats(0.1, 200),
)
DAY = np.arange(0.0, 24 * 60 + 1, 2.0)


@given(models, weights, infusions)
def test_it_doubles_the_concentration_when_the_dose_doubles(
    model: PkModel, weight_kg: float, infusion: Infusion
) -> None:
    once = simulate(model, weight_kg, [infusion], DAY)
    twice = simulate(model, weight_kg, [infusion._replace(amount_mg=2 * infusion.amount_mg)], DAY)
    assert_same_curve(twice, 2 * once)


@given(models, weights, infusions, infusions)
def test_it_adds_up_two_infusions_given_together(
    model: PkModel, weight_kg: float, first: Infusion, second: Infusion
) -> None:
    together = simulate(model, weight_kg, [first, second], DAY)
    apart = simulate(model, weight_kg, [first], DAY) + simulate(model, weight_kg, [second], DAY)
    assert_same_curve(together, apart)


@given(
    models,
    weights,
    st.lists(infusions, min_size=1, max_size=4),
    st.lists(st.floats(-60, 3000), min_size=1, max_size=60).map(sorted),
)
def test_it_never_gives_a_negative_concentration(
    model: PkModel, weight_kg: float, given_infusions: list[Infusion], times_min: list[float]
) -> None:
    assert np.all(simulate(model, weight_kg, given_infusions, times_min) >= 0)


@given(models, weights, infusions)
def test_it_falls_once_the_infusion_has_ended(
    model: PkModel, weight_kg: float, infusion: Infusion
) -> None:
    end = infusion.start_min + infusion.duration_min
    after = simulate(model, weight_kg, [infusion], end + np.arange(0.0, 12 * 60))
    assert after[60] < after[0]
    assert np.all(np.diff(after) <= 1e-12 * after[0])


# --- a virtual population ------------------------------------------------------------

COURSE_TIMES = np.concatenate([infusion.start_min + np.arange(0.0, 240.0) for infusion in COURSE])


def test_it_returns_one_row_per_patient_and_one_column_per_time() -> None:
    curves = population(DOMINO, [60, 70, 80], COURSE, COURSE_TIMES, seed=1)
    assert curves.shape == (3, COURSE_TIMES.size)


def test_it_draws_the_same_population_from_the_same_seed() -> None:
    weights_kg = np.linspace(50, 120, 50)
    first = population(HIJAZI, weights_kg, COURSE, COURSE_TIMES, seed=42)
    assert np.array_equal(first, population(HIJAZI, weights_kg, COURSE, COURSE_TIMES, seed=42))
    assert not np.array_equal(first, population(HIJAZI, weights_kg, COURSE, COURSE_TIMES, seed=43))


@BY_KEY
def test_it_gives_each_patient_the_typical_curve_without_variability(model: PkModel) -> None:
    weights_kg = [52.0, 70.0, 118.0]
    curves = population(model, weights_kg, COURSE, COURSE_TIMES, cv=0, seed=1)
    for row, weight_kg in zip(curves, weights_kg, strict=True):
        doses = [
            Infusion(i.start_min, i.duration_min, i.dose_mg_per_kg * weight_kg) for i in COURSE
        ]
        assert_same_curve(row, simulate(model, weight_kg, doses, COURSE_TIMES))


def test_it_gives_light_and_heavy_patients_the_same_levels_on_a_per_kg_dose() -> None:
    # V1 scales with weight in all three models, so mg/kg dosing cancels weight out.
    curves = population(DOMINO, [50.0, 130.0], COURSE, COURSE_TIMES, cv=0, seed=1)
    assert_same_curve(curves[0], curves[1])


@BY_KEY
def test_it_centres_the_population_on_the_typical_patient(model: PkModel) -> None:
    times = np.arange(0.0, 24 * 60 + 1, 5.0)
    dose = [InfusionPerKg(0, 40, 0.5)]
    median = np.median(population(model, np.full(2000, WEIGHT_KG), dose, times, seed=7), axis=0)
    typical = simulate(model, WEIGHT_KG, [REFERENCE], times)
    # Variability on every parameter moves the median a little off the typical curve,
    # most in the slow tail; at the end of the infusion it stays within 3%.
    shown = typical > 0.1 * typical.max()
    assert np.max(np.abs(median[shown] / typical[shown] - 1)) < 0.1
    assert median[times == 40][0] == pytest.approx(typical[times == 40][0], rel=0.03)


def test_it_spreads_the_population_wider_with_more_variability() -> None:
    at_40_min = [40.0]
    narrow = population(DOMINO, np.full(500, 70.0), COURSE[:1], at_40_min, cv=0.1, seed=3)
    wide = population(DOMINO, np.full(500, 70.0), COURSE[:1], at_40_min, cv=0.5, seed=3)
    assert np.std(np.log(wide)) > 2 * np.std(np.log(narrow))


def test_it_gives_the_same_result_however_many_threads_compute_it() -> None:
    patients = 3000
    weights_kg = np.linspace(45, 140, patients)
    kinetics = vary(typical_kinetics(DOMINO, weights_kg), 0.3, np.random.default_rng(5))
    plan = schedule(COURSE, "dose_mg_per_kg")
    amounts_mg = weights_kg[:, None] * plan.amount
    alone = plasma_ng_per_ml(kinetics, plan, amounts_mg, COURSE_TIMES, workers=1)
    shared = plasma_ng_per_ml(kinetics, plan, amounts_mg, COURSE_TIMES, workers=3)
    assert np.array_equal(alone, shared)


@pytest.mark.parametrize(
    ("weights_kg", "cv", "message"),
    [
        ([70.0, 0.0], 0.3, "weights_kg must be > 0"),
        ([], 0.3, "weights_kg must be a non-empty"),
        ([70.0], -0.1, "cv must be >= 0"),
    ],
)
def test_it_names_the_population_argument_that_is_out_of_range(
    weights_kg: list[float], cv: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        population(DOMINO, weights_kg, COURSE, COURSE_TIMES, cv=cv, seed=1)


def test_it_names_a_negative_per_kg_dose() -> None:
    bad = [*COURSE[:1], InfusionPerKg(4320, 40, -0.5)]
    with pytest.raises(ValueError, match=r"infusions\[1\].dose_mg_per_kg must be >= 0"):
        population(DOMINO, [70.0], bad, COURSE_TIMES, seed=1)


# ---- which model, and how far apart they are (docs/clinical-references.md#pharmacokinetics)


def test_it_gives_each_model_the_clearance_its_parameters_imply() -> None:
    from ketaclinic.clinical.pk import (
        CLEMENTS_NIMMO,
        DOMINO,
        HIJAZI,
        META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN,
        closest_to_meta_analysis,
    )

    found = {
        m.key: round(m.clearance_ml_per_kg_per_min, 1) for m in (HIJAZI, DOMINO, CLEMENTS_NIMMO)
    }
    assert found == {"hijazi": 36.0, "domino": 27.6, "clements_nimmo": 19.1}
    assert round(META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN, 1) == 18.8
    assert closest_to_meta_analysis() is CLEMENTS_NIMMO
