"""Model registry and awards REST API (thin: every route calls the service)."""

from __future__ import annotations

import json

from fastapi import APIRouter

from yuzhi.accounts.actor import Actor, Role
from yuzhi.awards import reconcile, service
from yuzhi.awards.models import AwardApplication, AwardProgramme
from yuzhi.awards.schemas import (
    AwardApplicationRead,
    AwardApply,
    AwardProgrammeCreate,
    AwardProgrammeRead,
    AwardReview,
    CaseCreate,
    CaseRead,
    DisclosureRow,
    ModelCreate,
    ModelRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    Pay,
    Revoke,
    Verify,
)
from yuzhi.pagination import Page
from yuzhi.types import IdPath, Limit, Offset, YearPath, YearQuery
from yuzhi.web.deps import AdminUser, CurrentUser, OfficeUser, OptionalUser, SessionDep

router = APIRouter(prefix="/api/awards", tags=["awards"])

#: Who an anonymous objection is recorded as in the audit log.
PUBLIC = Actor(user_id=None, username="public", role=Role.MEMBER)


def programme_read(session, p: AwardProgramme) -> AwardProgrammeRead:
    totals = service.programme_totals(session, p)
    return AwardProgrammeRead.model_validate({
        **{k: getattr(p, k) for k in AwardProgrammeRead.model_fields if hasattr(p, k)},
        "criteria": json.loads(p.criteria_json), "committed_fen": totals["committed_fen"],
        "paid_fen": totals["paid_fen"], "remaining_fen": totals["remaining_fen"]})


def app_read(a: AwardApplication) -> AwardApplicationRead:
    return AwardApplicationRead.model_validate({
        **{k: getattr(a, k) for k in AwardApplicationRead.model_fields if k != "scores"},
        "scores": json.loads(a.scores_json)})


@router.get("/programmes", response_model=list[AwardProgrammeRead])
def list_programmes(session: SessionDep) -> list[AwardProgrammeRead]:
    """Award programme years, their rules and budget use (public)."""
    return [programme_read(session, p) for p in service.list_programmes(session)]


@router.post("/programmes", response_model=AwardProgrammeRead, status_code=201)
def create_programme(body: AwardProgrammeCreate, session: SessionDep, actor: AdminUser) -> AwardProgrammeRead:
    return programme_read(session, service.create_programme(session, actor=actor, prog_in=body))


@router.post("/programmes/{year}/close", response_model=AwardProgrammeRead)
def close_programme(year: YearPath, session: SessionDep, actor: AdminUser) -> AwardProgrammeRead:
    return programme_read(session, service.close_programme(session, actor=actor, year=year))


@router.get("/models", response_model=Page[ModelRead])
def list_models(session: SessionDep, actor: CurrentUser, status: str | None = None, domain: str | None = None,
                limit: Limit = 100, offset: Offset = 0) -> Page[ModelRead]:
    """Registered models: the office sees all, an organisation only its own."""
    rows, total = service.list_models(session, actor=actor, status=status, domain=domain, limit=limit, offset=offset)
    return Page[ModelRead](data=[ModelRead.model_validate(m) for m in rows], count=total)


@router.post("/models", response_model=ModelRead, status_code=201)
def register_model(body: ModelCreate, session: SessionDep, actor: CurrentUser) -> ModelRead:
    m = service.register_model(session, actor=actor, model_in=body)
    session.refresh(m)
    return ModelRead.model_validate(m)


@router.get("/models/{model_id}", response_model=ModelRead)
def get_model(model_id: IdPath, session: SessionDep, actor: CurrentUser) -> ModelRead:
    return ModelRead.model_validate(service.get_model(session, actor=actor, model_id=model_id))


@router.post("/models/{model_id}/cases", response_model=CaseRead, status_code=201)
def add_case(model_id: IdPath, body: CaseCreate, session: SessionDep, actor: CurrentUser) -> CaseRead:
    return CaseRead.model_validate(service.add_case(session, actor=actor, model_id=model_id, case_in=body))


@router.post("/models/{model_id}/verify", response_model=ModelRead)
def verify_model(model_id: IdPath, body: Verify, session: SessionDep, actor: OfficeUser) -> ModelRead:
    return ModelRead.model_validate(service.verify_model(session, actor=actor, model_id=model_id, decision=body))


@router.post("/applications", response_model=AwardApplicationRead, status_code=201)
def apply(body: AwardApply, session: SessionDep, actor: CurrentUser) -> AwardApplicationRead:
    return app_read(service.apply(session, actor=actor, app_in=body))


@router.get("/applications", response_model=Page[AwardApplicationRead])
def list_applications(session: SessionDep, actor: CurrentUser, year: YearQuery = None, status: str | None = None,
                      limit: Limit = 100, offset: Offset = 0) -> Page[AwardApplicationRead]:
    rows, total = service.list_applications(session, actor=actor, year=year, status=status, limit=limit,
                                            offset=offset)
    return Page[AwardApplicationRead](data=[app_read(a) for a in rows], count=total)


@router.get("/applications/{app_id}", response_model=AwardApplicationRead)
def get_application(app_id: IdPath, session: SessionDep, actor: CurrentUser) -> AwardApplicationRead:
    return app_read(service.get_application(session, actor=actor, app_id=app_id))


@router.post("/applications/{app_id}/review", response_model=AwardApplicationRead)
def review(app_id: IdPath, body: AwardReview, session: SessionDep, actor: OfficeUser) -> AwardApplicationRead:
    """Score each criterion and approve (≤ min(requested, cap, pool left), once per model) or reject."""
    return app_read(service.review(session, actor=actor, app_id=app_id, decision=body))


@router.post("/applications/{app_id}/revoke", response_model=AwardApplicationRead)
def revoke(app_id: IdPath, body: Revoke, session: SessionDep, actor: OfficeUser) -> AwardApplicationRead:
    return app_read(service.revoke(session, actor=actor, app_id=app_id, reason=body.reason))


@router.post("/applications/{app_id}/pay", response_model=AwardApplicationRead)
def pay(app_id: IdPath, body: Pay, session: SessionDep, actor: AdminUser) -> AwardApplicationRead:
    return app_read(service.pay(session, actor=actor, app_id=app_id, payment_ref=body.payment_ref))


@router.get("/disclosure", response_model=list[DisclosureRow])
def disclosure(session: SessionDep, year: YearQuery = None) -> list[DisclosureRow]:
    """Public disclosure (公示) of approved and paid awards."""
    return [DisclosureRow.model_validate(r) for r in service.disclosure(session, year=year)]


@router.post("/applications/{app_id}/objections", response_model=ObjectionRead, status_code=201)
def lodge_objection(app_id: IdPath, body: ObjectionCreate, session: SessionDep, actor: OptionalUser) -> ObjectionRead:
    """Object to an award on public disclosure (no login needed); payment waits for the office's decision."""
    return ObjectionRead.model_validate(service.lodge_objection(session, actor=actor or PUBLIC, app_id=app_id,
                                                                obj_in=body))


@router.get("/objections", response_model=list[ObjectionRead])
def list_objections(session: SessionDep, actor: OfficeUser, status: str | None = "open") -> list[ObjectionRead]:
    return [ObjectionRead.model_validate(o) for o in service.list_objections(session, actor=actor, status=status)]


@router.post("/objections/{objection_id}/resolve", response_model=ObjectionRead)
def resolve_objection(objection_id: IdPath, body: ObjectionResolve, session: SessionDep,
                      actor: OfficeUser) -> ObjectionRead:
    """Uphold (the award is revoked, its grant returns to the pool) or dismiss."""
    return ObjectionRead.model_validate(service.resolve_objection(
        session, actor=actor, objection_id=objection_id, uphold=body.uphold, resolution=body.resolution))


@router.get("/books")
def books(session: SessionDep, actor: OfficeUser) -> dict[str, object]:
    """Award books: every invariant (empty ``errors`` = they hold) and a summary per year, in fen."""
    errors, summary = reconcile.check_books(session)
    return {"ok": not errors, "errors": errors, "years": summary}
