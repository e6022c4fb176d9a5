"""Dose refusals, each naming the field a person must look at."""

from __future__ import annotations

from collections.abc import Mapping


class DoseError(ValueError):
    """The dose cannot be given as asked; ``fields`` maps each field to why.

    ``code`` and ``status_code`` let the web layer render it like any other
    validation error.
    """

    code = "dose_refused"
    status_code = 422

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields: dict[str, str] = dict(fields)
        super().__init__("; ".join(f"{name}: {why}" for name, why in self.fields.items()))
