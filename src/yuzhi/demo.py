"""Realistic demo data for a first look: a 2026 Henan voucher year (and a closed 2025 year), whitelisted
providers, a dozen units of all three kinds with valid USCCs, applications in every state, bills,
credit notes and settlements. Idempotent: running it twice changes nothing.

Every write goes through the same services as the UI and API, so the demo books pass
``yuzhi ledger check`` and ``yuzhi audit verify``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select, update

from yuzhi.accounts import service as accounts
from yuzhi.accounts import uscc
from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.accounts.models import Organisation, OrgKind, User
from yuzhi.accounts.schemas import AffiliationCreate, OrgCreate, UserCreate
from yuzhi.config import get_settings
from yuzhi.db import transaction
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.models import Programme, QuotaApplication
from yuzhi.vouchers.schemas import (
    ApplicationCreate,
    BillIn,
    ObjectionCreate,
    ProgrammeCreate,
    Review,
    SettlementCreate,
)

PASSWORD = "demo-pass-2026"
YUAN = 100

# (name, kind, registration prefix, region, org-code body, industry)
UNITS = [
    ("宇通客车股份有限公司", OrgKind.ENTERPRISE, "91", "410100", "170001A1", "新能源汽车"),
    ("中信重工机械股份有限公司", OrgKind.ENTERPRISE, "91", "410300", "170002B2", "先进装备"),
    ("多氟多新材料股份有限公司", OrgKind.ENTERPRISE, "91", "410800", "170003C3", "新材料"),
    ("许继电气股份有限公司", OrgKind.ENTERPRISE, "91", "411000", "170004D4", "先进装备"),
    ("牧原食品股份有限公司", OrgKind.ENTERPRISE, "91", "411300", "170005E5", "现代食品"),
    ("安图生物工程股份有限公司", OrgKind.ENTERPRISE, "91", "410100", "170006F6", "现代医药"),
    ("平煤神马集团智能矿山有限公司", OrgKind.ENTERPRISE, "91", "410400", "170007G7", "先进装备"),
    ("新乡化纤股份有限公司", OrgKind.ENTERPRISE, "91", "410700", "170008H8", "现代轻纺"),
    ("河南大学", OrgKind.UNIVERSITY, "12", "410200", "170009J9", "电子信息"),
    ("河南理工大学", OrgKind.UNIVERSITY, "12", "410800", "17001AK1", "电子信息"),
    ("河南省科学院", OrgKind.RESEARCH_INSTITUTE, "12", "410000", "17001BL2", "电子信息"),
    ("郑州轻工业大学", OrgKind.UNIVERSITY, "12", "410100", "17001CM3", "现代轻纺"),
]
PROVIDERS = [
    ("郑州大学", OrgKind.UNIVERSITY, "12", "410100", "17002AN4", "国家超算郑州中心", Criterion.NATIONAL_SUPERCOMPUTING,
     "国家超级计算郑州中心（科技部批复，2020）"),
    ("河南空港智算科技有限公司", OrgKind.ENTERPRISE, "91", "410100", "17002BP5", "河南空港智算中心",
     Criterion.AI_COMPUTING_100PF, "智能算力 ≥ 100 PFLOPS (FP16)，2025 年第三方测评"),
    ("中原大数据中心有限公司", OrgKind.ENTERPRISE, "91", "410100", "17002CQ6", "中原大数据中心",
     Criterion.DATA_CENTRE_1000_RACKS, "标准机架 3,000 个"),
]


def code_for(prefix: str, region: str, body: str) -> str:
    return uscc.make(prefix + region + body + "0"[: 17 - len(prefix + region + body)])


def load_demo(engine: Engine) -> list[tuple[str, str]]:
    """Load the demo (idempotent) and return (role, username) pairs to print."""
    logins = [("office administrator / 管理员", "office"), ("office reviewer / 审核员", "reviewer"),
              ("enterprise member / 企业", "yutong"), ("university member / 高校", "henu"),
              ("research institute member / 科研院所", "hnas"), ("provider operator / 服务商", "sc-zhengzhou")]
    with transaction(engine) as s:
        fresh = s.scalar(select(Programme.id).where(Programme.year == 2026)) is None
        if fresh:
            _load(s)
    _load_compute(engine)
    from yuzhi.assist.demo import seed_public_regulations  # public laws; indexed on the first visit

    seed_public_regulations(engine)
    from yuzhi.inspect.demo import ensure_demo_model  # a small trained inspection model to try at once

    ensure_demo_model(get_settings().home)
    return logins


def _user(s, username: str, role: Role, org_id=None, provider_id=None, name: str = "") -> User:
    return accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
        username=username, password=PASSWORD, role=role.value, org_id=org_id, provider_id=provider_id,
        display_name=name or username))


def _load(s) -> None:
    office = _user(s, "office", Role.OFFICE_ADMIN, name="省工信厅 算力券办公室")
    reviewer = _user(s, "reviewer", Role.OFFICE_REVIEWER, name="审核员 王")
    admin = accounts.actor_for(office)
    rev = accounts.actor_for(reviewer)
    orgs = {}
    for name, kind, pre, region, body, industry in UNITS:
        org = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=code_for(pre, region, body), name=name, kind=kind, industry=industry))
        accounts.decide_org(s, actor=admin, org_id=org.id, approve=True)
        orgs[name] = org
    providers = {}
    for name, kind, pre, region, body, pname, crit, evidence in PROVIDERS:
        porg = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=code_for(pre, region, body), name=name, kind=kind, industry="电子信息"))
        accounts.decide_org(s, actor=admin, org_id=porg.id, approve=True)
        providers[pname] = registry.whitelist(s, actor=admin, provider_in=ProviderCreate(
            org_id=porg.id, name=pname, criterion=crit, evidence=evidence,
            valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
    # an applicant refused for being out of province is not stored; an affiliation is:
    accounts.add_affiliation(s, actor=admin, aff_in=AffiliationCreate(
        org_a_id=orgs["新乡化纤股份有限公司"].id, org_b_id=providers["中原大数据中心"].org_id,
        note="同一实际控制人（演示）"))
    members = {"yutong": "宇通客车股份有限公司", "henu": "河南大学", "hnas": "河南省科学院",
               "citic": "中信重工机械股份有限公司", "dfd": "多氟多新材料股份有限公司"}
    actors: dict[str, Actor] = {}
    for username, org_name in members.items():
        actors[org_name] = accounts.actor_for(_user(s, username, Role.MEMBER, org_id=orgs[org_name].id))
    for org_name in orgs:
        if org_name not in actors:
            actors[org_name] = Actor(user_id=None, username=f"demo-{orgs[org_name].id}", role=Role.MEMBER,
                                     org_id=orgs[org_name].id)
    sc = providers["国家超算郑州中心"]
    kg = providers["河南空港智算中心"]
    dc = providers["中原大数据中心"]
    prov_actor = accounts.actor_for(_user(s, "sc-zhengzhou", Role.PROVIDER, provider_id=sc.id))
    kg_actor = Actor(user_id=None, username="kg-billing", role=Role.PROVIDER, org_id=kg.org_id, provider_id=kg.id)

    # --- 2025: a closed year in reimbursement mode (shows expiry and payback) ---------------
    vouchers.create_programme(s, actor=admin, prog_in=ProgrammeCreate(
        year=2025, name="2025 年河南省算力券", pool_fen=30_000_000 * YUAN, settlement_mode="reimbursement",
        disclosure_days=0))
    a = vouchers.apply(s, actor=actors["宇通客车股份有限公司"], app_in=ApplicationCreate(
        year=2025, provider_id=sc.id, contract_no="ZZSC-2025-0117", planned_spend_fen=2_400_000 * YUAN,
        purpose="整车碰撞仿真与视觉质检模型训练"))
    vouchers.review(s, actor=rev, app_id=a.id, decision=Review(approve=True))
    vouchers.record_bill(s, actor=prov_actor, bill_in=BillIn(
        invoice_no="ZZSC-25-INV-0091", customer_uscc=orgs["宇通客车股份有限公司"].uscc,
        period_start=date(2025, 9, 1), period_end=date(2025, 9, 30), amount_fen=1_326_480_00))
    vouchers.create_settlement(s, actor=admin, settle_in=SettlementCreate(year=2025))
    vouchers.close_year(s, actor=admin, year=2025)

    # --- 2026: the current year, discount at purchase ---------------------------------------
    vouchers.create_programme(s, actor=admin, prog_in=ProgrammeCreate(
        year=2026, name="2026 年河南省算力券（省市 1:1）", disclosure_days=5))
    plan = [  # (unit, provider, contract, planned spend yuan, final state)
        ("宇通客车股份有限公司", sc, "ZZSC-2026-0031", 3_000_000, "effective"),
        ("中信重工机械股份有限公司", kg, "KG-2026-A-008", 6_000_000, "effective"),
        ("河南大学", sc, "ZZSC-2026-0047", 900_000, "effective"),
        ("河南省科学院", kg, "KG-2026-A-015", 1_500_000, "effective"),
        ("多氟多新材料股份有限公司", dc, "ZYDC-2026-112", 800_000, "effective"),
        ("许继电气股份有限公司", kg, "KG-2026-A-021", 2_000_000, "disclosure"),
        ("牧原食品股份有限公司", dc, "ZYDC-2026-130", 1_200_000, "objected"),
        ("安图生物工程股份有限公司", sc, "ZZSC-2026-0088", 700_000, "submitted"),
        ("平煤神马集团智能矿山有限公司", kg, "KG-2026-B-002", 3_500_000, "submitted"),
        ("河南理工大学", sc, "ZZSC-2026-0102", 400_000, "rejected"),
        ("郑州轻工业大学", dc, "ZYDC-2026-141", 600_000, "effective"),
    ]
    apps = {}
    for unit, prov, contract, spend, state in plan:
        app = vouchers.apply(s, actor=actors[unit], app_in=ApplicationCreate(
            year=2026, provider_id=prov.id, contract_no=contract, planned_spend_fen=spend * YUAN,
            purpose="AI 模型训练与推理算力"))
        apps[unit] = app
        if state == "submitted":
            continue
        if state == "rejected":
            vouchers.review(s, actor=rev, app_id=app.id, decision=Review(
                approve=False, reason="合同未附付款凭证，请补充后重新申请"))
            continue
        vouchers.review(s, actor=rev, app_id=app.id, decision=Review(approve=True))
        if state == "objected":
            o = vouchers.lodge_objection(s, actor=SYSTEM, app_id=app.id, obj_in=ObjectionCreate(
                text="举报：该合同算力用于自有数据中心转租，疑似不符合条件", submitted_by="公众（匿名）"))
            vouchers.resolve_objection(s, actor=rev, objection_id=o.id, uphold=True,
                                       resolution="异议成立，退回复审，核查合同真实性")
    # the disclosure period of the 'effective' ones is over (they were approved in spring)
    past = datetime.now(UTC) - timedelta(days=1)
    effective_ids = [apps[u].id for u, *_rest, st in plan if st == "effective"]
    s.execute(update(QuotaApplication).where(QuotaApplication.id.in_(effective_ids))
              .values(disclosure_until=past))
    vouchers.activate_due(s)
    bills = [  # provider actor, unit, invoice, month, amount in yuan (exact decimal text)
        (prov_actor, "宇通客车股份有限公司", "ZZSC-26-INV-0102", 2, "186420.50"),
        (prov_actor, "宇通客车股份有限公司", "ZZSC-26-INV-0157", 3, "233118.00"),
        (prov_actor, "宇通客车股份有限公司", "ZZSC-26-INV-0233", 5, "412907.35"),
        (kg_actor, "中信重工机械股份有限公司", "KG26-000871", 3, "1240000.00"),
        (kg_actor, "中信重工机械股份有限公司", "KG26-001204", 6, "2885000.00"),
        (prov_actor, "河南大学", "ZZSC-26-INV-0190", 4, "96333.33"),
        (kg_actor, "河南省科学院", "KG26-000990", 4, "388000.00"),
        (kg_actor, "许继电气股份有限公司", "KG26-001310", 7, "150000.00"),  # still on disclosure → no subsidy
    ]
    for pa, unit, inv, month, yuan in bills:
        vouchers.record_bill(s, actor=pa, bill_in=BillIn(
            invoice_no=inv, customer_uscc=orgs[unit].uscc, period_start=date(2026, month, 1),
            period_end=date(2026, month, 28), amount_fen=int(Decimal(yuan) * 100)))
    # a metered bill with lines, and its partial credit note
    vouchers.record_bill(s, actor=prov_actor, bill_in=BillIn(
        invoice_no="ZZSC-26-INV-0301", customer_uscc=orgs["河南大学"].uscc, period_start=date(2026, 8, 1),
        period_end=date(2026, 8, 31), amount_fen=4_120_000,
        lines=[{"resource": "CPU core-hour", "quantity": "200000", "unit": "core-h", "unit_price_fen": "12.5"},
               {"resource": "GPU-hour (A800)", "quantity": "1100", "unit": "GPU-h", "unit_price_fen": "1472.7273"}]))
    vouchers.record_bill(s, actor=prov_actor, bill_in=BillIn(
        invoice_no="ZZSC-26-CN-0008", customer_uscc=orgs["河南大学"].uscc, kind="credit",
        original_invoice_no="ZZSC-26-INV-0301", period_start=date(2026, 8, 1), period_end=date(2026, 8, 31),
        amount_fen=320_000))
    vouchers.record_bill(s, actor=Actor(user_id=None, username="zydc-billing", role=Role.PROVIDER,
                                        org_id=dc.org_id, provider_id=dc.id), bill_in=BillIn(
        invoice_no="ZYDC-26-5521", customer_uscc=orgs["新乡化纤股份有限公司"].uscc, period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30), amount_fen=88_000_00))  # affiliated → no subsidy
    batch = vouchers.create_settlement(s, actor=admin, settle_in=SettlementCreate(year=2026, payee_id=kg.id))
    vouchers.mark_paid(s, actor=admin, batch_id=batch.id, payment_ref="豫财建〔2026〕算力券-第1批")
    vouchers.create_settlement(s, actor=admin, settle_in=SettlementCreate(year=2026, payee_id=sc.id))

    from yuzhi.demo_awards import load_awards_demo

    load_awards_demo(s, admin, {**orgs, **{p.name: s.get(Organisation, p.org_id) for p in providers.values()}})

    from yuzhi.monitor.demo import load_monitor_demo

    load_monitor_demo(s, orgs)


def _load_compute(engine: Engine) -> None:
    """Connect every provider to the local engine with capacity, rate cards, budgets and an app
    (safe on every start, so it also repairs a demo database made before compute existed)."""
    from yuzhi.compute.demo import seed

    with transaction(engine) as s:
        seed(s, home=get_settings().home)
