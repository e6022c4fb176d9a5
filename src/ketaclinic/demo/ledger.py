"""The demo's controlled-substance month: stock received and moved to the infusion
cart, a draw for every ketamine infusion the demo charts record (dose given, the
rest wasted before a witness), daily counts, one short count resolved with two
signatures, one dose corrected, and an expired vial destroyed before two witnesses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import today_in
from ketaclinic.ledger import counts, service
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import CsContainer, CsProduct
from ketaclinic.ledger.schemas import (
    CountIn,
    CountLineIn,
    DestroyIn,
    DrawIn,
    LocationIn,
    ProductIn,
    ReceiptIn,
    ResolutionIn,
    ReverseIn,
    WitnessIn,
)
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.treatments.models import TreatmentSession

# Demo NDCs (labeler 99999 is not assigned): clearly not real products.
KETAMINE = ProductIn(
    ndc="99999-0500-10",
    drug="ketamine",
    name="Ketamine HCl injection (demo)",
    strength="50 mg/mL",
    form="injection, 10 mL multi-dose vial",
    container_mg=Decimal(500),
    container_ml=Decimal(10),
)
SUPPLIERS = {
    "lakeside": ("Gulf Coast Medical Supply", "400 Commerce St, Houston, TX 77002", "RG1234563"),
    "mesa": ("High Desert Pharmacy Wholesale", "18 Cerrillos Rd, Santa Fe, NM 87505", "RH2345672"),
}
# The schemas carry witnesses' credentials; the demo's witnesses are confirmed already.
WITNESS_NOTE = WitnessIn(email="demo@example.org", password="-")  # noqa: S106


def _product(db: Session, keeper: Principal) -> CsProduct:
    found = [p for p in repo.products(db) if p.ndc == KETAMINE.ndc]
    return found[0] if found else service.add_product(db, keeper, KETAMINE)


def _infusions(db: Session, clinic_id: int, since: datetime) -> list[TreatmentSession]:
    stmt = in_clinics(
        select(TreatmentSession).join(Patient, Patient.id == TreatmentSession.patient_id),
        Patient.clinic_id,
        [clinic_id],
    ).where(TreatmentSession.given_at >= since, TreatmentSession.modality == "iv_ketamine")
    return list(db.scalars(stmt.order_by(TreatmentSession.given_at)))


def load_ledger(db: Session, slug: str, staff: dict[Role, Principal], timezone: str) -> None:
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    keeper = staff.get(Role.CUSTODIAN, prescriber)
    clinic_id = next(iter(nurse.roles))
    zone = ZoneInfo(timezone)
    today = today_in(timezone)
    start = datetime.combine(_weekday(today - timedelta(days=34)), time(8, 0), zone)
    product = _product(db, keeper)
    supplier, address, dea = SUPPLIERS[slug]
    witness_for_nurse = Witness(prescriber.user_id, prescriber.name)
    second_for_keeper = Witness(
        (prescriber if keeper is not prescriber else nurse).user_id,
        (prescriber if keeper is not prescriber else nurse).name,
    )
    with service.recorded_at(start):
        safe = service.add_location(
            db,
            keeper,
            clinic_id,
            LocationIn(name="Main safe", description="Locked room behind the nurses' station"),
        )
        cart = service.add_location(
            db,
            keeper,
            clinic_id,
            LocationIn(name="Infusion cart safe", description="Double-locked, infusion suite"),
        )

        def receipt(lot: str, expires: date, n: int, invoice: str) -> list[int]:
            data = ReceiptIn(
                location_id=safe.id,
                product_id=product.id,
                lot_number=lot,
                expires=expires,
                containers=n,
                received_on=service.now().date(),
                supplier_name=supplier,
                supplier_address=address,
                supplier_dea=dea,
                invoice_number=invoice,
            )
            return [e.container_id for e in service.receive(db, keeper, data)]

        old = receipt("DK2508X", today - timedelta(days=5), 1, "INV-20441")
        vials = receipt("DK2610A", today + timedelta(days=420), 8, "INV-20502")
        counts.record_count(db, keeper, _count(db, clinic_id, safe.id, "initial_inventory", "open"))
    on_cart: list[int] = []

    def stock_cart(at: datetime) -> None:
        with service.recorded_at(at):
            vial = vials.pop(0)
            service.transfer(db, keeper, vial, cart.id)
            on_cart.append(vial)

    stock_cart(start + timedelta(minutes=30))
    infusions = _infusions(db, clinic_id, start + timedelta(hours=1))
    corrected = False
    short_day = today - timedelta(days=10)
    last_day = None
    for index, session in enumerate(infusions):
        day = session.given_at.astimezone(zone).date()
        if last_day is not None and day != last_day:
            _close_count(
                db,
                keeper,
                second_for_keeper,
                clinic_id,
                cart.id,
                last_day,
                zone,
                short=last_day <= short_day and not _had_short(db, clinic_id),
            )
        last_day = day
        patient = repo.patient(db, [clinic_id], session.patient_id)
        assert patient is not None
        weight = patients.view(db, nurse, patient).weight_kg or Decimal(70)
        dose = (Decimal("0.5") * weight).quantize(Decimal("0.1"))
        drawn = (dose / 5).to_integral_value(ROUND_CEILING) * 5  # drawn up to the next 5 mg
        at = session.given_at - timedelta(minutes=20)
        container = _with_stock(db, clinic_id, on_cart, drawn)
        if container is None:
            stock_cart(at - timedelta(minutes=5))
            container = on_cart[-1]
        with service.recorded_at(at):
            data = DrawIn(
                container_id=container,
                patient_id=patient.id,
                amount_mg=drawn,
                session_id=session.id,
            )
            draw = service.draw(db, nurse, data)
        with service.recorded_at(session.given_at + timedelta(minutes=40)):
            if not corrected and index >= 3 and drawn > dose:
                wrong = service.administer(db, nurse, draw.id, drawn)
                service.reverse(
                    db,
                    nurse,
                    draw.id,
                    ReverseIn(
                        entry_id=wrong.id,
                        amount_mg=drawn - dose,
                        reason="Recorded the whole syringe; the pump history shows "
                        f"{dose} mg infused.",
                    ),
                )
                corrected = True
            else:
                service.administer(db, nurse, draw.id, dose)
            if drawn > dose:
                service.waste(
                    db, nurse, draw.id, drawn - dose, [witness_for_nurse], service.LedgerPolicy()
                )
    if last_day is not None:
        _close_count(
            db,
            keeper,
            second_for_keeper,
            clinic_id,
            cart.id,
            last_day,
            zone,
            short=not _had_short(db, clinic_id),
        )
    if Role.CUSTODIAN not in staff:
        return  # the expired vial waits in the safe for a custodian and two witnesses
    # The expired vial, destroyed before two witnesses (DEA Form 41).
    destroyed = _weekday(today - timedelta(days=2))
    with service.recorded_at(datetime.combine(destroyed, time(16, 30), zone)):
        service.destroy(
            db,
            keeper,
            old[0],
            DestroyIn(
                amount_mg=Decimal(500),
                method="Chemical digestion (Rx Destroyer), witnessed",
                reason="expired",
                destroyed_on=destroyed,
                witnesses=[WITNESS_NOTE, WITNESS_NOTE],
            ),
            [Witness(nurse.user_id, nurse.name), witness_for_nurse],
        )


def _weekday(day: date) -> date:
    """The day, or the Friday before it when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _with_stock(db: Session, clinic_id: int, on_cart: list[int], need: Decimal) -> int | None:
    for vial in on_cart:
        container = db.get(CsContainer, vial)
        if container is not None and Decimal(container.on_hand_ug) / 1000 >= need:
            return vial
    return None


def _count(
    db: Session, clinic_id: int, location_id: int, kind: str, business: str, short_ug: int = 0
) -> CountIn:
    lines = []
    for index, (c, *_rest) in enumerate(repo.stock(db, [clinic_id], location_id=location_id)):
        counted = c.on_hand_ug - (short_ug if index == 0 and c.status == "opened" else 0)
        lines.append(
            CountLineIn(
                container_id=c.id,
                counted_mg=Decimal(counted) / 1000,
                estimated=c.status == "opened",
            )
        )
    return CountIn(location_id=location_id, kind=kind, business=business, lines=lines)


def _had_short(db: Session, clinic_id: int) -> bool:
    return bool(repo.discrepancies(db, [clinic_id]))


def _close_count(
    db: Session,
    keeper: Principal,
    second: Witness,
    clinic_id: int,
    location_id: int,
    day: date,
    zone: ZoneInfo,
    *,
    short: bool,
) -> None:
    at = datetime.combine(day, time(17, 30), zone)
    with service.recorded_at(at):
        data = _count(db, clinic_id, location_id, "daily", "close", 500 if short else 0)
        result = counts.record_count(db, keeper, data)
    for case in result.discrepancies:
        with service.recorded_at(at + timedelta(minutes=25)):
            counts.resolve(
                db,
                keeper,
                case.id,
                ResolutionIn(
                    outcome="ledger_follows_count",
                    explanation="Recounted together: 0.01 mL (0.5 mg) short in the opened vial, "
                    "consistent with hub loss at draw-up; no other cause found.",
                    second_signer=WITNESS_NOTE,
                ),
                second,
            )
