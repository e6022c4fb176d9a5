"""The research export's data dictionary: every released file and column with what it
holds. Nothing is exported that is not listed here (the export's files follow it)."""

from __future__ import annotations

DATE = (
    "date",
    "Date shifted by the patient's secret offset (-180..+180 days, the same for all of the "
    "patient's dates; a deviation from Safe Harbor, see README)",
)
YEAR = ("year", "Calendar year (true, not shifted)")
SINCE = (
    "days_from_first_treatment",
    "Days from the patient's first treatment (clinic-local calendar days; an interval, "
    "not a date); blank when the patient has no treatment",
)
STUDY = ("study_id", "Random study id for this export (not derived from any record number)")
TREATMENT = ("treatment_number", "The patient's treatment (1 = first ever), as in treatments")

_TABLES: dict[str, list[tuple[str, str]]] = {
    "patients": [
        STUDY,
        ("sex_at_birth", "female, male or as recorded"),
        ("age", "Age in years at the first treatment (at export if none); 90+ above 89"),
        ("birth_year", "Year of birth; blank when the age is 90+ (Safe Harbor)"),
        ("state", "US state (two letters)"),
        ("zip3", "First three ZIP digits; 000 where the area holds 20,000 people or fewer"),
        ("diagnosis_codes", "Active ICD-10-CM codes, ';'-separated"),
        ("diagnosis_groups", "depression, ptsd, anxiety, crps, bipolar, other (';')"),
        ("first_treatment_date", "Shifted date of the first treatment (blank if none)"),
        ("treatments", "Number of treatments given"),
    ],
    "treatments": [
        STUDY,
        TREATMENT,
        DATE,
        SINCE,
        ("modality", "iv_ketamine, im_ketamine, sl_ketamine or esketamine_nasal"),
        ("protocol", "Protocol id of the plan it was given under (blank if none)"),
    ],
    "questionnaire_scores": [
        STUDY,
        ("instrument", "phq9, gad7, madrs, qids_sr16, pcl5, pain_nrs, cadss, cssrs_screener"),
        DATE,
        SINCE,
        ("instrument_version", "Version of the instrument definition scored"),
        ("total", "Total score as scored then"),
        ("max_total", "Highest possible total"),
        ("band", "Severity band as scored then"),
        ("completed_by", "patient (self-report) or staff (clinician-rated or read aloud)"),
    ],
    "vital_sign_summaries": [
        STUDY,
        TREATMENT,
        DATE,
        SINCE,
        ("plan_session_number", "Session number within its treatment plan"),
        ("protocol", "Protocol id"),
        ("state", "Chairside session state (discharged, note_signed, no_show, ...)"),
        ("readings", "Number of vital-sign readings"),
        ("max_systolic", "Highest systolic BP, mmHg"),
        ("max_diastolic", "Highest diastolic BP, mmHg"),
        ("max_heart_rate", "Highest heart rate, /min"),
        ("min_spo2", "Lowest SpO2, %"),
        ("max_cadss", "Highest CADSS dissociation score recorded"),
        ("over_180_110", "yes if any reading was over 180 systolic or 110 diastolic"),
        ("alerts_urgent", "Vital-sign alerts of urgent severity"),
        ("alerts_warning", "Vital-sign alerts of warning severity"),
        ("stopped_early", "yes if the infusion was stopped or ended early"),
    ],
    "adverse_events": [
        STUDY,
        TREATMENT,
        DATE,
        SINCE,
        ("effect", "Side effect (chairside vocabulary key)"),
        ("grade", "CTCAE grade 1-5"),
        ("serious", "yes for a serious adverse event"),
    ],
    "rescue_medications": [
        STUDY,
        TREATMENT,
        DATE,
        SINCE,
        ("drug", "Rescue medication (vocabulary key)"),
        ("dose", "Dose given"),
        ("unit", "Unit of the dose"),
        ("route", "iv, odt, po, ..."),
        ("reason", "Side effect treated (vocabulary key), blank if not one"),
    ],
}


def described(years_only: bool) -> dict[str, list[tuple[str, str]]]:
    """Each file's columns with descriptions, for shifted dates or years only."""
    swapped: dict[str, list[tuple[str, str]]] = {}
    for name, columns in _TABLES.items():
        swapped[name] = [
            (YEAR if years_only and c == DATE else c)
            if c[0] != "first_treatment_date" or not years_only
            else ("first_treatment_year", "Year of the first treatment (blank if none)")
            for c in columns
        ]
    return swapped


COLUMNS: dict[str, list[str]] = {n: [c for c, _d in cols] for n, cols in _TABLES.items()}

GROUPS = [
    ("F32", "depression"),
    ("F33", "depression"),
    ("F43.1", "ptsd"),
    ("F41", "anxiety"),
    ("G90.5", "crps"),
    ("F31", "bipolar"),
    ("F53", "depression"),
]


def diagnosis_group(code: str) -> str:
    """The ICD-10-CM code's group for the outcome reports' filters; "other" if none."""
    return next((group for prefix, group in GROUPS if code.startswith(prefix)), "other")
