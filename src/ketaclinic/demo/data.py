"""Made-up people and the clinical facts they carry. Any resemblance to real
persons is accidental. Diagnoses use docs/clinical-references.md#codes ICD-10-CM list."""

from typing import Any

GIVEN_FEMALE = [
    "Avery",
    "Maya",
    "Renee",
    "Lucia",
    "Tamsin",
    "Noor",
    "Greta",
    "Imani",
    "Sofia",
    "Harper",
    "Ingrid",
    "Priya",
    "Colette",
    "Delia",
    "Wren",
    "Yara",
    "Bianca",
    "Jun",
]
GIVEN_MALE = [
    "Marcus",
    "Theo",
    "Rafael",
    "Desmond",
    "Elliot",
    "Kenji",
    "Omar",
    "Silas",
    "Victor",
    "Dmitri",
    "Luca",
    "Andre",
    "Felix",
    "Hollis",
    "Tobias",
    "Isaac",
    "Ruben",
    "Caleb",
]
FAMILY = [
    "Okafor",
    "Lindqvist",
    "Marchetti",
    "Haddad",
    "Nakamura",
    "Brennan",
    "Castellanos",
    "Whitfield",
    "Adeyemi",
    "Kowalczyk",
    "Delacroix",
    "Ferreira",
    "Halvorsen",
    "Iyer",
    "Janssen",
    "Kaminski",
    "Larkspur",
    "Moreau",
    "Novak",
    "Oyelaran",
    "Pettersen",
    "Quintero",
    "Rasmussen",
    "Szabo",
    "Thorne",
    "Ueda",
    "Vasquez",
    "Winslow",
    "Yilmaz",
    "Zeller",
]
RELATIONS = ["spouse", "partner", "sister", "brother", "mother", "father", "friend", "adult child"]
CITIES = [
    ("Austin", "TX", "787"),
    ("Round Rock", "TX", "786"),
    ("Georgetown", "TX", "786"),
    ("Pflugerville", "TX", "786"),
    ("San Marcos", "TX", "786"),
]
STREETS = [
    "Live Oak Dr",
    "Bluebonnet Ln",
    "Pecan St",
    "Ridgeview Rd",
    "Barton Springs Rd",
    "Mesquite Trl",
    "Cedar Bend",
    "Riverside Dr",
]

# (code, label, weight in the demo mix); the mix leans on treatment-resistant depression
# as real ketamine clinics do.
DIAGNOSES = [
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features", 9),
    ("F33.1", "Major depressive disorder, recurrent, moderate", 6),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features", 3),
    ("F43.10", "Post-traumatic stress disorder, unspecified", 4),
    ("F41.1", "Generalized anxiety disorder", 4),
    ("F42.2", "Mixed obsessional thoughts and acts", 1),
    ("F31.4", "Bipolar disorder, current episode depressed, severe, without psychotic features", 2),
    ("F53.0", "Postpartum depression", 1),
    ("G90.50", "Complex regional pain syndrome I, unspecified", 2),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus", 1),
]
MEDICATIONS = [
    ("Sertraline", "100 mg daily"),
    ("Escitalopram", "20 mg daily"),
    ("Bupropion XL", "300 mg daily"),
    ("Venlafaxine XR", "150 mg daily"),
    ("Lamotrigine", "200 mg daily"),
    ("Lorazepam", "0.5 mg as needed"),
    ("Clonazepam", "0.5 mg at night"),
    ("Lisinopril", "10 mg daily"),
    ("Gabapentin", "300 mg three times daily"),
    ("Aripiprazole", "5 mg daily"),
    ("Trazodone", "50 mg at night"),
    ("Methylphenidate ER", "36 mg daily"),
]
ALLERGIES = [
    ("Penicillin", "rash"),
    ("Sulfa drugs", "hives"),
    ("Latex", "contact dermatitis"),
    ("Codeine", "nausea and vomiting"),
    ("Adhesive tape", "skin irritation"),
]


# An intake with every question answered and nothing of concern: the baseline each demo
# screening varies (docs/clinical-references.md#contraindications).
CLEAR_INTAKE: dict[str, Any] = {
    "indications": ["trd"],
    "prior_antidepressant_trials": 3,
    "active_psychosis": False,
    "schizophrenia_spectrum_disorder": False,
    "psychosis_history": False,
    "current_mania": False,
    "substance_use_disorder": "none",
    "ketamine_misuse_history": False,
    "uncontrolled_hypertension": False,
    "systolic_bp_mmhg": 124,
    "diastolic_bp_mmhg": 78,
    "unstable_cardiovascular_disease": False,
    "aneurysmal_vascular_disease": False,
    "arteriovenous_malformation": False,
    "intracerebral_hemorrhage_history": False,
    "raised_intracranial_pressure": False,
    "raised_intraocular_pressure": False,
    "hepatic_impairment": "none",
    "pregnant": False,
    "breastfeeding": False,
    "medication_classes": [],
    "ketamine_hypersensitivity": False,
}
