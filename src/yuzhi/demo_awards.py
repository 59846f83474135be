"""Demo data for the model registry, awards and the 2027-target dashboard.

Called by ``yuzhi.demo`` after the voucher demo, in the same transaction::

    from yuzhi.demo_awards import load_awards_demo
    load_awards_demo(s, admin, orgs)   # orgs: {name: Organisation} of the demo units

It loads the four industry models the plan names (中原智造, 豫鼎安澜, 天信, 华鼎雪豹) with deployment
cases, a 2026 award programme with applications in every state (paid, on disclosure with an open
objection, submitted, rejected), the demo enterprises as key AI enterprises with eight quarters of reports (confirmed,
pending, flagged, returned), the office's estimates for the non-reporting firms, and embodied-AI
robot deployments. Filing numbers and figures are illustrative, not official data.

Every write goes through the services, so ``yuzhi awards check`` and ``yuzhi audit verify`` pass.
Idempotent: nothing happens if the 2026 award programme already exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor, Role
from yuzhi.accounts.models import Organisation
from yuzhi.awards import service as awards
from yuzhi.awards.models import AiModel, AwardProgramme
from yuzhi.awards.schemas import (
    AwardApply,
    AwardProgrammeCreate,
    AwardReview,
    CaseCreate,
    ModelCreate,
    ObjectionCreate,
    Verify,
)
from yuzhi.kpi import service as kpi
from yuzhi.kpi.core import INDUSTRIES, YI
from yuzhi.kpi.schemas import EstimateIn, KeyEnterpriseCreate, ReportIn, RobotIn

YUAN = 100
WAN = 10_000 * YUAN

# (model, domain, owner, filing no., filing date, description, cases[(customer, scenario, effect)], verified)
MODELS = [
    ("中原智造", "industrial_vision", "中信重工机械股份有限公司", "Henan-ZhongyuanZhizao-20250317", date(2025, 3, 17),
     "工业视觉质检与工艺参数优化行业大模型",
     [("中信重工 洛阳重型铸锻厂", "大型铸件表面缺陷检测", "漏检率 3.2% → 0.4%，质检工时减少 62%"),
      ("宇通客车股份有限公司", "车身焊点视觉检测", "单车检测 11 min → 2.5 min")], True),
    ("豫鼎安澜", "work_safety", "河南省科学院", "Henan-YudingAnlan-20250428", date(2025, 4, 28),
     "安全生产风险识别与隐患排查行业大模型",
     [("多氟多新材料股份有限公司", "危化品车间违规作业识别", "违规行为识别准确率 96.1%，月均隐患 41 → 12 起")], True),
    ("天信", "mining", "平煤神马集团智能矿山有限公司", "Henan-Tianxin-20250609", date(2025, 6, 9),
     "煤矿智能化与瓦斯预警行业大模型",
     [("平煤神马 十二矿", "综采面瓦斯超限预警", "提前 18 min 预警，超限次数同比 −57%"),
      ("平煤神马 八矿", "主运输皮带异常检测", "非计划停机 −35%")], True),
    ("华鼎雪豹", "cold_chain_logistics", "牧原食品股份有限公司", "Henan-HuadingXuebao-20250722", date(2025, 7, 22),
     "冷链物流温控与路径优化行业大模型",
     [("牧原食品 冷链配送中心", "冷链断链预警与 MKT 评估", "温度偏离事件 −48%，损耗率 1.9% → 1.1%")], True),
    ("宇通智驾质检", "industrial_vision", "宇通客车股份有限公司", "", None,
     "整车装配质检模型（备案申请中）", [], False),
]

# key enterprises: quarterly AI revenue in 万元 for 2025 Q1..Q4, 2026 Q1..Q3 (last one left for review)
REPORTS = {
    "宇通客车股份有限公司": [9_800, 10_400, 11_200, 13_900, 12_600, 13_800, 14_900],
    "中信重工机械股份有限公司": [6_200, 6_900, 7_300, 8_800, 8_100, 8_900, 9_600],
    "多氟多新材料股份有限公司": [2_100, 2_400, 2_600, 3_100, 2_900, 3_300, 3_500],
    "许继电气股份有限公司": [7_700, 8_200, 8_900, 10_300, 9_400, 10_100, 11_000],
    "牧原食品股份有限公司": [3_300, 3_500, 3_900, 4_200, 4_000, 4_600, 460_000],  # Q3: typed in 元→万元 by mistake
    "安图生物工程股份有限公司": [2_800, 3_000, 3_200, 3_700, 3_400, 3_800, 4_100],
    "平煤神马集团智能矿山有限公司": [4_500, 4_900, 5_100, 5_900, 5_600, 6_000, 6_500],
    "新乡化纤股份有限公司": [900, 1_000, 1_100, 1_300, 1_200, 1_400, 1_500],
}
# office estimates for the non-reporting key and other AI enterprises (亿元 per quarter, by industry share)
ESTIMATES_YI = {2025: [212, 226, 238, 262], 2026: [268, 286, 302]}
SHARE = {"电子信息": 0.34, "先进装备": 0.20, "新能源汽车": 0.16, "新材料": 0.10, "现代医药": 0.08, "现代食品": 0.07,
         "现代轻纺": 0.05}

ROBOTS = [  # (maker, model, deploying org, sector, qty, date, status); makers are illustrative
    ("郑州某智能机器人有限公司", "ZY-W1 焊接机器人", "宇通客车股份有限公司",
     "manufacturing", 180, date(2026, 3, 12), "deployed"),
    ("洛阳某具身智能科技有限公司", "LY-H2 人形搬运", "中信重工机械股份有限公司",
     "manufacturing", 96, date(2026, 4, 20), "deployed"),
    ("新乡某农业机器人有限公司", "XN-A3 巡检采收", "牧原食品股份有限公司",
     "agriculture", 140, date(2026, 5, 8), "deployed"),
    ("许昌某机器人有限公司", "XC-I4 巡检机器人", "许继电气股份有限公司",
     "manufacturing", 75, date(2026, 6, 18), "deployed"),
    ("开封某文创科技有限公司", "KF-G1 导览机器人", "河南大学",
     "culture", 24, date(2026, 7, 1), "deployed"),
    ("郑州某智能机器人有限公司", "ZY-M5 矿用巡检", "平煤神马集团智能矿山有限公司",
     "manufacturing", 60, date(2026, 8, 15), "deployed"),
    ("深圳某机器人公司", "SZ-X 四足巡检", "平煤神马集团智能矿山有限公司",  # not made in Henan: not counted
     "manufacturing", 12, date(2026, 8, 15), "deployed"),
    ("安阳某医疗机器人有限公司", "AY-C2 康养陪护", "安图生物工程股份有限公司",
     "healthcare", 30, date(2026, 9, 9), "deployed"),
    ("新乡某农业机器人有限公司", "XN-A3 巡检采收", "牧原食品股份有限公司",
     "agriculture", 120, date(2026, 12, 15), "planned"),
]


def _member(org: Organisation) -> Actor:
    return Actor(user_id=None, username=f"demo-{org.id}", role=Role.MEMBER, org_id=org.id)


def load_awards_demo(session: Session, admin_actor: Actor, orgs_by_name: Mapping[str, Organisation]) -> None:
    """Load the awards / targets demo through the services (idempotent)."""
    if session.scalar(select(AwardProgramme.id).where(AwardProgramme.year == 2026)) is not None:
        return
    orgs = _demo_orgs(session, orgs_by_name)
    office = admin_actor
    models = _load_models(session, office, orgs)
    awards.create_programme(session, actor=office, prog_in=AwardProgrammeCreate(
        year=2026, name="2026 年备案模型应用成效奖补", budget_fen=10_000_000 * YUAN, disclosure_days=7))
    _load_award_applications(session, office, orgs, models)
    _load_reports(session, office, orgs)
    _load_robots(session, orgs)


def _demo_orgs(session: Session, orgs_by_name: Mapping[str, Organisation]) -> dict[str, Organisation]:
    """The demo's organisations by name: those given, plus any already in the database."""
    orgs = dict(orgs_by_name)
    for name in {m[2] for m in MODELS} | set(REPORTS) | {r[2] for r in ROBOTS}:
        if name not in orgs:
            org = session.scalar(select(Organisation).where(Organisation.name == name))
            if org is not None:
                orgs[name] = org
    return orgs


def _load_models(session: Session, office: Actor, orgs: dict[str, Organisation]) -> dict[str, AiModel]:
    """The model registry: each filed model with its cases, verified where the demo says so."""
    models: dict[str, AiModel] = {}
    for name, domain, owner, filing, fdate, desc, cases, verified in MODELS:
        if owner not in orgs:
            continue
        m = awards.register_model(session, actor=_member(orgs[owner]), model_in=ModelCreate(
            name=name, domain=domain, filing_no=filing, filing_date=fdate, description=desc,
            cases=[CaseCreate(customer=c, scenario=s, effect=e, started_on=date(2025, 9, 1)) for c, s, e in cases]))
        if verified:
            awards.verify_model(session, actor=office, model_id=m.id, decision=Verify(
                approve=True, reason="备案信息与网信办公示一致；案例经用户单位盖章确认（演示）"))
        models[name] = m
    return models


def _load_award_applications(session: Session, office: Actor, orgs: dict[str, Organisation],
                             models: dict[str, AiModel]) -> None:
    """2026 applications: one paid, one approved with an objection lodged, one pending, one rejected."""

    def apply(name: str, yuan: int, summary: str):
        m = models[name]
        return awards.apply(session, actor=_member(orgs[next(o for n, _d, o, *_ in MODELS if n == name)]),
                            app_in=AwardApply(year=2026, model_id=m.id, requested_fen=yuan * YUAN, summary=summary))

    if "中原智造" in models:
        a = apply("中原智造", 1_000_000, "在 6 家制造企业 14 条产线部署，漏检率下降 87%")
        awards.review(session, actor=office, app_id=a.id, decision=AwardReview(
            approve=True, scores={"innovation": 27, "application_effect": 37, "industry_impact": 26},
            reason="应用成效可量化、可复核，带动效应显著"))
        a.disclosure_until = datetime.now(UTC) - timedelta(days=1)  # approved in spring: disclosure is over
        session.flush()
        awards.pay(session, actor=office, app_id=a.id, payment_ref="豫财建〔2026〕模型奖补-001")
    if "天信" in models:
        a = apply("天信", 900_000, "覆盖 2 座矿井，瓦斯超限次数同比下降 57%")
        awards.review(session, actor=office, app_id=a.id, decision=AwardReview(
            approve=True, scores={"innovation": 24, "application_effect": 33, "industry_impact": 22},
            amount_fen=800_000 * YUAN, reason="成效明确；按评分核定 80 万元"))
        objection = ObjectionCreate(text="八矿皮带异常检测案例的停机数据口径与矿方年报不一致，请核实",
                                    submitted_by="公众（实名）王先生 13903710000")
        awards.lodge_objection(session, actor=Actor(user_id=None, username="public", role=Role.MEMBER),
                               app_id=a.id, obj_in=objection)
    if "豫鼎安澜" in models:
        apply("豫鼎安澜", 1_000_000, "危化品与冶金企业安全生产场景应用")
    if "华鼎雪豹" in models:
        a = apply("华鼎雪豹", 1_000_000, "冷链配送中心温控与路径优化")
        awards.review(session, actor=office, app_id=a.id, decision=AwardReview(
            approve=False, scores={"innovation": 18, "application_effect": 22, "industry_impact": 12},
            reason="仅 1 个应用案例且运行不足 6 个月，建议积累案例后下一年度申报"))


def _load_reports(session: Session, office: Actor, orgs: dict[str, Organisation]) -> None:
    """Key enterprises, their quarterly reports (the last one pending or returned) and the province estimates."""
    for name in REPORTS:
        if name not in orgs:
            continue
        org = orgs[name]
        industry = org.industry if org.industry in INDUSTRIES else "电子信息"
        kpi.designate(session, actor=office, ke_in=KeyEnterpriseCreate(org_id=org.id, industry=industry,
                                                                       since_year=2024))
    quarters = [(2025, q) for q in (1, 2, 3, 4)] + [(2026, q) for q in (1, 2, 3)]
    for name, series in REPORTS.items():
        if name not in orgs:
            continue
        actor = _member(orgs[name])
        for (y, q), wan in zip(quarters, series, strict=True):
            r = kpi.submit_report(session, actor=actor, report_in=ReportIn(
                year=y, quarter=q, ai_revenue_fen=wan * WAN, rd_spend_fen=wan * WAN * 18 // 100,
                employees=200 + wan // 40, ai_products=1 + wan // 3000))
            if (y, q) != (2026, 3):
                kpi.decide_report(session, actor=office, report_id=r.id, confirm=True)
            elif name == "新乡化纤股份有限公司":
                kpi.decide_report(session, actor=office, report_id=r.id, confirm=False,
                                  note="研发投入口径与上季度不一致，请按统计口径更正后重报")
    for y, per_q in ESTIMATES_YI.items():
        for q, yi in enumerate(per_q, start=1):
            for industry, share in SHARE.items():
                kpi.set_estimate(session, actor=office, est_in=EstimateIn(
                    year=y, quarter=q, industry=industry, ai_revenue_fen=round(yi * YI * share),
                    firms=round(102 * share), basis="省统计局规上企业季报 × 人工智能业务占比抽样（演示）"))


def _load_robots(session: Session, orgs: dict[str, Organisation]) -> None:
    """Embodied-AI robot deployments."""
    for maker, model, org_name, sector, qty, day, status in ROBOTS:
        if org_name in orgs:
            kpi.register_robots(session, actor=_member(orgs[org_name]), robot_in=RobotIn(
                maker=maker, model=model, sector=sector, quantity=qty, deployed_on=day, status=status,
                made_in_henan=not maker.startswith("深圳")))
