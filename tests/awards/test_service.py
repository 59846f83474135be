"""Registry and award workflow on the real database (SQLite, or PostgreSQL in CI)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.awards.builders import GOOD, YUAN, approve, award_world, verified_model
from yuzhi.audit.models import AuditEvent
from yuzhi.audit.service import verify_chain
from yuzhi.awards import service
from yuzhi.awards.models import AwardApplication
from yuzhi.awards.reconcile import check_books
from yuzhi.awards.schemas import AwardApply, AwardProgrammeCreate, AwardReview, CaseCreate, ModelCreate, Verify
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.ledger import service as ledger


def apply(session, w, unit, model_id, requested, year=2026):
    return service.apply(session, actor=w.units[unit], app_in=AwardApply(
        year=year, model_id=model_id, requested_fen=requested, summary="质检模型在 12 条产线应用"))


def test_enterprise_sees_only_its_own_filings(session):
    w = award_world(session)
    mine = service.register_model(session, actor=w.units[0], model_in=ModelCreate(
        name="中原智造", domain="industrial_vision", filing_no="Henan-ZYZZ-202501", filing_date=date(2025, 3, 1)))
    theirs = service.register_model(session, actor=w.units[1], model_in=ModelCreate(
        name="豫鼎安澜", domain="work_safety"))
    rows, total = service.list_models(session, actor=w.units[0])
    assert [m.name for m in rows] == ["中原智造"] and total == 1
    with pytest.raises(NotFound):
        service.get_model(session, actor=w.units[0], model_id=theirs.id)
    with pytest.raises(NotFound):
        service.add_case(session, actor=w.units[0], model_id=theirs.id, case_in=CaseCreate(
            customer="x客户", scenario="xx", effect="xx"))
    assert service.list_models(session, actor=w.reviewer)[1] == 2  # the office sees all
    with pytest.raises(Conflict, match="Henan-ZYZZ-202501 is already registered"):
        service.register_model(session, actor=w.units[1], model_in=ModelCreate(
            name="另一个", domain="mining", filing_no="Henan-ZYZZ-202501"))
    assert mine.status == "submitted"


def test_verification_needs_a_filing_and_rejection_a_reason(session):
    w = award_world(session)
    m = service.register_model(session, actor=w.units[0], model_in=ModelCreate(name="天信", domain="mining"))
    with pytest.raises(InvalidInput) as exc:
        service.verify_model(session, actor=w.reviewer, model_id=m.id, decision=Verify(approve=True))
    assert exc.value.field == "filing_no" and "no filing number" in exc.value.message
    with pytest.raises(Forbidden):
        service.verify_model(session, actor=w.units[0], model_id=m.id, decision=Verify(approve=True))
    with pytest.raises(InvalidInput, match="needs a reason"):
        service.verify_model(session, actor=w.reviewer, model_id=m.id, decision=Verify(approve=False))


def test_ineligible_models_and_over_cap_requests_are_refused_with_the_reason(session):
    w = award_world(session)
    m = service.register_model(session, actor=w.units[0], model_in=ModelCreate(name="华鼎雪豹",
                                                                              domain="cold_chain_logistics"))
    with pytest.raises(InvalidInput) as exc:
        apply(session, w, 0, m.id, 500_000 * YUAN)
    assert "no verified filing" in exc.value.message and "0 verified deployment case(s)" in exc.value.message
    v = verified_model(session, w, 0, "中原智造")
    with pytest.raises(InvalidInput) as exc:
        apply(session, w, 0, v.id, 1_000_000 * YUAN + 1)
    assert exc.value.field == "requested_fen" and "above the cap of 100000000 fen" in exc.value.message
    with pytest.raises(NotFound):  # another tenant cannot apply for my model
        apply(session, w, 1, v.id, 100 * YUAN)
    assert session.scalar(select(AwardApplication.id)) is None  # nothing written


def test_award_flow_through_the_ledger_and_once_per_model(session):
    w = award_world(session, budget_fen=3_000_000 * YUAN, disclosure_days=7, province_bp=6000)
    m = verified_model(session, w, 0, "中原智造")
    a = apply(session, w, 0, m.id, 1_000_000 * YUAN)
    with pytest.raises(Conflict, match="already has application"):
        apply(session, w, 0, m.id, 10 * YUAN)
    with pytest.raises(InvalidInput, match="total score 59 is below the pass mark 60"):
        service.review(session, actor=w.reviewer, app_id=a.id, decision=AwardReview(
            approve=True, scores={"innovation": 19, "application_effect": 20, "industry_impact": 20}, reason="一般"))
    out = approve(session, w.reviewer, a.id, amount_fen=800_000 * YUAN)
    assert (out.status, out.granted_fen, out.score, out.awarded_model_id) == ("approved", 80_000_000, 80, m.id)
    assert ledger.balance(session, "award_pool:2026") == 2_200_000 * YUAN
    assert ledger.balance(session, f"award_commit:2026:app:{a.id}") == 800_000 * YUAN
    assert ledger.balance(session, "pool:2026") == 50_000_000 * YUAN  # the voucher pool is untouched
    # a second award for the same model is refused with the reason, in this and a later year
    with pytest.raises(Conflict) as exc:
        apply(session, w, 0, m.id, 100 * YUAN)
    assert "already received its one-off award (once per model)" in exc.value.message
    assert f"application {a.id}, 2026, 80000000 fen" in exc.value.message
    service.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
        year=2027, name="2027 模型奖补", budget_fen=5_000_000 * YUAN))
    with pytest.raises(Conflict, match="once per model"):
        apply(session, w, 0, m.id, 100 * YUAN, year=2027)
    # payment waits for the end of disclosure, then splits province 60% / city 40%
    with pytest.raises(Conflict, match="public disclosure until"):
        service.pay(session, actor=w.admin, app_id=a.id, payment_ref="豫财-2026-01")
    later = datetime.now(UTC) + timedelta(days=8)
    paid = service.pay(session, actor=w.admin, app_id=a.id, payment_ref="豫财-2026-01", now=later)
    assert paid.status == "paid"
    assert ledger.balance(session, f"award_paid:2026:province:app:{a.id}") == 480_000 * YUAN
    assert ledger.balance(session, f"award_paid:2026:city:app:{a.id}") == 320_000 * YUAN
    assert ledger.balance(session, f"award_commit:2026:app:{a.id}") == 0
    with pytest.raises(Conflict, match="only approved awards are paid"):
        service.pay(session, actor=w.admin, app_id=a.id, payment_ref="again", now=later)
    rows = service.disclosure(session, year=2026)
    assert [(r["organisation"], r["model"], r["granted_fen"], r["status"]) for r in rows] == \
        [("测试企业1", "中原智造", 80_000_000, "paid")]
    errors, summary = check_books(session)
    assert errors == []
    assert summary[2026] == {"budget_fen": 300_000_000, "pool_fen": 220_000_000, "committed_fen": 0,
                             "paid_fen": 80_000_000}
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "award_application")).all()
    assert actions == ["award.apply", "award.approve", "award.pay"]
    assert verify_chain(session)[0] == []


def test_pool_binds_and_rejection_and_revocation(session):
    w = award_world(session, budget_fen=1_500_000 * YUAN)
    m1, m2, m3 = (verified_model(session, w, i % 2, n) for i, n in enumerate(["A模型", "B模型", "C模型"]))
    a1 = apply(session, w, 0, m1.id, 1_000_000 * YUAN)
    a2 = apply(session, w, 1, m2.id, 1_000_000 * YUAN)
    a3 = apply(session, w, 0, m3.id, 1_000_000 * YUAN)
    assert approve(session, w.reviewer, a1.id).granted_fen == 1_000_000 * YUAN
    with pytest.raises(InvalidInput) as exc:
        approve(session, w.reviewer, a2.id, amount_fen=600_000 * YUAN)
    assert "exceeds pool_remaining (50000000 fen)" in exc.value.message
    assert exc.value.fix == "grant at most 50000000 fen"
    assert approve(session, w.reviewer, a2.id).granted_fen == 500_000 * YUAN  # default: what is left
    with pytest.raises(InvalidInput, match="pool is exhausted"):
        approve(session, w.reviewer, a3.id)
    rej = service.review(session, actor=w.reviewer, app_id=a3.id, decision=AwardReview(
        approve=False, scores={}, reason="预算已用完，建议下一年度申报"))
    assert (rej.status, rej.score, rej.granted_fen) == ("rejected", None, 0)
    with pytest.raises(Conflict, match="only submitted applications are reviewed"):
        approve(session, w.reviewer, a3.id)
    # revoking an approved award returns its grant to the pool and frees the model
    service.revoke(session, actor=w.reviewer, app_id=a1.id, reason="公示期异议成立：应用案例不实")
    assert ledger.balance(session, "award_pool:2026") == 1_000_000 * YUAN
    a1b = apply(session, w, 0, m1.id, 200_000 * YUAN)
    assert a1b.status == "submitted"
    assert check_books(session)[0] == []


def test_once_per_model_is_a_database_invariant(session):
    w = award_world(session)
    m = verified_model(session, w, 0, "中原智造")
    a = apply(session, w, 0, m.id, 100 * YUAN)
    approve(session, w.reviewer, a.id)
    session.add(AwardApplication(org_id=m.org_id, programme_id=a.programme_id, model_id=m.id,
                                 awarded_model_id=m.id, requested_fen=1, status="approved"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_roles_are_enforced(session):
    w = award_world(session)
    with pytest.raises(Forbidden):
        service.create_programme(session, actor=w.reviewer, prog_in=AwardProgrammeCreate(
            year=2030, name="x年度", budget_fen=1))
    with pytest.raises(Conflict, match="already exists"):
        service.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
            year=2026, name="重复", budget_fen=1))
    m = verified_model(session, w, 0, "中原智造")
    a = apply(session, w, 0, m.id, 100 * YUAN)
    with pytest.raises(Forbidden):
        service.review(session, actor=w.units[0], app_id=a.id, decision=AwardReview(
            approve=True, scores=GOOD, reason="自己批"))
    with pytest.raises(NotFound):
        service.get_application(session, actor=w.units[1], app_id=a.id)


def test_a_closed_year_takes_no_applications_or_reviews_but_pays_what_it_approved(session):
    w = award_world(session)
    m1, m2 = verified_model(session, w, 0, "甲模型"), verified_model(session, w, 1, "乙模型")
    a1, a2 = apply(session, w, 0, m1.id, 100 * YUAN), apply(session, w, 1, m2.id, 100 * YUAN)
    approve(session, w.reviewer, a1.id)
    with pytest.raises(Forbidden):
        service.close_programme(session, actor=w.reviewer, year=2026)
    assert service.close_programme(session, actor=w.admin, year=2026).status == "closed"
    with pytest.raises(Conflict, match="programme is closed"):
        approve(session, w.reviewer, a2.id)
    with pytest.raises(InvalidInput, match="programme is closed"):
        apply(session, w, 0, verified_model(session, w, 0, "丙模型").id, 100 * YUAN)
    assert service.pay(session, actor=w.admin, app_id=a1.id, payment_ref="豫财-9").status == "paid"
    assert check_books(session)[0] == []


def test_objections_during_disclosure_block_payment_until_resolved(session):
    from yuzhi.awards.schemas import ObjectionCreate

    w = award_world(session, disclosure_days=7)
    m1, m2 = verified_model(session, w, 0, "甲模型"), verified_model(session, w, 1, "乙模型")
    a1, a2 = apply(session, w, 0, m1.id, 500_000 * YUAN), apply(session, w, 1, m2.id, 300_000 * YUAN)
    with pytest.raises(NotFound, match="not on the disclosure list"):
        service.lodge_objection(session, actor=w.units[1], app_id=a1.id,
                                obj_in=ObjectionCreate(text="案例不实，请核查"))
    approve(session, w.reviewer, a1.id)
    approve(session, w.reviewer, a2.id)
    o1 = service.lodge_objection(session, actor=w.units[1], app_id=a1.id, obj_in=ObjectionCreate(
        text="应用案例中的客户并未实际部署", submitted_by="匿名"))
    o2 = service.lodge_objection(session, actor=w.units[0], app_id=a2.id, obj_in=ObjectionCreate(text="成效数据存疑"))
    later = datetime.now(UTC) + timedelta(days=8)
    with pytest.raises(Conflict, match=f"objection {o1.id} against award application {a1.id} is still open"):
        service.pay(session, actor=w.admin, app_id=a1.id, payment_ref="P", now=later)
    with pytest.raises(Conflict, match="disclosure period of award"):
        service.lodge_objection(session, actor=w.units[1], app_id=a1.id, obj_in=ObjectionCreate(text="再次异议内容"),
                                now=later)
    assert [o.id for o in service.list_objections(session, actor=w.reviewer)] == [o1.id, o2.id]
    with pytest.raises(Forbidden):
        service.resolve_objection(session, actor=w.units[0], objection_id=o1.id, uphold=True, resolution="x")
    service.resolve_objection(session, actor=w.reviewer, objection_id=o1.id, uphold=True, resolution="经核实案例不实")
    assert session.get(AwardApplication, a1.id).status == "revoked"
    assert ledger.balance(session, "award_pool:2026") == 10_000_000 * YUAN - 300_000 * YUAN
    service.resolve_objection(session, actor=w.reviewer, objection_id=o2.id, uphold=False,
                              resolution="数据经第三方复核属实")
    assert service.pay(session, actor=w.admin, app_id=a2.id, payment_ref="P-2", now=later).status == "paid"
    with pytest.raises(Conflict, match="already dismissed"):
        service.resolve_objection(session, actor=w.reviewer, objection_id=o2.id, uphold=True, resolution="改判")
    assert check_books(session)[0] == []
