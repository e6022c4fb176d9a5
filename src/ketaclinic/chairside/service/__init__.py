"""Chairside charting: one write path per step of a treatment session, one module per
use case (chart, steps, checklist, dose, vitals, discharge, note, rems).

Every step goes through ``steps.step``: the pure lifecycle (clinical.chairside) says
whether the action is allowed from the session's state, the step is an event
row claiming the session's next ``seq``, and the state moves in the same
transaction. The dose release writes the dose check, its independent second
check, the ledger draw and any waste, and the step, together or not at all.
"""

from ketaclinic.chairside.service.chart import (
    ADMINISTRATION,
    CLOSED,
    MODALITY,
    PRE_DOSE,
    AlertView,
    ChairsidePolicy,
    Chart,
    chart,
    charts,
    phase_of,
    pure_reading,
    session_dose,
)
from ketaclinic.chairside.service.checklist import (
    EscortOnFile,
    auto_checks,
    escort_on_file,
    record_checks,
)
from ketaclinic.chairside.service.discharge import DischargeRefused, discharge
from ketaclinic.chairside.service.dose import (
    DoseMismatch,
    act,
    checker_principal,
    concentration_label,
    end_administration,
    infused_min,
    release_dose,
    stop,
)
from ketaclinic.chairside.service.draws import (
    ContainerChoice,
    containers_for,
    drawable,
    open_mg,
)
from ketaclinic.chairside.service.note import (
    Signing,
    add_addendum,
    compose_note,
    sign_note,
    signing,
)
from ketaclinic.chairside.service.rems import (
    YES_NO,
    RemsDue,
    mark_rems_sent,
    rems_due,
    rems_due_in_clinics,
    rems_fields,
    rems_generated,
    rems_missing,
    rems_typed,
    save_rems,
)
from ketaclinic.chairside.service.steps import check_allowed, open_session
from ketaclinic.chairside.service.vitals import (
    VALUES,
    VitalsResult,
    acknowledge,
    record_adverse,
    record_rescue,
    record_vitals,
)

__all__ = [
    "ADMINISTRATION",
    "CLOSED",
    "MODALITY",
    "PRE_DOSE",
    "VALUES",
    "YES_NO",
    "AlertView",
    "ChairsidePolicy",
    "Chart",
    "ContainerChoice",
    "DischargeRefused",
    "DoseMismatch",
    "EscortOnFile",
    "RemsDue",
    "Signing",
    "VitalsResult",
    "acknowledge",
    "act",
    "add_addendum",
    "auto_checks",
    "chart",
    "charts",
    "check_allowed",
    "checker_principal",
    "compose_note",
    "concentration_label",
    "containers_for",
    "discharge",
    "drawable",
    "end_administration",
    "escort_on_file",
    "infused_min",
    "mark_rems_sent",
    "open_mg",
    "open_session",
    "phase_of",
    "pure_reading",
    "record_adverse",
    "record_checks",
    "record_rescue",
    "record_vitals",
    "release_dose",
    "rems_due",
    "rems_due_in_clinics",
    "rems_fields",
    "rems_generated",
    "rems_missing",
    "rems_typed",
    "save_rems",
    "session_dose",
    "sign_note",
    "signing",
    "stop",
]
