"""The computing-centre operator's portal: bill file in yuan (all or nothing, line-by-line report),
monthly statement per customer with export, settlement status of each bill, 对账单 → statement."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.factories import PASSWORD, approved_quota, code, make_world

from yuzhi.db import transaction
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.models import Bill
from yuzhi.vouchers.schemas import SettlementCreate

HTML = {"accept": "text/html"}


def _setup(engine):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        w = make_world(s, units=2, disclosure_days=0)
        approved_quota(s, w, 0, 1_000_000_00, contract="HT-1")
        approved_quota(s, w, 1, 1_000_000_00, contract="HT-2")
    return w


def _login(client, user: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": user, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303


def _bills(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(Bill)) or 0


def test_bad_file_reports_every_line_and_records_nothing(client, engine) -> None:  # type: ignore[no-untyped-def]
    _setup(engine)
    _login(client, "provider")
    body = ("invoice_no,customer_uscc,period_start,period_end,amount\n"
            f"P-1,{code(1)},2026-03-01,2026-03-31,\"12,345.67\"\n"
            f"P-2,{code(2)},2026-03-01,2026-03-31,abc\n"
            f"P-3,{code(2)},2026-03-31,2026-03-01,100\n")
    r = client.post("/vouchers/portal/upload", files={"file": ("bills.csv", body.encode(), "text/csv")}, headers=HTML)
    assert r.status_code == 422
    assert 'data-testid="line-errors"' in r.text and "未入账任何账单" in r.text
    assert "<td class=\"num\">3</td>" in r.text and "<td class=\"num\">4</td>" in r.text
    assert _bills(engine) == 0


def test_batch_refusal_names_the_line(client, engine) -> None:  # type: ignore[no-untyped-def]
    _setup(engine)
    _login(client, "provider")
    body = ("invoice_no,customer_uscc,period_start,period_end,amount\n"
            f"P-1,{code(1)},2026-03-01,2026-03-31,100\n"
            f"P-2,{code(77)},2026-03-01,2026-03-31,100\n")  # not a customer of this provider
    r = client.post("/vouchers/portal/upload", files={"file": ("bills.csv", body.encode(), "text/csv")}, headers=HTML)
    assert r.status_code >= 400 and "<td class=\"num\">3</td>" in r.text
    assert _bills(engine) == 0


def test_upload_statement_export_and_settlement_status(client, engine) -> None:  # type: ignore[no-untyped-def]
    w = _setup(engine)
    _login(client, "provider")
    body = ("发票号,客户统一社会信用代码,开始日期,结束日期,金额（元）\n"
            f"P-1,{code(1)},2026-03-01,2026-03-31,\"12,345.67\"\n"
            f"P-2,{code(2)},2026-03-01,2026-03-31,5万\n")
    r = client.post("/vouchers/portal/upload", files={"file": ("bills.csv", body.encode("gb18030"), "text/csv")},
                    headers=HTML)
    assert r.status_code == 201, r.text[-1500:]
    assert 'data-testid="upload-result"' in r.text and _bills(engine) == 2
    # 20 % of 12,345.67 = 2,469.13 (rounded down) and of 50,000.00 = 10,000.00
    st = client.get("/vouchers/portal/statement?month=2026-03", headers=HTML)
    assert st.status_code == 200
    assert ">62,345.67<" in st.text and ">12,469.13<" in st.text and "待结算" in st.text
    csv_text = client.get("/vouchers/portal/statement?month=2026-03&fmt=csv").content.decode("utf-8-sig")
    assert "P-1" in csv_text and "1234567" in csv_text
    # the 对账单 menu item leads a provider to this statement, not to the bill list
    r = client.get("/vouchers/statement", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/vouchers/portal/statement"
    with transaction(engine) as s:
        vouchers.create_settlement(s, actor=w.admin, settle_in=SettlementCreate(year=2026))
    st = client.get("/vouchers/portal/statement?month=2026-03", headers=HTML)
    assert "已纳入结算批次" in st.text and "待结算" not in st.text
    # a second upload of the same file is answered as replays, nothing recorded twice
    r = client.post("/vouchers/portal/upload", files={"file": ("bills.csv", body.encode("gb18030"), "text/csv")},
                    headers=HTML)
    assert r.status_code == 201 and _bills(engine) == 2


def test_portal_is_for_operators(client, engine) -> None:  # type: ignore[no-untyped-def]
    _setup(engine)
    _login(client, "unit1")
    r = client.get("/vouchers/portal", headers=HTML)
    assert r.status_code == 403 and "此门户供算力中心运营人员使用" in r.text


def test_each_bill_stores_its_settlement_batch_and_older_batches_are_backfilled(engine) -> None:  # type: ignore[no-untyped-def]
    """A batch links the subsidised bills it settles; a bill recorded later waits for the next batch;
    the people_0001 migration fills the link for batches made before the column existed (issue 15)."""
    import importlib.util
    from datetime import date
    from pathlib import Path

    from sqlalchemy import update

    from yuzhi.vouchers.portal_pages import settlement_status
    from yuzhi.vouchers.schemas import BillIn

    w = _setup(engine)

    def bill(no: str, unit: int, fen: int) -> BillIn:
        return BillIn(invoice_no=no, customer_uscc=code(unit), period_start=date(2026, 3, 1),
                      period_end=date(2026, 3, 31), amount_fen=fen)

    with transaction(engine) as s:
        vouchers.record_bills(s, actor=w.provider, bills_in=[bill("L-1", 1, 10_000_00), bill("L-2", 2, 20_000_00)])
    with transaction(engine) as s:
        first = vouchers.create_settlement(s, actor=w.admin, settle_in=SettlementCreate(year=2026)).id
    with transaction(engine) as s:
        vouchers.record_bills(s, actor=w.provider, bills_in=[bill("L-3", 1, 5_000_00)])
    with transaction(engine) as s:
        links = dict(s.execute(select(Bill.invoice_no, Bill.settlement_id)).all())
        assert links == {"L-1": first, "L-2": first, "L-3": None}
        bills = list(s.scalars(select(Bill).order_by(Bill.invoice_no)))
        st = settlement_status(s, bills)
        assert [st[b.id] for b in bills] == [("settled, batch {id} draft", first)] * 2 + [("awaiting settlement", None)]
        second = vouchers.create_settlement(s, actor=w.admin, settle_in=SettlementCreate(year=2026)).id
    with transaction(engine) as s:
        assert s.scalar(select(Bill.settlement_id).where(Bill.invoice_no == "L-3")) == second
        assert s.scalar(select(Bill.settlement_id).where(Bill.invoice_no == "L-1")) == first  # never moved
        s.execute(update(Bill).values(settlement_id=None))  # as an older release left them
    path = Path(__file__).resolve().parents[2] / "src/yuzhi/migrations/versions/people_0001_bill_settlement_link.py"
    spec = importlib.util.spec_from_file_location("people_0001", path)
    assert spec is not None and spec.loader is not None
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    with engine.begin() as conn:
        mig.backfill(conn)
    with transaction(engine) as s:
        assert dict(s.execute(select(Bill.invoice_no, Bill.settlement_id)).all()) == {
            "L-1": first, "L-2": first, "L-3": second}
