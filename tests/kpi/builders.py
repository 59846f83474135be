"""Builders for the reporting world through the real services (no fakes)."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from tests.factories import World, make_world
from yuzhi.kpi import service
from yuzhi.kpi.schemas import KeyEnterpriseCreate, ReportIn

YUAN = 100
WAN = 10_000 * YUAN
INDUSTRIES = ["新材料", "新能源汽车", "电子信息", "先进装备", "现代医药"]


def kpi_world(session: Session, *, units: int = 4) -> World:
    w = make_world(session, units=units)
    for i, org_id in enumerate(w.unit_orgs):
        service.designate(session, actor=w.reviewer, ke_in=KeyEnterpriseCreate(
            org_id=org_id, industry=INDUSTRIES[i % len(INDUSTRIES)]))
    return w


def file(session: Session, w: World, unit: int, year: int, quarter: int, revenue_wan: int, *, confirm: bool = False,
         rd_wan: int = 100, employees: int = 200, products: int = 3):  # type: ignore[no-untyped-def]
    r = service.submit_report(session, actor=w.units[unit], report_in=ReportIn(
        year=year, quarter=quarter, ai_revenue_fen=revenue_wan * WAN, rd_spend_fen=rd_wan * WAN,
        employees=employees, ai_products=products))
    if confirm:
        service.decide_report(session, actor=w.reviewer, report_id=r.id, confirm=True)
    return r


def workbook(rows: list[list[object]], *, sheet: str = "季度报表", header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header or ["统一社会信用代码", "年度", "季度", "人工智能营业收入(元)", "研发投入(元)", "从业人员(人)",
                         "人工智能产品数(个)"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
