"""Clawbacks: subsidy paid out on a bill that a credit note later reduces is owed back.

It becomes a receivable of that year's pool (never a negative payable), is netted against the
payee's next settlement of the same year, shows on the payee's position and the office dashboard
(settled net, not gross), survives the year close without touching another year's money, can be
repaid, and ``ledger check`` asserts all of it."""

from datetime import date

import pytest
from tests.factories import approved_quota, code, make_world

from yuzhi.errors import InvalidInput
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import transfer
from yuzhi.vouchers import reports, service
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import BillIn, ProgrammeCreate, SettlementCreate


def push(session, w, inv, amount, **kw):
    return service.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no=inv, customer_uscc=code(1), period_start=date(w.year, 3, 1),
        period_end=date(w.year, 3, 28), amount_fen=amount, **kw))[0]


def settle_and_pay(session, w, ref):
    batch = service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=w.year))
    service.mark_paid(session, actor=w.admin, batch_id=batch.id, payment_ref=ref)
    return batch


def payee_of(w, mode):
    return ("provider", w.provider_id) if mode == "discount" else ("org", w.unit_orgs[0])


@pytest.mark.parametrize("mode", ["discount", "reimbursement"])
def test_credit_after_settlement_is_a_receivable_netted_at_the_next_settlement(session, mode):
    w = make_world(session, mode=mode)
    ptype, payee = payee_of(w, mode)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")  # quota 2,000.00 yuan
    push(session, w, "INV-1", 5_000_00)  # subsidy 1,000.00
    assert settle_and_pay(session, w, "PAY-1").total_fen == 100_000
    cn = push(session, w, "CN-1", 5_000_00, kind="credit", original_invoice_no="INV-1")
    assert cn.subsidy_fen == 100_000  # the whole subsidy is taken back, after it was paid
    assert ledger.balance(session, f"payable:2026:{ptype}:{payee}") == 0  # not −100,000
    assert ledger.balance(session, f"receivable:2026:{ptype}:{payee}") == -100_000
    pos = reports.position(session, actor=w.admin, year=2026, payee_id=payee)
    assert (pos["paid_gross_fen"], pos["receivable_fen"], pos["settled_net_fen"], pos["subsidy_fen"]) == \
        (100_000, 100_000, 0, 0)
    d = reports.dashboard(session, actor=w.admin, year=2026)
    assert (d.settled_fen, d.paid_gross_fen, d.receivable_fen) == (0, 100_000, 100_000)
    assert check_books(session)[0] == []

    push(session, w, "INV-2", 3_000_00)  # subsidy 600.00, all of it owed back already
    with pytest.raises(InvalidInput, match="nothing to settle"):
        service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    push(session, w, "INV-3", 4_000_00)  # subsidy 800.00: 1,400.00 payable − 1,000.00 owed back
    batch = settle_and_pay(session, w, "PAY-2")
    assert [(ln.payee_type, ln.payee_id, ln.amount_fen) for ln in batch.lines] == [(ptype, payee, 40_000)]
    assert ledger.balance(session, f"receivable:2026:{ptype}:{payee}") == 0
    assert ledger.balance(session, f"payable:2026:{ptype}:{payee}") == 0
    d = reports.dashboard(session, actor=w.admin, year=2026)
    assert (d.settled_fen, d.paid_gross_fen, d.receivable_fen) == (140_000, 140_000, 0)
    errors, summary = check_books(session)
    assert errors == [] and summary[2026]["receivable_fen"] == 0


def test_credit_before_settlement_reduces_the_payable_and_only_the_rest_is_owed(session):
    w = make_world(session)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    push(session, w, "INV-1", 5_000_00)  # 1,000.00, settled and paid
    settle_and_pay(session, w, "PAY-1")
    push(session, w, "INV-2", 1_000_00)  # 200.00 still payable
    push(session, w, "CN-1", 5_000_00, kind="credit", original_invoice_no="INV-1")  # takes back 1,000.00
    assert ledger.balance(session, f"payable:2026:provider:{w.provider_id}") == 0
    assert ledger.balance(session, f"receivable:2026:provider:{w.provider_id}") == -80_000
    assert check_books(session)[0] == []


def test_receivable_survives_year_close_is_never_paid_from_another_year_and_can_be_repaid(session):
    w = make_world(session)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    push(session, w, "INV-1", 5_000_00)
    settle_and_pay(session, w, "PAY-1")
    push(session, w, "CN-1", 2_500_00, kind="credit", original_invoice_no="INV-1")  # 500.00 owed back
    out = service.close_year(session, actor=w.admin, year=2026)
    assert out["receivable_fen"] == 50_000
    # the next year pays its own subsidy in full: 2026's receivable is not netted against 2027 money
    service.create_programme(session, actor=w.admin, prog_in=ProgrammeCreate(
        year=2027, name="2027 测试", pool_fen=50_000_000_00, unit_cap_fen=1_000_000_00, disclosure_days=0))
    w.year = 2027
    approved_quota(session, w, 0, 10_000_00, contract="C-2027")
    push(session, w, "INV-2027", 1_000_00)
    assert settle_and_pay(session, w, "PAY-2027").total_fen == 20_000
    assert ledger.balance(session, f"receivable:2026:provider:{w.provider_id}") == -50_000
    assert reports.dashboard(session, actor=w.admin, year=2026).settled_fen == 50_000
    # repaid by bank transfer, in part and never beyond what is owed
    with pytest.raises(InvalidInput, match="owes 50000 fen"):
        service.record_repayment(session, actor=w.admin, year=2026, payee_id=w.provider_id, amount_fen=50_001,
                                 payment_ref="BACK-1")
    left = service.record_repayment(session, actor=w.admin, year=2026, payee_id=w.provider_id,
                                    amount_fen=30_001, payment_ref="BACK-1")
    assert left == 19_999
    assert ledger.balance(session, f"repaid:2026:province:provider:{w.provider_id}") == -15_001
    pos = reports.position(session, actor=w.provider, year=2026)
    assert (pos["paid_gross_fen"], pos["receivable_fen"], pos["repaid_fen"], pos["settled_net_fen"]) == \
        (100_000, 19_999, 30_001, 50_000)
    errors, summary = check_books(session)
    assert errors == [] and (summary[2026]["receivable_fen"], summary[2026]["repaid_fen"]) == (19_999, 30_001)


def test_position_is_tenant_scoped(session):
    w = make_world(session)
    with pytest.raises(Exception, match="no provider position of yours"):
        reports.position(session, actor=w.units[0], year=2026)
    with pytest.raises(Exception, match="no provider position of yours"):
        reports.position(session, actor=w.provider, year=2026, payee_id=w.provider_id + 1)
    assert reports.position(session, actor=w.provider, year=2026)["payee_id"] == w.provider_id


def test_ledger_check_refuses_a_negative_payable(session):
    w = make_world(session)
    ledger.post(session, transfer("adjust", 2026, debit="pool:2026",
                                  credit=f"payable:2026:provider:{w.provider_id}", amount=1))
    errors = check_books(session)[0]
    assert any("must be a receivable" in e for e in errors)


def test_provider_statement_and_office_dashboard_show_what_is_owed_back(client, engine):
    from tests.factories import PASSWORD

    from yuzhi.db import transaction

    with transaction(engine) as s:
        w = make_world(s)
        approved_quota(s, w, 0, 10_000_00, contract="C-1")
        push(s, w, "INV-1", 5_000_00)
        settle_and_pay(s, w, "PAY-1")
        push(s, w, "CN-1", 2_500_00, kind="credit", original_invoice_no="INV-1")  # 500.00 owed back
    html = {"accept": "text/html"}
    for user, url, marker in (("provider", "/vouchers/portal/statement?month=2026-03", 'data-testid="position"'),
                              ("admin", "/vouchers/dashboard?year=2026", 'data-testid="clawbacks"')):
        client.cookies.clear()
        r = client.post("/login", data={"username": user, "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(url, headers=html)
        assert page.status_code == 200 and marker in page.text
        assert "应追回" in page.text and "500.00" in page.text and "1,000.00" in page.text
    assert client.get("/api/vouchers/dashboard/2026").json()["settled_fen"] == 50_000
