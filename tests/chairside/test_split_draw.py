"""A nurse with two part-used vials gives the dose: drawn from both, each its own
ledger draw for the session with the same witness, in one transaction; refused,
naming the lot and the field, when the two cannot make the dose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinics.models import Clinic
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger import verify
from ketaclinic.ledger.models import CsContainer, CsEntry
from ketaclinic.ledger.schemas import DrawIn, LocationIn, ProductIn, ReceiptIn
from tests.chairside.conftest import (
    MANUAL_CHECKS,
    Api,
    Chairside,
    checker,
    reading,
    started,
)
from tests.conftest import PASSWORD, Persona
from tests.ledger.conftest import Stock, me, receipt
from tests.pdf_layout import read_layout

DOSE = Decimal("34.2")  # 68.4 kg at 0.5 mg/kg


def _leave(db: Session, nurse: Persona, stock: Stock, container_id: int, left: str) -> None:
    """Use the container down to ``left`` mg (drawn for another patient)."""
    container = db.get(CsContainer, container_id)
    assert container is not None
    taken = Decimal(container.on_hand_ug) / 1000 - Decimal(left)
    data = DrawIn(container_id=container_id, patient_id=stock.patient_id, amount_mg=taken)
    ledger.draw(db, me(db, nurse), data)
    db.commit()


def _second_lot(db: Session, custodian: Persona, stock: Stock, **overrides: Any) -> int:
    """One more vial, of lot KX2612, in the same safe (unless said otherwise)."""
    fields = {"lot_number": "KX2612", "containers": 1, **overrides}
    [entry] = ledger.receive(
        db,
        me(db, custodian),
        ReceiptIn(
            **receipt(
                fields.pop("location_id", stock.location.id),
                fields.pop("product_id", stock.product.id),
                **fields,
            )
        ),
    )
    db.commit()
    return entry.container_id


@pytest.fixture
def vials(
    db: Session, nurse: Persona, custodian: Persona, stock: Stock, chairside: Chairside
) -> tuple[int, int]:
    """Lot KX2611's vial with 14.5 mg left and lot KX2612's with 30 mg: neither holds
    the 34.2 mg dose (the other KX2611 vial is used up)."""
    first = chairside.vial.id
    _leave(db, nurse, stock, stock.vials[1].id, "0")
    second = _second_lot(db, custodian, stock)
    _leave(db, nurse, stock, first, "14.5")
    _leave(db, nurse, stock, second, "30")
    return first, second


def _prechecked(api: Api, nurse: Persona, c: Chairside) -> int:
    s = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={}).json()
    sid = int(s["id"])
    api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(0)]})
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()}
    done = api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks})
    assert done.json()["state"] == "prechecked", done.text
    return sid


def _release(api: Api, nurse: Persona, prescriber: Persona, sid: int, **draw: Any) -> Any:
    body = {
        "checker": checker(prescriber),
        "weight_kg": "68.4",
        "concentration_mg_per_ml": "1",
        **draw,
    }
    return api(nurse).post(f"/api/v1/sessions/{sid}/release", json=body)


def _draws(db: Session, patient_id: int) -> list[CsEntry]:
    return list(
        db.scalars(
            select(CsEntry)
            .where(CsEntry.patient_id == patient_id, CsEntry.kind == "draw")
            .order_by(CsEntry.id)
        )
    )


def _on_hand(db: Session, container_id: int) -> int:
    container = db.get(CsContainer, container_id)
    assert container is not None
    db.refresh(container)
    return container.on_hand_ug


def test_it_draws_the_dose_from_two_part_used_vials_first_balance_first(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    out = _release(api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1])
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["state"] == "dose_released"
    assert body["drawn_from"] == [
        {"lot": "KX2611", "mg": 14.5},
        {"lot": "KX2612", "mg": 19.7},
    ]
    session = db.get(ChairsideSession, sid)
    assert session is not None
    db.refresh(session)
    first, second = _draws(db, chairside.patient_id)
    assert (session.draw_entry_id, session.second_draw_entry_id) == (first.id, second.id)
    assert [(d.container_id, d.amount_ug) for d in (first, second)] == [
        (vials[0], 14_500),
        (vials[1], 19_700),
    ]
    # Both linked to the session's treatment, both with the checker as witness.
    assert first.session_id == second.session_id == session.treatment_session_id
    assert first.witness_ids == second.witness_ids == str(prescriber.user.id)
    assert (_on_hand(db, vials[0]), _on_hand(db, vials[1])) == (0, 10_300)
    audited = db.scalars(
        select(AuditEvent.action)
        .where(
            AuditEvent.resource_type == "cs_entry",
            AuditEvent.resource_id.in_([str(first.id), str(second.id)]),
        )
        .order_by(AuditEvent.id)
    ).all()
    assert audited == ["ledger.draw", "ledger.draw"]
    db.expire_all()
    assert verify.verify(db)[1] is None


def test_it_takes_the_amounts_the_nurse_entered_when_they_make_the_dose(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    out = _release(
        api,
        nurse,
        prescriber,
        sid,
        container_id=vials[1],
        second_container_id=vials[0],
        first_mg="24.2",
        second_mg="10",
    )
    assert out.status_code == 200, out.text
    assert out.json()["drawn_from"] == [
        {"lot": "KX2612", "mg": 24.2},
        {"lot": "KX2611", "mg": 10.0},
    ]


@pytest.mark.parametrize(
    ("draw", "field", "words"),
    [
        ({"second_mg": "20"}, "first_mg", "both amounts"),
        ({"first_mg": "14.5", "second_mg": "19.6"}, "second_mg", "34.2 mg dose exactly"),
        ({"first_mg": "15", "second_mg": "19.2"}, "first_mg", "lot KX2611 holds 14.5 mg"),
        ({"drawn_mg": "34.2"}, "drawn_mg", "second container"),
    ],
)
def test_it_refuses_amounts_that_cannot_make_the_dose_naming_the_field(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
    draw: dict[str, str],
    field: str,
    words: str,
) -> None:
    sid = _prechecked(api, nurse, chairside)
    out = _release(
        api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1], **draw
    )
    assert out.status_code == 422, out.text
    fields = out.json()["error"]["fields"]
    assert list(fields) == [field] and words in fields[field], fields
    assert _draws(db, chairside.patient_id) == []
    assert api(nurse).get(f"/api/v1/sessions/{sid}").json()["state"] == "prechecked"


def test_it_refuses_two_vials_that_together_hold_less_than_the_dose_and_writes_nothing(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    stock: Stock,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    _leave(db, nurse, stock, vials[1], "12")
    sid = _prechecked(api, nurse, chairside)
    out = _release(api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1])
    assert out.status_code == 422, out.text
    message = out.json()["error"]["fields"]["second_container_id"]
    assert "lot KX2611 (14.5 mg) and lot KX2612 (12 mg) together hold 26.5 mg" in message
    assert _draws(db, chairside.patient_id) == []
    assert (_on_hand(db, vials[0]), _on_hand(db, vials[1])) == (14_500, 12_000)


def test_it_refuses_a_second_vial_of_another_strength_or_safe_naming_the_lot(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    custodian: Persona,
    stock: Stock,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    weaker = ledger.add_product(
        db,
        me(db, custodian),
        ProductIn(
            ndc="0143-9508-11",
            drug="ketamine",
            name="Ketamine HCl injection",
            strength="10 mg/mL",
            form="injection, vial",
            container_mg=Decimal(200),
            container_ml=Decimal(20),
        ),
    )
    db.commit()
    dilute = _second_lot(db, custodian, stock, lot_number="KD1001", product_id=weaker.id)
    elsewhere = _second_lot(db, custodian, stock, lot_number="KX2613", location_id=stock.other.id)
    sid = _prechecked(api, nurse, chairside)
    for second, words in ((dilute, "lot KD1001 is ketamine 10 mg/mL"), (elsewhere, "another safe")):
        out = _release(
            api, nurse, prescriber, sid, container_id=vials[0], second_container_id=second
        )
        assert out.status_code == 422, out.text
        assert words in out.json()["error"]["fields"]["second_container_id"]
    assert _draws(db, chairside.patient_id) == []


def test_it_refuses_a_container_of_another_clinic(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    stock: Stock,
    other_clinic: Clinic,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    keeper = create_user(
        db,
        email="keeper@other.example.org",
        name="Kee Per",
        password=PASSWORD,
        role="custodian",
        clinic=other_clinic,
    )
    db.flush()
    theirs = principal_for(db, keeper)
    safe = ledger.add_location(db, theirs, other_clinic.id, LocationIn(name="Their safe"))
    [entry] = ledger.receive(
        db,
        theirs,
        ReceiptIn(**receipt(safe.id, stock.product.id, lot_number="KX9999", containers=1)),
    )
    db.commit()
    sid = _prechecked(api, nurse, chairside)
    for second in (entry.container_id, 2**31 - 1):
        out = _release(
            api, nurse, prescriber, sid, container_id=vials[0], second_container_id=second
        )
        assert out.status_code == 422, out.text
        assert "this clinic's stock" in out.json()["error"]["fields"]["second_container_id"]
    assert _draws(db, chairside.patient_id) == []


def test_it_wastes_what_is_left_from_the_draw_that_holds_it(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    out = _release(api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1])
    assert out.status_code == 200, out.text
    started(api, db, nurse, sid)
    end = api(nurse).post(
        f"/api/v1/sessions/{sid}/end",
        json={"given_mg": "30", "witnesses": [{"email": prescriber.email, "password": PASSWORD}]},
    )
    assert end.status_code == 200, end.text
    first, second = _draws(db, chairside.patient_id)
    moved = [
        (e.draw_entry_id, e.kind, e.amount_ug)
        for e in db.scalars(
            select(CsEntry)
            .where(CsEntry.draw_entry_id.in_([first.id, second.id]))
            .order_by(CsEntry.id)
        )
    ]
    # 14.5 mg given from the first vial's draw, 15.5 from the second's, whose 4.2 mg
    # left is wasted before the witness.
    assert moved == [
        (first.id, "administer", 14_500),
        (second.id, "administer", 15_500),
        (second.id, "waste", 4_200),
    ]
    db.expire_all()
    assert verify.verify(db)[1] is None


def test_it_offers_two_vials_on_the_page_when_none_holds_the_dose(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    page = api(nurse).get(f"/sessions/{sid}").text
    assert 'id="two-containers"' in page and "No one container holds 34.2 mg" in page
    assert "Lot KX2611, 500 mg/10 mL vial, 14.5 mg left" in page
    form = {
        "draw": "two",
        "container_id": str(vials[0]),
        "second_container_id": str(vials[1]),
        "first_mg": "",
        "second_mg": "",
        "witness_email": prescriber.email,
        "witness_password": PASSWORD,
        "weight_kg": "68.4",
        "concentration_mg_per_ml": "1",
    }
    client = api(nurse)
    done = client.post(f"/sessions/{sid}/release", data=form, follow_redirects=True)
    assert done.status_code == 200, done.text
    assert "Drawn from lot KX2611 (14.5 mg) and lot KX2612 (19.7 mg)." in done.text


def test_it_shows_the_refusal_beside_the_field_and_keeps_two_containers_open(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    form = {
        "draw": "two",
        "container_id": str(vials[0]),
        "second_container_id": str(vials[1]),
        "first_mg": "14.5",
        "second_mg": "19",
        "witness_email": prescriber.email,
        "witness_password": PASSWORD,
        "weight_kg": "68.4",
        "concentration_mg_per_ml": "1",
    }
    refused = api(nurse).post(f"/sessions/{sid}/release", data=form)
    assert refused.status_code == 422
    assert 'id="e-second_mg"' in refused.text and "34.2 mg dose exactly" in refused.text
    assert 'id="two-containers"' in refused.text


def test_it_names_both_lots_in_the_note_pdf(
    api: Api,
    db: Session,
    nurse: Persona,
    prescriber: Persona,
    chairside: Chairside,
    vials: tuple[int, int],
) -> None:
    sid = _prechecked(api, nurse, chairside)
    out = _release(api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1])
    assert out.status_code == 200, out.text
    note = api(nurse).get(f"/api/v1/sessions/{sid}/note").json()
    assert note["body"]["dose"]["drawn_from"] == [
        {"lot": "KX2611", "mg": "14.5"},
        {"lot": "KX2612", "mg": "19.7"},
    ]
    pdf = api(nurse).get(f"/sessions/{sid}/note.pdf")
    assert pdf.status_code == 200
    text = read_layout(pdf.content).text
    assert "lot KX2611 (14.5 mg)" in text and "lot KX2612 (19.7 mg)" in text


def test_it_lets_the_nurse_choose_two_containers_when_one_would_do(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = _prechecked(api, nurse, chairside)
    one = api(nurse).get(f"/sessions/{sid}").text
    assert 'id="draw-two"' in one and 'id="two-containers"' not in one
    two = api(nurse).get(f"/sessions/{sid}?draw=two").text
    assert 'id="two-containers"' in two and 'id="draw-one"' in two
    assert "No one container holds" not in two
    # A full vial first holds the whole dose: the amounts say what comes from each.
    vials = sorted(
        db.scalars(select(CsContainer.id).where(CsContainer.lot_id == chairside.vial.lot_id))
    )
    out = _release(api, nurse, prescriber, sid, container_id=vials[0], second_container_id=vials[1])
    assert out.status_code == 422
    assert "alone holds the 34.2 mg dose" in out.json()["error"]["fields"]["second_container_id"]
    out = _release(
        api,
        nurse,
        prescriber,
        sid,
        container_id=vials[0],
        second_container_id=vials[1],
        first_mg="17.1",
        second_mg="17.1",
    )
    assert out.status_code == 200, out.text
    assert [d["mg"] for d in out.json()["drawn_from"]] == [17.1, 17.1]
