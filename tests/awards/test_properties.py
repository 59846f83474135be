"""Property-based: for any sequence of applications, reviews, revocations, payments and a close,
the award books reconcile, the pool is never negative, no grant exceeds the cap and no model holds
two awards. One world is built; each example runs in a savepoint that is rolled back."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.awards.builders import GOOD, YUAN, award_world, verified_model
from yuzhi.awards import service
from yuzhi.awards.reconcile import check_books
from yuzhi.awards.schemas import AwardApply, AwardReview
from yuzhi.errors import DomainError
from yuzhi.ledger import service as ledger

LOW = {"innovation": 10, "application_effect": 10, "industry_impact": 10}
ops = st.lists(st.one_of(
    st.tuples(st.just("apply"), st.integers(0, 3), st.integers(1, 1_050_000 * YUAN)),
    # review: app, decision (0 reject, else approve), scores (0 below the pass mark, else good),
    # amount (0 explicit, else the default maximum), explicit amount
    st.tuples(st.just("review"), st.integers(0, 9), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2),
              st.integers(0, 1_100_000 * YUAN)),
    st.tuples(st.just("revoke"), st.integers(0, 9)),
    st.tuples(st.just("pay"), st.integers(0, 9)),
    st.tuples(st.just("close"), st.integers(0, 9)),  # closes one time in ten
), min_size=4, max_size=40)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
def test_any_sequence_keeps_the_award_books(session, sequence):
    if "w" not in session.info:
        w = award_world(session, budget_fen=2_500_000 * YUAN, disclosure_days=0)
        session.info["w"] = w
        session.info["models"] = [verified_model(session, w, i % 2, f"模型{i}").id for i in range(4)]
        session.commit()
    w, models = session.info["w"], session.info["models"]
    example = session.begin_nested()
    apps: list[int] = []
    later = datetime.now(UTC) + timedelta(days=1)
    for op in sequence:
        if (op[0] in ("review", "revoke", "pay") and not apps) or (op[0] == "close" and op[1]):
            continue
        step = session.begin_nested()
        try:
            if op[0] == "apply":
                apps.append(service.apply(session, actor=w.units[op[1] % 2], app_in=AwardApply(
                    year=2026, model_id=models[op[1]], requested_fen=op[2])).id)
            elif op[0] == "review":
                service.review(session, actor=w.reviewer, app_id=apps[op[1] % len(apps)], decision=AwardReview(
                    approve=op[2] > 0, scores=GOOD if op[3] else LOW, amount_fen=None if op[4] else op[5],
                    reason="评审意见"))
            elif op[0] == "revoke":
                service.revoke(session, actor=w.reviewer, app_id=apps[op[1] % len(apps)], reason="异议成立")
            elif op[0] == "pay":
                service.pay(session, actor=w.admin, app_id=apps[op[1] % len(apps)], payment_ref="P-1", now=later)
            else:
                service.close_programme(session, actor=w.admin, year=2026)
            step.commit()
            event(f"{op[0]} ok")
        except DomainError as exc:
            step.rollback()
            event(f"{op[0]} refused: {exc.code}")
    try:
        errors, summary = check_books(session)
        assert errors == []
        assert ledger.balance(session, "award_pool:2026") >= 0
        s = summary[2026]
        assert s["pool_fen"] + s["committed_fen"] + s["paid_fen"] == 2_500_000 * YUAN
    finally:
        example.rollback()
