"""Reference data for clinic outcome reports: the published real-world figures a clinic
holds itself against, the diagnosis groups (ICD-10-CM prefixes) and the age bands a
cohort is filtered by. Data, each with its source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    source: str
    cite: str  # the section of docs/clinical-references.md it comes from
    response_rate: float  # PHQ-9 fall >= 50%, 14-31 days after induction
    remission_rate: float  # PHQ-9 < 5
    # Share of responders still responding, by weeks after the end of induction.
    still_responding: tuple[tuple[int, float], ...]
    patients: int


# source: docs/clinical-references.md#outcomes-reference (McInnes et al., J Affect Disord
# Reports 2022: 537 patients of community ketamine clinics).
MCINNES_2022 = Reference(
    source="McInnes et al., J Affect Disord Reports 2022",
    cite="docs/clinical-references.md#outcomes-reference",
    response_rate=0.536,
    remission_rate=0.289,
    still_responding=((4, 0.80), (8, 0.60)),
    patients=537,
)
# The instrument the published figures are on: reference lines are drawn on it only.
REFERENCE_INSTRUMENT = "phq9"


@dataclass(frozen=True)
class DiagnosisGroup:
    id: str
    label: str
    prefixes: tuple[str, ...]  # ICD-10-CM code prefixes, without the dot


# source: docs/clinical-references.md#codes (ICD-10-CM): F32.x/F33.x major depression,
# F43.1x PTSD, F41.1 GAD, F42.x OCD, F31.3-F31.5 bipolar depression, F53.0 postpartum
# depression, G90.5x CRPS type I, G43.x migraine.
DIAGNOSIS_GROUPS: tuple[DiagnosisGroup, ...] = (
    DiagnosisGroup("depression", "Major depression", ("F32", "F33")),
    DiagnosisGroup("ptsd", "Post-traumatic stress disorder", ("F431",)),
    DiagnosisGroup("gad", "Generalised anxiety disorder", ("F411",)),
    DiagnosisGroup("ocd", "Obsessive-compulsive disorder", ("F42",)),
    DiagnosisGroup("bipolar_depression", "Bipolar depression", ("F313", "F314", "F315")),
    DiagnosisGroup("postpartum", "Postpartum depression", ("F530",)),
    DiagnosisGroup("crps", "Complex regional pain syndrome", ("G905",)),
    DiagnosisGroup("migraine", "Migraine", ("G43",)),
)
DIAGNOSIS_BY_ID = {group.id: group for group in DIAGNOSIS_GROUPS}


@dataclass(frozen=True)
class AgeBand:
    id: str
    label: str
    low: int  # inclusive, years at the start of induction
    high: int | None  # exclusive


# Practice: the bands clinic reports commonly use (adults; ketamine clinics treat 18+).
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("18-29", "18 to 29", 18, 30),
    AgeBand("30-44", "30 to 44", 30, 45),
    AgeBand("45-64", "45 to 64", 45, 65),
    AgeBand("65+", "65 and over", 65, None),
)
AGE_BY_ID = {band.id: band for band in AGE_BANDS}

# The instruments a report shows, in order (ids as in clinical/scales/instruments).
REPORT_INSTRUMENTS = ("phq9", "madrs", "gad7", "pcl5", "qids_sr16", "pain_nrs")
# source: docs/clinical-references.md#outcomes - pain NRS responds at a 30% fall.
PAIN_FALL_FRACTION = 0.3
