"""Headless Chromium walks the voucher year end to end against the real app served by uvicorn.

Office reviewer logs in and approves ¥150,000.00 of quota (disclosure 0 days, so it takes effect at
once); the provider's operator issues an API token on its bills page and its billing system pushes
a ¥12,345.67 bill over the HTTP API with it;
the unit logs in and sees its statement; the office dashboard shows the numbers. Exact figures:
subsidy = floor(1,234,567 fen × 20 %) = 246,913 fen = ¥2,469.13, the unit owes ¥9,876.54, the
quota left is ¥147,530.87 and the pool left is ¥49,850,000.00.

Needs Debian's Chromium at /usr/bin/chromium (``.ci/setup-chromium.sh`` installs it); skipped with
the reason otherwise.
"""

from __future__ import annotations

import httpx
from tests.browser import login, needs_chromium
from tests.factories import code, make_world

from yuzhi.db import transaction
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.schemas import ApplicationCreate

pytestmark = needs_chromium


def text(page, testid: str) -> str:  # type: ignore[no-untyped-def]
    return page.get_by_test_id(testid).inner_text().strip()


def test_voucher_year_in_the_browser(engine, server, chromium):
    with transaction(engine) as s:
        w = make_world(s, units=1, disclosure_days=0)
        app_id = vouchers.apply(s, actor=w.units[0], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="ZZSC-2026-0001",
            planned_spend_fen=1_000_000_00, purpose="视觉质检模型训练")).id

    # 1. the office reviewer approves ¥150,000.00 (the maximum shown is 20 % of the planned spend)
    office = chromium.new_context(locale="zh-CN").new_page()
    login(office, server, "reviewer")
    assert office.url == f"{server}/vouchers/dashboard"
    office.goto(f"{server}/vouchers/applications")
    assert text(office, f"app-status-{app_id}") == "已提交"
    office.get_by_test_id(f"review-{app_id}").click()
    assert text(office, "max-approvable") == "¥200,000.00"
    office.get_by_test_id("amount").fill("150,000.00")
    office.get_by_test_id("approve").click()
    office.wait_for_load_state()
    assert text(office, "flash") == f"申请 {app_id} 已批准：¥150,000.00（已生效）"
    assert text(office, "status") == "已生效"
    assert text(office, "approved") == "¥150,000.00"

    # 2. the provider's operator issues an API token on its page; its billing system pushes a bill
    provider = chromium.new_context().new_page()
    login(provider, server, "provider")
    assert provider.url == f"{server}/vouchers/bills"
    provider.get_by_test_id("tokens").locator("summary").click()
    provider.get_by_test_id("token-form").locator("button").click()
    provider.wait_for_load_state()
    token = text(provider, "new-token")
    with httpx.Client(base_url=server, timeout=10) as api:
        bill = {"invoice_no": "ZZSC-26-INV-0001", "customer_uscc": code(1), "period_start": "2026-03-01",
                "period_end": "2026-03-31", "amount_fen": 1_234_567}
        r = api.post("/api/vouchers/bills", json=bill, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        assert (r.json()["subsidy_fen"], r.json()["owed_fen"]) == (246_913, 987_654)
    provider.reload()
    assert text(provider, "bill-subsidy-ZZSC-26-INV-0001") == "¥2,469.13"

    # 3. the unit sees its statement with the exact subsidy
    unit = chromium.new_context().new_page()
    login(unit, server, "unit1")
    assert unit.url == f"{server}/vouchers/statement"
    assert text(unit, "quota") == "¥150,000.00"
    assert text(unit, "used") == "¥2,469.13"
    assert text(unit, "remaining") == "¥147,530.87"
    assert text(unit, "billed") == "¥12,345.67"
    assert text(unit, "subsidy") == "¥2,469.13"
    assert text(unit, "owed") == "¥9,876.54"
    assert "ZZSC-26-INV-0001" in text(unit, "st-bill-ZZSC-26-INV-0001")
    unit.goto(f"{server}/vouchers/dashboard")  # not for units
    assert "算力券办公室" in text(unit, "error")  # in the page's language (issue 15)

    # 4. the office dashboard shows the numbers
    office.goto(f"{server}/vouchers/dashboard?lang=en")
    assert text(office, "pool") == "¥50.00m"  # cards at a glance (issue 15); exact in the title
    assert office.get_by_test_id("pool").get_attribute("title") == "¥50,000,000.00"
    assert text(office, "committed") == "¥150.0k"
    assert text(office, "used") == "¥2,469.13"
    assert text(office, "remaining") == "¥49.85m"
    assert "测试企业1" in text(office, "top-units")
    assert office.get_by_test_id("monthly-chart").locator("rect").count() == 12
    assert "2,469" in office.get_by_test_id("monthly-chart").inner_html()
