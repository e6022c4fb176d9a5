"""Which of a patient's medicines fall in the classes the Spravato REMS monitoring
form asks about (docs/clinical-references.md#rems, "Spravato REMS patient monitoring
form": concomitant
benzodiazepines, non-benzodiazepine hypnotics, psychostimulants, MAOIs). Pure.

The lists name common US generics and brands (practice); they pre-fill the form,
which staff confirm, so a miss is caught by a person rather than trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

CLASSES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "benzodiazepines": frozenset(
            {
                "alprazolam",
                "xanax",
                "lorazepam",
                "ativan",
                "clonazepam",
                "klonopin",
                "diazepam",
                "valium",
                "chlordiazepoxide",
                "librium",
                "temazepam",
                "restoril",
                "oxazepam",
                "triazolam",
                "halcion",
                "midazolam",
                "clobazam",
                "estazolam",
                "flurazepam",
            }
        ),
        "non_benzodiazepine_hypnotics": frozenset(
            {
                "zolpidem",
                "ambien",
                "eszopiclone",
                "lunesta",
                "zaleplon",
                "sonata",
                "suvorexant",
                "belsomra",
                "lemborexant",
                "daridorexant",
                "ramelteon",
            }
        ),
        "psychostimulants": frozenset(
            {
                "methylphenidate",
                "ritalin",
                "concerta",
                "dexmethylphenidate",
                "focalin",
                "amphetamine",
                "adderall",
                "dextroamphetamine",
                "lisdexamfetamine",
                "vyvanse",
                "methamphetamine",
                "modafinil",
                "provigil",
                "armodafinil",
                "nuvigil",
            }
        ),
        "maois": frozenset(
            {
                "phenelzine",
                "nardil",
                "tranylcypromine",
                "parnate",
                "isocarboxazid",
                "marplan",
                "selegiline",
                "emsam",
                "rasagiline",
                "moclobemide",
            }
        ),
    }
)


def classes_of(medicines: Iterable[str]) -> dict[str, list[str]]:
    """Class -> the medicines (as written) that belong to it, for every class."""
    found: dict[str, list[str]] = {name: [] for name in CLASSES}
    for medicine in medicines:
        words = {w.strip(".,()/").lower() for w in medicine.split()}
        for name, members in CLASSES.items():
            if words & members:
                found[name].append(medicine)
    return found
