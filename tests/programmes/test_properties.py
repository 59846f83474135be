"""Property-based, on the database, once for every programme: for any sequence of applications and
reviews (approvals with the default or an explicit amount, rejections) by any units, the year's
pool never goes negative, nothing is committed beyond a cap, the pool and the commitments always
add up to the funding, and the ledger's checks hold. The same test runs on vouchers (cap per unit
per year) and awards (cap per model). One world per programme; each example runs in a savepoint
that is rolled back."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.awards.builders import GOOD, verified_model
from tests.factories import make_world
from yuzhi.awards import service as awards
from yuzhi.awards.models import AwardApplication
from yuzhi.awards.schemas import AwardApply, AwardProgrammeCreate, AwardReview
from yuzhi.errors import DomainError
from yuzhi.ledger import books
from yuzhi.programmes import service as programmes
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.books import HOLDING, KIND
from yuzhi.vouchers.models import QuotaApplication
from yuzhi.vouchers.schemas import ApplicationCreate, Review

YUAN = 100
POOL, CAP = 5_000 * YUAN, 2_000 * YUAN
# (unit, amount asked in yuan, explicit amount (else the default maximum), approve)
steps = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3_000), st.booleans(), st.integers(0, 4)),
                 min_size=1, max_size=12)


def _world(session: Session, name: str) -> dict[str, object]:
    key = f"programmes-{name}"
    if key not in session.info:
        w = make_world(session, units=3, pool_fen=POOL, unit_cap_fen=CAP)
        awards.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
            year=2026, name="2026 奖补", budget_fen=POOL, cap_per_model_fen=CAP, disclosure_days=0))
        models = [verified_model(session, w, i % 3, f"模型{i}").id for i in range(12)]
        session.commit()
        session.info[key] = {"w": w, "models": models}
    return session.info[key]  # type: ignore[return-value]


def _step(session: Session, name: str, ctx: dict[str, object], i: int, unit: int, ask: int, explicit: bool,
          approve: bool) -> None:
    w, amount = ctx["w"], ask * YUAN
    if name == "vouchers":
        a = vouchers.apply(session, actor=w.units[unit], app_in=ApplicationCreate(  # type: ignore[attr-defined]
            year=2026, provider_id=w.provider_id, contract_no=f"P-{i}", planned_spend_fen=amount * 5))
        vouchers.review(session, actor=w.reviewer, app_id=a.id, decision=Review(  # type: ignore[attr-defined]
            approve=approve, amount_fen=amount if explicit and approve else None,
            reason="" if approve else "不予支持"))
    else:
        model = ctx["models"][i]  # type: ignore[index]
        a = awards.apply(session, actor=w.units[[0, 1, 2][i % 3]], app_in=AwardApply(  # type: ignore[attr-defined]
            year=2026, model_id=model, requested_fen=min(amount, CAP)))
        awards.review(session, actor=w.reviewer, app_id=a.id, decision=AwardReview(  # type: ignore[attr-defined]
            approve=approve, scores=GOOD, amount_fen=amount if explicit and approve else None, reason="评审意见"))


def _committed(session: Session, name: str) -> list[tuple[int, int]]:
    """(unit of the cap, amount held) of every commitment."""
    if name == "vouchers":
        return [(o, v) for o, v in session.execute(
            select(QuotaApplication.org_id, func.sum(QuotaApplication.approved_fen - QuotaApplication.expired_fen))
            .where(QuotaApplication.status.in_(HOLDING)).group_by(QuotaApplication.org_id))]
    return [(m, v) for m, v in session.execute(select(AwardApplication.model_id, AwardApplication.granted_fen)
                                                .where(AwardApplication.status == "approved"))]


@pytest.mark.parametrize("name", ["vouchers", "awards"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_no_sequence_overdraws_the_pool_or_a_cap(session, name, sequence):
    ctx = _world(session, name)
    kind = KIND if name == "vouchers" else awards.KIND
    example = session.begin_nested()
    try:
        for i, (unit, ask, explicit, decision) in enumerate(sequence):
            step = session.begin_nested()
            try:
                _step(session, name, ctx, i, unit, ask, explicit, decision > 0)
                step.commit()
                event("ok")
            except DomainError as exc:
                step.rollback()
                event(f"refused: {exc.code}")
            pool = programmes.pool_remaining(session, kind, 2026)
            held = _committed(session, name)
            assert pool >= 0
            assert all(v <= CAP for _, v in held)
            assert pool + sum(v for _, v in held) == POOL
        assert books.check_all(session).errors == []
    finally:
        example.rollback()
