"""Headless Chromium: an enterprise files a quarter, the office confirms it, the dashboard moves.

The enterprise types ¥250,000,000.00 of AI revenue for 2026 Q3 on the form; the office reviewer
confirms it in the review queue; the dashboard's "confirmed" figure goes from 0.00 亿元 to 2.50 亿元
and the public page (no login) shows the province total only once three firms have confirmed.

Needs Debian's Chromium at /usr/bin/chromium (``.ci/setup-chromium.sh`` installs it); skipped with
the reason otherwise.
"""

from __future__ import annotations

import pytest

from tests.browser import login, needs_chromium
from tests.kpi.builders import kpi_world
from yuzhi.db import transaction

pytestmark = [pytest.mark.browser, needs_chromium]


def test_enterprise_files_office_confirms_dashboard_moves(engine, server, chromium):
    with transaction(engine) as s:
        kpi_world(s, units=2)
    page = chromium.new_page()
    login(page, server, "reviewer")
    page.goto(f"{server}/kpi/dashboard?year=2026&lang=en")
    assert page.get_by_test_id("confirmed").inner_text() == "0.00 亿元"

    login(page, server, "unit1")
    page.goto(f"{server}/kpi/reports")
    form = page.get_by_test_id("file-form")
    form.locator("input[name=year]").fill("2026")
    form.locator("select[name=quarter]").select_option("3")
    form.locator("input[name=ai_revenue_yuan]").fill("250,000,000.00")
    form.locator("input[name=rd_spend_yuan]").fill("31,000,000")
    form.locator("input[name=employees]").fill("420")
    form.locator("input[name=ai_products]").fill("6")
    form.locator("button").click()
    page.wait_for_load_state()
    assert "2026 Q3 已报送" in page.get_by_test_id("flash").inner_text()
    assert "¥250,000,000.00" in page.get_by_test_id("reports").inner_text()

    login(page, server, "reviewer")
    page.goto(f"{server}/kpi/reports")
    page.locator("[data-testid^=confirm-]").first.click()
    page.wait_for_load_state()
    assert "已确认" in page.get_by_test_id("flash").inner_text()
    page.goto(f"{server}/kpi/dashboard?year=2026")
    assert page.get_by_test_id("confirmed").inner_text() == "2.50 亿元"
    assert page.get_by_test_id("path-chart").locator("svg polyline").count() == 2

    page.context.clear_cookies()
    page.goto(f"{server}/kpi/public?year=2026")
    assert page.get_by_test_id("public-scale").inner_text() == "—"  # one firm: not publishable
    assert "测试企业1" not in page.content()
