"""Builders for a small voucher world through the real services (no fakes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts import uscc
from yuzhi.accounts.actor import SYSTEM, Actor, Role
from yuzhi.accounts.models import OrgKind
from yuzhi.accounts.schemas import OrgCreate, UserCreate
from yuzhi.providers import service as registry
from yuzhi.providers.models import Criterion
from yuzhi.providers.schemas import ProviderCreate
from yuzhi.vouchers import service as vouchers
from yuzhi.vouchers.schemas import ApplicationCreate, ProgrammeCreate, Review

PASSWORD = "test-pass-123"


def code(n: int, region: str = "410100", prefix: str = "91") -> str:
    """A valid Henan USCC, distinct for each ``n``."""
    body = f"{n:08d}".replace("0", "A")[:8]
    return uscc.make(f"{prefix}{region}{body}0")


@dataclass
class World:
    admin: Actor
    reviewer: Actor
    units: list[Actor] = field(default_factory=list)
    unit_orgs: list[int] = field(default_factory=list)
    provider: Actor | None = None
    provider_id: int = 0
    year: int = 2026


def make_world(session: Session, *, units: int = 2, pool_fen: int = 50_000_000_00, unit_cap_fen: int = 1_000_000_00,
               disclosure_days: int = 0, mode: str = "discount", year: int = 2026) -> World:
    admin_u = accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
        username="admin", password=PASSWORD, role=Role.OFFICE_ADMIN.value))
    rev_u = accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
        username="reviewer", password=PASSWORD, role=Role.OFFICE_REVIEWER.value))
    w = World(admin=accounts.actor_for(admin_u), reviewer=accounts.actor_for(rev_u), year=year)
    porg = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
        uscc=code(999), name="国家超算郑州中心运营单位", kind=OrgKind.UNIVERSITY))
    accounts.decide_org(session, actor=w.admin, org_id=porg.id, approve=True)
    prov = registry.whitelist(session, actor=w.admin, provider_in=ProviderCreate(
        org_id=porg.id, name="国家超算郑州中心", criterion=Criterion.NATIONAL_SUPERCOMPUTING,
        valid_from=date(year - 1, 1, 1), valid_to=date(year + 1, 12, 31)))
    pu = accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
        username="provider", password=PASSWORD, role=Role.PROVIDER.value, provider_id=prov.id))
    w.provider, w.provider_id = accounts.actor_for(pu), prov.id
    for i in range(units):
        org = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(i + 1), name=f"测试企业{i + 1}", kind=OrgKind.ENTERPRISE, industry="新材料"))
        accounts.decide_org(session, actor=w.admin, org_id=org.id, approve=True)
        u = accounts.create_user(session, actor=SYSTEM, user_in=UserCreate(
            username=f"unit{i + 1}", password=PASSWORD, role=Role.MEMBER.value, org_id=org.id))
        w.units.append(accounts.actor_for(u))
        w.unit_orgs.append(org.id)
    vouchers.create_programme(session, actor=w.admin, prog_in=ProgrammeCreate(
        year=year, name=f"{year} 测试", pool_fen=pool_fen, unit_cap_fen=unit_cap_fen,
        disclosure_days=disclosure_days, settlement_mode=mode))
    session.flush()
    return w


def approved_quota(session: Session, w: World, unit: int, planned_fen: int, *, contract: str,
                   amount_fen: int | None = None) -> int:
    a = vouchers.apply(session, actor=w.units[unit], app_in=ApplicationCreate(
        year=w.year, provider_id=w.provider_id, contract_no=contract, planned_spend_fen=planned_fen))
    vouchers.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=True, amount_fen=amount_fen))
    return a.id


def customer_of(session: Session, w: World, unit: int, *, contract: str, provider_id: int | None = None) -> int:
    """Make ``unit`` a customer of the provider without giving it any quota: it applies naming its
    contract and the office rejects the subsidy. A provider bills only units bound to it (issue 13)."""
    a = vouchers.apply(session, actor=w.units[unit], app_in=ApplicationCreate(
        year=w.year, provider_id=provider_id or w.provider_id, contract_no=contract, planned_spend_fen=1_00))
    vouchers.review(session, actor=w.reviewer, app_id=a.id, decision=Review(approve=False, reason="测试：不予补贴"))
    return a.id
