"""The 2027-target dashboard and the public summary on a small real world."""

from dataclasses import astuple
from datetime import date

import pytest

from tests.awards.builders import YUAN, approve, verified_model
from tests.kpi.builders import WAN, file, kpi_world
from yuzhi.awards import service as awards
from yuzhi.awards.schemas import AwardApply, AwardProgrammeCreate
from yuzhi.errors import Forbidden, InvalidInput
from yuzhi.kpi import reports, service
from yuzhi.kpi.core import YI, Cell
from yuzhi.kpi.schemas import EstimateIn, RobotIn


def world_with_figures(session, units=4):
    w = kpi_world(session, units=units)
    for q in (1, 2, 3, 4):  # 2025: office estimates of 200 亿 a quarter for the non-reporting firms
        service.set_estimate(session, actor=w.reviewer, est_in=EstimateIn(
            year=2025, quarter=q, industry="电子信息", ai_revenue_fen=200 * YI, firms=80, basis="统计局季报推算"))
    revenue = [1_000, 2_000, 3_000, 4_000]  # 万元 per quarter, one firm each
    for i in range(units):
        for q in (1, 2, 3, 4):
            file(session, w, i, 2025, q, revenue[i], confirm=True)
        file(session, w, i, 2026, 1, revenue[i], confirm=True)
    return w, revenue


def test_dashboard_adds_confirmed_and_estimates_separately_and_recomputes_the_path(session):
    w, revenue = world_with_figures(session)
    file(session, w, 0, 2026, 2, 1_000)  # submitted, not confirmed: does not count
    d = reports.dashboard(session, actor=w.reviewer, year=2025)
    confirmed = sum(revenue) * 4 * WAN  # 4 firms × 4 quarters
    assert (d.current.confirmed_fen, d.current.estimate_fen) == (confirmed, 800 * YI)
    assert d.current.total_fen == confirmed + 800 * YI and d.current.complete
    assert d.progress.latest_year == 2025 and d.progress.latest_fen == confirmed + 800 * YI
    assert f"{d.progress.required_cagr:.4f}" == f"{(1600 * YI / (confirmed + 800 * YI)) ** 0.5 - 1:.4f}"
    assert d.by_quarter == [(q, sum(revenue) * WAN, 200 * YI) for q in (1, 2, 3, 4)]
    assert d.by_city == [("未分城市", 0, 0, 800 * YI), ("郑州", 4, confirmed, 0)]  # largest first
    assert [r for r in d.by_industry if r[1]] == [("新材料", 1, 4_000 * WAN, 0), ("新能源汽车", 1, 8_000 * WAN, 0),
                                                   ("电子信息", 1, 12_000 * WAN, 800 * YI),
                                                   ("先进装备", 1, 16_000 * WAN, 0)]
    assert (d.key_enterprises, d.reporting_firms, d.pending_reports, d.flagged_reports) == (4, 4, 1, 0)
    d26 = reports.dashboard(session, actor=w.reviewer, year=2026)
    assert d26.current.complete is False and d26.progress.latest_year == 2025  # 2026 is not a full year yet
    assert d26.vouchers is not None and d26.vouchers["pool_fen"] == 50_000_000 * YUAN
    with pytest.raises(Forbidden):
        reports.dashboard(session, actor=w.units[0], year=2025)
    rows = reports.export_rows(d)
    assert ("scale", "2025", confirmed, 800 * YI, confirmed + 800 * YI) in rows


def test_confirming_a_quarter_moves_the_dashboard(session):
    w = kpi_world(session, units=1)
    before = reports.dashboard(session, actor=w.reviewer, year=2026).current.confirmed_fen
    r = file(session, w, 0, 2026, 3, 2_500)
    assert reports.dashboard(session, actor=w.reviewer, year=2026).current.confirmed_fen == before == 0
    service.decide_report(session, actor=w.reviewer, report_id=r.id, confirm=True)
    assert reports.dashboard(session, actor=w.reviewer, year=2026).current.confirmed_fen == 2_500 * WAN


def test_public_summary_leaks_no_per_enterprise_figure(session):
    _w, revenue = world_with_figures(session)
    s = reports.public_summary(session, year=2025)
    firm_values = {v * 4 * WAN for v in revenue} | {v * WAN for v in revenue}
    # four firms in four industries: every industry cell has one firm, so all merge into 其他
    assert s.by_industry == [Cell("其他", 4, sum(revenue) * 4 * WAN)]
    assert s.by_city == [Cell("郑州", 4, sum(revenue) * 4 * WAN)]
    published = [s.scale_fen, *(c.value_fen for c in s.by_industry + s.by_city)]
    assert not firm_values & set(published)
    assert s.scale_fen == sum(revenue) * 4 * WAN + 800 * YI and s.firms == 4
    q1 = reports.public_summary(session, year=2026)  # 2026 Q1: four firms again, no estimates
    assert q1.scale_fen == sum(revenue) * WAN
    assert not {v * WAN for v in revenue} & {c.value_fen for c in q1.by_industry + q1.by_city}


def test_public_summary_withholds_the_scale_below_three_firms(session):
    w = kpi_world(session, units=2)
    file(session, w, 0, 2026, 1, 1_000, confirm=True)
    file(session, w, 1, 2026, 1, 3_000, confirm=True)
    s = reports.public_summary(session, year=2026)
    assert (s.scale_fen, s.by_industry, s.by_city, s.firms) == (None, [], [], 2)


def test_robots_progress_counts_deployed_made_in_henan_units_of_the_year(session):
    w = kpi_world(session, units=2)
    batches = [(120, "deployed", True, date(2026, 3, 1)), (30, "deployed", False, date(2026, 4, 1)),
               (50, "planned", True, date(2026, 12, 20)), (7, "deployed", True, date(2025, 5, 1))]
    for qty, status, henan, day in batches:
        service.register_robots(session, actor=w.units[0], robot_in=RobotIn(
            maker="河南某机器人公司", model="YZ-H1", sector="manufacturing", quantity=qty, status=status,
            made_in_henan=henan, deployed_on=day))
    r = service.register_robots(session, actor=w.units[1], robot_in=RobotIn(
        maker="郑州某农机", model="AG-2", sector="agriculture", quantity=40, deployed_on=date(2026, 6, 1)))
    d = reports.dashboard(session, actor=w.reviewer, year=2026)
    assert (d.robots_deployed, d.robots_target, d.robots_by_sector) == \
        (160, 1000, [("manufacturing", 120), ("agriculture", 40)])
    service.set_robot_status(session, actor=w.units[1], robot_id=r.id, status="retired")
    assert reports.dashboard(session, actor=w.reviewer, year=2026).robots_deployed == 120
    assert [x.org_id for x in service.list_robots(session, actor=w.units[1])] == [w.unit_orgs[1]]
    with pytest.raises(InvalidInput, match="in the future"):
        service.register_robots(session, actor=w.units[0], robot_in=RobotIn(
            maker="某公司", model="X", sector="culture", deployed_on=date(2099, 1, 1)))


def test_dashboard_reads_awards_and_models_in_use(session):
    w = kpi_world(session, units=2)
    awards.create_programme(session, actor=w.admin, prog_in=AwardProgrammeCreate(
        year=2026, name="2026 奖补", budget_fen=5_000_000 * YUAN, disclosure_days=0))
    m = verified_model(session, w, 0, "中原智造")
    verified_model(session, w, 1, "豫鼎安澜")
    a = awards.apply(session, actor=w.units[0], app_in=AwardApply(year=2026, model_id=m.id,
                                                                   requested_fen=1_000_000 * YUAN))
    approve(session, w.reviewer, a.id)
    awards.pay(session, actor=w.admin, app_id=a.id, payment_ref="豫财-1")
    d = reports.dashboard(session, actor=w.reviewer, year=2026)
    assert (d.awards["awards_paid"], d.awards["awards_paid_fen"], d.awards["models_in_use"]) == \
        (1, 1_000_000 * YUAN, 2)
    assert astuple(reports.public_summary(session, year=2026))[-4:-1] == (1, 1_000_000 * YUAN, 2)
