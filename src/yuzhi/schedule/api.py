"""Scheduling REST API (thin: every route calls :mod:`yuzhi.schedule.service`).

Upload a workbook / JSON / JSPLIB / FJS file → a stored plan with its ``schedule.json``; fetch the
Gantt as self-contained HTML. A solve takes at most ``time_limit`` seconds; by default the request
waits for it (the documented contract: 201 with the plan). With ``?wait=false`` the solve is queued as
a DB-backed job (:mod:`yuzhi.schedule.jobs`, the one the pages use) and the answer is 202 with the job
id and a status URL to poll (``GET /api/schedule/jobs/{id}``), so no request holds a worker for minutes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from yuzhi.pagination import Page
from yuzhi.schedule import jobs, service
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate, PlanDetail, PlanRead
from yuzhi.types import MAX_ID, IdPath, IdQuery, Offset
from yuzhi.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/schedule", tags=["schedule"])

#: ``?wait=false``: queue the solve and answer 202 at once (the default waits: the 201 contract)
WaitQuery = Query(True, description="false: queue the solve, answer 202 with the job id and a status URL to poll")
_QUEUED: dict[int | str, dict[str, Any]] = {
    202: {"description": "queued (`wait=false`): `job_id`, `status`, `status_url` to poll, `page_url`"}}


def _queued(request: Request, background: BackgroundTasks, job_id: int) -> JSONResponse:
    """202 for a queued solve; it runs after the response (the session has committed by then)."""
    background.add_task(jobs.run, request.app.state.engine, job_id)
    status_url = f"/api/schedule/jobs/{job_id}"
    return JSONResponse({"job_id": job_id, "status": "queued", "status_url": status_url,
                         "page_url": f"/schedule/jobs/{job_id}"}, status_code=202, headers={"Location": status_url})


@router.post("/plans", response_model=PlanDetail, status_code=201, responses=_QUEUED)
def upload_plan(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    actor: CurrentUser,
    file: UploadFile = File(...),
    objective: str = Form("makespan"),
    time_limit: float = Form(10.0),
    workers: int = Form(2),
    name: str = Form("plan"),
    org_id: int | None = Form(None, ge=1, le=MAX_ID),
    wait: bool = WaitQuery,
) -> PlanDetail | Response:
    """Solve an uploaded instance (.xlsx workbook, .json, JSPLIB or FJS text) and store the plan
    (``?wait=false``: 202 at once, the solve runs as a job; bad input is still refused at once)."""
    plan_in = PlanCreate(name=name, objective=objective, time_limit=time_limit, workers=workers, org_id=org_id)
    filename, content = file.filename or "plan.xlsx", file.file.read()
    if not wait:
        problem, plan_in = service.read_upload(filename, content, plan_in)
        return _queued(request, background, jobs.submit(session, actor=actor, problem=problem, plan_in=plan_in).id)
    plan = service.create_from_file(session, actor=actor, filename=filename, content=content, plan_in=plan_in)
    return PlanDetail.model_validate(plan)


@router.post("/plans/json", response_model=PlanDetail, status_code=201, responses=_QUEUED)
def solve_json(
    problem: dict,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    actor: CurrentUser,
    objective: str = Query("makespan"),
    time_limit: float = Query(10.0, gt=0, le=600),
    workers: int = Query(2, ge=1, le=64),
    name: str = Query("plan"),
    org_id: IdQuery = None,
    wait: bool = WaitQuery,
) -> PlanDetail | Response:
    """Solve a problem given as JSON (the format of ``Problem.to_dict``) and store the plan
    (``?wait=false``: 202 at once with the job's status URL)."""
    plan_in = PlanCreate(name=name, objective=objective, time_limit=time_limit, workers=workers, org_id=org_id)
    parsed = Problem.from_dict(problem)
    if not wait:
        return _queued(request, background, jobs.submit(session, actor=actor, problem=parsed, plan_in=plan_in).id)
    plan = service.create(session, actor=actor, problem=parsed, plan_in=plan_in)
    return PlanDetail.model_validate(plan)


@router.get("/jobs/{job_id}")
def job_status(job_id: IdPath, session: SessionDep, actor: CurrentUser) -> dict:
    """A queued solve (``?wait=false``): status (queued, running, done, failed), progress 0–100 (the share
    of the time limit used), and when done the plan's id and URL; another tenant's job is a 404."""
    job = jobs.get(session, actor=actor, job_id=job_id)
    return {"id": job.id, "status": job.status, "progress": jobs.progress(job), "plan_id": job.plan_id,
            "plan_url": f"/api/schedule/plans/{job.plan_id}" if job.plan_id else None, "error": job.error or None}


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
