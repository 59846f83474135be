"""Scheduling web pages: upload a workbook, see the plan and its Gantt chart.

Server-rendered HTML; the Gantt is the same self-contained inline SVG as the CLI's (no script, no
CDN). The form posts and redirects (post/redirect/get); a domain error is shown on the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.errors import DomainError
from yuzhi.schedule import service
from yuzhi.schedule.objectives import OBJECTIVES
from yuzhi.schedule.schemas import PlanCreate
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.templating import render

router = APIRouter(include_in_schema=False)

NAV = [("Production plans", "/schedule/plans", "any")]

i18n.register(
    "zh",
    {
        "Production plans": "生产计划",
        "Upload a workbook": "上传排产表",
        "Objective": "目标",
        "Time limit": "求解时间",
        "Solve": "求解",
        "Orders": "订单",
        "Machines": "设备",
        "Makespan": "完工时间",
        "Bound": "下界",
        "Status": "状态",
        "Download the template": "下载模板",
        "Gantt chart": "甘特图",
        "Reason": "原因",
        "optimal": "最优",
        "feasible": "可行",
        "infeasible": "不可行",
        "unknown": "未知",
    },
)
i18n.register(
    "ja",
    {
        "Production plans": "生産計画",
        "Upload a workbook": "ワークブックをアップロード",
        "Objective": "目的",
        "Time limit": "計算時間",
        "Solve": "求解",
        "Orders": "注文",
        "Machines": "設備",
        "Makespan": "総所要時間",
        "Bound": "下界",
        "Status": "状態",
        "Download the template": "テンプレートをダウンロード",
        "Gantt chart": "ガントチャート",
        "Reason": "理由",
        "optimal": "最適",
        "feasible": "実行可能",
        "infeasible": "実行不能",
        "unknown": "不明",
    },
)


def _login() -> Response:
    return RedirectResponse("/login", status_code=303)


def _list(request: Request, session, actor, error: DomainError | None = None, status_code: int = 200):  # type: ignore[no-untyped-def]
    rows, count = service.get_all(session, actor=actor, limit=200)
    return render(
        request,
        "schedule/plans.html",
        {"rows": rows, "count": count, "objectives": OBJECTIVES, "error": error},
        status_code=status_code,
        actor=actor,
    )


@router.get("/schedule", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/schedule/plans", status_code=303)


@router.get("/schedule/plans", response_class=HTMLResponse)
def plans_page(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    return _list(request, session, actor)


@router.post("/schedule/plans", response_class=HTMLResponse)
def upload_form(
    request: Request,
    session: SessionDep,
    actor: OptionalUser,
    file: Annotated[UploadFile, File()],
    objective: Annotated[str, Form()] = "makespan",
    time_limit: Annotated[float, Form()] = 10.0,
    org_id: Annotated[int | None, Form()] = None,
) -> Response:
    if actor is None:
        return _login()
    try:
        plan = service.create_from_file(
            session,
            actor=actor,
            filename=file.filename or "plan.xlsx",
            content=file.file.read(),
            plan_in=PlanCreate(objective=objective, time_limit=min(time_limit, 120), org_id=org_id),
        )
    except DomainError as exc:
        session.rollback()
        return _list(request, session, actor, exc, exc.status_code)
    return RedirectResponse(f"/schedule/plans/{plan.id}", status_code=303)


@router.get("/schedule/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    try:
        plan = service.get(session, actor=actor, plan_id=plan_id)
    except DomainError as exc:
        return _list(request, session, actor, exc, exc.status_code)
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.gantt import utilisation

    problem = service.problem_of(plan)
    ops = schedule_from_json(plan.schedule)
    return render(
        request, "schedule/plan.html", {"plan": plan, "util": utilisation(problem, ops) if ops else []}, actor=actor
    )


@router.get("/schedule/plans/{plan_id}/gantt", response_class=HTMLResponse)
def gantt_page(plan_id: int, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    return HTMLResponse(service.gantt_html(session, actor=actor, plan_id=plan_id))


@router.get("/schedule/template.xlsx")
def template_download(actor: OptionalUser, example: bool = False) -> Response:
    import tempfile
    from pathlib import Path

    from yuzhi.schedule.workbook import write_template

    if actor is None:
        return _login()
    with tempfile.TemporaryDirectory() as tmp:
        data = write_template(Path(tmp) / "plan.xlsx", example=example).read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plan.xlsx"'},
    )
