"""Builders for an award world through the real services (no fakes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tests.factories import World, make_world
from yuzhi.accounts.actor import Actor
from yuzhi.awards import service
from yuzhi.awards.models import AiModel
from yuzhi.awards.schemas import AwardProgrammeCreate, AwardReview, CaseCreate, ModelCreate, Verify

YUAN = 100
GOOD = {"innovation": 25, "application_effect": 35, "industry_impact": 20}  # 80 points


def award_world(session: Session, *, units: int = 2, budget_fen: int = 10_000_000 * YUAN, year: int = 2026,
                disclosure_days: int = 0, **rules: object) -> World:
    w = make_world(session, units=units, year=year)
    service.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
        year=year, name=f"{year} 模型奖补", budget_fen=budget_fen, disclosure_days=disclosure_days, **rules))
    session.flush()
    return w


def verified_model(session: Session, w: World, unit: int, name: str, *, filing_no: str | None = None,
                   cases: int = 1) -> AiModel:
    m = service.register_model(session, actor=w.units[unit], model_in=ModelCreate(
        name=name, domain="industrial_vision", filing_no=filing_no or f"Henan-{name}-2025",
        filing_date=date(2025, 6, 1),
        cases=[CaseCreate(customer=f"客户{i}", scenario="焊缝缺陷检测", effect="漏检率 3.1% → 0.4%")
               for i in range(cases)]))
    service.verify_model(session, actor=w.reviewer, model_id=m.id, decision=Verify(approve=True))
    return m


def approve(session: Session, reviewer: Actor, app_id: int, amount_fen: int | None = None):  # type: ignore[no-untyped-def]
    return service.review(session, actor=reviewer, app_id=app_id, decision=AwardReview(
        approve=True, scores=GOOD, amount_fen=amount_fen, reason="应用成效显著"))
