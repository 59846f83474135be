"""Award pages: register, verify, apply, review with scores, pay, public disclosure."""

import re

from tests.awards.builders import award_world
from tests.factories import PASSWORD
from yuzhi.db import transaction


def login(client, username):
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_award_walk_through_the_pages(client, engine):
    with transaction(engine) as s:
        award_world(s, budget_fen=5_000_000_00)
    login(client, "unit1")
    r = client.post("/awards/models", data={
        "name": "豫鼎安澜", "domain": "work_safety", "filing_no": "Henan-YDAL-202504", "filing_date": "2025-04-10",
        "customer": "平煤神马", "scenario": "井下违规行为识别", "effect": "违规识别准确率 96.2%"},
        follow_redirects=True)
    assert r.status_code == 200 and "模型 豫鼎安澜 已登记" in r.text  # flash in the page's language (issue 15)
    model_id = re.search(r'data-testid="model-(\d+)"', r.text).group(1)
    login(client, "unit2")
    assert "豫鼎安澜" not in client.get("/awards").text  # another tenant's filing is invisible
    login(client, "reviewer")
    r = client.post(f"/awards/models/{model_id}/verify", data={"approve": "true"}, follow_redirects=True)
    assert "模型 豫鼎安澜：已核验" in r.text
    login(client, "unit1")
    over = client.post("/awards/applications", data={"year": 2026, "model_id": model_id,
                                                     "requested_yuan": "1,000,000.01"})
    assert over.status_code == 422 and "超过每个模型 ¥1,000,000.00 的上限" in over.text and "fen" not in over.text
    r = client.post("/awards/applications", data={"year": 2026, "model_id": model_id, "requested_yuan": "800,000"},
                    follow_redirects=True)
    app_id = re.search(r"奖补申请 (\d+) 已提交", r.text).group(1)
    login(client, "reviewer")
    low = client.post(f"/awards/applications/{app_id}/review", data={
        "score_innovation": "10", "score_application_effect": "20", "score_industry_impact": "10",
        "reason": "创新性不足", "approve": "true"})
    assert low.status_code == 422 and "低于及格线 60" in low.text
    ok = client.post(f"/awards/applications/{app_id}/review", data={
        "score_innovation": "26", "score_application_effect": "36", "score_industry_impact": "22",
        "reason": "安全生产场景成效可量化", "approve": "true"}, follow_redirects=True)
    assert ok.status_code == 200 and f"奖补申请 {app_id}：已批准" in ok.text
    login(client, "admin")
    paid = client.post(f"/awards/applications/{app_id}/pay", data={"payment_ref": "豫财建〔2026〕奖补-1"},
                       follow_redirects=True)
    assert f"奖补申请 {app_id} 已支付" in paid.text
    client.cookies.clear()
    pub = client.get("/awards/disclosure")
    assert pub.status_code == 200 and "豫鼎安澜" in pub.text and "¥800,000.00" in pub.text and "84" in pub.text


def test_public_objection_on_the_disclosure_page_and_office_upholds_it(client, engine):
    from tests.awards.builders import approve, verified_model
    from yuzhi.awards import service
    from yuzhi.awards.schemas import AwardApply

    with transaction(engine) as s:
        w = award_world(s, budget_fen=5_000_000_00, disclosure_days=7)
        m = verified_model(s, w, 0, "华鼎雪豹")
        a = service.apply(s, actor=w.units[0], app_in=AwardApply(year=2026, model_id=m.id, requested_fen=50_000_000))
        approve(s, w.reviewer, a.id)
    client.cookies.clear()
    pub = client.get("/awards/disclosure")
    assert f'data-testid="object-{a.id}"' in pub.text
    r = client.post(f"/awards/applications/{a.id}/objections", data={"text": "冷链案例运行不足三个月"},
                    follow_redirects=True)
    assert r.status_code == 422 and "phone number or e-mail" in r.text  # anonymous: identify yourself (issue 13)
    r = client.post(f"/awards/applications/{a.id}/objections", data={"text": "冷链案例运行不足三个月",
                    "submitted_by": "张三 13800138000"}, follow_redirects=True)
    assert r.status_code == 200 and "已登记，办公室将在支付前作出决定" in r.text
    login(client, "reviewer")
    page = client.get("/awards")
    oid = re.search(r'data-testid="uphold-(\d+)"', page.text).group(1)
    done = client.post(f"/awards/objections/{oid}/resolve", data={"uphold": "true", "resolution": "核实属实"},
                       follow_redirects=True)
    assert f"异议 {oid}：成立" in done.text
    assert client.get(f"/api/awards/applications/{a.id}").json()["status"] == "revoked"
