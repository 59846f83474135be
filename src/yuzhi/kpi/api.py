"""Enterprise reporting, estimates, robots and the 2027-target dashboard REST API (thin)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query, Response, UploadFile

from yuzhi.kpi import excel, reports, service
from yuzhi.kpi.models import QuarterlyReport
from yuzhi.kpi.schemas import (
    Decision,
    EstimateIn,
    EstimateRead,
    KeyEnterpriseCreate,
    KeyEnterpriseRead,
    ReportIn,
    ReportRead,
    RobotIn,
    RobotRead,
    RobotStatusIn,
)
from yuzhi.pagination import Page
from yuzhi.types import IdPath, Limit, Offset, YearPath, YearQuery
from yuzhi.web import exports
from yuzhi.web.deps import CurrentUser, OfficeUser, SessionDep

router = APIRouter(prefix="/api/kpi", tags=["kpi"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_read(r: QuarterlyReport) -> ReportRead:
    return ReportRead.model_validate({**{k: getattr(r, k) for k in ReportRead.model_fields if k != "flags"},
                                      "flags": service.flags_of(r)})


@router.get("/key-enterprises")
def list_key_enterprises(session: SessionDep, actor: CurrentUser) -> list[dict[str, object]]:
    return [{"id": ke.id, "org_id": ke.org_id, "name": org.name, "city": org.city, "industry": ke.industry,
             "since_year": ke.since_year, "active": ke.active}
            for ke, org in service.list_key_enterprises(session, actor=actor)]


@router.post("/key-enterprises", response_model=KeyEnterpriseRead, status_code=201)
def designate(body: KeyEnterpriseCreate, session: SessionDep, actor: OfficeUser) -> KeyEnterpriseRead:
    return KeyEnterpriseRead.model_validate(service.designate(session, actor=actor, ke_in=body))


@router.post("/reports", response_model=ReportRead, status_code=201)
def submit_report(body: ReportIn, session: SessionDep, actor: CurrentUser) -> ReportRead:
    """File one quarter; the response lists plausibility flags against the previous quarter."""
    return report_read(service.submit_report(session, actor=actor, report_in=body))


@router.post("/reports/upload", response_model=list[ReportRead], status_code=201)
async def upload_reports(file: UploadFile, session: SessionDep, actor: CurrentUser) -> list[ReportRead]:
    """File quarters from the Excel template (sheet 季度报表). Any bad row refuses the whole file."""
    data = await file.read()
    return [report_read(r) for r in service.upload_reports(session, actor=actor, data=data)]


@router.get("/reports/template")
def template() -> Response:
    """The empty Excel template."""
    return Response(excel.template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="kpi-quarterly-template.xlsx"'})


@router.get("/reports", response_model=Page[ReportRead])
def list_reports(session: SessionDep, actor: CurrentUser, year: YearQuery = None,
                 quarter: int | None = Query(None, ge=1, le=4),
                 status: str | None = None, limit: Limit = 200, offset: Offset = 0) -> Page[ReportRead]:
    rows, total = service.list_reports(session, actor=actor, year=year, quarter=quarter, status=status,
                                       limit=limit, offset=offset)
    return Page[ReportRead](data=[report_read(r) for r in rows], count=total)


@router.get("/reports/{report_id}", response_model=ReportRead)
def get_report(report_id: IdPath, session: SessionDep, actor: CurrentUser) -> ReportRead:
    return report_read(service.get_report(session, actor=actor, report_id=report_id))


@router.post("/reports/{report_id}/confirm", response_model=ReportRead)
def confirm(report_id: IdPath, body: Decision, session: SessionDep, actor: OfficeUser) -> ReportRead:
    return report_read(service.decide_report(session, actor=actor, report_id=report_id, confirm=True,
                                             note=body.note))


@router.post("/reports/{report_id}/return", response_model=ReportRead)
def return_report(report_id: IdPath, body: Decision, session: SessionDep, actor: OfficeUser) -> ReportRead:
    return report_read(service.decide_report(session, actor=actor, report_id=report_id, confirm=False,
                                             note=body.note))


@router.get("/estimates", response_model=list[EstimateRead])
def list_estimates(session: SessionDep, actor: OfficeUser, year: YearQuery = None) -> list[EstimateRead]:
    return [EstimateRead.model_validate(e) for e in service.list_estimates(session, year=year)]


@router.put("/estimates", response_model=EstimateRead)
def set_estimate(body: EstimateIn, session: SessionDep, actor: OfficeUser) -> EstimateRead:
    """Record or replace the estimate for non-reporting firms of one quarter, industry and city."""
    return EstimateRead.model_validate(service.set_estimate(session, actor=actor, est_in=body))


@router.post("/robots", response_model=RobotRead, status_code=201)
def register_robots(body: RobotIn, session: SessionDep, actor: CurrentUser) -> RobotRead:
    return RobotRead.model_validate(service.register_robots(session, actor=actor, robot_in=body))


@router.get("/robots", response_model=list[RobotRead])
def list_robots(session: SessionDep, actor: CurrentUser, year: YearQuery = None) -> list[RobotRead]:
    return [RobotRead.model_validate(r) for r in service.list_robots(session, actor=actor, year=year)]


@router.post("/robots/{robot_id}/status", response_model=RobotRead)
def robot_status(robot_id: IdPath, body: RobotStatusIn, session: SessionDep, actor: CurrentUser) -> RobotRead:
    return RobotRead.model_validate(service.set_robot_status(session, actor=actor, robot_id=robot_id,
                                                             status=body.status, note=body.note))


@router.get("/dashboard/{year}")
def dashboard(year: YearPath, session: SessionDep, actor: OfficeUser) -> dict[str, object]:
    """Progress to the 2027 target, by city and industry, enterprises, vouchers, awards, robots (fen)."""
    d = reports.dashboard(session, actor=actor, year=year)
    out = asdict(d)
    out["current"]["total_fen"] = d.current.total_fen
    out["current"]["complete"] = d.current.complete
    return out


@router.get("/dashboard/{year}/export")
def export(year: YearPath, session: SessionDep, actor: OfficeUser,
           fmt: str = Query("xlsx", pattern="^(xlsx|csv)$")) -> Response:
    d = reports.dashboard(session, actor=actor, year=year)
    return exports.download(fmt, f"yuzhi-targets-{year}", [*EXPORT_HEADERS, *EXPORT_YUAN_HEADERS],
                            [(*r, *_yuan_columns(r)) for r in reports.export_rows(d)])


EXPORT_HEADERS = ["section", "item", "value", "value2", "value3"]
#: the same figures in yuan where they are money (empty where they are counts or rates), for people
EXPORT_YUAN_HEADERS = ["数值（元） value_yuan", "数值2（元） value2_yuan", "数值3（元） value3_yuan"]
#: which of value, value2, value3 hold fen, by section (others: an item named "… (fen)" or "…_fen")
_MONEY = {"planned path": (0,), "recomputed path": (0,), "scale": (0, 1, 2), "quarter": (0, 1, 2),
          "city": (1, 2), "industry": (1, 2)}


def _yuan_columns(row: tuple[str, str, object, object, object]) -> list[object]:
    """Exact yuan (Decimal, two places) for the money cells of one export row, "" elsewhere."""
    from decimal import Decimal

    section, item = row[0], str(row[1])
    money = _MONEY.get(section, (0,) if item.endswith(("(fen)", "_fen")) else ())
    return [Decimal(v).scaleb(-2) if i in money and isinstance(v, int) and not isinstance(v, bool) else ""
            for i, v in enumerate(row[2:5])]


@router.get("/public/{year}")
def public(year: YearPath, session: SessionDep) -> dict[str, object]:
    """Public summary: aggregates only; no figure of a single enterprise (≥ 3 firms, none dominant)."""
    return asdict(reports.public_summary(session, year=year))
