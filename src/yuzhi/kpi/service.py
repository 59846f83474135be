"""Key-enterprise reporting, office estimates and the robot registry.

Reports are filed by the enterprise (form, Excel or API), checked for plausibility against the
previous quarter (flags, not refusals), and confirmed or returned by the office. Only confirmed
reports count in the industry scale; the office's estimates for firms that do not report are kept
in their own table and always shown separately. Every write is audited; services never commit.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation, OrgStatus
from yuzhi.audit.service import record
from yuzhi.db import for_update as _for_update
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.kpi import excel
from yuzhi.kpi.core import QuarterFigures, check_plausibility, previous_quarter, quarter_start
from yuzhi.kpi.models import Estimate, KeyEnterprise, QuarterlyReport, ReportStatus, RobotDeployment
from yuzhi.kpi.schemas import EstimateIn, KeyEnterpriseCreate, ReportIn, RobotIn


def _now() -> datetime:
    return datetime.now(UTC)



# --- key enterprises ------------------------------------------------------------------------------


def designate(session: Session, *, actor: Actor, ke_in: KeyEnterpriseCreate) -> KeyEnterprise:
    """The office designates an organisation a key AI enterprise (or updates its industry)."""
    if not actor.is_office:
        raise Forbidden("only the programme office designates key enterprises")
    org = accounts.get_org(session, actor=actor, org_id=ke_in.org_id)
    if org.status != OrgStatus.APPROVED:
        raise InvalidInput(f"organisation {org.name} is {org.status}, not approved", field="org_id",
                           fix="approve the organisation's registration first",
                           key="org_not_approved", params={"name": org.name, "status": org.status})
    ke = session.scalar(select(KeyEnterprise).where(KeyEnterprise.org_id == org.id))
    before = None if ke is None else {"industry": ke.industry, "since_year": ke.since_year, "active": ke.active}
    if ke is None:
        ke = KeyEnterprise(org_id=org.id, industry=ke_in.industry, since_year=ke_in.since_year, note=ke_in.note)
        session.add(ke)
    else:
        ke.industry, ke.since_year, ke.note, ke.active = ke_in.industry, ke_in.since_year, ke_in.note, True
    session.flush()
    record(session, actor=actor, action="kpi.designate", entity="key_enterprise", entity_id=ke.id, before=before,
           after={"industry": ke.industry, "since_year": ke.since_year, "active": True}, org_id=org.id)
    return ke


def list_key_enterprises(session: Session, *, actor: Actor) -> list[tuple[KeyEnterprise, Organisation]]:
    q = select(KeyEnterprise, Organisation).join(Organisation, Organisation.id == KeyEnterprise.org_id)
    if not actor.is_office:
        q = q.where(KeyEnterprise.org_id == actor.org_id)
    return [tuple(r) for r in session.execute(q.order_by(Organisation.name))]  # type: ignore[misc]


def key_enterprise_of(session: Session, org_id: int) -> KeyEnterprise | None:
    return session.scalar(select(KeyEnterprise).where(KeyEnterprise.org_id == org_id, KeyEnterprise.active))


# --- quarterly reports ------------------------------------------------------------------------------


def _figures(r: QuarterlyReport | ReportIn | excel.ReportRow) -> QuarterFigures:
    return QuarterFigures(r.ai_revenue_fen, r.rd_spend_fen, r.employees, r.ai_products)


def _snap(r: QuarterlyReport) -> dict[str, object]:
    return {"year": r.year, "quarter": r.quarter, "ai_revenue_fen": r.ai_revenue_fen,
            "rd_spend_fen": r.rd_spend_fen, "employees": r.employees, "ai_products": r.ai_products,
            "status": r.status, "flags": json.loads(r.flags_json), "note": r.office_note}


def flags_of(r: QuarterlyReport) -> list[tuple[str, str]]:
    return [tuple(x) for x in json.loads(r.flags_json)]


def _target_org(session: Session, *, actor: Actor, org_id: int | None) -> Organisation:
    if actor.is_office:
        if org_id is None:
            raise InvalidInput("the office files on behalf of an enterprise", field="org_id",
                               fix="give the enterprise's org_id")
        return accounts.get_org(session, actor=actor, org_id=org_id)
    if actor.org_id is None or actor.is_provider:
        raise Forbidden("only members of a key enterprise (or the office) file quarterly reports")
    if org_id not in (None, actor.org_id):
        raise NotFound(f"organisation {org_id} not found", field="org_id",
                       key="organisation_not_found", params={"org_id": org_id})
    return accounts.get_org(session, actor=actor, org_id=actor.org_id)


def _check_reportable(session: Session, org: Organisation, year: int, quarter: int, *, where: str,
                      today: date | None = None) -> None:
    if key_enterprise_of(session, org.id) is None:
        raise InvalidInput(f"{org.name} is not a designated key AI enterprise", field=where,
                           fix="ask the programme office to designate the enterprise before it reports",
                           key="kpi_not_key_enterprise", params={"name": org.name})
    if quarter_start(year, quarter) > (today or _now().date()):
        raise InvalidInput(f"{year} Q{quarter} has not started yet", field=where,
                           fix="report a quarter that has begun (usually the one just ended)",
                           key="kpi_quarter_not_started", params={"year": year, "quarter": quarter})


def _previous(session: Session, org_id: int, year: int, quarter: int) -> QuarterlyReport | None:
    py, pq = previous_quarter(year, quarter)
    return session.scalar(select(QuarterlyReport).where(
        QuarterlyReport.org_id == org_id, QuarterlyReport.year == py, QuarterlyReport.quarter == pq,
        QuarterlyReport.status != ReportStatus.RETURNED))


def _existing(session: Session, org_id: int, year: int, quarter: int, lock: bool = False) -> QuarterlyReport | None:
    q = select(QuarterlyReport).where(QuarterlyReport.org_id == org_id, QuarterlyReport.year == year,
                                      QuarterlyReport.quarter == quarter)
    return session.scalar(_for_update(session, q) if lock else q)


def _write(session: Session, *, actor: Actor, org: Organisation, figs: ReportIn | excel.ReportRow,
           source: str) -> QuarterlyReport:
    prev = _previous(session, org.id, figs.year, figs.quarter)
    flags = check_plausibility(_figures(prev) if prev else None, _figures(figs))
    r = _existing(session, org.id, figs.year, figs.quarter, lock=True)
    before = _snap(r) if r else None
    if r is None:
        r = QuarterlyReport(org_id=org.id, year=figs.year, quarter=figs.quarter)
        session.add(r)
    r.ai_revenue_fen, r.rd_spend_fen = figs.ai_revenue_fen, figs.rd_spend_fen
    r.employees, r.ai_products = figs.employees, figs.ai_products
    r.status, r.flags_json, r.source = ReportStatus.SUBMITTED, json.dumps(flags, ensure_ascii=False), source
    r.submitted_by, r.confirmed_by, r.confirmed_at = actor.user_id, None, None
    session.flush()
    record(session, actor=actor, action="kpi.report_submit" if before is None else "kpi.report_resubmit",
           entity="kpi_report", entity_id=r.id, before=before, after=_snap(r), org_id=org.id)
    return r


def _duplicate(r: QuarterlyReport, where: str | None) -> Conflict:
    prefix = f"{where}: " if where else ""
    return Conflict(f"{prefix}{r.year} Q{r.quarter} is already filed (report {r.id}, {r.status})",
                    field=where or "quarter",
                    fix="a quarter is filed once; ask the office to return it if it needs correcting")


def submit_report(session: Session, *, actor: Actor, report_in: ReportIn, today: date | None = None
                  ) -> QuarterlyReport:
    """File one quarter (form or API). A quarter returned by the office may be filed again."""
    org = _target_org(session, actor=actor, org_id=report_in.org_id)
    _check_reportable(session, org, report_in.year, report_in.quarter, where="quarter", today=today)
    existing = _existing(session, org.id, report_in.year, report_in.quarter)
    if existing is not None and existing.status != ReportStatus.RETURNED:
        raise _duplicate(existing, None)
    return _write(session, actor=actor, org=org, figs=report_in, source="form")


def upload_reports(session: Session, *, actor: Actor, data: bytes, today: date | None = None
                   ) -> list[QuarterlyReport]:
    """File quarters from the Excel template. Every row is checked before anything is written."""
    rows = excel.parse(data)
    plan: list[tuple[Organisation, excel.ReportRow]] = []
    for row in rows:
        where = f"{excel.SHEET}!A{row.row}"
        org = accounts.get_org_by_uscc(session, row.uscc)
        if org is None or (not actor.is_office and org.id != actor.org_id):
            raise (NotFound if org is None else Forbidden)(
                f"{where}: USCC {row.uscc} is not " + ("registered" if org is None else "your organisation"),
                field=where, fix="report only your own organisation's figures, with its 18-character USCC")
        _target_org(session, actor=actor, org_id=org.id)
        _check_reportable(session, org, row.year, row.quarter, where=f"{excel.SHEET}!B{row.row}", today=today)
        existing = _existing(session, org.id, row.year, row.quarter)
        if existing is not None and existing.status != ReportStatus.RETURNED:
            raise _duplicate(existing, f"{excel.SHEET}!C{row.row}")
        plan.append((org, row))
    plan.sort(key=lambda p: (p[0].id, p[1].year, p[1].quarter))  # earlier quarters first, for the flags
    return [_write(session, actor=actor, org=org, figs=row, source="excel") for org, row in plan]


def get_report(session: Session, *, actor: Actor, report_id: int, lock: bool = False) -> QuarterlyReport:
    q = select(QuarterlyReport).where(QuarterlyReport.id == report_id)
    r = session.scalar(_for_update(session, q) if lock else q)
    if r is None or (not actor.is_office and actor.org_id != r.org_id):
        raise NotFound(f"report {report_id} not found", field="report_id",
                       key="report_not_found", params={"id": report_id})
    return r


def list_reports(session: Session, *, actor: Actor, year: int | None = None, quarter: int | None = None,
                 status: str | None = None, limit: int = 200, offset: int = 0
                 ) -> tuple[list[QuarterlyReport], int]:
    """An enterprise sees its own reports; the office sees all."""
    q = select(QuarterlyReport)
    if not actor.is_office:
        q = q.where(QuarterlyReport.org_id == actor.org_id)
    if year is not None:
        q = q.where(QuarterlyReport.year == year)
    if quarter is not None:
        q = q.where(QuarterlyReport.quarter == quarter)
    if status:
        q = q.where(QuarterlyReport.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(QuarterlyReport.year.desc(), QuarterlyReport.quarter.desc(),
                                      QuarterlyReport.id).limit(limit).offset(offset))
    return list(rows), total


def decide_report(session: Session, *, actor: Actor, report_id: int, confirm: bool, note: str = ""
                  ) -> QuarterlyReport:
    """The office confirms a report (it then counts) or returns it for correction with a reason."""
    if not actor.is_office:
        raise Forbidden("only the programme office confirms reports")
    r = get_report(session, actor=actor, report_id=report_id, lock=True)
    if r.status != ReportStatus.SUBMITTED:
        raise Conflict(f"report {r.id} is {r.status}; only submitted reports are confirmed or returned",
                       field="status",
                       key="report_not_reviewable", params={"id": r.id, "status": r.status})
    if not confirm and not note.strip():
        raise InvalidInput("returning a report needs a reason", field="note", fix="say what to correct")
    before = _snap(r)
    r.status = ReportStatus.CONFIRMED if confirm else ReportStatus.RETURNED
    r.office_note = note.strip()
    if confirm:
        r.confirmed_by, r.confirmed_at = actor.user_id, _now()
    session.flush()
    record(session, actor=actor, action="kpi.report_confirm" if confirm else "kpi.report_return",
           entity="kpi_report", entity_id=r.id, before=before, after=_snap(r), org_id=r.org_id)
    return r


# --- estimates ------------------------------------------------------------------------------------------


def set_estimate(session: Session, *, actor: Actor, est_in: EstimateIn) -> Estimate:
    """Record (or replace) the office's estimate for non-reporting firms of one group and quarter."""
    if not actor.is_office:
        raise Forbidden("only the programme office records estimates")
    q = select(Estimate).where(Estimate.year == est_in.year, Estimate.quarter == est_in.quarter,
                               Estimate.industry == est_in.industry, Estimate.city == est_in.city.strip())
    e = session.scalar(_for_update(session, q))
    before = None if e is None else EstimateIn.model_validate(e, from_attributes=True).model_dump()
    if e is None:
        e = Estimate(year=est_in.year, quarter=est_in.quarter, industry=est_in.industry, city=est_in.city.strip(),
                     ai_revenue_fen=0, basis="")
        session.add(e)
    e.ai_revenue_fen, e.firms, e.basis = est_in.ai_revenue_fen, est_in.firms, est_in.basis.strip()
    session.flush()
    record(session, actor=actor, action="kpi.estimate", entity="kpi_estimate", entity_id=e.id, before=before,
           after=est_in.model_dump())
    return e


def list_estimates(session: Session, *, year: int | None = None) -> list[Estimate]:
    q = select(Estimate)
    if year is not None:
        q = q.where(Estimate.year == year)
    return list(session.scalars(q.order_by(Estimate.year, Estimate.quarter, Estimate.industry, Estimate.city)))


# --- robots ---------------------------------------------------------------------------------------------


def _robot_snap(r: RobotDeployment) -> dict[str, object]:
    return {"maker": r.maker, "model": r.model, "sector": r.sector, "quantity": r.quantity,
            "deployed_on": r.deployed_on, "status": r.status, "made_in_henan": r.made_in_henan, "org_id": r.org_id}


def register_robots(session: Session, *, actor: Actor, robot_in: RobotIn) -> RobotDeployment:
    """Register a deployment of embodied-AI robots at the caller's organisation (office: any)."""
    org = _target_org(session, actor=actor, org_id=robot_in.org_id)
    if robot_in.status == "deployed" and robot_in.deployed_on > _now().date():
        raise InvalidInput(f"deployed_on {robot_in.deployed_on} is in the future", field="deployed_on",
                           fix="register it as planned, or give the actual deployment date",
                           key="robot_future", params={"date": robot_in.deployed_on})
    r = RobotDeployment(org_id=org.id, **robot_in.model_dump(exclude={"org_id"}))
    session.add(r)
    session.flush()
    record(session, actor=actor, action="kpi.robot_register", entity="robot_deployment", entity_id=r.id,
           after=_robot_snap(r), org_id=org.id)
    return r


def get_robots(session: Session, *, actor: Actor, robot_id: int) -> RobotDeployment:
    r = session.get(RobotDeployment, robot_id)
    if r is None or (not actor.is_office and actor.org_id != r.org_id):
        raise NotFound(f"robot deployment {robot_id} not found", field="robot_id",
                       key="robot_not_found", params={"id": robot_id})
    return r


def set_robot_status(session: Session, *, actor: Actor, robot_id: int, status: str, note: str = ""
                     ) -> RobotDeployment:
    r = get_robots(session, actor=actor, robot_id=robot_id)
    before = _robot_snap(r)
    r.status = status
    if note:
        r.note = note
    session.flush()
    record(session, actor=actor, action="kpi.robot_status", entity="robot_deployment", entity_id=r.id,
           before=before, after=_robot_snap(r), org_id=r.org_id)
    return r


def list_robots(session: Session, *, actor: Actor, year: int | None = None) -> list[RobotDeployment]:
    q = select(RobotDeployment)
    if not actor.is_office:
        q = q.where(RobotDeployment.org_id == actor.org_id)
    if year is not None:
        q = q.where(RobotDeployment.deployed_on >= date(year, 1, 1), RobotDeployment.deployed_on <= date(year, 12, 31))
    return list(session.scalars(q.order_by(RobotDeployment.deployed_on.desc(), RobotDeployment.id)))
