"""Voucher service behaviour on the real database (SQLite, or PostgreSQL in CI)."""

from datetime import date

import pytest
from sqlalchemy import select
from tests.factories import approved_quota, code, customer_of, make_world

from yuzhi.accounts import service as accounts
from yuzhi.accounts.schemas import AffiliationCreate
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.ledger import service as ledger
from yuzhi.providers import service as registry
from yuzhi.vouchers import service
from yuzhi.vouchers.models import QuotaApplication
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn, ObjectionCreate, Review, SettlementCreate


def bill(w, unit_uscc, inv, amount, *, month=3, **kw):
    return service.record_bill(None, actor=w.provider, bill_in=BillIn(  # type: ignore[arg-type]
        invoice_no=inv, customer_uscc=unit_uscc, period_start=date(w.year, month, 1),
        period_end=date(w.year, month, 28), amount_fen=amount, **kw))


def push(session, w, org_index, inv, amount, month=3, **kw):
    return service.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no=inv, customer_uscc=code(org_index + 1), period_start=date(w.year, month, 1),
        period_end=date(w.year, month, 28), amount_fen=amount, **kw))


def test_quota_approval_is_bounded_by_rate_cap_and_pool(session):
    w = make_world(session, pool_fen=1_000_000_00, unit_cap_fen=300_000_00)
    a = service.apply(session, actor=w.units[0], app_in=ApplicationCreate(
        year=2026, provider_id=w.provider_id, contract_no="C-1", planned_spend_fen=2_000_000_00))
    with pytest.raises(InvalidInput) as exc:
        service.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=True, amount_fen=300_000_01))
    assert exc.value.field == "amount_fen" and "unit_cap_remaining" in exc.value.message
    out = service.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=True))
    assert out.approved_fen == 300_000_00  # 20% of 2,000,000 = 400,000 > cap 300,000
    assert out.status == "effective"  # disclosure_days = 0
    assert ledger.balance(session, "pool:2026") == 700_000_00
    # the same unit cannot exceed its cap with a second contract
    b = service.apply(session, actor=w.units[0], app_in=ApplicationCreate(
        year=2026, provider_id=w.provider_id, contract_no="C-2", planned_spend_fen=100_000_00))
    with pytest.raises(InvalidInput, match="nothing can be approved"):
        service.review(session, actor=w.reviewer, app_id=b.id, decision=Review(approve=True))


def test_subsidy_rounds_down_and_is_limited_by_quota(session):
    w = make_world(session)
    approved_quota(session, w, 0, 1_000_00, contract="C-1")  # quota 200.00 yuan
    b1, replay = push(session, w, 0, "INV-1", 12_349)  # 123.49 yuan → 24.698 → 24.69
    assert (b1.subsidy_fen, b1.owed_fen, replay) == (2_469, 9_880, False)
    b2, _ = push(session, w, 0, "INV-2", 100_000_00)
    assert b2.subsidy_fen == 20_000 - 2_469  # only the remaining quota
    b3, _ = push(session, w, 0, "INV-3", 50_00)
    assert b3.subsidy_fen == 0 and "used up" in b3.ineligible_reason
    assert check_books(session)[0] == []


def test_same_invoice_is_idempotent_and_a_changed_payload_conflicts(session):
    w = make_world(session)
    approved_quota(session, w, 0, 1_000_00, contract="C-1")
    first, _ = push(session, w, 0, "INV-9", 10_000)
    again, replay = push(session, w, 0, "INV-9", 10_000)
    assert replay and again.id == first.id and again.subsidy_fen == 2_000
    with pytest.raises(Conflict, match="different content"):
        push(session, w, 0, "INV-9", 10_001)
    assert ledger.balance(session, f"payable:2026:provider:{w.provider_id}") == 2_000


def test_credit_note_reverses_subsidy_and_restores_quota(session):
    w = make_world(session)
    app_id = approved_quota(session, w, 0, 10_000_00, contract="C-1")  # quota 2,000.00
    push(session, w, 0, "INV-1", 5_000_00)  # subsidy 1,000.00
    cn, _ = push(session, w, 0, "CN-1", 1_234_56, kind="credit", original_invoice_no="INV-1")
    # net eligible 3,765.44 → subsidy 753.088 → 753.08; reversal 1,000.00 − 753.08
    assert cn.subsidy_fen == 100_000 - 75_308
    a = session.get(QuotaApplication, app_id)
    assert a.used_fen == 75_308 and a.remaining_fen == 200_000 - 75_308
    with pytest.raises(InvalidInput, match="exceeds"):
        push(session, w, 0, "CN-2", 5_000_00, kind="credit", original_invoice_no="INV-1")
    assert check_books(session)[0] == []


def test_bad_bills_are_refused_and_write_nothing(session):
    w = make_world(session)
    customer_of(session, w, 0, contract="C-X")
    session.commit()
    with pytest.raises(InvalidInput, match="spans two programme years"):
        service.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no="X1", customer_uscc=code(1), period_start=date(2026, 12, 1), period_end=date(2027, 1, 31),
            amount_fen=100))
    with pytest.raises(InvalidInput, match="not registered"):
        service.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no="X2", customer_uscc=code(77), period_start=date(2026, 1, 1), period_end=date(2026, 1, 2),
            amount_fen=100))
    with pytest.raises(InvalidInput, match="check character"):
        service.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no="X3", customer_uscc=code(1)[:-1] + ("0" if code(1)[-1] != "0" else "1"),
            period_start=date(2026, 1, 1), period_end=date(2026, 1, 2), amount_fen=100))
    with pytest.raises(InvalidInput, match="lines add up"):
        service.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no="X4", customer_uscc=code(1), period_start=date(2026, 1, 1), period_end=date(2026, 1, 2),
            amount_fen=100, lines=[{"resource": "GPU-h", "quantity": "2", "unit_price_fen": "49.70"}]))  # 99.4 → 99 fen
    # 2 × 49.75 = 99.5 rounds half-up to 100 and is accepted:
    ok, _ = service.record_bill(session, actor=w.provider, bill_in=BillIn(
        invoice_no="X5", customer_uscc=code(1), period_start=date(2026, 1, 1), period_end=date(2026, 1, 2),
        amount_fen=100, lines=[{"resource": "GPU-h", "quantity": "2", "unit_price_fen": "49.75"}]))
    assert ok.lines[0].amount_fen == 100
    session.rollback()
    assert service.list_bills(session, actor=w.admin)[1] == 0


def test_related_party_and_self_use_get_no_subsidy(session):
    w = make_world(session, units=2)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    accounts.add_affiliation(session, actor=w.admin, aff_in=AffiliationCreate(
        org_a_id=w.unit_orgs[0], org_b_id=w.provider.org_id))
    b, _ = push(session, w, 0, "INV-1", 1_000_00)
    assert b.subsidy_fen == 0 and "related-party" in b.ineligible_reason
    # the provider's own organisation cannot apply for its own compute
    from yuzhi.accounts.actor import Actor, Role
    self_user = Actor(user_id=None, username="x", role=Role.MEMBER, org_id=w.provider.org_id)
    with pytest.raises(InvalidInput, match="self-built"):
        service.apply(session, actor=self_user, app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="SELF-1", planned_spend_fen=1_000_00))


def test_suspended_provider_bills_get_no_subsidy(session):
    w = make_world(session)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    registry.set_status(session, actor=w.admin, provider_id=w.provider_id, active=False, reason="资质复核")
    b, _ = push(session, w, 0, "INV-1", 1_000_00)
    assert b.subsidy_fen == 0 and "suspended" in b.ineligible_reason


def test_contract_is_subsidised_once(session):
    w = make_world(session, units=2)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    with pytest.raises(Conflict, match="subsidised once"):
        service.apply(session, actor=w.units[1], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="C-1", planned_spend_fen=1_000_00))


def test_disclosure_objection_and_rereview(session):
    w = make_world(session, disclosure_days=5)
    a = service.apply(session, actor=w.units[0], app_in=ApplicationCreate(
        year=2026, provider_id=w.provider_id, contract_no="C-1", planned_spend_fen=10_000_00))
    service.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=True))
    assert a.status == "disclosure"
    b, _ = push(session, w, 0, "INV-1", 1_000_00)
    assert b.subsidy_fen == 0  # not yet effective during 公示
    o = service.lodge_objection(session, actor=w.units[1], app_id=a.id,
                                obj_in=ObjectionCreate(text="合同金额与实际不符"))
    service.resolve_objection(session, actor=w.reviewer, objection_id=o.id, uphold=True, resolution="复审")
    assert a.status == "objected"
    service.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=True, amount_fen=50_000))
    assert a.approved_fen == 50_000 and ledger.balance(session, f"quota:2026:app:{a.id}") == 50_000
    assert check_books(session)[0] == []


def test_tenants_do_not_see_each_other(session):
    w = make_world(session, units=2)
    app_id = approved_quota(session, w, 0, 10_000_00, contract="C-1")
    with pytest.raises(NotFound):
        service.get_application(session, actor=w.units[1], app_id=app_id)
    b, _ = push(session, w, 0, "INV-1", 1_000_00)
    with pytest.raises(NotFound):
        service.get_bill(session, actor=w.units[1], bill_id=b.id)
    assert service.list_bills(session, actor=w.units[1])[1] == 0
    assert service.list_bills(session, actor=w.provider)[1] == 1
    with pytest.raises(Forbidden):
        service.review(session, actor=w.units[0], app_id=app_id, decision=Review(approve=True))


def test_settlement_pays_province_and_city_and_books_reconcile(session):
    w = make_world(session)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    push(session, w, 0, "INV-1", 1_000_05)  # subsidy 200.01 yuan = 20001 fen
    batch = service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    assert (batch.total_fen, batch.province_fen, batch.city_fen) == (20_001, 10_001, 10_000)
    with pytest.raises(InvalidInput, match="nothing to settle"):
        service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    service.mark_paid(session, actor=w.admin, batch_id=batch.id, payment_ref="PAY-1")
    with pytest.raises(Conflict):
        service.mark_paid(session, actor=w.admin, batch_id=batch.id, payment_ref="PAY-1")
    assert ledger.balance(session, f"paid:2026:province:provider:{w.provider_id}") == 10_001
    errors, summary = check_books(session)
    assert errors == [] and summary[2026]["paid_fen"] == 20_001


def test_reimbursement_mode_pays_the_unit(session):
    w = make_world(session, mode="reimbursement")
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    b, _ = push(session, w, 0, "INV-1", 1_000_00)
    assert (b.subsidy_fen, b.owed_fen) == (20_000, 1_000_00)  # the unit pays in full, is paid back
    batch = service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    assert [(ln.payee_type, ln.payee_id, ln.amount_fen) for ln in batch.lines] == [("org", w.unit_orgs[0], 20_000)]


def test_year_end_expires_unused_quota_and_refuses_new_bills(session):
    w = make_world(session)
    app_id = approved_quota(session, w, 0, 10_000_00, contract="C-1")  # 2,000.00
    push(session, w, 0, "INV-1", 1_000_00)  # uses 200.00
    out = service.close_year(session, actor=w.admin, year=2026)
    assert out["expired_fen"] == 180_000
    a = session.get(QuotaApplication, app_id)
    assert (a.status, a.remaining_fen) == ("expired", 0)
    assert ledger.balance(session, "pool:2026") == 50_000_000_00 - 20_000
    with pytest.raises(InvalidInput, match="closed"):
        push(session, w, 0, "INV-2", 1_000_00)
    # a late credit on a closed year gives the quota back to the (closed) pool, not to another year
    push(session, w, 0, "CN-1", 1_000_00, kind="credit", original_invoice_no="INV-1")
    assert ledger.balance(session, "pool:2026") == 50_000_000_00
    assert check_books(session)[0] == []
    assert session.scalar(select(QuotaApplication.expired_fen).where(QuotaApplication.id == app_id)) == 200_000
