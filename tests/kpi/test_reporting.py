"""Quarterly reporting: form and Excel, plausibility flags, office confirmation, tenancy, bad uploads."""

import pytest
from sqlalchemy import func, select

from tests.factories import code
from tests.kpi.builders import WAN, file, kpi_world, workbook
from yuzhi.audit.models import AuditEvent
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.kpi import excel, service
from yuzhi.kpi.models import QuarterlyReport
from yuzhi.kpi.schemas import ReportIn


def count(session) -> int:
    return session.scalar(select(func.count(QuarterlyReport.id))) or 0


def test_form_report_flags_an_implausible_jump_and_the_office_decides(session):
    w = kpi_world(session, units=2)
    q1 = file(session, w, 0, 2026, 1, 1_000, confirm=True)
    q2 = file(session, w, 0, 2026, 2, 1_000_000)  # 100 亿 after 1,000 万: units typed wrong
    assert q1.status == "confirmed" and service.flags_of(q1) == []
    flags = service.flags_of(q2)
    assert [f for f, _ in flags] == ["ai_revenue_fen"] and flags[0][1].startswith("1000.0× the previous quarter")
    with pytest.raises(InvalidInput, match="needs a reason"):
        service.decide_report(session, actor=w.reviewer, report_id=q2.id, confirm=False)
    service.decide_report(session, actor=w.reviewer, report_id=q2.id, confirm=False, note="请核对单位：元，不是万元")
    with pytest.raises(Conflict, match="only submitted reports"):
        service.decide_report(session, actor=w.reviewer, report_id=q2.id, confirm=True)
    fixed = file(session, w, 0, 2026, 2, 1_000)  # a returned quarter may be filed again
    assert fixed.id == q2.id and fixed.status == "submitted" and service.flags_of(fixed) == []
    with pytest.raises(Conflict, match=r"2026 Q2 is already filed \(report \d+, submitted\)"):
        file(session, w, 0, 2026, 2, 1_000)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "kpi_report")).all()
    assert actions == ["kpi.report_submit", "kpi.report_confirm", "kpi.report_submit", "kpi.report_return",
                       "kpi.report_resubmit"]


def test_only_key_enterprises_report_and_not_future_quarters(session):
    w = kpi_world(session, units=1)
    with pytest.raises(InvalidInput, match="has not started yet"):
        file(session, w, 0, 2099, 1, 10)
    with pytest.raises(Forbidden):
        service.decide_report(session, actor=w.units[0], report_id=1, confirm=True)
    with pytest.raises(Forbidden):
        service.submit_report(session, actor=w.provider, report_in=ReportIn(
            year=2026, quarter=1, ai_revenue_fen=1, rd_spend_fen=1, employees=1, ai_products=1))


def test_an_enterprise_sees_only_its_own_reports(session):
    w = kpi_world(session, units=2)
    mine = file(session, w, 0, 2026, 1, 500)
    theirs = file(session, w, 1, 2026, 1, 700)
    rows, total = service.list_reports(session, actor=w.units[0])
    assert [r.id for r in rows] == [mine.id] and total == 1
    with pytest.raises(NotFound):
        service.get_report(session, actor=w.units[0], report_id=theirs.id)
    with pytest.raises(NotFound):  # filing for another organisation
        service.submit_report(session, actor=w.units[0], report_in=ReportIn(
            year=2026, quarter=2, ai_revenue_fen=1, rd_spend_fen=1, employees=1, ai_products=1,
            org_id=w.unit_orgs[1]))
    assert service.list_reports(session, actor=w.reviewer)[1] == 2


def test_excel_upload_writes_every_row(session):
    w = kpi_world(session, units=1)
    data = workbook([[code(1), 2026, 1, 12_345_678.9, 2_000_000, 320, 4],
                     [code(1), 2026, "Q2", "13,000,000.00", 2_100_000, 330, 5]])
    rows = service.upload_reports(session, actor=w.units[0], data=data)
    assert [(r.quarter, r.ai_revenue_fen, r.employees, r.source) for r in rows] == \
        [(1, 1_234_567_890, 320, "excel"), (2, 1_300_000_000, 330, "excel")]


BAD = [
    (workbook([[code(1), 2026, 1, 1, 1, 1, 1]], sheet="Sheet1"), "sheet",
     "sheet '季度报表' not found; the workbook has sheets ['Sheet1']"),
    (workbook([[code(1), 2026, 1, 100, 100, 10, 1], [code(1), 2026, 2, 100, "约50万", 10, 1]]),
     "季度报表!E3", "季度报表!E3: 研发投入(元) is '约50万', which is not a number"),
    (workbook([[code(1), 2026, 1, 100, 100, 10, 1], [code(1), 2026, 1, 200, 100, 10, 1]]),
     "季度报表!3", "sheet '季度报表' rows 2 and 3 both report 2026 Q1"),
    (workbook([[code(1), 2026, 5, 100, 100, 10, 1]]), "季度报表!C2", "季度 is 5; a quarter is 1 to 4"),
    (workbook([[code(1), 2026, 1, 100.001, 100, 10, 1]]), "季度报表!D2", "has more than two decimals"),
    (workbook([[code(1), 2026, 1, -5, 100, 10, 1]]), "季度报表!D2", "is negative"),
    (workbook([[code(1), 2026, 1, 100, 100, 10.5, 1]]), "季度报表!F2", "10.5 is not a whole number"),
    (workbook([[code(1), 2026, 1, None, 100, 10, 1]]), "季度报表!D2", "人工智能营业收入(元) is empty"),
    (workbook([[code(1), 2026, 1, 100, 100, 10, 1]], header=["uscc", "year", "quarter", "revenue"]),
     "季度报表!1", "row 1 has no column '人工智能营业收入(元)'"),
    (workbook([]), "季度报表!2", "has a header but no data rows"),
    (b"not an excel file", "file", "not an Excel .xlsx workbook"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD)
def test_bad_workbooks_name_sheet_row_and_column(data, field, message):
    with pytest.raises(InvalidInput) as err:
        excel.parse(data)
    assert err.value.field == field
    assert message in err.value.message
    assert err.value.fix


def test_bad_uploads_write_nothing(session):
    w = kpi_world(session, units=2)
    for data, field, _message in BAD[:3]:
        with pytest.raises(InvalidInput) as err:
            service.upload_reports(session, actor=w.units[0], data=data)
        assert err.value.field == field
    other = workbook([[code(1), 2026, 1, 100, 100, 10, 1], [code(2), 2026, 1, 100, 100, 10, 1]])
    with pytest.raises(Forbidden) as err:
        service.upload_reports(session, actor=w.units[0], data=other)
    assert err.value.field == "季度报表!A3" and "is not your organisation" in err.value.message
    assert count(session) == 0


def test_duplicate_quarter_in_upload_against_the_database_writes_nothing(session):
    w = kpi_world(session, units=1)
    file(session, w, 0, 2026, 1, 100)
    data = workbook([[code(1), 2026, 2, 100 * WAN // 100, 1, 10, 1], [code(1), 2026, 1, 100, 100, 10, 1]])
    with pytest.raises(Conflict) as err:
        service.upload_reports(session, actor=w.units[0], data=data)
    assert err.value.field == "季度报表!C3" and "2026 Q1 is already filed" in err.value.message
    assert count(session) == 1  # the valid Q2 row was not written either


def test_template_round_trips():
    data = excel.template([["91410100MA0000000X", 2026, 3, 100.5, 20, 7, 1]])
    (row,) = excel.parse(data)
    assert (row.row, row.year, row.quarter, row.ai_revenue_fen, row.rd_spend_fen) == (2, 2026, 3, 10_050, 2_000)


def test_the_office_uploads_for_several_enterprises(session):
    w = kpi_world(session, units=2)
    rows = service.upload_reports(session, actor=w.reviewer, data=workbook([
        [code(2), 2026, 1, 2_000, 10, 5, 1], [code(1), 2026, 1, 1_000, 10, 5, 1]]))
    assert sorted((r.org_id, r.ai_revenue_fen) for r in rows) == [(w.unit_orgs[0], 100_000), (w.unit_orgs[1], 200_000)]
    with pytest.raises(NotFound, match="is not registered"):
        service.upload_reports(session, actor=w.reviewer, data=workbook([["91410100MA00000000", 2026, 2, 1, 1, 1, 1]]))
