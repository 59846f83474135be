"""KPI HTTP API: filing by form and Excel, office confirmation moves the dashboard, public page."""

from tests.factories import PASSWORD, code, make_world
from tests.kpi.builders import WAN, file, kpi_world, workbook
from yuzhi.db import transaction


def login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_enterprise_files_office_confirms_dashboard_moves(client, engine):
    with transaction(engine) as s:
        kpi_world(s, units=3)
    unit, other, office = login(client, "unit1"), login(client, "unit2"), login(client, "reviewer")
    before = client.get("/api/kpi/dashboard/2026", headers=office).json()["current"]["confirmed_fen"]
    r = client.post("/api/kpi/reports", headers=unit, json={
        "year": 2026, "quarter": 3, "ai_revenue_fen": 1_234_00, "rd_spend_fen": 500_00, "employees": 12,
        "ai_products": 1})
    assert r.status_code == 201, r.text
    rep = r.json()
    assert (rep["status"], rep["flags"], rep["source"]) == ("submitted", [], "form")
    assert client.get(f"/api/kpi/reports/{rep['id']}", headers=other).status_code == 404
    assert client.post(f"/api/kpi/reports/{rep['id']}/confirm", json={}, headers=unit).status_code == 403
    c = client.post(f"/api/kpi/reports/{rep['id']}/confirm", json={"note": "已核"}, headers=office)
    assert c.status_code == 200 and c.json()["status"] == "confirmed"
    after = client.get("/api/kpi/dashboard/2026", headers=office).json()
    assert after["current"]["confirmed_fen"] - before == 1_234_00
    assert client.get("/api/kpi/dashboard/2026", headers=unit).status_code == 403
    x = client.get("/api/kpi/dashboard/2026/export?fmt=xlsx", headers=office)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    rows = client.get("/api/kpi/dashboard/2026/export?fmt=csv", headers=office).content.decode("utf-8-sig")
    lines = rows.splitlines()  # fen for programs, the same money in yuan for people (issue 15)
    assert lines[0].endswith("数值（元） value_yuan,数值2（元） value2_yuan,数值3（元） value3_yuan")
    quarter = next(ln.split(",") for ln in lines if ln.startswith("quarter,2026 Q3"))
    assert quarter[2].isdigit() and quarter[5] == f"{int(quarter[2]) // 100}.{int(quarter[2]) % 100:02d}"
    cagr = next(ln.split(",") for ln in lines if ln.startswith("target,planned CAGR"))
    assert cagr[5] == ""  # a rate is not money
    dup = client.post("/api/kpi/reports", headers=unit, json={
        "year": 2026, "quarter": 3, "ai_revenue_fen": 1, "rd_spend_fen": 1, "employees": 1, "ai_products": 1})
    assert dup.status_code == 409 and "2026 Q3 is already filed" in dup.json()["detail"]["message"]


def test_excel_upload_over_http_and_its_errors(client, engine):
    with transaction(engine) as s:
        kpi_world(s, units=1)
    unit = login(client, "unit1")
    tpl = client.get("/api/kpi/reports/template")
    assert tpl.status_code == 200 and tpl.content[:2] == b"PK"
    bad = workbook([[code(1), 2026, 1, "一百万", 1, 1, 1]])
    r = client.post("/api/kpi/reports/upload", headers=unit, files={"file": ("q.xlsx", bad)})
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "季度报表!D2" and "not a number" in r.json()["detail"]["message"]
    good = workbook([[code(1), 2026, 1, 1_000_000, 200_000, 30, 2], [code(1), 2026, 2, 1_100_000, 210_000, 31, 2]])
    r = client.post("/api/kpi/reports/upload", headers=unit, files={"file": ("q.xlsx", good)})
    assert r.status_code == 201, r.text
    assert [(x["quarter"], x["ai_revenue_fen"]) for x in r.json()] == [(1, 100_000_000), (2, 110_000_000)]
    assert client.get("/api/kpi/reports", headers=unit).json()["count"] == 2


def test_public_summary_has_no_per_enterprise_figure(client, engine):
    with transaction(engine) as s:
        w = kpi_world(s, units=3)
        for i, wan in enumerate([1_000, 1_500, 2_000]):
            file(s, w, i, 2026, 1, wan, confirm=True)
    body = client.get("/api/kpi/public/2026")  # no login
    assert body.status_code == 200
    data = body.json()
    assert data["scale_fen"] == 4_500 * WAN and data["firms"] == 3
    text = body.text
    for wan in (1_000, 1_500, 2_000):
        assert str(wan * WAN) not in text
    assert "测试企业" not in text


def test_designation_estimates_robots_and_returns_over_http(client, engine):
    with transaction(engine) as s:
        w = make_world(s, units=2)
    office, unit, other = login(client, "reviewer"), login(client, "unit1"), login(client, "unit2")
    r = client.post("/api/kpi/reports", headers=unit, json={
        "year": 2026, "quarter": 1, "ai_revenue_fen": 1, "rd_spend_fen": 1, "employees": 1, "ai_products": 0})
    assert r.status_code == 422 and "not a designated key AI enterprise" in r.json()["detail"]["message"]
    assert client.post("/api/kpi/key-enterprises", headers=unit,
                       json={"org_id": w.unit_orgs[0], "industry": "新材料"}).status_code == 403
    bad = client.post("/api/kpi/key-enterprises", headers=office, json={"org_id": w.unit_orgs[0], "industry": "煤炭"})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "industry"
    ke = client.post("/api/kpi/key-enterprises", headers=office, json={"org_id": w.unit_orgs[0], "industry": "新材料"})
    assert ke.status_code == 201 and ke.json()["industry"] == "新材料"
    assert [k["name"] for k in client.get("/api/kpi/key-enterprises", headers=unit).json()] == ["测试企业1"]
    assert client.get("/api/kpi/key-enterprises", headers=other).json() == []
    rep = client.post("/api/kpi/reports", headers=unit, json={
        "year": 2026, "quarter": 1, "ai_revenue_fen": 500_00, "rd_spend_fen": 1, "employees": 3,
        "ai_products": 0}).json()
    ret = client.post(f"/api/kpi/reports/{rep['id']}/return", headers=office, json={"note": ""})
    assert ret.status_code == 422 and ret.json()["detail"]["field"] == "note"
    ret = client.post(f"/api/kpi/reports/{rep['id']}/return", headers=office, json={"note": "请补充研发口径"})
    assert ret.json()["status"] == "returned" and ret.json()["office_note"] == "请补充研发口径"
    est = {"year": 2026, "quarter": 1, "industry": "电子信息", "ai_revenue_fen": 300 * 10**10, "firms": 60,
           "basis": "统计局季报推算"}
    assert client.put("/api/kpi/estimates", headers=unit, json=est).status_code == 403
    assert client.put("/api/kpi/estimates", headers=office, json=est).status_code == 200
    again = client.put("/api/kpi/estimates", headers=office, json={**est, "ai_revenue_fen": 310 * 10**10}).json()
    assert again["ai_revenue_fen"] == 310 * 10**10
    assert [e["ai_revenue_fen"] for e in client.get("/api/kpi/estimates?year=2026", headers=office).json()] == \
        [310 * 10**10]  # replaced, not added
    d = client.get("/api/kpi/dashboard/2026", headers=office).json()
    assert (d["current"]["estimate_fen"], d["current"]["confirmed_fen"]) == (310 * 10**10, 0)
    robot = {"maker": "河南某机器人", "model": "H1", "sector": "culture", "quantity": 3, "deployed_on": "2026-04-01"}
    rb = client.post("/api/kpi/robots", headers=unit, json=robot)
    assert rb.status_code == 201 and rb.json()["org_id"] == w.unit_orgs[0]
    assert client.post("/api/kpi/robots", headers=unit, json={**robot, "sector": "space"}).status_code == 422
    assert client.get("/api/kpi/robots", headers=other).json() == []
    assert client.post(f"/api/kpi/robots/{rb.json()['id']}/status", headers=other,
                       json={"status": "retired"}).status_code == 404
    assert client.post(f"/api/kpi/robots/{rb.json()['id']}/status", headers=unit,
                       json={"status": "retired"}).json()["status"] == "retired"
