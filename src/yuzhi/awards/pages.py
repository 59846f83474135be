"""Model registry and award pages: register models and cases, verify, apply, review, pay, disclose.

Pages call the same services as ``/api/awards``; forms follow the voucher pages' conventions
(post/redirect/get, a domain error rolls back and is shown with its field and fix).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.awards import service
from yuzhi.awards.api import PUBLIC
from yuzhi.awards.models import AiModel, AwardProgrammeStatus, ModelDomain
from yuzhi.awards.schemas import AwardApply, AwardReview, CaseCreate, ModelCreate, ObjectionCreate, Verify
from yuzhi.errors import InvalidInput
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated, html_errors, need, on_error, page, validated, yuan_to_fen

router = APIRouter(include_in_schema=False)

NAV = [("Awards", "/awards", "any"), ("Award disclosure", "/awards/disclosure", "public")]

i18n.register("zh", {
    "Awards": "模型奖补", "Award disclosure": "奖补公示", "Models": "模型备案", "Register model": "登记模型",
    "Filing no.": "备案号", "Filing date": "备案日期", "Domain": "领域", "Cases": "应用案例", "Customer": "客户",
    "Scenario": "场景", "Effect": "实测成效", "Verify": "核验", "verified": "已核验", "Budget": "预算",
    "Granted": "奖补金额", "Score": "评分", "Requested": "申请金额", "Apply for award": "申请奖补", "Pay": "支付",
    "Revoke": "撤销", "revoked": "已撤销", "Add case": "添加案例", "Programmes": "年度奖补计划",
    "industrial_vision": "工业视觉", "work_safety": "安全生产", "mining": "矿山", "cold_chain_logistics": "冷链物流",
    "manufacturing": "智能制造", "general": "通用大模型", "other": "其他",
    "innovation": "创新性", "application_effect": "应用成效", "industry_impact": "产业带动",
})


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.name)).all())


def _ctx(session: Session, actor: Actor) -> dict[str, Any]:
    models, _ = service.list_models(session, actor=actor, limit=500)
    apps, _ = service.list_applications(session, actor=actor, limit=500)
    progs = service.list_programmes(session)
    member = actor.org_id is not None and not actor.is_office and not actor.is_provider
    return {
        "models": models, "apps": apps, "names": _names(session),
        "model_names": dict(session.execute(select(AiModel.id, AiModel.name)).all()),
        "programmes": [(p, service.programme_totals(session, p), json.loads(p.criteria_json)) for p in progs],
        "open_years": [p.year for p in progs if p.status == AwardProgrammeStatus.OPEN],
        "domains": [d.value for d in ModelDomain], "member": member, "scores_of": lambda a: json.loads(a.scores_json),
        "criteria": json.loads(progs[0].criteria_json) if progs else {},
        "objections": service.list_objections(session, actor=actor) if actor.is_office else [],
    }


@router.get("/awards", response_class=HTMLResponse)
@html_errors
def awards_home(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """Registry and awards: an organisation sees its own models and applications; the office sees all."""
    actor = need(actor)
    return page(request, "awards/index.html", _ctx(session, actor), actor)


@router.post("/awards/models")
@html_errors
def register_model(request: Request, session: SessionDep, actor: OptionalUser, name: Annotated[str, Form()],
                   domain: Annotated[str, Form()], filing_no: Annotated[str, Form()] = "",
                   filing_date: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                   customer: Annotated[str, Form()] = "", scenario: Annotated[str, Form()] = "",
                   effect: Annotated[str, Form()] = "") -> Response:
    actor = need(actor)
    on_error(request, "awards/index.html", lambda: _ctx(session, actor))
    case = {"customer": customer, "scenario": scenario, "effect": effect}
    cases = [validated(CaseCreate, case)] if customer.strip() else []
    try:
        fdate = date.fromisoformat(filing_date) if filing_date else None
    except ValueError:
        raise InvalidInput(f"filing date {filing_date!r} is not a date", field="filing_date",
                           fix="use the form's date picker (YYYY-MM-DD)",
                           key="filing_date_invalid", params={"text": filing_date}) from None
    m = service.register_model(session, actor=actor, model_in=validated(ModelCreate, {
        "name": name, "domain": domain, "filing_no": filing_no, "description": description, "cases": cases,
        "filing_date": fdate}))
    return done_translated(request, "/awards", "model {name} registered; the office will verify its filing",
                          name=m.name)


@router.post("/awards/models/{model_id}/cases")
@html_errors
def add_case(request: Request, session: SessionDep, actor: OptionalUser, model_id: int,
             customer: Annotated[str, Form()], scenario: Annotated[str, Form()],
             effect: Annotated[str, Form()]) -> Response:
    actor = need(actor)
    service.add_case(session, actor=actor, model_id=model_id,
                     case_in=validated(CaseCreate, {"customer": customer, "scenario": scenario, "effect": effect}))
    return done_translated(request, "/awards", "case added")


@router.post("/awards/models/{model_id}/verify")
@html_errors
def verify(request: Request, session: SessionDep, actor: OptionalUser, model_id: int,
           approve: Annotated[bool, Form()], reason: Annotated[str, Form()] = "") -> Response:
    actor = need(actor, office=True)
    m = service.verify_model(session, actor=actor, model_id=model_id, decision=Verify(approve=approve, reason=reason))
    return done_translated(request, "/awards", "model {name}: {status}", name=m.name, status=m.status)


@router.post("/awards/applications")
@html_errors
def apply(request: Request, session: SessionDep, actor: OptionalUser, year: Annotated[int, Form()],
          model_id: Annotated[int, Form()], requested_yuan: Annotated[str, Form()],
          summary: Annotated[str, Form()] = "") -> Response:
    actor = need(actor)
    on_error(request, "awards/index.html", lambda: _ctx(session, actor))
    a = service.apply(session, actor=actor, app_in=validated(AwardApply, {
        "year": year, "model_id": model_id, "summary": summary,
        "requested_fen": yuan_to_fen(requested_yuan, field="requested_yuan")}))
    return done_translated(request, "/awards", "award application {id} submitted", id=a.id)


@router.post("/awards/applications/{app_id}/review")
async def review(request: Request, session: SessionDep, actor: OptionalUser, app_id: int) -> Response:
    form = await request.form()
    return _review(request=request, session=session, actor=actor, app_id=app_id, form=dict(form))


@html_errors
def _review(*, request: Request, session: SessionDep, actor: OptionalUser, app_id: int, form: dict[str, Any]
            ) -> Response:
    actor = need(actor, office=True)
    on_error(request, "awards/index.html", lambda: _ctx(session, actor))
    scores: dict[str, int] = {}
    for k, v in form.items():
        if k.startswith("score_") and str(v).strip():
            try:
                scores[k[6:]] = int(str(v))
            except ValueError:
                raise InvalidInput(f"score {v!r} is not a whole number", field=f"scores.{k[6:]}",
                                   fix="score each criterion with a whole number",
                                   key="score_not_whole", params={"text": v}) from None
    approve = str(form.get("approve", "")) == "true"
    amount = yuan_to_fen(str(form.get("amount_yuan", "")), field="amount_yuan", allow_empty=True)
    a = service.review(session, actor=actor, app_id=app_id, decision=validated(AwardReview, {
        "approve": approve, "scores": scores, "amount_fen": amount, "reason": str(form.get("reason", ""))}))
    return done_translated(request, "/awards", "award application {id}: {status}", id=a.id, status=a.status)


@router.post("/awards/applications/{app_id}/pay")
@html_errors
def pay(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
        payment_ref: Annotated[str, Form()]) -> Response:
    actor = need(actor, admin=True)
    a = service.pay(session, actor=actor, app_id=app_id, payment_ref=payment_ref)
    return done_translated(request, "/awards", "award application {id} paid ({ref})", id=a.id, ref=payment_ref)


@router.post("/awards/applications/{app_id}/revoke")
@html_errors
def revoke(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
           reason: Annotated[str, Form()]) -> Response:
    actor = need(actor, office=True)
    a = service.revoke(session, actor=actor, app_id=app_id, reason=reason)
    return done_translated(request, "/awards", "award application {id} revoked", id=a.id)


@router.post("/awards/applications/{app_id}/objections")
@html_errors
def lodge_objection(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
                    text: Annotated[str, Form()], submitted_by: Annotated[str, Form()] = "public") -> Response:
    """Anyone may object during the disclosure period (no login needed)."""
    o = service.lodge_objection(session, actor=actor or PUBLIC, app_id=app_id, obj_in=validated(
        ObjectionCreate, {"text": text, "submitted_by": submitted_by or "public"}))
    return done_translated(request, "/awards/disclosure",
                          "objection {id} recorded; the office will decide before any payment", id=o.id)


@router.post("/awards/objections/{objection_id}/resolve")
@html_errors
def resolve_objection(request: Request, session: SessionDep, actor: OptionalUser, objection_id: int,
                      uphold: Annotated[bool, Form()], resolution: Annotated[str, Form()]) -> Response:
    actor = need(actor, office=True)
    o = service.resolve_objection(session, actor=actor, objection_id=objection_id, uphold=uphold,
                                  resolution=resolution)
    return done_translated(request, "/awards", "objection {id}: {status}", id=o.id, status=o.status)


@router.get("/awards/disclosure", response_class=HTMLResponse)
@html_errors
def disclosure(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Public disclosure (公示) of approved and paid awards."""
    return page(request, "awards/disclosure.html", {"rows": service.disclosure(session, year=year),
                                                    "year": year, "now": datetime.now(UTC)}, actor)
