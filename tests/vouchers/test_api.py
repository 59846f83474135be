"""HTTP API: status codes, exact bodies, error details, tokens and tenancy."""

from tests.factories import PASSWORD, approved_quota, code, make_world

from yuzhi.db import transaction


def login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def world(engine):
    with transaction(engine) as s:
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 10_000_00, contract="C-1")
    return w


BILL = {"invoice_no": "INV-1", "customer_uscc": code(1), "period_start": "2026-03-01",
        "period_end": "2026-03-31", "amount_fen": 123_45}


def test_provider_pushes_bill_with_token_and_retry_is_idempotent(client, engine):
    world(engine)
    h = login(client, "provider")
    tok = client.post("/api/accounts/tokens", json={"name": "billing"}, headers=h).json()["token"]
    api = {"Authorization": f"Bearer {tok}"}
    r = client.post("/api/vouchers/bills", json=BILL, headers=api)
    assert r.status_code == 201
    body = r.json()
    assert (body["subsidy_fen"], body["owed_fen"], body["replay"]) == (2_469, 9_876, False)
    r2 = client.post("/api/vouchers/bills", json=BILL, headers=api)
    assert r2.status_code == 200 and r2.json()["replay"] is True and r2.json()["id"] == body["id"]
    r3 = client.post("/api/vouchers/bills", json={**BILL, "amount_fen": 1}, headers=api)
    assert r3.status_code == 409 and r3.json()["detail"]["field"] == "invoice_no"


def test_bad_bills_get_specific_4xx(client, engine):
    world(engine)
    h = login(client, "provider")
    cases = [
        ({**BILL, "amount_fen": 0}, 422, "amount_fen"),
        ({**BILL, "amount_fen": -5}, 422, "amount_fen"),
        ({**BILL, "period_end": "2026-02-01"}, 422, None),
        ({**BILL, "customer_uscc": code(1)[:-1] + "Y" if code(1)[-1] != "Y" else code(1)[:-1] + "X"}, 422,
         "customer_uscc"),
        ({**BILL, "unknown": 1}, 422, "unknown"),
    ]
    for payload, status, field in cases:
        r = client.post("/api/vouchers/bills", json=payload, headers=h)
        assert r.status_code == status, (payload, r.text)
        detail = r.json()["detail"]
        assert detail["message"] and detail["fix"]
        if field:
            assert detail["field"] == field
    r = client.post("/api/vouchers/bills", content=b'{"invoice_no": "x",', headers={**h, "content-type":
                                                                                    "application/json"})
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["type"] == "json_invalid"
    assert client.get("/api/vouchers/bills", headers=h).json()["count"] == 0


def test_wrong_tenant_gets_404_and_anonymous_401(client, engine):
    world(engine)
    prov = login(client, "provider")
    bill_id = client.post("/api/vouchers/bills", json=BILL, headers=prov).json()["id"]
    assert client.get(f"/api/vouchers/bills/{bill_id}", headers=login(client, "unit1")).status_code == 200
    other = login(client, "unit2")
    r = client.get(f"/api/vouchers/bills/{bill_id}", headers=other)
    assert r.status_code == 404 and r.json()["detail"]["code"] == "not_found"
    assert client.get("/api/vouchers/bills").status_code == 401
    r = client.post("/api/vouchers/applications/1/review", json={"approve": True}, headers=other)
    assert r.status_code == 403


def test_registration_refuses_bad_codes_with_the_reason(client, engine):
    r = client.post("/api/accounts/organisations", json={"uscc": "91350100M000100Y43", "name": "福建某公司",
                                                         "kind": "enterprise"})
    assert r.status_code == 422 and "outside Henan" in r.json()["detail"]["message"]
    r = client.post("/api/accounts/organisations", json={"uscc": code(5)[:-1] + "0" if code(5)[-1] != "0" else
                                                         code(5)[:-1] + "1", "name": "某公司", "kind": "enterprise"})
    assert r.status_code == 422 and "check character" in r.json()["detail"]["message"]
    r = client.post("/api/accounts/organisations", json={"uscc": code(5), "name": "河南某公司", "kind": "enterprise"})
    assert r.status_code == 201 and r.json()["status"] == "pending" and r.json()["city"] == "郑州"


def test_over_cap_review_names_the_limit(client, engine):
    w = world(engine)
    unit = login(client, "unit2")
    r = client.post("/api/vouchers/applications", json={"year": 2026, "provider_id": w.provider_id,
                                                        "contract_no": "C-9", "planned_spend_fen": 1_000_00},
                    headers=unit)
    assert r.status_code == 201
    rev = login(client, "reviewer")
    r2 = client.post(f"/api/vouchers/applications/{r.json()['id']}/review", json={"approve": True,
                                                                                   "amount_fen": 20_001}, headers=rev)
    assert r2.status_code == 422
    assert r2.json()["detail"]["field"] == "amount_fen" and "20000" in r2.json()["detail"]["fix"]


def test_statement_and_dashboard_numbers(client, engine):
    world(engine)
    prov = login(client, "provider")
    client.post("/api/vouchers/bills", json=BILL, headers=prov)
    st = client.get("/api/vouchers/statement/2026", headers=login(client, "unit1")).json()
    assert (st["quota_fen"], st["subsidy_fen"], st["owed_fen"], st["remaining_fen"]) == (200_000, 2_469, 9_876,
                                                                                         197_531)
    d = client.get("/api/vouchers/dashboard/2026", headers=login(client, "admin")).json()
    assert (d["committed_fen"], d["used_fen"]) == (200_000, 2_469)
    x = client.get("/api/vouchers/statement/2026?fmt=xlsx", headers=login(client, "unit1"))
    assert x.status_code == 200 and x.content[:2] == b"PK"
