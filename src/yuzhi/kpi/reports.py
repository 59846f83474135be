"""Read models: the office's 2027-target dashboard and the public summary (no writes).

The dashboard pulls voucher uptake from ``yuzhi.vouchers.reports`` and award figures from
``yuzhi.awards.service`` (lower layers), so every number on it comes from the record that owns it.
The public summary goes through :func:`yuzhi.kpi.core.protect`: no figure on it belongs to one firm.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.accounts.models import Organisation
from yuzhi.errors import DomainError, Forbidden
from yuzhi.kpi import core
from yuzhi.kpi.models import Estimate, KeyEnterprise, QuarterlyReport, ReportStatus, RobotDeployment, RobotStatus


@dataclass
class YearScale:
    """Industry scale of one year: confirmed reports and office estimates, kept apart."""

    year: int
    confirmed_fen: int = 0
    estimate_fen: int = 0
    firms: int = 0  # enterprises with at least one confirmed quarter
    quarters: list[int] = field(default_factory=list)  # quarters with a confirmed report or an estimate

    @property
    def total_fen(self) -> int:
        return self.confirmed_fen + self.estimate_fen

    @property
    def complete(self) -> bool:
        return self.quarters == [1, 2, 3, 4]


def _confirmed_rows(session: Session, year: int | None = None):
    q = (select(QuarterlyReport, Organisation.city, Organisation.industry, KeyEnterprise.industry)
         .join(Organisation, Organisation.id == QuarterlyReport.org_id)
         .outerjoin(KeyEnterprise, KeyEnterprise.org_id == QuarterlyReport.org_id)
         .where(QuarterlyReport.status == ReportStatus.CONFIRMED))
    if year is not None:
        q = q.where(QuarterlyReport.year == year)
    return session.execute(q).all()


def _industry(org_industry: str | None, ke_industry: str | None) -> str:
    for v in (ke_industry, org_industry):
        if v in core.INDUSTRIES:
            return v
    return core.OTHER_INDUSTRY


def scale_by_year(session: Session) -> dict[int, YearScale]:
    out: dict[int, YearScale] = {}
    firms: dict[int, set[int]] = defaultdict(set)
    quarters: dict[int, set[int]] = defaultdict(set)
    for r, *_ in _confirmed_rows(session):
        ys = out.setdefault(r.year, YearScale(r.year))
        ys.confirmed_fen += r.ai_revenue_fen
        firms[r.year].add(r.org_id)
        quarters[r.year].add(r.quarter)
    for e in session.scalars(select(Estimate)):
        ys = out.setdefault(e.year, YearScale(e.year))
        ys.estimate_fen += e.ai_revenue_fen
        quarters[e.year].add(e.quarter)
    for y, ys in out.items():
        ys.firms = len(firms[y])
        ys.quarters = sorted(quarters[y])
    return dict(sorted(out.items()))


def full_year_actuals(scales: dict[int, YearScale]) -> dict[int, int]:
    """Only complete years (all four quarters covered) count as actuals for the growth path."""
    return {y: s.total_fen for y, s in scales.items() if s.complete}


@dataclass
class Dashboard:
    year: int
    targets: core.PlanTargets
    progress: core.Progress
    scales: list[YearScale]
    current: YearScale
    by_quarter: list[tuple[int, int, int]]  # (quarter, confirmed, estimate)
    by_city: list[tuple[str, int, int, int]]  # (city, firms, confirmed, estimate)
    by_industry: list[tuple[str, int, int, int]]  # (industry, firms, confirmed, estimate)
    key_enterprises: int
    reporting_firms: int
    pending_reports: int
    flagged_reports: int
    vouchers: dict[str, int] | None
    awards: dict[str, int]
    robots_deployed: int
    robots_target: int
    robots_by_sector: list[tuple[str, int]]
    generated_at: datetime


def _robots(session: Session, year: int) -> tuple[int, list[tuple[str, int]]]:
    rows = session.execute(
        select(RobotDeployment.sector, func.coalesce(func.sum(RobotDeployment.quantity), 0))
        .where(RobotDeployment.status == RobotStatus.DEPLOYED, RobotDeployment.made_in_henan.is_(True),
               RobotDeployment.deployed_on >= date(year, 1, 1), RobotDeployment.deployed_on <= date(year, 12, 31))
        .group_by(RobotDeployment.sector)).all()
    by = sorted(((s, int(n)) for s, n in rows), key=lambda r: (-r[1], r[0]))
    return sum(n for _, n in by), by


def _vouchers(session: Session, year: int) -> dict[str, int] | None:
    from yuzhi.vouchers import reports as voucher_reports

    try:
        d = voucher_reports.dashboard(session, actor=SYSTEM, year=year)
    except DomainError:
        return None
    return {"pool_fen": d.pool_fen, "committed_fen": d.committed_fen, "used_fen": d.used_fen,
            "remaining_fen": d.remaining_fen, "settled_fen": d.settled_fen,
            "units": len(d.top_units)}


def _awards(session: Session, year: int) -> dict[str, int]:
    from yuzhi.awards import service as awards

    return awards.summary(session, year=year) | {"models_in_use_total": awards.summary(session)["models_in_use"]}


def dashboard(session: Session, *, actor: Actor, year: int, targets: core.PlanTargets | None = None) -> Dashboard:
    """Everything the office watches each quarter, for one calendar year."""
    if not actor.is_office:
        raise Forbidden("the 2027-target dashboard is for the programme office; see the public summary")
    t = targets or core.PlanTargets()
    scales = scale_by_year(session)
    cur = scales.get(year, YearScale(year))
    prog = core.progress(t, full_year_actuals(scales))
    by_q: dict[int, list[int]] = {q: [0, 0] for q in (1, 2, 3, 4)}
    city: dict[str, list] = defaultdict(lambda: [set(), 0, 0])
    ind: dict[str, list] = {k: [set(), 0, 0] for k in [*core.INDUSTRIES, core.OTHER_INDUSTRY]}
    for r, org_city, org_ind, ke_ind in _confirmed_rows(session, year):
        by_q[r.quarter][0] += r.ai_revenue_fen
        for bucket in (city[org_city], ind[_industry(org_ind, ke_ind)]):
            bucket[0].add(r.org_id)
            bucket[1] += r.ai_revenue_fen
    for e in session.scalars(select(Estimate).where(Estimate.year == year)):
        by_q[e.quarter][1] += e.ai_revenue_fen
        ind[_industry(e.industry, None)][2] += e.ai_revenue_fen
        city[e.city or "未分城市"][2] += e.ai_revenue_fen
    pending = session.scalars(select(QuarterlyReport).where(QuarterlyReport.status == ReportStatus.SUBMITTED)).all()
    robots, by_sector = _robots(session, year)
    return Dashboard(
        year=year, targets=t, progress=prog, scales=list(scales.values()), current=cur,
        by_quarter=[(q, v[0], v[1]) for q, v in by_q.items()],
        by_city=sorted(((k, len(v[0]), v[1], v[2]) for k, v in city.items()), key=lambda r: (-r[2] - r[3], r[0])),
        by_industry=[(k, len(v[0]), v[1], v[2]) for k, v in ind.items()],
        key_enterprises=int(session.scalar(select(func.count(KeyEnterprise.id)).where(KeyEnterprise.active)) or 0),
        reporting_firms=cur.firms, pending_reports=len(pending),
        flagged_reports=sum(1 for r in pending if r.flags_json not in ("[]", "")),
        vouchers=_vouchers(session, year), awards=_awards(session, year),
        robots_deployed=robots, robots_target=t.robots_target(year), robots_by_sector=by_sector,
        generated_at=datetime.now(UTC))


@dataclass
class PublicSummary:
    """Figures safe to publish: aggregates only, each cell of ≥ 3 firms with no dominant firm."""

    year: int
    target_fen: int
    target_year: int
    base_fen: int
    base_year: int
    planned_cagr: float
    latest_year: int
    latest_fen: int
    required_cagr: float
    planned_path: list[tuple[int, int]]
    scale_fen: int | None  # None: not publishable yet (too few confirmed reports)
    firms: int
    by_industry: list[core.Cell]
    by_city: list[core.Cell]
    key_enterprises: int
    robots_deployed: int
    robots_target: int
    robots_by_sector: list[tuple[str, int]]
    awards_paid: int
    awards_paid_fen: int
    models_in_use: int
    vouchers_committed_fen: int | None


def public_summary(session: Session, *, year: int, targets: core.PlanTargets | None = None) -> PublicSummary:
    """The public page's numbers. Per-firm values exist here only inside :func:`core.protect`."""
    t = targets or core.PlanTargets()
    scales = scale_by_year(session)
    prog = core.progress(t, full_year_actuals(scales))
    per_firm: dict[int, int] = defaultdict(int)
    firm_city: dict[int, str] = {}
    firm_ind: dict[int, str] = {}
    for r, org_city, org_ind, ke_ind in _confirmed_rows(session, year):
        per_firm[r.org_id] += r.ai_revenue_fen
        firm_city[r.org_id] = org_city
        firm_ind[r.org_id] = _industry(org_ind, ke_ind)
    est = sum(e.ai_revenue_fen for e in session.scalars(select(Estimate).where(Estimate.year == year)))
    ok = core.publishable(list(per_firm.values()))
    groups_ind: dict[str, list[int]] = defaultdict(list)
    groups_city: dict[str, list[int]] = defaultdict(list)
    for oid, v in per_firm.items():
        groups_ind[firm_ind[oid]].append(v)
        groups_city[firm_city[oid]].append(v)
    robots, by_sector = _robots(session, year)
    aw = _awards(session, year)
    vouchers = _vouchers(session, year)
    return PublicSummary(
        year=year, target_fen=t.target_fen, target_year=t.target_year, base_fen=t.base_fen, base_year=t.base_year,
        planned_cagr=prog.planned_cagr, latest_year=prog.latest_year, latest_fen=prog.latest_fen,
        required_cagr=prog.required_cagr, planned_path=prog.planned_path,
        scale_fen=(sum(per_firm.values()) + est) if ok else None, firms=len(per_firm),
        by_industry=core.protect(groups_ind) if ok else [],
        by_city=core.protect(groups_city, other="其他城市") if ok else [],
        key_enterprises=int(session.scalar(select(func.count(KeyEnterprise.id)).where(KeyEnterprise.active)) or 0),
        robots_deployed=robots, robots_target=t.robots_target(year), robots_by_sector=by_sector,
        awards_paid=aw["awards_paid"], awards_paid_fen=aw["awards_paid_fen"], models_in_use=aw["models_in_use_total"],
        vouchers_committed_fen=vouchers["committed_fen"] if vouchers else None)


def export_rows(d: Dashboard) -> list[tuple[str, str, object, object, object]]:
    """The dashboard as (section, item, value, value2, value3) rows for the Excel export."""
    rows: list[tuple[str, str, object, object, object]] = [
        ("target", f"{d.targets.target_year} industry scale (fen)", d.targets.target_fen, "", ""),
        ("target", f"{d.targets.base_year} base (fen)", d.targets.base_fen, "", ""),
        ("target", "planned CAGR", round(d.progress.planned_cagr, 6), "", ""),
        ("progress", f"latest full-year actual {d.progress.latest_year} (fen)", d.progress.latest_fen, "", ""),
        ("progress", "required CAGR from latest", round(d.progress.required_cagr, 6), "", ""),
        ("progress", "gap to planned path (fen)", d.progress.gap_fen, "", ""),
    ]
    rows += [("planned path", str(y), v, "", "") for y, v in d.progress.planned_path]
    rows += [("recomputed path", str(y), v, "", "") for y, v in d.progress.recomputed_path]
    rows += [("scale", str(s.year), s.confirmed_fen, s.estimate_fen, s.total_fen) for s in d.scales]
    rows += [("quarter", f"{d.year} Q{q}", c, e, c + e) for q, c, e in d.by_quarter]
    rows += [("city", c, f, v, e) for c, f, v, e in d.by_city]
    rows += [("industry", i, f, v, e) for i, f, v, e in d.by_industry]
    rows += [("enterprises", "key enterprises", d.key_enterprises, "", ""),
             ("enterprises", f"reporting in {d.year}", d.reporting_firms, "", ""),
             ("robots", f"deployed {d.year} (made in Henan)", d.robots_deployed, d.robots_target, "")]
    rows += [("robots", s, n, "", "") for s, n in d.robots_by_sector]
    rows += [("awards", k, v, "", "") for k, v in d.awards.items()]
    rows += [("vouchers", k, v, "", "") for k, v in (d.vouchers or {}).items()]
    return rows
