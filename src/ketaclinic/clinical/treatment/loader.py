"""Load treatment protocols from YAML, naming the file and line of any problem,
and check the references between files (maintenance protocol, screening rule set)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.screening import load_rule_sets
from ketaclinic.clinical.treatment.model import Protocol


class ProtocolError(datafiles.DataFileError):
    """A protocol file is malformed; the message reads ``file:line: reason``."""

    code = "protocol_invalid"


class UnknownProtocolError(LookupError):
    code = "protocol_unknown"

    def __init__(self, protocol_id: str, known: Iterable[str]) -> None:
        self.protocol_id = protocol_id
        super().__init__(f"unknown protocol {protocol_id!r}; known: {', '.join(known)}")


def parse_protocol(text: str, source: str) -> Protocol:
    return datafiles.parse(text, source, Protocol, ProtocolError)


def load_protocols(
    directory: Path | None = None, *, rule_set_ids: Iterable[str] | None = None
) -> dict[str, Protocol]:
    """Every protocol in ``directory`` (default: the packaged library), by id.

    Call it at start-up: the first bad file raises ``ProtocolError``. A
    clinic's own directory may refer to packaged protocols (``packaged`` are
    added as reference targets) and to its own screening rule sets.
    """
    if directory is None:
        return dict(_packaged())
    loaded = datafiles.load_directory(directory, Protocol, ProtocolError)
    _check_references(loaded, {**_packaged(), **loaded}, rule_set_ids)
    return loaded


def get_protocol(protocol_id: str) -> Protocol:
    protocols = _packaged()
    try:
        return protocols[protocol_id]
    except KeyError:
        raise UnknownProtocolError(protocol_id, sorted(protocols)) from None


@lru_cache(maxsize=1)
def _packaged() -> dict[str, Protocol]:
    directory = files("ketaclinic.clinical.treatment") / "protocols"
    loaded = datafiles.load_directory(directory, Protocol, ProtocolError)
    _check_references(loaded, loaded, None)
    return loaded


def _check_references(
    checked: dict[str, Protocol],
    known: dict[str, Protocol],
    rule_set_ids: Iterable[str] | None,
) -> None:
    rule_sets = set(rule_set_ids) if rule_set_ids is not None else set(load_rule_sets())
    for protocol in checked.values():
        source = f"{protocol.id}.yaml"
        if protocol.rule_set not in rule_sets:
            raise ProtocolError(
                source, None, f"rule_set: no screening rule set {protocol.rule_set!r}"
            )
        for name in ("maintenance", "booster"):
            target = getattr(getattr(protocol, name), "protocol", None)
            if target is not None and target not in known:
                raise ProtocolError(source, None, f"{name}.protocol: no protocol {target!r}")
