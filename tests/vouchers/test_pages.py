"""Voucher web pages through the real app (TestClient): roles, tenancy, forms, errors, exports.

Figures are hand-computable: a planned spend of ¥1,000,000.00 at 20 % allows ¥200,000.00; a bill
of ¥12,345.67 earns floor(1,234,567 × 20 %) = 246,913 fen = ¥2,469.13 of subsidy, the unit owes
¥9,876.54.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.clients import CsrfClient
from tests.factories import PASSWORD, approved_quota, code, customer_of, make_world

from yuzhi.accounts.models import Organisation
from yuzhi.db import transaction
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.models import Objection, Programme, QuotaApplication, SettlementBatch
from yuzhi.vouchers.pages import yuan_to_fen
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn

BILL_FEN = 1_234_567  # ¥12,345.67
SUBSIDY_FEN = 246_913  # floor(1,234,567 × 0.2)


def browser(app, username: str | None = None) -> TestClient:
    """A client that keeps cookies like a browser, logged in through the login form."""
    c = CsrfClient(app, follow_redirects=False)  # posts the form's CSRF token as a browser does
    if username:
        r = c.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
    return c


def by_testid(html: str, tid: str) -> str:
    """Text content of the element with ``data-testid=tid`` (tags stripped)."""
    m = re.search(rf'data-testid="{re.escape(tid)}"[^>]*>(.*?)</', html, re.S)
    assert m, f"no data-testid={tid}"
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def row_of(html: str, tid: str) -> str:
    """Text of the table row ``<tr data-testid=tid>``."""
    m = re.search(rf'<tr data-testid="{re.escape(tid)}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, f"no row {tid}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()


def error_of(html: str) -> str:
    m = re.search(r'data-testid="error">(.*?)</div>', html, re.S)
    assert m, "no error shown"
    return re.sub(r"<[^>]+>", " ", m.group(1))


def count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    """Two units, one provider; unit1 holds an effective ¥200,000.00 quota and one ¥12,345.67 bill."""
    with transaction(engine) as s:
        w = make_world(s, units=2)
        app_id = approved_quota(s, w, 0, 1_000_000_00, contract="C-1")
        bill, _ = vouchers.record_bill(s, actor=w.provider, bill_in=BillIn(
            invoice_no="INV-1", customer_uscc=code(1), period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            amount_fen=BILL_FEN))
        w.app_id, w.bill_id = app_id, bill.id  # type: ignore[attr-defined]
    return w


# --- pure helper ------------------------------------------------------------------------------


@pytest.mark.parametrize("text,fen", [("12,345.67", 1_234_567), ("¥0.29", 29), ("1000000", 100_000_000),
                                      (" 3.5 ", 350), ("1，000.10", 100_010)])
def test_yuan_to_fen_is_exact(text, fen):
    assert yuan_to_fen(text, field="x") == fen


@pytest.mark.parametrize("text,needle", [("12.345", "more than two decimals"), ("abc", "not an amount"),
                                         ("-5", "not a positive amount"), ("0", "not a positive amount"),
                                         ("", "required"), ("NaN", "not an amount")])
def test_yuan_to_fen_refuses_bad_amounts(text, needle):
    from yuzhi.errors import InvalidInput

    with pytest.raises(InvalidInput) as e:
        yuan_to_fen(text, field="planned_spend")
    assert needle in e.value.message and e.value.field == "planned_spend"


# --- access -----------------------------------------------------------------------------------


PRIVATE = ["/vouchers/dashboard", "/vouchers/applications", "/vouchers/bills", "/vouchers/settlements",
           "/vouchers/statement", "/vouchers/organisations", "/vouchers/objections", "/vouchers/programmes"]


def test_anonymous_is_sent_to_login_and_public_pages_render(app, world):
    c = browser(app)
    for path in PRIVATE:
        r = c.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path
    for path in ["/vouchers/disclosure", "/vouchers/providers", "/vouchers/register"]:
        assert c.get(path).status_code == 200, path
    r = c.get("/vouchers/disclosure")
    assert by_testid(r.text, f"disc-row-{world.app_id}").startswith(str(world.app_id))
    assert "测试企业1" in r.text and "¥200,000.00" in r.text


def test_office_pages_render_with_exact_figures(app, world):
    c = browser(app, "admin")
    for path in [*PRIVATE, "/vouchers/disclosure", "/vouchers/providers", f"/vouchers/applications/{world.app_id}",
                 f"/vouchers/bills/{world.bill_id}", "/vouchers/objections?status="]:
        assert c.get(path).status_code == 200, path
    d = c.get("/vouchers/dashboard").text
    # cards read at a glance in 万元 with the unit; the exact amount is the card's title (issue 15)
    assert by_testid(d, "pool") == "5,000.00 万元" and 'title="¥50,000,000.00"' in d
    assert by_testid(d, "committed") == "20.00 万元" and 'title="¥200,000.00"' in d
    assert by_testid(d, "used") == "2,469.13 元"
    assert by_testid(d, "remaining") == "4,980.00 万元" and 'title="¥49,800,000.00"' in d
    assert "<svg" in d
    st = c.get(f"/vouchers/statement?org_id={world.unit_orgs[0]}").text
    assert by_testid(st, "subsidy") == "¥2,469.13" and by_testid(st, "owed") == "¥9,876.54"


def test_unit_and_provider_see_only_their_pages(app, world):
    unit = browser(app, "unit1")
    for path in ["/vouchers/dashboard", "/vouchers/settlements", "/vouchers/objections", "/vouchers/programmes"]:
        r = unit.get(path)
        assert r.status_code == 403, path
        assert "算力券办公室" in error_of(r.text)  # in the page's language (issue 15)
    st = unit.get("/vouchers/statement").text
    assert (by_testid(st, "quota"), by_testid(st, "used"), by_testid(st, "remaining")) == (
        "¥200,000.00", "¥2,469.13", "¥197,530.87")
    assert (by_testid(st, "billed"), by_testid(st, "subsidy"), by_testid(st, "owed")) == (
        "¥12,345.67", "¥2,469.13", "¥9,876.54")
    prov = browser(app, "provider")
    assert prov.get("/vouchers/statement").headers["location"] == "/vouchers/portal/statement"  # 对账单 (15)
    bills = prov.get("/vouchers/bills").text
    assert by_testid(bills, "bill-subsidy-INV-1") == "¥2,469.13"


def test_other_tenant_gets_404(app, world):
    other = browser(app, "unit2")
    for path in [f"/vouchers/applications/{world.app_id}", f"/vouchers/bills/{world.bill_id}"]:
        r = other.get(path)
        assert r.status_code == 404, path
        assert "不存在或无权查看" in error_of(r.text)  # the same words whether it exists or not
    assert "INV-1" not in other.get("/vouchers/bills").text
    assert "C-1" not in other.get("/vouchers/applications").text
    st = other.get("/vouchers/statement").text
    assert by_testid(st, "subsidy") == "¥0.00"


def test_language_switch(app, world):
    c = browser(app, "unit1")
    assert ">申请</a>" in c.get("/vouchers/applications").text
    en = c.get("/vouchers/applications?lang=en").text
    assert ">Applications</a>" in en and '<html lang="en">' in en
    assert '<html lang="en">' in c.get("/vouchers/bills").text  # remembered in a cookie
    assert ">申請</a>" in c.get("/vouchers/applications?lang=ja").text


# --- forms ------------------------------------------------------------------------------------


def test_unit_applies_through_the_form_and_bad_input_writes_nothing(app, world, engine):
    c = browser(app, "unit2")
    page = c.get("/vouchers/applications").text
    assert "国家超算郑州中心" in page  # the whitelist is offered
    form = {"year": "2026", "provider_id": str(world.provider_id), "contract_no": "C-9", "planned_spend": "500,000"}
    before = count(engine, QuotaApplication)
    # errors in the page's language, fields by their form labels (issue 15)
    for bad, needle, field in [({"planned_spend": "12.345"}, "小于 1 分的精度", "计划支出"),
                               ({"planned_spend": "-1"}, "为负数", "计划支出"),
                               ({"contract_no": "C"}, "至少 3 个字符", "合同号"),
                               ({"provider_id": "777"}, "算力服务商 777 不存在", "服务商"),
                               ({"contract_no": "C-1"}, "", "")]:
        r = c.post("/vouchers/applications", data={**form, **bad})
        if field:
            assert r.status_code in (404, 422), (bad, r.status_code)
            msg = error_of(r.text)
            assert needle in msg and field in msg, (bad, msg)
            assert 'value="C' in r.text  # the form keeps what was typed
    # contract C-1 is unit1's contract with this provider: a contract is subsidised once
    assert r.status_code == 409 and "同一合同只补贴一次" in error_of(r.text)
    assert count(engine, QuotaApplication) == before
    r = c.post("/vouchers/applications", data=form)
    assert r.status_code == 303
    detail = c.get(r.headers["location"])
    assert by_testid(detail.text, "flash").endswith("已提交（合同 C-9）")
    assert by_testid(detail.text, "status") == "已提交"
    assert count(engine, QuotaApplication) == before + 1


def test_office_review_shows_limits_and_refuses_over_cap(app, world, engine):
    with transaction(engine) as s:
        a = vouchers.apply(s, actor=world.units[1], app_in=ApplicationCreate(
            year=2026, provider_id=world.provider_id, contract_no="C-2", planned_spend_fen=1_000_000_00))
        app_id = a.id
    c = browser(app, "reviewer")
    page = c.get(f"/vouchers/applications/{app_id}").text
    assert by_testid(page, "max-approvable") == "¥200,000.00"
    assert by_testid(page, "limit-rate_of_planned_spend") == "¥200,000.00"
    assert by_testid(page, "limit-unit_cap_remaining") == "¥1,000,000.00"
    assert by_testid(page, "limit-pool_remaining") == "¥49,800,000.00"
    r = c.post(f"/vouchers/applications/{app_id}/review", data={"decision": "approve", "amount": "200,000.01"})
    assert r.status_code == 422
    msg = error_of(r.text)
    assert "超过当前最高可批 ¥200,000.00" in msg and "计划支出 × 补贴比例" in msg and "fen" not in msg
    assert by_testid(r.text, "max-approvable") == "¥200,000.00"  # the form is shown again
    r = c.post(f"/vouchers/applications/{app_id}/review", data={"decision": "reject", "reason": "  "})
    assert r.status_code == 422 and "驳回须填写理由" in error_of(r.text)
    with transaction(engine) as s:
        a = s.get(QuotaApplication, app_id)
        assert (a.status, a.approved_fen) == ("submitted", 0)
        assert vouchers.pool_remaining(s, vouchers.get_programme(s, year=2026)) == 49_800_000_00
    r = c.post(f"/vouchers/applications/{app_id}/review", data={"decision": "approve", "amount": "150,000.50"})
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert by_testid(page, "approved") == "¥150,000.50" and by_testid(page, "status") == "已生效"
    assert "max-approvable" not in page  # reviewed: no form any more


def test_disclosure_objection_and_uphold(app, engine):
    with transaction(engine) as s:
        w = make_world(s, units=1, disclosure_days=5)
        app_id = approved_quota(s, w, 0, 100_000_00, contract="D-1")
    public = browser(app)
    page = public.get("/vouchers/disclosure").text
    assert f'objection-form-{app_id}' in page
    r = public.post(f"/vouchers/disclosure/{app_id}/objection", data={"text": "bad"})
    assert r.status_code == 422 and "至少 5 个字符" in error_of(r.text)
    assert count(engine, Objection) == 0
    r = public.post(f"/vouchers/disclosure/{app_id}/objection",
                    data={"text": "合同疑似虚构，请核查", "submitted_by": ""})
    assert r.status_code == 422 and "phone number or e-mail" in error_of(r.text)  # anonymous: identify yourself
    r = public.post(f"/vouchers/disclosure/{app_id}/objection",
                    data={"text": "合同疑似虚构，请核查", "submitted_by": "张三 13800138000"})
    assert r.status_code == 303
    assert f"对申请 {app_id} 的异议" in by_testid(public.get("/vouchers/disclosure").text, "flash")
    office = browser(app, "reviewer")
    assert by_testid(office.get("/vouchers/dashboard").text, "open-objections") == "异议 1"
    objections = office.get("/vouchers/objections").text
    with transaction(engine) as s:
        oid = s.scalar(select(Objection.id))
    assert "合同疑似虚构" in objections and f"resolve-form-{oid}" in objections
    r = office.post(f"/vouchers/objections/{oid}/resolve", data={"decision": "uphold", "resolution": ""})
    assert r.status_code == 422 and "resolution" in error_of(r.text)
    r = office.post(f"/vouchers/objections/{oid}/resolve", data={"decision": "uphold", "resolution": "退回复审"})
    assert r.status_code == 303
    with transaction(engine) as s:
        assert s.get(QuotaApplication, app_id).status == "objected"
    # the re-review form is offered again, with the quota still held
    assert "max-approvable" in office.get(f"/vouchers/applications/{app_id}").text


def test_registration_form_validates_uscc_and_writes_nothing_on_error(app, world, engine):
    c = browser(app)
    good = code(42)
    wrong_check = good[:-1] + ("X" if good[-1] != "X" else "Y")
    outside = code(43, region="110100")
    before = count(engine, Organisation)
    for uscc, needle in [(wrong_check, "校验位有误"), (outside, "不在河南省"), ("123", "应为 18 位"),
                         (code(1), "的机构已登记")]:
        r = c.post("/vouchers/register", data={"uscc": uscc, "name": "新单位", "kind": "enterprise"})
        assert r.status_code in (409, 422), uscc
        msg = error_of(r.text)
        assert needle in msg and "统一社会信用代码" in msg, (uscc, msg)
        assert f'value="{uscc}"' in r.text
    assert count(engine, Organisation) == before
    r = c.post("/vouchers/register",
               data={"uscc": good, "name": "新单位", "kind": "university", "industry": "电子信息"})
    assert r.status_code == 303
    flash = by_testid(c.get("/vouchers/register").text, "flash")
    assert flash == f"新单位（{good}，郑州）已提交注册，等待算力券办公室审核"
    office = browser(app, "admin")
    with transaction(engine) as s:
        org = s.scalar(select(Organisation).where(Organisation.uscc == good))
        assert (org.status, org.city, org.kind) == ("pending", "郑州", "university")
    assert by_testid(office.get("/vouchers/dashboard").text, "pending-orgs") == "待审核注册 1"
    page = office.get("/vouchers/organisations?status=pending").text
    assert f"decide-form-{org.id}" in page
    r = office.post(f"/vouchers/organisations/{org.id}/decision", data={"decision": "reject", "reason": ""})
    assert r.status_code == 422 and "驳回须填写理由" in error_of(r.text)
    assert office.post(f"/vouchers/organisations/{org.id}/decision", data={"decision": "approve"}).status_code == 303
    with transaction(engine) as s:
        assert s.get(Organisation, org.id).status == "approved"


def test_settlement_batch_export_and_paid(app, world, engine):
    c = browser(app, "admin")
    form = c.get("/vouchers/settlements").text
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', form)
    assert [(v, t.replace("&nbsp;", "").split(" · ")[-1]) for v, t in options] == [
        ("2026:", "¥2,469.13"), (f"2026:{world.provider_id}", "¥2,469.13")]
    r = c.post("/vouchers/settlements", data={"target": f"2026:{world.provider_id}"})
    assert r.status_code == 303
    assert "当前没有待结算金额" in c.get("/vouchers/settlements").text
    with transaction(engine) as s:
        batch = s.scalar(select(SettlementBatch))
        assert (batch.total_fen, batch.province_fen, batch.city_fen) == (SUBSIDY_FEN, 123_457, 123_456)
    r = c.post("/vouchers/settlements", data={"year": "2026"})
    assert r.status_code == 422 and "2026 年度没有待结算的补贴" in error_of(r.text)  # zh page (issue 15)
    csv = c.get(f"/vouchers/settlements/{batch.id}/export?fmt=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    # yuan twins beside fen, the amount Chinese-first for people; amount_fen/amount_yuan kept for programs
    assert lines[0] == ("batch,payee_type,payee_id,payee,amount_fen,结算金额（元） settled_yuan,province_fen,"
                        "省级承担（元） province_yuan,city_fen,市级承担（元） city_yuan,amount_yuan,bills")
    assert lines[1] == (f"{batch.id},provider,{world.provider_id},国家超算郑州中心,246913,2469.13,123457,1234.57,"
                        "123456,1234.56,2469.13,1")
    xlsx = c.get(f"/vouchers/settlements/{batch.id}/export?fmt=xlsx")
    assert xlsx.content[:2] == b"PK"
    r = c.post(f"/vouchers/settlements/{batch.id}/paid", data={"payment_ref": " "})
    assert r.status_code == 422 and "payment_ref" in error_of(r.text)
    c.get("/vouchers/settlements?lang=en")  # the flash follows the user's language
    r = c.post(f"/vouchers/settlements/{batch.id}/paid", data={"payment_ref": "豫财-2026-001"})
    assert r.status_code == 303
    page = c.get("/vouchers/settlements").text
    assert by_testid(page, "flash") == f"settlement batch {batch.id} marked paid (豫财-2026-001)"
    assert by_testid(c.get("/vouchers/dashboard").text, "settled") == "¥2,469.13"
    # a reviewer may look but not settle
    rev = browser(app, "reviewer")
    assert rev.post("/vouchers/settlements", data={"year": "2026"}).status_code == 403


def test_unit_statement_exports(app, world):
    c = browser(app, "unit1")
    csv = c.get("/vouchers/statement?fmt=csv")
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert rows[0] == ("invoice_no,kind,period_start,period_end,amount_fen,金额（元） amount_yuan,eligible_fen,"
                       "可补贴金额（元） eligible_yuan,subsidy_fen,补贴金额（元） subsidy_yuan,owed_fen,"
                       "应付金额（元） owed_yuan,note")  # machines keep *_fen; people read yuan (issue 15)
    assert rows[1] == ("INV-1,bill,2026-03-01,2026-03-31,1234567,12345.67,1234567,12345.67,246913,2469.13,"
                       "987654,9876.54,")
    xlsx = c.get("/vouchers/statement?fmt=xlsx").content
    assert xlsx[:2] == b"PK"
    from decimal import Decimal
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(xlsx)).active
    assert ws["E2"].value == 1234567 and Decimal(str(ws["F2"].value)) == Decimal("12345.67")
    assert ws["F2"].number_format == "#,##0.00"
    # another unit's statement cannot be asked for: org_id is ignored for members
    other = browser(app, "unit2")
    assert "INV-1" not in other.get(f"/vouchers/statement?org_id={world.unit_orgs[0]}&fmt=csv").text


def test_year_close_needs_confirmation(app, world, engine):
    c = browser(app, "admin")
    r = c.post("/vouchers/programmes/2026/close", data={"confirm": "2025"})
    assert r.status_code == 422 and "请输入 2026 以确认关闭年度" in error_of(r.text)
    with transaction(engine) as s:
        assert s.scalar(select(Programme.status).where(Programme.year == 2026)) == "open"
    r = c.post("/vouchers/programmes/2026/close", data={"confirm": "2026"})
    assert r.status_code == 303
    page = c.get("/vouchers/programmes").text
    assert by_testid(page, "flash") == "2026 年度已关闭：未使用额度 ¥197,530.87 已退回资金池"
    assert "已关闭" in row_of(page, "programme-2026") and "close-form-2026" not in page


def test_provider_suspend_and_whitelist_forms(app, world, engine):
    c = browser(app, "admin")
    r = c.post(f"/vouchers/providers/{world.provider_id}/status", data={"action": "suspend", "reason": ""})
    assert r.status_code == 422 and "a suspension needs a reason" in error_of(r.text)
    r = c.post(f"/vouchers/providers/{world.provider_id}/status", data={"action": "suspend", "reason": "资质复核"})
    assert r.status_code == 303
    assert "已暂停 资质复核" in row_of(c.get("/vouchers/providers").text, f"provider-row-{world.provider_id}")
    new = {"org_uscc": code(2), "name": "新智算中心", "criterion": "ai_computing_100pf"}
    r = c.post("/vouchers/providers", data={**new, "valid_from": "2026-12-31", "valid_to": "2026-01-01"})
    assert r.status_code == 422 and "valid_to is before valid_from" in error_of(r.text)
    r = c.post("/vouchers/providers", data={**new, "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    assert r.status_code == 303
    assert "新智算中心" in c.get("/vouchers/providers").text
    assert browser(app, "reviewer").post(f"/vouchers/providers/{world.provider_id}/status",
                                         data={"action": "resume"}).status_code == 403


def test_provider_issues_a_token_on_the_page_and_it_pushes_bills(app, world, engine):
    from yuzhi.accounts.models import ApiToken

    c = browser(app, "provider")
    before = count(engine, ApiToken)
    r = c.post("/vouchers/tokens", data={"name": "x", "days": "365"})
    assert r.status_code == 422 and "name" in error_of(r.text)
    r = c.post("/vouchers/tokens", data={"name": "billing", "days": "9999"})
    assert r.status_code == 422 and "1 至 730 天之间的有效期" in error_of(r.text)
    assert count(engine, ApiToken) == before
    r = c.post("/vouchers/tokens", data={"name": "billing", "days": "30"})
    assert r.status_code == 201
    token = by_testid(r.text, "new-token")
    assert token.startswith("yz_") and token not in c.get("/vouchers/bills").text  # shown once
    api = TestClient(app)
    res = api.post("/api/vouchers/bills", headers={"Authorization": f"Bearer {token}"}, json={
        "invoice_no": "INV-2", "customer_uscc": code(1), "period_start": "2026-04-01", "period_end": "2026-04-30",
        "amount_fen": 100_00})
    assert res.status_code == 201 and res.json()["subsidy_fen"] == 20_00
    assert browser(app, "unit1").post("/vouchers/tokens", data={"name": "billing"}).status_code == 403


def test_bills_are_paged(app, world, engine):
    from yuzhi.vouchers.pages import PER_PAGE

    with transaction(engine) as s:
        customer_of(s, world, 1, contract="C-P")
        for i in range(PER_PAGE + 5):  # 106 bills in all with the fixture's
            vouchers.record_bill(s, actor=world.provider, bill_in=BillIn(
                invoice_no=f"P-{i:03d}", customer_uscc=code(2), period_start=date(2026, 5, 1),
                period_end=date(2026, 5, 31), amount_fen=100))
    c = browser(app, "admin")
    first = c.get("/vouchers/bills?year=2026").text
    assert by_testid(first, "pager").startswith(f"1–{PER_PAGE} / {PER_PAGE + 6}")
    assert 'data-testid="prev"' not in first and "P-104" in first and "INV-1<" not in first
    nxt = re.search(r'href="([^"]+)" data-testid="next"', first).group(1).replace("&amp;", "&")
    assert nxt == "/vouchers/bills?year=2026&page=2"
    second = c.get(nxt).text
    assert by_testid(second, "pager").startswith(f"{PER_PAGE + 1}–{PER_PAGE + 6} / {PER_PAGE + 6}")
    assert "INV-1<" in second and "P-104" not in second


def test_every_label_of_the_voucher_templates_is_translated():
    """A label missing from the tables would show up in English in the Chinese (default) UI."""
    from pathlib import Path

    import yuzhi.vouchers
    import yuzhi.vouchers.pages
    import yuzhi.vouchers.simulate_pages  # registers the simulator's labels, as the app does
    from yuzhi.web import i18n

    folder = Path(yuzhi.vouchers.__file__).parent / "templates" / "vouchers"
    keys = set()
    for f in folder.glob("*.html"):
        text = f.read_text(encoding="utf-8")
        keys |= set(re.findall(r'_\(\s*"([^"]+)"\s*\)', text)) | set(re.findall(r"_\(\s*'([^']+)'\s*\)", text))
    assert len(keys) > 100
    for lang in ("zh", "ja"):
        missing = sorted(k for k in keys if i18n.translate(k, lang) == k and not k.isupper())
        assert missing == [], lang


def test_office_declares_related_parties_and_their_bills_get_no_subsidy(app, world, engine):
    with transaction(engine) as s:
        provider_org = s.scalar(select(Organisation.id).where(Organisation.uscc == code(999)))
    c = browser(app, "reviewer")
    r = c.post("/vouchers/affiliations", data={"org_a_id": str(provider_org), "org_b_id": str(provider_org)})
    assert r.status_code == 422 and "不能与自身登记为关联方" in error_of(r.text)
    r = c.post("/vouchers/affiliations", data={"org_a_id": str(world.unit_orgs[0]), "org_b_id": str(provider_org),
                                               "note": "同一实际控制人"})
    assert r.status_code == 303
    page = c.get("/vouchers/organisations").text
    # the service stores the pair in id order: the provider's legal entity was registered first
    assert by_testid(page, "flash") == "国家超算郑州中心运营单位 与 测试企业1 已登记为关联方"
    assert re.search(r"<td>国家超算郑州中心运营单位</td><td>测试企业1</td><td>同一实际控制人</td>", page)
    r = c.post("/vouchers/affiliations", data={"org_a_id": str(provider_org), "org_b_id": str(world.unit_orgs[0])})
    assert r.status_code == 409 and "已登记为关联方" in error_of(r.text)
    with transaction(engine) as s:
        bill, _ = vouchers.record_bill(s, actor=world.provider, bill_in=BillIn(
            invoice_no="INV-R", customer_uscc=code(1), period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
            amount_fen=100_00))
        assert (bill.subsidy_fen, bill.owed_fen) == (0, 100_00) and "related-party" in bill.ineligible_reason


def test_dashboard_alerts_speak_the_page_language(app, engine):
    with transaction(engine) as s:
        w = make_world(s, units=1, pool_fen=1_100_000_00, unit_cap_fen=1_000_000_00)
        approved_quota(s, w, 0, 5_000_000_00, contract="C-1")  # the whole cap: ¥1,000,000.00 of ¥1,100,000.00
    c = browser(app, "admin")
    zh = c.get("/vouchers/dashboard?lang=zh").text
    assert "单位接近上限：测试企业1 已获配额 1,000,000.00 元（上限 1,000,000.00 元）" in zh
    assert "资金池即将用尽：1,100,000.00 元中仅余 100,000.00 元" in zh
    en = c.get("/vouchers/dashboard?lang=en").text
    assert "unit near cap: 测试企业1 holds 1,000,000.00 of 1,000,000.00 yuan" in en
    assert "上限に近い単位" in c.get("/vouchers/dashboard?lang=ja").text


def test_missing_records_named_with_their_id_in_chinese(app, world):
    c = browser(app, "unit2")
    r = c.get("/vouchers/bills/99999")
    assert r.status_code == 404 and "账单 99999 不存在或无权查看" in r.text
    r = c.get("/vouchers/applications/99999")
    assert r.status_code == 404 and "申请 99999 不存在或无权查看" in r.text
