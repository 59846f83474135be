"""HTML pages: an enterprise files a quarter, the office confirms it, the dashboard moves; public page."""

import re

from tests.factories import PASSWORD, code
from tests.kpi.builders import file, kpi_world, workbook
from yuzhi.db import transaction


def login(client, username):
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_file_confirm_and_the_dashboard_moves(client, engine):
    with transaction(engine) as s:
        kpi_world(s, units=2)
    login(client, "reviewer")
    page = client.get("/kpi/dashboard?year=2026")
    assert page.status_code == 200 and 'data-testid="path-chart"' in page.text and "<svg" in page.text
    assert re.search(r'data-testid="confirmed">0\.00 亿元<', page.text)
    login(client, "unit1")
    r = client.post("/kpi/reports", data={"year": 2026, "quarter": 3, "ai_revenue_yuan": "250,000,000",
                                          "rd_spend_yuan": "30000000", "employees": 120, "ai_products": 4},
                    follow_redirects=True)
    assert r.status_code == 200 and "2026 Q3 已报送" in r.text  # flash in the page's language (issue 15)
    bad = client.post("/kpi/reports", data={"year": 2026, "quarter": 2, "ai_revenue_yuan": "一亿",
                                            "rd_spend_yuan": "1", "employees": 1, "ai_products": 1})
    assert bad.status_code == 422 and "ai_revenue_yuan" in bad.text
    up = client.post("/kpi/reports/upload", files={"file": ("q.xlsx", workbook([[code(1), 2026, 1, "x", 1, 1, 1]]))})
    assert up.status_code == 422 and "季度报表!D2" in up.text and up.headers["content-type"].startswith("text/html")
    login(client, "reviewer")
    queue = client.get("/kpi/reports")
    rid = re.search(r'data-testid="confirm-(\d+)"', queue.text).group(1)
    done = client.post(f"/kpi/reports/{rid}/decision", data={"confirm": "true"}, follow_redirects=True)
    assert done.status_code == 200 and "confirmed" in done.text
    page = client.get("/kpi/dashboard?year=2026")
    assert re.search(r'data-testid="confirmed">2\.50 亿元<', page.text)
    assert client.get("/api/kpi/dashboard/2026/export?fmt=csv").status_code == 200


def test_public_page_needs_no_login_and_shows_no_firm(client, engine):
    with transaction(engine) as s:
        w = kpi_world(s, units=3)
        for i, wan in enumerate([1_111, 2_222, 3_333]):
            file(s, w, i, 2026, 1, wan, confirm=True)
    client.cookies.clear()
    page = client.get("/kpi/public?year=2026")
    assert page.status_code == 200
    assert re.search(r'data-testid="public-scale">0\.67 亿元<', page.text)
    for name in ("测试企业1", "测试企业2", "测试企业3"):
        assert name not in page.text
    for v in ("0.11 亿元", "0.22 亿元", "0.33 亿元", "1,111", "2,222", "3,333"):
        assert v not in page.text
    assert client.get("/kpi/dashboard", follow_redirects=False).status_code == 303  # private: to /login


def test_robots_page(client, engine):
    with transaction(engine) as s:
        kpi_world(s, units=1)
    login(client, "unit1")
    r = client.post("/kpi/robots", data={"maker": "河南某机器人", "model": "YZ-1", "sector": "agriculture",
                                         "quantity": 25, "deployed_on": "2026-05-01", "made_in_henan": "true"},
                    follow_redirects=True)
    assert r.status_code == 200 and re.search(r'data-testid="robots-deployed">25 / 1000<', r.text)
