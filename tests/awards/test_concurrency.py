"""Concurrent reviews never over-commit the award pool (real threads, real database;
PostgreSQL in CI via YUZHI_TEST_DATABASE_URL, SQLite otherwise)."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.awards.builders import YUAN, approve, award_world, verified_model
from yuzhi.awards import service
from yuzhi.awards.models import AwardApplication
from yuzhi.awards.reconcile import check_books
from yuzhi.awards.schemas import AwardApply
from yuzhi.db import transaction
from yuzhi.errors import DomainError
from yuzhi.ledger import service as ledger

N = 16


def test_16_concurrent_reviews_never_over_commit_the_pool(engine):
    with transaction(engine) as s:
        # 5,500,000 yuan: five full awards and half of a sixth
        w = award_world(s, units=4, budget_fen=5_500_000 * YUAN)
        app_ids = []
        for i in range(N):
            m = verified_model(s, w, i % 4, f"模型{i}")
            app_ids.append(service.apply(s, actor=w.units[i % 4], app_in=AwardApply(
                year=2026, model_id=m.id, requested_fen=1_000_000 * YUAN)).id)

    def review(app_id: int) -> str:
        try:
            with transaction(engine) as s:
                approve(s, w.reviewer, app_id)
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(N) as pool:
        outcomes = list(pool.map(review, app_ids))
    assert outcomes.count("ok") == 6 and outcomes.count("invalid_input") == N - 6
    with transaction(engine) as s:
        granted = sorted(s.scalars(select(AwardApplication.granted_fen).where(AwardApplication.granted_fen > 0)))
        assert granted == [500_000 * YUAN] + [1_000_000 * YUAN] * 5
        assert s.scalar(select(func.sum(AwardApplication.granted_fen))) == 5_500_000 * YUAN
        assert ledger.balance(s, "award_pool:2026") == 0
        assert check_books(s)[0] == []
