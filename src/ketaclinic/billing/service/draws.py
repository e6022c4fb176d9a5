"""A finalised charge line on the account, and a visit drawn from the patient's
package. Called by ``charges.finalise`` for every line it makes final (a correcting
line too, when it is finalised in turn).

The rule (docs/clinical-references.md#self-pay-accounts): each final line writes one
``charge`` entry of its amount. Once a visit has no draft line left, it is drawn from
the patient's oldest package that still has a visit left and whose kind fits the
visit (an induction package for series visits, a booster pack for boosters), and a
``package_cover`` entry of minus the visit's final charges pays for it. A visit
already drawn has its cover topped up to minus its final charges (a correction);
a visit whose final charges come to nothing gives its visit back. Everything is
written once: re-finalising never charges, draws nor covers twice. The patient's
package rows are held for the draw, so two visits finalised at once cannot both
take a package's last visit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import account_repository as arepo
from ketaclinic.billing.account_models import AccountEntry, PackageDraw, PatientPackage
from ketaclinic.billing.models import ChargeLine
from ketaclinic.clinical.billing.accounts import (
    OpenPackage,
    cover_due_cents,
    package_to_draw,
    visit_kind,
    visits_left,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import recorded_now
from ketaclinic.patients.models import Patient


def on_final(db: Session, principal: Principal, line: ChargeLine, patient: Patient) -> None:
    """Post a line just made final, and draw or cover its visit when it is complete."""
    ids = [line.clinic_id]
    if arepo.charge_entry_of_line(db, ids, line.id) is None:
        db.add(
            AccountEntry(
                clinic_id=line.clinic_id,
                patient_id=line.patient_id,
                kind="charge",
                amount_cents=line.amount_cents or 0,
                posted_on=line.date_of_service,
                reference="",
                charge_line_id=line.id,
                note=f"{line.code} {line.description}"[:500],
                by_id=principal.user_id,
                at=recorded_now(),
            )
        )
        db.flush()
    finals, drafts = arepo.final_amounts(db, ids, line.session_id)
    if drafts:
        return
    packages = arepo.patient_packages(db, ids, line.patient_id, lock=True)
    if not packages:
        return
    draws = arepo.draws_of_session(db, ids, line.session_id)
    given_back = {d.reverses_id for d in draws if d.reverses_id is not None}
    live = [d for d in draws if d.reverses_id is None and d.id not in given_back]
    draw: PackageDraw | None = live[0] if live else None
    if draw is None and sum(finals) > 0:
        draw = _draw(db, principal, line, patient, packages)
    if draw is None:
        return
    due = cover_due_cents(finals, arepo.covers_of_draw(db, ids, draw.id))
    if due:
        db.add(
            AccountEntry(
                clinic_id=line.clinic_id,
                patient_id=line.patient_id,
                kind="package_cover",
                amount_cents=due,
                posted_on=line.date_of_service,
                reference="",
                package_draw_id=draw.id,
                patient_package_id=draw.patient_package_id,
                note="",
                by_id=principal.user_id,
                at=recorded_now(),
            )
        )
        db.flush()
    if live and sum(finals) == 0:
        _give_back(db, principal, draw, patient)


def _draw(
    db: Session,
    principal: Principal,
    line: ChargeLine,
    patient: Patient,
    packages: list[PatientPackage],
) -> PackageDraw | None:
    ids = [line.clinic_id]
    every = arepo.draws_of_patient(db, ids, line.patient_id)
    open_ones = []
    for package in packages:
        own = [d for d in every if d.patient_package_id == package.id]
        drawn = sum(1 for d in own if d.reverses_id is None)
        back = sum(1 for d in own if d.reverses_id is not None)
        open_ones.append(
            OpenPackage(
                package.id,
                _kind(db, package.package_id, ids),
                visits_left(package.visits, drawn, back),
                package.sold_on,
            )
        )
    chosen = package_to_draw(open_ones, visit_kind(arepo.plan_block(db, ids, line.session_id)))
    if chosen is None:
        return None
    draw = PackageDraw(
        clinic_id=line.clinic_id,
        patient_id=line.patient_id,
        patient_package_id=chosen,
        session_id=line.session_id,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(draw)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.package_drawn",
        patient,
        resource_type="package_draw",
        resource_id=draw.id,
        detail={"patient_package_id": chosen, "session_id": line.session_id},
    )
    return draw


def _kind(db: Session, package_id: int, ids: list[int]) -> str:
    offered = arepo.package(db, ids, package_id)
    return offered.kind if offered else "other"


def _give_back(db: Session, principal: Principal, draw: PackageDraw, patient: Patient) -> None:
    back = PackageDraw(
        clinic_id=draw.clinic_id,
        patient_id=draw.patient_id,
        patient_package_id=draw.patient_package_id,
        session_id=draw.session_id,
        reverses_id=draw.id,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(back)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.package_visit_given_back",
        patient,
        resource_type="package_draw",
        resource_id=back.id,
        detail={"reverses": draw.id, "session_id": draw.session_id},
    )
