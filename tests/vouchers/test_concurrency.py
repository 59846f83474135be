"""Many clients at once never over-commit the pool or a quota (real threads, real database;
PostgreSQL in CI via YUZHI_TEST_DATABASE_URL, SQLite otherwise)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select
from tests.factories import code, make_world

from yuzhi.db import transaction
from yuzhi.errors import DomainError
from yuzhi.ledger import service as ledger
from yuzhi.vouchers import service
from yuzhi.vouchers.models import Bill, QuotaApplication
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn, Review

N = 32


def test_32_reviewers_never_over_commit_the_pool(engine):
    with transaction(engine) as s:
        w = make_world(s, units=N, pool_fen=10_000_00, unit_cap_fen=10_000_00)  # a cap above the pool is refused
        app_ids = [service.apply(s, actor=w.units[i], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no=f"C-{i}", planned_spend_fen=2_000_00)).id
            for i in range(N)]

    def approve(app_id: int) -> str:
        try:
            with transaction(engine) as s:
                service.review(s, actor=w.reviewer, app_id=app_id, decision=Review(approve=True))
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(N) as pool:
        outcomes = list(pool.map(approve, app_ids))
    with transaction(engine) as s:
        approved = s.scalar(select(func.sum(QuotaApplication.approved_fen))) or 0
        assert approved == 10_000_00  # 25 × 400.00 exactly fill the pool
        assert ledger.balance(s, "pool:2026") == 0
        assert outcomes.count("ok") == 25
        assert check_books(s)[0] == []


def test_32_providers_posting_bills_never_exceed_the_quota(engine):
    with transaction(engine) as s:
        w = make_world(s, units=1)
        a = service.apply(s, actor=w.units[0], app_in=ApplicationCreate(
            year=2026, provider_id=w.provider_id, contract_no="C-1", planned_spend_fen=5_000_00))
        service.review(s, actor=w.reviewer, app_id=a.id, decision=Review(approve=True))  # quota 1,000.00

    def push(i: int) -> int:
        with transaction(engine) as s:
            b, _ = service.record_bill(s, actor=w.provider, bill_in=BillIn(
                invoice_no=f"INV-{i}", customer_uscc=code(1), period_start=date(2026, 3, 1),
                period_end=date(2026, 3, 31), amount_fen=200_00 + i))
            return b.subsidy_fen

    with ThreadPoolExecutor(N) as pool:
        subsidies = list(pool.map(push, range(N)))
    assert sum(subsidies) == 1_000_00
    with transaction(engine) as s:
        app = s.get(QuotaApplication, a.id)
        assert (app.used_fen, app.remaining_fen) == (1_000_00, 0)
        assert s.scalar(select(func.count(Bill.id))) == N
        assert check_books(s)[0] == []
