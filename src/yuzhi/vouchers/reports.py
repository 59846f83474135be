"""Read models for the office dashboard and the unit statement (no writes)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.errors import Forbidden
from yuzhi.fmt import fen_exact
from yuzhi.providers.models import Provider
from yuzhi.vouchers import service
from yuzhi.vouchers.models import Bill, BillKind, Programme, QuotaApplication
from yuzhi.vouchers.summary import BillMonth


@dataclass
class Dashboard:
    year: int
    pool_fen: int
    committed_fen: int
    used_fen: int
    remaining_fen: int
    settled_fen: int
    by_city: list[tuple[str, int, int]] = field(default_factory=list)  # (city, committed, used)
    by_industry: list[tuple[str, int, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int, int]] = field(default_factory=list)
    by_provider: list[tuple[str, int]] = field(default_factory=list)
    monthly: list[tuple[str, int]] = field(default_factory=list)  # ("2026-03", subsidy)
    top_units: list[tuple[str, int, int]] = field(default_factory=list)  # (name, used, approved)
    alerts: list[str] = field(default_factory=list)  # English sentences (API, exports)
    alert_items: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (template, values) for pages
    counts: dict[str, int] = field(default_factory=dict)
    paid_gross_fen: int = 0  # paid out by settlements, before what payees owe back
    receivable_fen: int = 0  # subsidy paid on bills later credited, still owed back to the pool
    repaid_fen: int = 0  # owed back and repaid


NEAR_CAP = "unit near cap: {name} holds {held} of {cap} yuan"
POOL_LOW = "pool nearly exhausted: {left} yuan of {pool} left"


def _alert(d: Dashboard, template: str, **values: str) -> None:
    """Keep the alert as a template and its values, so each page language words it itself."""
    d.alerts.append(template.format(**values))
    d.alert_items.append((template, values))


def dashboard(session: Session, *, actor: Actor, year: int) -> Dashboard:
    if not actor.is_office:
        raise Forbidden("the programme dashboard is for the programme office")
    p = service.get_programme(session, year=year)
    service.activate_due(session)
    remaining = service.pool_remaining(session, p)
    # plain column rows, not ORM objects: a province holds thousands of units and their applications
    apps = session.execute(
        select(QuotaApplication.status, QuotaApplication.used_fen, QuotaApplication.approved_fen,
               QuotaApplication.expired_fen, Organisation.id.label("org_id"), Organisation.name,
               Organisation.city, Organisation.industry, Organisation.kind)
        .join(Organisation, Organisation.id == QuotaApplication.org_id)
        .where(QuotaApplication.programme_id == p.id)).all()
    held = [a for a in apps if a.status in (*service.HOLDING, "expired")]
    used_by_org: dict[int, int] = defaultdict(int)
    appr_by_org: dict[int, int] = defaultdict(int)
    groups: dict[str, dict[str, list[int]]] = {"city": {}, "industry": {}, "kind": {}}
    for a in held:
        used_by_org[a.org_id] += a.used_fen
        appr_by_org[a.org_id] += a.approved_fen - a.expired_fen
        for g, key in (("city", a.city), ("industry", a.industry or "—"), ("kind", a.kind)):
            cu = groups[g].setdefault(key, [0, 0])
            cu[0] += a.approved_fen - a.expired_fen
            cu[1] += a.used_fen
    names_by_org = {a.org_id: a.name for a in apps}
    d = Dashboard(year=year, pool_fen=p.pool_fen, committed_fen=p.pool_fen - remaining,
                  used_fen=sum(a.used_fen for a in held), remaining_fen=remaining, settled_fen=0)
    d.by_city = sorted(((k, v[0], v[1]) for k, v in groups["city"].items()), key=lambda r: -r[1])
    d.by_industry = sorted(((k, v[0], v[1]) for k, v in groups["industry"].items()), key=lambda r: -r[1])
    d.by_kind = sorted(((k, v[0], v[1]) for k, v in groups["kind"].items()), key=lambda r: -r[1])
    d.top_units = sorted(((names_by_org[i], used_by_org[i], appr_by_org[i]) for i in appr_by_org),
                         key=lambda r: (-r[1], -r[2]))[:10]
    # from the per-unit monthly totals kept in each bill batch's transaction (yuzhi.vouchers.summary), not
    # from the bills: a province-wide year holds a million bills, the summary tens of thousands of rows
    # (bench/scale.py --phases big-year measures the dashboard at that size)
    bills = session.execute(select(BillMonth.month, BillMonth.kind, BillMonth.provider_id,
                                   func.sum(BillMonth.subsidy_fen), func.sum(BillMonth.bills))
                            .where(BillMonth.programme_id == p.id)
                            .group_by(BillMonth.month, BillMonth.kind, BillMonth.provider_id)).all()
    monthly: dict[str, int] = {f"{year}-{m:02d}": 0 for m in range(1, 13)}
    prov_sub: dict[int, int] = defaultdict(int)
    n_bills = 0
    for month, kind, pid, sub, n in bills:
        sign = -1 if kind == BillKind.CREDIT else 1
        monthly[month] = monthly.get(month, 0) + sign * int(sub)
        prov_sub[pid] += sign * int(sub)
        n_bills += int(n)
    d.monthly = sorted(monthly.items())
    names = dict(session.execute(select(Provider.id, Provider.name)).all())
    d.by_provider = sorted(((names.get(k, str(k)), v) for k, v in prov_sub.items()), key=lambda r: -r[1])
    from yuzhi.ledger import service as ledger

    d.paid_gross_fen = sum(ledger.balances_like(session, f"paid:{year}:").values())
    d.receivable_fen = -sum(ledger.balances_like(session, f"receivable:{year}:").values())
    d.repaid_fen = -sum(ledger.balances_like(session, f"repaid:{year}:").values())
    d.settled_fen = d.paid_gross_fen - d.receivable_fen - d.repaid_fen  # net: what the pool has really spent
    for i, appr in appr_by_org.items():
        if appr >= p.unit_cap_fen * 9 // 10:
            _alert(d, NEAR_CAP, name=names_by_org[i], held=fen_exact(appr), cap=fen_exact(p.unit_cap_fen))
    if remaining <= p.pool_fen // 10:
        _alert(d, POOL_LOW, left=fen_exact(remaining), pool=fen_exact(p.pool_fen))
    d.counts = dict(session.execute(select(QuotaApplication.status, func.count())
                                    .where(QuotaApplication.programme_id == p.id)
                                    .group_by(QuotaApplication.status)).all())
    d.counts["bills"] = n_bills
    return d


@dataclass
class Statement:
    org: Organisation
    year: int
    applications: list[QuotaApplication]
    bills: list[Bill]
    quota_fen: int
    used_fen: int
    remaining_fen: int
    billed_fen: int
    subsidy_fen: int
    owed_fen: int
    bills_total: int = 0  # the unit's bills this year (``bills`` holds one page of them when paged)


def statement(session: Session, *, actor: Actor, org_id: int, year: int, page: int | None = None,
              per_page: int = 100) -> Statement:
    """A unit's year: its quotas, bills, subsidy and what it owes. Tenant-scoped.

    ``page``: only that page of bills (``per_page`` each, the last page when beyond it) is read, the
    totals are summed in the database — a busy unit has a thousand bills a year (pages, not exports)."""
    from yuzhi.accounts import service as accounts

    org = accounts.get_org(session, actor=actor, org_id=org_id)
    p = service.get_programme(session, year=year)
    service.activate_due(session)
    apps = list(session.scalars(select(QuotaApplication).where(QuotaApplication.org_id == org.id,
                                                               QuotaApplication.programme_id == p.id)
                                .order_by(QuotaApplication.id)))
    mine = (Bill.org_id == org.id, Bill.programme_id == p.id)
    q = select(Bill).where(*mine).order_by(Bill.period_end, Bill.id)
    if page is None:
        bills = list(session.scalars(q))
        n = len(bills)
        billed = sum(b.amount_fen if b.kind == BillKind.BILL else -b.amount_fen for b in bills)
        subsidy = sum(b.subsidy_fen if b.kind == BillKind.BILL else -b.subsidy_fen for b in bills)
        owed = sum(b.owed_fen for b in bills)
    else:
        sign = case((Bill.kind == BillKind.CREDIT.value, -1), else_=1)
        n, billed, subsidy, owed = (int(x or 0) for x in session.execute(
            select(func.count(), func.sum(sign * Bill.amount_fen), func.sum(sign * Bill.subsidy_fen),
                   func.sum(Bill.owed_fen)).where(*mine)).one())
        page = min(max(1, page), max(1, -(-n // per_page)))
        bills = list(session.scalars(q.offset((page - 1) * per_page).limit(per_page)))
    held = [a for a in apps if a.status in (*service.HOLDING, "expired")]
    return Statement(org=org, year=year, applications=apps, bills=bills,
                     quota_fen=sum(a.approved_fen - a.expired_fen for a in held),
                     used_fen=sum(a.used_fen for a in held), remaining_fen=sum(a.remaining_fen for a in held),
                     billed_fen=billed, subsidy_fen=subsidy, owed_fen=owed, bills_total=n)


def programme_or_latest(session: Session, year: int | None) -> Programme | None:
    if year is not None:
        return session.scalar(select(Programme).where(Programme.year == year))
    return session.scalar(select(Programme).order_by(Programme.year.desc()).limit(1))


def position(session: Session, *, actor: Actor, year: int, payee_id: int | None = None) -> dict[str, object]:
    """A payee's position with one year: payable, settling, paid, owed back (receivable), repaid.

    The payee is a provider in discount mode and a unit in reimbursement mode. A provider operator
    sees its own provider, a unit member its own unit, the office any payee (``payee_id``)."""
    from yuzhi.errors import NotFound
    from yuzhi.ledger import service as ledger
    from yuzhi.vouchers.models import BatchStatus, SettlementBatch, SettlementLine

    p = service.get_programme(session, year=year)
    ptype = service.payee_type_for(p.settlement_mode)
    own = actor.provider_id if ptype == "provider" and actor.is_provider else \
        actor.org_id if ptype == "org" and not actor.is_provider and not actor.is_office else None
    target = payee_id if actor.is_office else own
    if target is None or (payee_id is not None and not actor.is_office and payee_id != own):
        raise NotFound(f"no {ptype} position of yours in {year}", field="payee_id",
                       fix="the office passes payee_id; payees see their own position")
    payee: Provider | Organisation | None = (session.get(Provider, target) if ptype == "provider"
                                             else session.get(Organisation, target))
    if payee is None:
        raise NotFound(f"{ptype} {target} not found", field="payee_id")
    def bal(kind: str) -> int:
        return ledger.balance(session, f"{kind}:{year}:{ptype}:{target}")

    paid = sum(ledger.balance(session, f"paid:{year}:{src}:{ptype}:{target}") for src in ("province", "city"))
    repaid = -sum(ledger.balance(session, f"repaid:{year}:{src}:{ptype}:{target}") for src in ("province", "city"))
    settling = session.scalar(select(func.coalesce(func.sum(SettlementLine.amount_fen), 0))
                              .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
                              .where(SettlementBatch.programme_id == p.id, SettlementBatch.status != BatchStatus.PAID,
                                     SettlementLine.payee_id == target)) or 0
    col = Bill.provider_id if ptype == "provider" else Bill.org_id
    subsidy = session.execute(select(Bill.kind, func.coalesce(func.sum(Bill.subsidy_fen), 0))
                              .where(Bill.programme_id == p.id, col == target).group_by(Bill.kind)).all()
    receivable = -bal("receivable")
    return {"year": year, "payee_type": ptype, "payee_id": target, "payee_name": payee.name,
            "subsidy_fen": sum(int(v) * (-1 if k == BillKind.CREDIT else 1) for k, v in subsidy),
            "payable_fen": bal("payable"), "settling_fen": int(settling),
            "paid_gross_fen": paid, "receivable_fen": receivable, "repaid_fen": repaid,
            "settled_net_fen": paid - receivable - repaid}
