"""The whole case in Chromium: apply → 初审 → 复核 (another reviewer) → 公示 → effective → the
computing centre uploads its bill file in the portal → its monthly statement and the unit's.

A two-step programme year with 5 days of 公示; the end of 公示 is reached by moving the deadline
into the past and running the same activation the platform runs (``books.activate_due``).
Exact figures: a 150,000.00-yuan quota; a 12,345.67-yuan bill earns floor(20 %) = 2,469.13 yuan.
Screenshots of each step go to ``out/screens/flow-*.png`` (README's pictures come from there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.browser import login, needs_chromium
from tests.factories import PASSWORD, code, make_world
from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Role
from yuzhi.accounts.schemas import UserCreate
from yuzhi.db import transaction
from yuzhi.vouchers.books import activate_due
from yuzhi.vouchers.models import QuotaApplication

pytestmark = needs_chromium
OUT = Path(__file__).resolve().parents[2] / "out" / "screens"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"flow-{name}.png"), full_page=True)


def test_apply_two_step_review_disclosure_effective_bill_upload_statement(engine, server, chromium, tmp_path):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        make_world(s, units=1, disclosure_days=5)
        accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="reviewer2", password=PASSWORD, role=Role.OFFICE_REVIEWER.value, display_name="复核员 李"))
    ctx = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = ctx.new_page()

    # the office administrator switches on two-step review and names the office for 公示
    login(page, server, "admin")
    page.goto(f"{server}/vouchers/programmes/2026/case-settings")
    page.check("input[name=two_step]")
    page.fill("input[name=issuing_office]", "河南省工业和信息化厅")
    page.fill("input[name=contact]", "算力券办公室 0371-00000000")
    page.get_by_test_id("case-settings-form").locator("button").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("flash").count() == 1

    # the unit applies
    login(page, server, "unit1")
    page.goto(f"{server}/vouchers/applications")
    page.eval_on_selector("details:has([data-testid=apply-form])", "d => { d.open = true; }")
    page.fill("input[name=contract_no]", "ZZSC-2026-0042")
    page.fill("input[name=planned_spend]", "100万")
    page.fill("input[name=purpose]", "视觉质检模型训练")
    page.get_by_test_id("apply-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    with transaction(engine) as s:
        app_id = s.scalar(select(QuotaApplication.id).where(QuotaApplication.contract_no == "ZZSC-2026-0042"))
    assert app_id is not None

    # 初审 by one reviewer …
    login(page, server, "reviewer")
    page.goto(f"{server}/vouchers/applications/{app_id}/case")
    page.fill("input[name=amount]", "15万")
    page.get_by_test_id("first-review-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("first-review").count() == 1
    # … who cannot also take the 复核
    page.goto(f"{server}/vouchers/applications/{app_id}")
    page.get_by_test_id("amount").fill("150,000.00")
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert "初审" in page.get_by_test_id("error").inner_text()

    # 复核 by another reviewer: approved, on 公示
    login(page, server, "reviewer2")
    page.goto(f"{server}/vouchers/applications/{app_id}")
    page.get_by_test_id("amount").fill("150,000.00")
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("status").inner_text().strip() == "公示中" or "公示" in page.get_by_test_id(
        "status").inner_text()

    # the public 公示 page: period, issuing office, contact line; no login needed
    page.context.clear_cookies()
    page.goto(f"{server}/vouchers/disclosure")
    notice = page.get_by_test_id("disclosure-notice").inner_text()
    assert "河南省工业和信息化厅" in notice and "0371-00000000" in notice
    assert page.get_by_test_id(f"disc-row-{app_id}").count() == 1
    _shot(page, "disclosure")

    # 公示 ends without objection: the quota takes effect
    with transaction(engine) as s:
        a = s.get(QuotaApplication, app_id)
        a.disclosure_until = datetime.now(UTC) - timedelta(minutes=1)
    with transaction(engine) as s:
        assert activate_due(s) == 1

    login(page, server, "unit1")
    page.goto(f"{server}/vouchers/applications/{app_id}/case")
    for step in ("submitted", "first_review", "second_review", "disclosure", "effective"):
        assert page.get_by_test_id(f"step-{step}").count() >= 1, step
    assert page.get_by_test_id("who-second_review").inner_text() == "复核员 李"
    _shot(page, "casefile")

    # the computing centre uploads its bill file (yuan) in the portal
    login(page, server, "provider")
    page.goto(f"{server}/vouchers/portal")
    page.get_by_test_id("portal-upload").click()
    today = datetime.now(UTC).date().isoformat()
    csv_file = tmp_path / "bills.csv"
    csv_file.write_text("invoice_no,customer_uscc,period_start,period_end,amount\n"
                        f"ZZSC-26-INV-0042,{code(1)},{today},{today},\"12,345.67\"\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(csv_file))
    page.get_by_test_id("upload").click()
    page.wait_for_load_state()
    assert "¥2,469.13" in page.get_by_test_id("upload-result").inner_text()
    _shot(page, "portal-upload")

    # its monthly statement per customer, and the unit's own
    page.goto(f"{server}/vouchers/portal/statement?month={today[:7]}")
    assert page.get_by_test_id("total-amount").inner_text() == "12,345.67"
    assert page.get_by_test_id("total-subsidy").inner_text() == "2,469.13"
    assert "待结算" in page.get_by_test_id("settle-ZZSC-26-INV-0042").inner_text()
    _shot(page, "portal-statement")
    login(page, server, "unit1")
    page.goto(f"{server}/vouchers/statement")
    assert page.get_by_test_id("subsidy").inner_text() == "¥2,469.13"
    ctx.close()
