"""Whether a typed signature is the chart's name, loosely: case, accents, punctuation,
extra spaces, word order and an added middle name do not matter; a missing or
different word does."""

from __future__ import annotations

import re
import unicodedata

# Letters and digits of any script (a name need not be Latin).
_WORD = re.compile(r"[^\W_]+")
# How many words a signature may add to the chart's name (middle names).
EXTRA_WORDS = 2


def words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    # Apostrophes and hyphens join a name's parts (O'Brien, Smith-Jones = obrien, smithjones
    # or smith jones): compare both spellings by dropping them.
    plain = plain.replace("'", "").replace("\u2019", "")
    return _WORD.findall(plain.replace("-", " "))


def matches(typed: str, given_name: str, family_name: str) -> bool:
    typed_words = words(typed)
    chart_words = words(f"{given_name} {family_name}")
    if not typed_words or not chart_words:
        return False
    remaining = list(typed_words)
    for word in chart_words:
        if word not in remaining:
            return False
        remaining.remove(word)
    return len(remaining) <= EXTRA_WORDS
