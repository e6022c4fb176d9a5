"""Who the demo's year of history treated: about 200 synthetic patients per clinic,
each with a distinct name, phone and email (duplicate detection never sees two alike),
birth dates across the age bands (a few over 89) and an ICD-10-CM diagnosis mix that
leans on depression, with some PTSD, generalised anxiety and CRPS. Deterministic."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ketaclinic.demo import data

GIVEN_FEMALE = [
    *data.GIVEN_FEMALE,
    *[
        "Abigail",
        "Beatriz",
        "Camille",
        "Delia",
        "Esme",
        "Farah",
        "Gwen",
        "Hana",
        "Ines",
        "Joelle",
        "Keira",
        "Lena",
        "Mira",
        "Nadia",
        "Odette",
        "Paloma",
        "Renata",
        "Selma",
        "Tamsin",
        "Ursula",
        "Vera",
        "Wren",
        "Xiomara",
        "Yara",
        "Zora",
        "Alma",
        "Bianca",
        "Cora",
        "Daphne",
        "Elena",
    ],
]
GIVEN_MALE = [
    *data.GIVEN_MALE,
    *[
        "Abel",
        "Bruno",
        "Cyrus",
        "Dario",
        "Elias",
        "Felix",
        "Gideon",
        "Hugo",
        "Ivan",
        "Jonah",
        "Kofi",
        "Lionel",
        "Malik",
        "Nico",
        "Omar",
        "Pablo",
        "Quinn",
        "Rafael",
        "Silas",
        "Tobias",
        "Ulises",
        "Victor",
        "Wesley",
        "Xavier",
        "Yusuf",
        "Zane",
        "Amos",
        "Boris",
        "Cesar",
        "Dmitri",
        "Emmett",
    ],
]
FAMILY = [
    *data.FAMILY,
    *[
        "Abernathy",
        "Bautista",
        "Calloway",
        "Dunleavy",
        "Esposito",
        "Fairbanks",
        "Galloway",
        "Haddad",
        "Ibarra",
        "Jankowski",
        "Kowalczyk",
        "Lindqvist",
        "Montoya",
        "Nakashima",
        "Oyelaran",
        "Pacheco",
        "Quintero",
        "Rasmussen",
        "Sandoval",
        "Takahashi",
        "Underwood",
        "Valenzuela",
        "Whitlock",
        "Yamamoto",
        "Zielinski",
        "Archuleta",
        "Benavides",
        "Chavarria",
        "Duarte",
        "Estrada",
        "Figueroa",
        "Gallegos",
        "Hernandez",
        "Iwasaki",
        "Jaramillo",
        "Kaminski",
        "Lucero",
        "Maestas",
        "Nez",
        "Ortiz",
    ],
]
STREETS = [
    *data.STREETS,
    "Juniper Way",
    "Sagebrush Ct",
    "Arroyo Vista",
    "Old Pecos Trl",
    "Cerrillos Rd",
    "Agua Fria St",
    "Mockingbird Ln",
    "Lamar Blvd",
]
# (city, state, ZIP) per clinic. Socorro (878) and Truth or Consequences (879) NM and
# Amarillo (790) TX are among the 3-digit ZIP areas of 20,000 people or fewer, which a
# Safe Harbor export shows as 000 (research.safe_harbor).
CITIES = {
    "TX": [
        ("Austin", "TX", "78704"),
        ("Austin", "TX", "78745"),
        ("Round Rock", "TX", "78664"),
        ("Georgetown", "TX", "78626"),
        ("Pflugerville", "TX", "78660"),
        ("San Marcos", "TX", "78666"),
        ("Amarillo", "TX", "79015"),
    ],
    "NM": [
        ("Santa Fe", "NM", "87501"),
        ("Santa Fe", "NM", "87505"),
        ("Albuquerque", "NM", "87110"),
        ("Los Alamos", "NM", "87544"),
        ("Espanola", "NM", "87532"),
        ("Socorro", "NM", "87801"),
        ("Truth or Consequences", "NM", "87901"),
    ],
}
AREA_CODE = {"TX": "512", "NM": "505"}

# (code, label, kind, weight): kind says which questionnaires the patient answers.
DIAGNOSES = [
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features", "mdd", 34),
    ("F33.1", "Major depressive disorder, recurrent, moderate", "mdd", 18),
    (
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        "mdd",
        10,
    ),
    ("F32.1", "Major depressive disorder, single episode, moderate", "mdd", 5),
    ("F43.10", "Post-traumatic stress disorder, unspecified", "ptsd", 6),
    ("F43.12", "Post-traumatic stress disorder, chronic", "ptsd", 6),
    ("F41.1", "Generalized anxiety disorder", "gad", 7),
    ("G90.511", "Complex regional pain syndrome I of right upper limb", "crps", 3),
    ("G90.521", "Complex regional pain syndrome I of right lower limb", "crps", 3),
    ("G90.522", "Complex regional pain syndrome I of left lower limb", "crps", 2),
]
SECOND = ("F41.1", "Generalized anxiety disorder")
# Age on the demo's day: (lowest, highest, weight); a few over 89.
AGE_BANDS = [
    (18, 24, 9),
    (25, 34, 22),
    (35, 44, 24),
    (45, 54, 20),
    (55, 64, 15),
    (65, 74, 7),
    (75, 89, 2),
    (90, 96, 1),
]


@dataclass
class Person:
    given: str
    family: str
    birth: date
    sex: str
    phone: str
    email: str
    address: str
    city: str
    region: str
    postal: str
    weight_kg: float
    height_cm: int
    kind: str  # mdd, ptsd, gad, crps
    diagnoses: list[tuple[str, str]] = field(default_factory=list)
    escort: str = ""
    escort_phone: str = ""
    relation: str = ""


def people(
    rng: random.Random,
    count: int,
    region: str,
    today: date,
    taken: set[tuple[str, str]],
    serial: int,
) -> list[Person]:
    """``count`` patients whose (given, family) is in neither ``taken`` nor each other."""
    found: list[Person] = []
    weights = [w for *_x, w in DIAGNOSES]
    while len(found) < count:
        female = rng.random() < 0.62
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = rng.choice(FAMILY)
        if (given, family) in taken:
            continue
        taken.add((given, family))
        low, high, _w = rng.choices(AGE_BANDS, weights=[w for *_x, w in AGE_BANDS])[0]
        age_days = rng.randint(low * 365 + 200, high * 365 + 160)
        birth = today - timedelta(days=age_days)
        code, label, kind, _w = rng.choices(DIAGNOSES, weights=weights)[0]
        diagnoses = [(code, label)]
        if kind in {"mdd", "ptsd"} and rng.random() < 0.3:
            diagnoses.append(SECOND)
        if kind == "ptsd" and rng.random() < 0.5:
            diagnoses.append(("F33.1", "Major depressive disorder, recurrent, moderate"))
        height = rng.randint(152, 174) if female else rng.randint(164, 193)
        bmi = rng.uniform(19.5, 35.0)
        city, state, postal = rng.choice(CITIES[region])
        n = serial + len(found)
        escort_given = rng.choice(GIVEN_MALE if female else GIVEN_FEMALE)
        found.append(
            Person(
                given=given,
                family=family,
                birth=birth,
                sex="female" if female else "male",
                phone=f"+1 {AREA_CODE[region]} 555 {2000 + n:04d}",
                email=f"{given.lower()}.{family.lower()}.{n}@inbox.example.org",
                address=f"{rng.randint(100, 9899)} {rng.choice(STREETS)}",
                city=city,
                region=state,
                postal=postal,
                weight_kg=round(bmi * (height / 100) ** 2, 1),
                height_cm=height,
                kind=kind,
                diagnoses=diagnoses,
                escort=f"{escort_given} {family}",
                escort_phone=f"+1 {AREA_CODE[region]} 555 {6000 + n:04d}",
                relation=rng.choice(data.RELATIONS),
            )
        )
    return found


def mrn(rng: random.Random, taken: set[str]) -> str:
    """A record number shaped like ``patients.mrn`` (KC + 7 digits + Luhn), unused."""
    from ketaclinic.clinical.checkdigits import luhn_digit

    while True:
        body = f"{rng.randrange(1_000_000, 10_000_000)}"
        value = f"KC{body}{luhn_digit(body)}"
        if value not in taken:
            taken.add(value)
            return value
