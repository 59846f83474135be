"""Scheduling web pages: upload a workbook, see the plan and its Gantt chart.

Server-rendered HTML; the Gantt is the same self-contained inline SVG as the CLI's (no script, no
CDN). The form posts and redirects (post/redirect/get); a domain error is shown on the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from yuzhi.errors import DomainError
from yuzhi.schedule import jobs, service
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
        "unavailable": "停机",
        "changeover": "换型",
        "late order": "延期订单",
        "idle": "空闲",
        "Utilisation": "设备利用率",
        "Late orders": "延期订单",
        "now": "现在",
        "late": "延期",
        "status": "状态",
        "machine": "设备",
        "busy": "加工",
        "utilisation": "利用率",
        "order": "订单",
        "due": "交期",
        "tardiness": "延期时长",
        "none — every order meets its due date": "无 — 所有订单按期完成",
        "Axis: time from the plan start (the plan has no calendar date)": "横轴：自计划开始的时间（计划未设开始日期）",
        "Axis: Beijing time; the plan starts": "横轴：北京时间；计划开始于",
        "Re-plan": "重新排产",
        "Re-plan from": "重排起点",
        "Machine down": "设备停机",
        "from": "从",
        "to": "到",
        "Rush order": "插单",
        "Order name": "订单名",
        "Machine": "设备",
        "Duration": "工时",
        "Due": "交期",
        "Time: a date-time (Beijing time) or time units from the plan start.": (
            "时间：日期时间（北京时间）或自计划开始的时间单位数。"
        ),
        "Time: time units from the plan start.": "时间：自计划开始的时间单位数。",
        "Re-planned from plan": "由计划重排",
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


def _list(request: Request, session, actor, error: DomainError | None = None, status_code: int = 200):
    rows, count = service.get_all(session, actor=actor, limit=200)
    return render(
        request,
        "schedule/plans.html",
        {"rows": rows, "count": count, "objectives": OBJECTIVES, "error": error,
         "active": jobs.active(session, actor=actor)},
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
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
    objective: Annotated[str, Form()] = "makespan",
    time_limit: Annotated[float, Form()] = 10.0,
    org_id: Annotated[int | None, Form()] = None,
) -> Response:
    if actor is None:
        return _login()
    try:
        problem, plan_in = service.read_upload(
            file.filename or "plan.xlsx", file.file.read(),
            PlanCreate(objective=objective, time_limit=min(time_limit, 120), org_id=org_id))
        job = jobs.submit(session, actor=actor, problem=problem, plan_in=plan_in)
    except DomainError as exc:
        session.rollback()
        return _list(request, session, actor, exc, exc.status_code)
    # solved after the response (the session has committed by then); the user watches the job's page
    background.add_task(jobs.run, request.app.state.engine, job.id)
    return RedirectResponse(f"/schedule/jobs/{job.id}", status_code=303)


@router.get("/schedule/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """A background solve: progress while it runs (the page refreshes itself), the plan when done."""
    from yuzhi.fmt import zone_label

    if actor is None:
        return _login()
    try:
        job = jobs.get(session, actor=actor, job_id=job_id)
    except DomainError as exc:
        return _list(request, session, actor, exc, exc.status_code)
    if job.status == "done" and job.plan_id:
        return RedirectResponse(f"/schedule/plans/{job.plan_id}", status_code=303)
    from yuzhi.web.templating import lang_of

    lang = lang_of(request)
    return render(request, "schedule/job.html", {"job": job, "pct": jobs.progress(job), "zone": zone_label(lang)},
                  actor=actor)


@router.get("/schedule/jobs/{job_id}/status")
def job_status(job_id: int, session: SessionDep, actor: OptionalUser) -> Response:
    """The job's state for polling scripts: status, progress 0–100, the plan when done."""
    if actor is None:
        return JSONResponse({"detail": "log in first"}, status_code=401)
    job = jobs.get(session, actor=actor, job_id=job_id)
    return JSONResponse({"id": job.id, "status": job.status, "progress": jobs.progress(job), "plan_id": job.plan_id,
                         "plan_url": f"/schedule/plans/{job.plan_id}" if job.plan_id else None,
                         "error": job.error or None})


@router.get("/schedule/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    try:
        plan = service.get(session, actor=actor, plan_id=plan_id)
    except DomainError as exc:
        return _list(request, session, actor, exc, exc.status_code)

    return _plan(request, session, actor, plan)


def _plan(request: Request, session, actor, plan, error: DomainError | None = None, status_code: int = 200):
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.gantt import clock, now_units, utilisation

    problem = service.problem_of(plan)
    ops = schedule_from_json(plan.schedule)
    now = now_units(problem)
    ctx = {
        "plan": plan,
        "util": utilisation(problem, ops) if ops else [],
        "machines": [m.name or f"M{i}" for i, m in enumerate(problem.machines)],
        "calendar": clock(problem) is not None,
        "at_default": now if now is not None and now >= 0 else 0,
        "error": error,
    }
    return render(request, "schedule/plan.html", ctx, actor=actor, status_code=status_code)


def _when(problem, text: str, field: str) -> int:
    """A form time: whole time units from the plan start, or a Beijing date-time when the plan has a calendar."""
    import datetime as dt

    from yuzhi.errors import InvalidInput
    from yuzhi.schedule.gantt import clock

    text = (text or "").strip()
    if text.lstrip("-").isdigit():
        return int(text)
    c = clock(problem)
    if c is not None:
        try:
            t = dt.datetime.fromisoformat(text.replace("T", " "))
        except ValueError:
            pass
        else:
            if t.tzinfo is None:
                t = t.replace(tzinfo=c[0].tzinfo)
            return int((t - c[0]).total_seconds() // c[1])
    fix = "write e.g. 2026-12-07 10:40 or 640" if c else "write whole time units from the plan start, e.g. 640"
    raise InvalidInput(f"{text!r} is not a time", field=field, fix=fix,
                       key="not_a_time", params={"text": text})


@router.post("/schedule/plans/{plan_id}/replan", response_class=HTMLResponse)
def replan_form(
    plan_id: int,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    actor: OptionalUser,
    at: Annotated[str, Form()] = "",
    down_machine: Annotated[str, Form()] = "",
    down_from: Annotated[str, Form()] = "",
    down_to: Annotated[str, Form()] = "",
    rush_name: Annotated[str, Form(max_length=100)] = "",
    rush_machine: Annotated[str, Form()] = "",
    rush_duration: Annotated[str, Form()] = "",
    rush_due: Annotated[str, Form()] = "",
    time_limit: Annotated[float, Form(gt=0, le=120)] = 10.0,
) -> Response:
    from yuzhi.errors import InvalidInput

    if actor is None:
        return _login()
    try:
        plan = service.get(session, actor=actor, plan_id=plan_id)
    except DomainError as exc:
        return _list(request, session, actor, exc, exc.status_code)
    problem = service.problem_of(plan)
    try:
        t = _when(problem, at, "at")
        down = None
        if down_from or down_to:
            if not down_machine.isdigit() or int(down_machine) >= problem.n_machines:
                raise InvalidInput("choose the machine that is down", field="down_machine")
            down = (int(down_machine), _when(problem, down_from, "down_from"), _when(problem, down_to, "down_to"))
        rush = None
        if rush_duration:
            if not rush_machine.isdigit() or int(rush_machine) >= problem.n_machines:
                raise InvalidInput("choose the machine of the rush order", field="rush_machine")
            if not rush_duration.isdigit() or int(rush_duration) <= 0:
                raise InvalidInput(
                    "the rush order's duration is a positive whole number of time units", field="rush_duration"
                )
            rush = {
                "name": rush_name.strip() or "rush",
                "weight": 10,
                "operations": [{"modes": [[int(rush_machine), int(rush_duration)]]}],
            }
            if rush_due:
                rush["due"] = _when(problem, rush_due, "rush_due")
        job = jobs.submit_replan(session, actor=actor, plan_id=plan.id, at=t, down=down, rush=rush,
                                 time_limit=time_limit)
    except DomainError as exc:
        session.rollback()
        plan = service.get(session, actor=actor, plan_id=plan_id)
        return _plan(request, session, actor, plan, exc, exc.status_code)
    background.add_task(jobs.run, request.app.state.engine, job.id)  # solved after the response, like an upload
    return RedirectResponse(f"/schedule/jobs/{job.id}", status_code=303)


@router.get("/schedule/plans/{plan_id}/gantt", response_class=HTMLResponse)
def gantt_page(plan_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    from yuzhi.web.templating import lang_of

    if actor is None:
        return _login()
    lang = lang_of(request)
    return HTMLResponse(
        service.gantt_html(session, actor=actor, plan_id=plan_id, tr=lambda key: i18n.translate(key, lang), lang=lang)
    )


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


i18n.register("zh", {  # background solves (issue 15)
    "Solving": "求解中", "solve:queued": "排队中", "solve:running": "求解中", "solve:done": "已完成",
    "solve:failed": "未完成", "at most {s} s (the time limit)": "最多 {s} 秒（设定的时限）",
    "You can leave this page: the plan is solved on the server and appears under Production plans when it is "
    "done. This page refreshes itself.":
        "可以离开此页面：计划在服务器上求解，完成后出现在“生产计划”列表中。本页会自动刷新。",
    "Upload the plan again": "重新上传计划", "Queued": "提交于", "Started": "开始于", "Uploading…": "正在上传…",
})
i18n.register("en", {"solve:queued": "queued", "solve:running": "solving", "solve:done": "done",
                     "solve:failed": "not finished"})
i18n.register("ja", {"Solving": "求解中", "solve:queued": "待機中", "solve:running": "求解中", "solve:done": "完了",
                     "solve:failed": "未完了", "Uploading…": "アップロード中…"})
