"""Validated questionnaires: instrument definitions as data, pure scoring.

Typical use::

    from ketaclinic.clinical.scales import get_instrument, score

    result = score(get_instrument("phq9"), {"phq9_1": 2, ...})
    result.total, result.band, result.flags
"""

from ketaclinic.clinical.scales.errors import (
    InstrumentDefinitionError,
    ScoringError,
    UnknownInstrumentError,
)
from ketaclinic.clinical.scales.loader import (
    get_instrument,
    load_instrument_file,
    load_instruments,
    parse_instrument,
)
from ketaclinic.clinical.scales.model import Band, Instrument, Item
from ketaclinic.clinical.scales.scoring import (
    ScoreResult,
    adjustable_flags,
    band_for_total,
    score,
    validate_answers,
)

__all__ = [
    "Band",
    "Instrument",
    "InstrumentDefinitionError",
    "Item",
    "ScoreResult",
    "ScoringError",
    "UnknownInstrumentError",
    "adjustable_flags",
    "band_for_total",
    "get_instrument",
    "load_instrument_file",
    "load_instruments",
    "parse_instrument",
    "score",
    "validate_answers",
]
