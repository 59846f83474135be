"""Target pages: the office dashboard, enterprise reporting, robots and the public progress page.

Pages call the same services as ``/api/kpi``; forms follow the voucher pages' conventions
(post/redirect/get, a domain error rolls back and is shown on the page with its field and fix).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.kpi import charts, core, reports, service
from yuzhi.kpi.schemas import EstimateIn, ReportIn, RobotIn
from yuzhi.web import i18n
from yuzhi.web.charts import bar_chart, hbar_chart
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated, html_errors, need, on_error, page, validated, yuan_to_fen

router = APIRouter(include_in_schema=False)

NAV = [("Targets", "/kpi", "any"), ("Robots", "/kpi/robots", "any"), ("Progress", "/kpi/public", "public")]

i18n.register("zh", {
    "Not a designated key AI enterprise: the programme office designates the enterprises that report.":
        "非重点企业，无需报送：报送企业由项目办公室指定。",
    "Targets": "目标进度", "Robots": "具身机器人", "Progress": "进展公开", "Industry scale": "产业规模",
    "2027 target": "2027 年目标", "Required growth": "所需年均增速", "Planned path": "规划路径",
    "Confirmed": "已确认", "Estimate": "估算", "Key enterprises": "重点企业", "Reporting firms": "报送企业",
    "Quarterly reports": "季度报表", "File a quarter": "填报季度数据", "Upload Excel": "上传 Excel",
    "AI revenue": "人工智能营收", "R&D spend": "研发投入", "Employees": "从业人员", "AI products": "人工智能产品",
    "Quarter": "季度", "Confirm": "确认", "Return": "退回", "Flags": "提示", "Voucher uptake": "算力券使用",
    "Awards paid": "奖补已支付", "Models in use": "在用行业模型", "Robots deployed": "机器人部署",
    "Maker": "生产企业", "Model": "型号", "Sector": "领域", "Quantity": "数量", "Date": "日期",
    "Made in Henan": "河南造", "Register deployment": "登记部署", "Estimates": "估算（未报送企业）",
    "Basis": "依据", "Firms": "企业数", "confirmed": "已确认", "returned": "已退回", "deployed": "已部署",
    "planned": "计划", "retired": "已退役", "on track": "进度正常", "behind": "落后于规划",
    "Download template": "下载模板", "Latest full year": "最近完整年度", "Year to date": "年内累计",
    "Public summary": "公开进展", "suppressed": "因企业数少于 3 家或单一企业占比过高而合并",
})


def _year(year: int | None) -> int:
    return year or datetime.now(UTC).year


def _yi(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / core.YI:,.2f} 亿元"


# --- dashboard (office) -------------------------------------------------------------------------


@router.get("/kpi", response_class=HTMLResponse)
def kpi_home(request: Request, actor: OptionalUser) -> Response:
    if actor is None:
        return RedirectResponse("/kpi/public", status_code=303)
    return RedirectResponse("/kpi/dashboard" if actor.is_office else "/kpi/reports", status_code=303)


@router.get("/kpi/dashboard", response_class=HTMLResponse)
@html_errors
def dashboard(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Progress to 160 bn by 2027: path chart, scale cards, by quarter / city / industry, instruments."""
    actor = need(actor, office=True)
    y = _year(year)
    d = reports.dashboard(session, actor=actor, year=y)
    actual_pts = [(s.year, s.total_fen, s.complete) for s in d.scales if s.total_fen]
    if d.targets.base_year not in {p[0] for p in actual_pts}:
        actual_pts.insert(0, (d.targets.base_year, d.targets.base_fen, True))
    ctx = {
        "d": d, "year": y, "yi": _yi, "years": list(range(d.targets.base_year + 1, d.targets.target_year + 1)),
        "path_chart": charts.path_chart(d.progress.planned_path, d.progress.recomputed_path, actual_pts),
        "quarter_chart": bar_chart([f"Q{q}" for q, _, _ in d.by_quarter],
                                   [(c + e) / core.YI for _, c, e in d.by_quarter], fmt=lambda v: f"{v:,.1f}亿"),
        # estimates are mostly not allocated to a city, so the city chart shows confirmed reports only
        "city_chart": hbar_chart([c for c, _, v, _ in d.by_city if v], [v / core.YI for _, _, v, _ in d.by_city if v],
                                 fmt=lambda v: f"{v:,.2f}亿"),
        "industry_chart": hbar_chart([i for i, *_ in d.by_industry],
                                     [(v + e) / core.YI for _, _, v, e in d.by_industry],
                                     color="#067647", fmt=lambda v: f"{v:,.2f}亿"),
        "robot_bar": charts.progress_bar(d.robots_deployed, d.robots_target),
        "sectors": core.ROBOT_SECTORS, "industries": [*core.INDUSTRIES, core.OTHER_INDUSTRY],
        "estimates": service.list_estimates(session, year=y),
    }
    return page(request, "kpi/dashboard.html", ctx, actor)


@router.post("/kpi/estimates")
@html_errors
def set_estimate(request: Request, session: SessionDep, actor: OptionalUser, year: Annotated[int, Form()],
                 quarter: Annotated[int, Form()], industry: Annotated[str, Form()],
                 amount_yuan: Annotated[str, Form()], basis: Annotated[str, Form()],
                 city: Annotated[str, Form()] = "", firms: Annotated[int, Form()] = 0) -> Response:
    actor = need(actor, office=True)
    est = validated(EstimateIn, {"year": year, "quarter": quarter, "industry": industry, "city": city, "firms": firms,
                                 "basis": basis, "ai_revenue_fen": yuan_to_fen(amount_yuan, field="amount_yuan")})
    service.set_estimate(session, actor=actor, est_in=est)
    return done_translated(request, f"/kpi/dashboard?year={year}", "estimate recorded: {year} Q{quarter} {industry}",
                          year=year, quarter=quarter, industry=industry)


# --- reports --------------------------------------------------------------------------------------


def _reports_ctx(session: Session, actor: Actor, year: int | None, status: str | None) -> dict[str, Any]:
    rows, total = service.list_reports(session, actor=actor, year=year, status=status or None, limit=500)
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    ke = service.key_enterprise_of(session, actor.org_id) if actor.org_id else None
    return {"rows": rows, "total": total, "names": names, "status": status or "", "year": year, "flags_of":
            service.flags_of, "can_file": ke is not None and not actor.is_office, "key_enterprise": ke,
            "this_year": datetime.now(UTC).year}


@router.get("/kpi/reports", response_class=HTMLResponse)
@html_errors
def reports_page(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None,
                 status: str | None = None) -> Response:
    """Enterprise: its own quarters with the filing form and Excel upload. Office: the review queue."""
    actor = need(actor)
    if actor.is_office and status is None:
        status = "submitted"
    return page(request, "kpi/reports.html", _reports_ctx(session, actor, year, status), actor)


@router.post("/kpi/reports")
@html_errors
def file_report(request: Request, session: SessionDep, actor: OptionalUser, year: Annotated[int, Form()],
                quarter: Annotated[int, Form()], ai_revenue_yuan: Annotated[str, Form()],
                rd_spend_yuan: Annotated[str, Form()], employees: Annotated[int, Form()],
                ai_products: Annotated[int, Form()]) -> Response:
    actor = need(actor)
    on_error(request, "kpi/reports.html", lambda: _reports_ctx(session, actor, None, None))
    r = service.submit_report(session, actor=actor, report_in=validated(ReportIn, {
        "year": year, "quarter": quarter, "employees": employees, "ai_products": ai_products,
        "ai_revenue_fen": yuan_to_fen(ai_revenue_yuan, field="ai_revenue_yuan", allow_zero=True),
        "rd_spend_fen": yuan_to_fen(rd_spend_yuan, field="rd_spend_yuan", allow_zero=True)}))
    flags = service.flags_of(r)
    if flags:
        return done_translated(request, "/kpi/reports",
                               "{year} Q{quarter} filed with {n} flag(s) for the office to check",
                               year=year, quarter=quarter, n=len(flags))
    return done_translated(request, "/kpi/reports", "{year} Q{quarter} filed", year=year, quarter=quarter)


@router.post("/kpi/reports/upload")
@html_errors
async def upload(request: Request, session: SessionDep, actor: OptionalUser,
                 file: Annotated[UploadFile, File()]) -> Response:
    actor = need(actor)
    on_error(request, "kpi/reports.html", lambda: _reports_ctx(session, actor, None, None))
    rows = service.upload_reports(session, actor=actor, data=await file.read())
    return done_translated(request, "/kpi/reports", "{n} quarter(s) filed from {file}", n=len(rows), file=file.filename)


@router.post("/kpi/reports/{report_id}/decision")
@html_errors
def decide(request: Request, session: SessionDep, actor: OptionalUser, report_id: int,
           confirm: Annotated[bool, Form()], note: Annotated[str, Form()] = "") -> Response:
    actor = need(actor, office=True)
    r = service.decide_report(session, actor=actor, report_id=report_id, confirm=confirm, note=note)
    return done_translated(request, "/kpi/reports", "report {id} ({year} Q{quarter}): {status}", id=r.id, year=r.year,
                          quarter=r.quarter, status=r.status)


# --- robots ---------------------------------------------------------------------------------------


def _robots_ctx(session: Session, actor: Actor, year: int) -> dict[str, Any]:
    rows = service.list_robots(session, actor=actor)
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    deployed = sum(r.quantity for r in rows if r.status == "deployed" and r.made_in_henan
                   and r.deployed_on.year == year)
    target = core.PlanTargets().robots_target(year)
    return {"rows": rows, "names": names, "year": year, "deployed": deployed, "target": target,
            "bar": charts.progress_bar(deployed, target), "sectors": core.ROBOT_SECTORS,
            "can_register": actor.org_id is not None and not actor.is_provider, "today": date.today()}


@router.get("/kpi/robots", response_class=HTMLResponse)
@html_errors
def robots(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Embodied-AI robot deployments (an organisation sees its own) and progress to the year's target."""
    actor = need(actor)
    return page(request, "kpi/robots.html", _robots_ctx(session, actor, _year(year)), actor)


@router.post("/kpi/robots")
@html_errors
def register_robots(request: Request, session: SessionDep, actor: OptionalUser, maker: Annotated[str, Form()],
                    model: Annotated[str, Form()], sector: Annotated[str, Form()],
                    quantity: Annotated[int, Form()], deployed_on: Annotated[date, Form()],
                    status: Annotated[str, Form()] = "deployed", made_in_henan: Annotated[bool, Form()] = False,
                    site: Annotated[str, Form()] = "") -> Response:
    actor = need(actor)
    on_error(request, "kpi/robots.html", lambda: _robots_ctx(session, actor, _year(None)))
    fields = {"maker": maker, "model": model, "sector": sector, "quantity": quantity, "deployed_on": deployed_on,
              "status": status, "made_in_henan": made_in_henan, "site": site}
    r = service.register_robots(session, actor=actor, robot_in=validated(RobotIn, fields))
    return done_translated(request, "/kpi/robots", "{n} × {model} registered", n=r.quantity, model=r.model)


# --- public ---------------------------------------------------------------------------------------


@router.get("/kpi/public", response_class=HTMLResponse)
@html_errors
def public(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """Public progress page: aggregates only, no figure of a single enterprise."""
    y = _year(year)
    s = reports.public_summary(session, year=y)
    chart = charts.path_chart(s.planned_path, [], [(s.latest_year, s.latest_fen, True)])
    return page(request, "kpi/public.html", {
        "s": s, "year": y, "yi": _yi, "chart": chart, "sectors": core.ROBOT_SECTORS,
        "robot_bar": charts.progress_bar(s.robots_deployed, s.robots_target)}, actor)
