"""A person who lands on an unknown URL gets a zh/en page with a way on; programs keep their JSON."""

from __future__ import annotations

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_unknown_url_gives_browser_a_chinese_404_page(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text and 'href="/"' in r.text and "Not Found" not in r.text


def test_unknown_url_in_english(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/no/such/page?lang=en", headers=HTML)
    assert r.status_code == 404 and "Page not found" in r.text and "页面不存在" not in r.text


def test_api_paths_and_programs_keep_json(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/no/such", headers=HTML)
    assert r.status_code == 404 and r.json()["detail"] == "Not Found"
    r = client.get("/no/such/page", headers={"accept": "application/json"})
    assert r.status_code == 404 and r.json()["detail"] == "Not Found"


def test_phone_menu_toggle_is_scriptless(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login", headers=HTML).text
    assert 'id="nav-toggle"' in html and 'for="nav-toggle"' in html and "<script>" not in html


def test_empty_lists_say_what_to_do_next(client, engine) -> None:  # type: ignore[no-untyped-def]
    """A unit's member with no jobs and no alarms is told the next step, in Chinese, with a link."""
    from tests.factories import PASSWORD, make_world
    from yuzhi.db import transaction

    with transaction(engine) as s:
        make_world(s, units=1)
    r = client.post("/login", data={"username": "unit1", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    jobs = client.get("/compute/jobs?lang=zh", headers=HTML).text
    assert 'data-testid="empty-state"' in jobs and "请用上方表单提交作业" in jobs
    alarms = client.get("/monitor/alarms", headers=HTML)
    assert alarms.status_code == 200, alarms.text[:300]
    assert "实时监控台" in alarms.text and 'href="/monitor"' in alarms.text


def test_award_kpi_and_voucher_tables_say_what_to_do_next(client, engine) -> None:  # type: ignore[no-untyped-def]
    """The awards, KPI and voucher tables that start empty name the next step in Chinese (issue 15)."""
    from tests.factories import PASSWORD, make_world
    from yuzhi.db import transaction

    with transaction(engine) as s:
        make_world(s, units=1)
    r = client.post("/login", data={"username": "unit1", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    awards = client.get("/awards?lang=zh", headers=HTML).text
    assert "由专班开设年度奖补" in awards and "请用下方表单登记已备案的模型" in awards
    assert "Nothing here yet." not in awards
    disclosure = client.get("/awards/disclosure?lang=zh", headers=HTML).text
    assert "奖补批准后在此公示" in disclosure
    robots = client.get("/kpi/robots?lang=zh", headers=HTML).text
    assert 'data-testid="empty-state"' in robots and "请用上方表单登记机器人部署" in robots
    public = client.get("/kpi/public?lang=en", headers=HTML).text
    assert "quarterly reports are confirmed by the office" in public
