"""Scheduling REST API (thin: every route calls :mod:`yuzhi.schedule.service`).

Upload a workbook / JSON / JSPLIB / FJS file → a stored plan with its ``schedule.json``; fetch the
Gantt as self-contained HTML. Synchronous: a solve takes at most ``time_limit`` seconds.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse

from yuzhi.pagination import Page
from yuzhi.schedule import service
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate, PlanDetail, PlanRead
from yuzhi.types import MAX_ID, IdPath, IdQuery, Offset
from yuzhi.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/schedule", tags=["schedule"])


@router.post("/plans", response_model=PlanDetail, status_code=201)
def upload_plan(
    session: SessionDep,
    actor: CurrentUser,
    file: UploadFile = File(...),
    objective: str = Form("makespan"),
    time_limit: float = Form(10.0),
    workers: int = Form(2),
    name: str = Form("plan"),
    org_id: int | None = Form(None, ge=1, le=MAX_ID),
) -> PlanDetail:
    """Solve an uploaded instance (.xlsx workbook, .json, JSPLIB or FJS text) and store the plan."""
    plan_in = PlanCreate(name=name, objective=objective, time_limit=time_limit, workers=workers, org_id=org_id)
    plan = service.create_from_file(
        session, actor=actor, filename=file.filename or "plan.xlsx", content=file.file.read(), plan_in=plan_in
    )
    return PlanDetail.model_validate(plan)


@router.post("/plans/json", response_model=PlanDetail, status_code=201)
def solve_json(
    problem: dict,
    session: SessionDep,
    actor: CurrentUser,
    objective: str = Query("makespan"),
    time_limit: float = Query(10.0, gt=0, le=600),
    workers: int = Query(2, ge=1, le=64),
    name: str = Query("plan"),
    org_id: IdQuery = None,
) -> PlanDetail:
    """Solve a problem given as JSON (the format of ``Problem.to_dict``) and store the plan."""
    plan_in = PlanCreate(name=name, objective=objective, time_limit=time_limit, workers=workers, org_id=org_id)
    plan = service.create(session, actor=actor, problem=Problem.from_dict(problem), plan_in=plan_in)
    return PlanDetail.model_validate(plan)


@router.get("/plans", response_model=Page[PlanRead])
def list_plans(
    session: SessionDep, actor: CurrentUser, limit: int = Query(100, ge=1, le=500), offset: Offset = 0
) -> Page[PlanRead]:
    rows, count = service.get_all(session, actor=actor, limit=limit, offset=offset)
    return Page(data=[PlanRead.model_validate(p) for p in rows], count=count)


@router.get("/plans/{plan_id}", response_model=PlanDetail)
def get_plan(plan_id: IdPath, session: SessionDep, actor: CurrentUser) -> PlanDetail:
    """The plan with its ``schedule.json`` (status, makespan, lower_bound, operations)."""
    return PlanDetail.model_validate(service.get(session, actor=actor, plan_id=plan_id))


@router.get("/plans/{plan_id}/gantt", response_class=HTMLResponse)
def gantt(plan_id: IdPath, session: SessionDep, actor: CurrentUser) -> HTMLResponse:
    """Self-contained Gantt chart (inline SVG) per machine and per order, with utilisation."""
    return HTMLResponse(service.gantt_html(session, actor=actor, plan_id=plan_id))
