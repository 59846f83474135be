"""Awards HTTP API: status codes, exact bodies, error details and tenancy."""

from tests.awards.builders import GOOD, award_world
from tests.factories import PASSWORD
from yuzhi.db import transaction

MODEL = {"name": "中原智造", "domain": "industrial_vision", "filing_no": "Henan-ZhongyuanZhizao-202503",
         "filing_date": "2025-03-18", "description": "工业视觉质检大模型",
         "cases": [{"customer": "宇通客车", "scenario": "车身焊点缺陷检测", "effect": "漏检率 2.8% → 0.3%"}]}


def login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_register_verify_apply_review_pay_over_http(client, engine):
    with transaction(engine) as s:
        award_world(s, budget_fen=2_000_000_00)
    unit, other, office, admin = (login(client, u) for u in ("unit1", "unit2", "reviewer", "admin"))
    r = client.post("/api/awards/models", json=MODEL, headers=unit)
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["status"], m["filing_no"], len(m["cases"]), m["cases"][0]["verified"]) == \
        ("submitted", "Henan-ZhongyuanZhizao-202503", 1, False)
    assert client.get(f"/api/awards/models/{m['id']}", headers=other).status_code == 404  # other tenant
    assert client.get("/api/awards/models", headers=other).json() == {"data": [], "count": 0}
    assert client.post(f"/api/awards/models/{m['id']}/verify", json={"approve": True}, headers=unit).status_code == 403
    v = client.post(f"/api/awards/models/{m['id']}/verify", json={"approve": True}, headers=office).json()
    assert (v["status"], v["cases"][0]["verified"]) == ("verified", True)
    over = client.post("/api/awards/applications", headers=unit,
                       json={"year": 2026, "model_id": m["id"], "requested_fen": 100_000_001})
    assert over.status_code == 422 and over.json()["detail"]["field"] == "requested_fen"
    a = client.post("/api/awards/applications", headers=unit,
                    json={"year": 2026, "model_id": m["id"], "requested_fen": 100_000_000}).json()
    bad = client.post(f"/api/awards/applications/{a['id']}/review", headers=office,
                      json={"approve": True, "scores": {"innovation": 40}, "reason": "好"})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] in ("scores", "reason")
    ok = client.post(f"/api/awards/applications/{a['id']}/review", headers=office,
                     json={"approve": True, "scores": GOOD, "reason": "应用成效显著，案例真实"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["granted_fen"], ok.json()["score"]) == ("approved", 100_000_000, 80)
    again = client.post("/api/awards/applications", headers=unit,
                        json={"year": 2026, "model_id": m["id"], "requested_fen": 1_000})
    assert again.status_code == 409 and "once per model" in again.json()["detail"]["message"]
    assert client.post(f"/api/awards/applications/{a['id']}/pay", json={"payment_ref": "豫财-1"},
                       headers=office).status_code == 403  # reviewers do not pay
    paid = client.post(f"/api/awards/applications/{a['id']}/pay", json={"payment_ref": "豫财-1"}, headers=admin)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    pub = client.get("/api/awards/disclosure?year=2026").json()  # public, no login
    assert [(r["organisation"], r["model"], r["granted_fen"]) for r in pub] == [("测试企业1", "中原智造", 100_000_000)]
    progs = client.get("/api/awards/programmes").json()
    assert (progs[0]["paid_fen"], progs[0]["remaining_fen"], progs[0]["criteria"]["application_effect"]) == \
        (100_000_000, 100_000_000, 40)
    books = client.get("/api/awards/books", headers=office).json()
    assert books["ok"] is True and books["years"]["2026"]["paid_fen"] == 100_000_000
    assert client.get(f"/api/awards/applications/{a['id']}", headers=other).status_code == 404
    assert client.get("/api/awards/applications", headers=unit).json()["count"] == 1


def test_unknown_fields_and_domains_are_refused(client, engine):
    with transaction(engine) as s:
        award_world(s)
    unit = login(client, "unit1")
    r = client.post("/api/awards/models", json={**MODEL, "domain": "astrology"}, headers=unit)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "domain"
    r = client.post("/api/awards/models", json={**MODEL, "budget": 1}, headers=unit)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "budget"
    assert client.post("/api/awards/models", json=MODEL).status_code == 401
