"""The eligibility rule sets, treatment protocols and patient documents (consents to
sign, documents shared to read) the app serves, in every process.

The packaged files are part of the code: a new version arrives with a deploy, which
restarts every worker. A clinic's own directories (``rules_dir``, ``protocols_dir``,
``documents_dir``)
can change under running servers, so each process looks at them again (names, sizes
and modification times: one directory listing) at most every ``RECHECK_SECONDS`` and
re-reads them when anything changed. A malformed change is refused and logged and
the previous files keep serving; at start-up a malformed file stops the app, as
before. ``ketaclinic protocols check`` validates a directory before it is copied in;
``ketaclinic documents check`` does the same for documents.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ketaclinic.clinical.consents import ConsentDocument, SharedDocument
from ketaclinic.clinical.consents.library import load_library
from ketaclinic.clinical.datafiles import DataFileError
from ketaclinic.clinical.screening import RuleSet, load_rule_sets
from ketaclinic.clinical.treatment import Protocol, load_protocols
from ketaclinic.kit.logging import log
from ketaclinic.settings import Settings

RECHECK_SECONDS = 5.0

Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ClinicData:
    rule_sets: dict[str, RuleSet]
    protocols: dict[str, Protocol]
    consents: dict[str, ConsentDocument]
    shared_documents: dict[str, SharedDocument]


def load(settings: Settings) -> ClinicData:
    """The packaged rule sets and protocols with the clinic's own over them; a
    malformed file raises, naming file and line."""
    rule_sets = load_rule_sets()
    if settings.rules_dir is not None:
        rule_sets = {**rule_sets, **load_rule_sets(settings.rules_dir)}
    # A clinic's own protocols may refer to its own rule sets.
    protocols = load_protocols()
    if settings.protocols_dir is not None:
        protocols = {**protocols, **load_protocols(settings.protocols_dir, rule_set_ids=rule_sets)}
    library = load_library(settings.documents_dir)
    return ClinicData(rule_sets, protocols, library.consents, library.shared)


def _stamp(directories: tuple[Path, ...]) -> Stamp:
    found: list[tuple[str, int, int]] = []
    for directory in directories:
        try:
            for path in sorted(directory.glob("*.yaml")):
                st = path.stat()
                found.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:  # gone or unreadable this instant: look again next time
            found.append((str(directory), -1, -1))
    return tuple(found)


class Watcher:
    """This process's ``ClinicData``, re-read when the clinic's directories change."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._directories = tuple(
            d
            for d in (settings.rules_dir, settings.protocols_dir, settings.documents_dir)
            if d is not None
        )
        self._stamp = _stamp(self._directories)
        self.data = load(settings)
        self._next_check = clock() + RECHECK_SECONDS
        self._checking = threading.Lock()

    def current(self) -> ClinicData:
        """The data to serve now. Costs a clock reading, except once per interval."""
        if not self._directories or self._clock() < self._next_check:
            return self.data
        if not self._checking.acquire(blocking=False):
            return self.data  # another request of this process is looking
        try:
            self._next_check = self._clock() + RECHECK_SECONDS
            stamp = _stamp(self._directories)
            if stamp != self._stamp:
                self._stamp = stamp  # a refused version is not retried until it changes
                self._reload()
        finally:
            self._checking.release()
        return self.data

    def _reload(self) -> None:
        try:
            self.data = load(self._settings)
        except DataFileError as exc:
            log.error("clinic_data_refused", error=str(exc))
            return
        log.info(
            "clinic_data_reloaded",
            rule_sets=len(self.data.rule_sets),
            protocols=len(self.data.protocols),
        )
