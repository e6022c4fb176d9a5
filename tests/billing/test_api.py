"""The billing API (issue 23): one list envelope, refusals naming the field, the
prescriber's evaluation, the fee schedule."""

from __future__ import annotations

from tests.billing.conftest import Billed
from tests.chairside.conftest import Api
from tests.conftest import Persona


def test_it_lists_a_visits_charges_and_finalises_them(
    api: Api, billed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    page = desk.get(f"/api/v1/billing/visits/{billed.session_id}/charges").json()
    assert set(page) == {"items", "total", "page", "page_size"}
    assert [(c["code"], c["status"]) for c in page["items"]] == [
        ("96365", "draft"),
        ("J3490", "draft"),
    ]
    done = desk.post(f"/api/v1/billing/visits/{billed.session_id}/finalise").json()
    assert {c["status"] for c in done["items"]} == {"final"}
    line = done["items"][0]["id"]
    again = desk.post(f"/api/v1/billing/charges/{line}/finalise")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "billing_charge_final"
    blank = desk.post(f"/api/v1/billing/charges/{line}/corrections", json={"reason": ""})
    assert blank.status_code == 422 and "reason" in blank.json()["error"]["fields"]
    fixed = desk.post(
        f"/api/v1/billing/charges/{line}/corrections",
        json={"reason": "ran 1 h 40 min", "code": "96366", "units": 1},
    )
    assert fixed.status_code == 201, fixed.text
    assert [(c["code"], c["units"]) for c in fixed.json()["items"]] == [("96365", -1), ("96366", 1)]
    visits = desk.get("/api/v1/billing/visits").json()["items"]
    mine = [v for v in visits if v["session_id"] == billed.session_id]
    assert mine[0]["drafts"] == 2 and mine[0]["finals"] == 2


def test_it_takes_an_evaluation_from_the_prescriber_only(
    api: Api, billed: Billed, prescriber: Persona, nurse: Persona
) -> None:
    body = {"code": "99214", "note": "New side effect assessed, plan changed"}
    url = f"/api/v1/billing/visits/{billed.session_id}/evaluation"
    assert api(nurse).post(url, json=body).status_code == 403
    wrong = api(prescriber).post(url, json={**body, "code": "99205"})
    assert wrong.status_code == 422 and "code" in wrong.json()["error"]["fields"]
    made = api(prescriber).post(url, json=body)
    assert made.status_code == 201, made.text


def test_it_keeps_the_fee_schedule_for_the_admin(
    api: Api, admin: Persona, front_desk: Persona
) -> None:
    boss = api(admin)
    body = {"code": "G2082", "price_cents": 90600, "effective_from": "2026-01-01"}
    made = boss.post("/api/v1/billing/fees", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["price_cents"] == 90600
    unknown = boss.post("/api/v1/billing/fees", json={**body, "code": "ABCDE"})
    assert unknown.status_code == 422 and "code" in unknown.json()["error"]["fields"]
    negative = boss.post("/api/v1/billing/fees", json={**body, "price_cents": -1})
    assert negative.status_code == 422 and "price_cents" in negative.json()["error"]["fields"]
    rows = boss.get("/api/v1/billing/fees", params={"page_size": 100}).json()
    assert any(r["code"] == "G2082" and r["price_cents"] == 90600 for r in rows["items"])
    assert api(front_desk).get("/api/v1/billing/fees").status_code == 403


def test_it_records_the_insured_member_id_for_the_superbill(
    api: Api, billed: Billed, front_desk: Persona, nurse: Persona
) -> None:
    url = f"/api/v1/billing/patients/{billed.patient_id}/coverage"
    body = {"payer": "Lone Star Health", "member_id": "LSH-4471-09"}
    assert api(nurse).post(url, json=body).status_code == 403
    made = api(front_desk).post(url, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["member_id"] == "LSH-4471-09"
    page = api(front_desk).get(f"/billing/visits/{billed.session_id}").text
    assert "LSH-4471-09" in page
