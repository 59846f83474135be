"""``yuzhi ledger check``: prove the books balance and reconcile with the voucher records.

Each check is a small function returning error strings; an empty list means the invariant holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.ledger import books, core
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import CREDIT, DEBIT, AccountType
from yuzhi.vouchers.books import HOLDING, acct_pool, acct_quota
from yuzhi.vouchers.models import (
    BatchStatus,
    Bill,
    BillAllocation,
    BillKind,
    Programme,
    QuotaApplication,
    SettlementBatch,
)

#: The voucher programme's account types, one namespace per programme year ``Y``. Flows: ``fund``
#: pool ← funding; ``approve`` quota ← pool; ``subsidy`` payable ← quota; ``refund`` quota ← payable
#: (or ← receivable once the subsidy was settled); ``expire`` pool ← quota; ``settle`` settling ←
#: payable (``net`` first: payable → receivable); ``pay`` paid ← settling; ``repay`` receivable ← repaid.
ACCOUNT_TYPES = (
    AccountType("funding", CREDIT, "funding:Y:province|city — sources of the pool"),
    AccountType("pool", DEBIT, "pool:Y — uncommitted pool"),
    AccountType("quota", DEBIT, "quota:Y:app:<id> — approved, unconsumed quota of one application"),
    AccountType("payable", DEBIT, "payable:Y:<provider|org>:<id> — subsidy owed to a payee, not yet settled",
                hint="subsidy taken back after settlement must be a receivable"),
    AccountType("receivable", CREDIT, "receivable:Y:<provider|org>:<id> — subsidy paid on bills later "
                "credited, owed back by the payee (−X: it owes X)", hint="a receivable holds what a payee owes"),
    AccountType("settling", DEBIT, "settling:Y:batch:<id> — in a settlement batch not yet paid"),
    AccountType("paid", DEBIT, "paid:Y:<province|city>:<type>:<id> — paid out, by funding source"),
    AccountType("repaid", CREDIT, "repaid:Y:<province|city>:<type>:<id> — owed back and repaid",
                hint="a repayment returns money"),
)
_TYPES = {t.prefix: t for t in ACCOUNT_TYPES}


def check_programme(session: Session, p: Programme) -> list[str]:
    """Every invariant of one programme year: the books, then applications, bills and settlements."""
    errors: list[str] = []
    txns = ledger.load_all(session, p.year)
    bals = core.balances(txns)
    y = p.year
    errors += core.check_balanced(txns)
    errors += core.check_signs({k: v for k, v in bals.items() if core.type_of(k) in _TYPES}, _TYPES)
    errors += core.check_years_isolated(txns)
    funding = -core.sum_prefix(bals, f"funding:{y}:")
    if funding != p.pool_fen:
        errors.append(f"{y}: funding {funding} fen ≠ programme pool {p.pool_fen} fen")
    errors += _check_applications(session, p, bals)
    bills = session.scalars(select(Bill).where(Bill.programme_id == p.id)).all()
    errors += _check_bills(p, bills, bals)
    errors += _check_batches(session, p, bals)
    return errors


def _check_applications(session: Session, p: Programme, bals: dict[str, int]) -> list[str]:
    """Quota applications against their ledger accounts and bill allocations; the unit cap; the pool."""
    errors: list[str] = []
    y = p.year
    apps = session.scalars(select(QuotaApplication).where(QuotaApplication.programme_id == p.id)).all()
    cap_by_org: dict[int, int] = defaultdict(int)
    for a in apps:
        bal = bals.get(acct_quota(y, a.id), 0)
        if a.remaining_fen != bal:
            errors.append(f"{y}: application {a.id} remaining {a.remaining_fen} fen ≠ ledger quota {bal} fen")
        if a.remaining_fen < 0 or a.used_fen < 0:
            errors.append(f"{y}: application {a.id} has negative remaining/used quota")
        if a.status in (*HOLDING, "expired"):
            cap_by_org[a.org_id] += a.approved_fen - a.expired_fen
        alloc = session.scalar(select(func.coalesce(func.sum(BillAllocation.amount_fen), 0))
                               .where(BillAllocation.application_id == a.id)) or 0
        if alloc != a.used_fen:
            errors.append(f"{y}: application {a.id} used {a.used_fen} fen ≠ bill allocations {alloc} fen")
    for org_id, used in cap_by_org.items():
        # a unit's quota *consumed* (approved minus expired) never exceeds the cap
        if used > p.unit_cap_fen:
            errors.append(f"{y}: unit {org_id} holds {used} fen of quota, above the cap {p.unit_cap_fen}")
    committed = sum(a.approved_fen - a.expired_fen for a in apps if a.status in (*HOLDING, "expired"))
    if bals.get(acct_pool(y), 0) != p.pool_fen - committed:
        errors.append(f"{y}: pool balance {bals.get(acct_pool(y), 0)} ≠ pool {p.pool_fen} − committed {committed}")
    return errors


def _check_bills(p: Programme, bills: Sequence[Bill], bals: dict[str, int]) -> list[str]:
    """Bill subsidies against the rate, and the net subsidy against where the money now sits."""
    errors: list[str] = []
    y = p.year
    granted = sum(b.subsidy_fen for b in bills if b.kind == BillKind.BILL)
    reversed_ = sum(b.subsidy_fen for b in bills if b.kind == BillKind.CREDIT)
    net_bills = sum(b.net_subsidy_fen for b in bills if b.kind == BillKind.BILL)
    if granted - reversed_ != net_bills:
        errors.append(f"{y}: granted {granted} − reversed {reversed_} ≠ net bill subsidy {net_bills}")
    for b in bills:
        if b.kind == BillKind.BILL and b.subsidy_fen > b.eligible_fen * p.rate_bp // 10000:
            errors.append(f"{y}: bill {b.invoice_no} subsidy {b.subsidy_fen} exceeds the rate on {b.eligible_fen}")
    payable = core.sum_prefix(bals, f"payable:{y}:")
    settling = core.sum_prefix(bals, f"settling:{y}:")
    paid = core.sum_prefix(bals, f"paid:{y}:")
    receivable = core.sum_prefix(bals, f"receivable:{y}:")
    repaid = core.sum_prefix(bals, f"repaid:{y}:")
    if payable + settling + paid + receivable + repaid != net_bills:
        errors.append(f"{y}: payable {payable} + settling {settling} + paid {paid} + receivable {receivable} "
                      f"+ repaid {repaid} ≠ net subsidy {net_bills}")
    return errors


def _check_batches(session: Session, p: Programme, bals: dict[str, int]) -> list[str]:
    """Each settlement batch: its settling balance, its funding split and its lines."""
    errors: list[str] = []
    y = p.year
    for batch in session.scalars(select(SettlementBatch).where(SettlementBatch.programme_id == p.id)):
        bal = bals.get(f"settling:{y}:batch:{batch.id}", 0)
        want = 0 if batch.status == BatchStatus.PAID else batch.total_fen
        if bal != want:
            errors.append(f"{y}: settlement {batch.id} ({batch.status}) holds {bal} fen in settling, expected {want}")
        if batch.province_fen + batch.city_fen != batch.total_fen or \
                sum(ln.amount_fen for ln in batch.lines) != batch.total_fen:
            errors.append(f"{y}: settlement {batch.id} lines/funding split do not add up to {batch.total_fen}")
    return errors


def check_books(session: Session) -> tuple[list[str], dict[int, dict[str, int]]]:
    """All invariants for every programme year, plus a summary per year."""
    errors: list[str] = []
    summary: dict[int, dict[str, int]] = {}
    all_txns = ledger.load_all(session)
    errors += core.check_balanced(all_txns)
    for p in session.scalars(select(Programme).order_by(Programme.year)):
        errors += check_programme(session, p)
        bals = core.balances(t for t in all_txns if t.year == p.year)
        summary[p.year] = {
            "pool_fen": p.pool_fen,
            "pool_remaining_fen": bals.get(acct_pool(p.year), 0),
            "quota_outstanding_fen": core.sum_prefix(bals, f"quota:{p.year}:"),
            "payable_fen": core.sum_prefix(bals, f"payable:{p.year}:"),
            "paid_fen": core.sum_prefix(bals, f"paid:{p.year}:"),
            "receivable_fen": -core.sum_prefix(bals, f"receivable:{p.year}:"),
            "repaid_fen": -core.sum_prefix(bals, f"repaid:{p.year}:"),
        }
    return errors, summary


books.register(books.Book(name="vouchers", title="Compute vouchers (fen)", account_types=ACCOUNT_TYPES,
                          check=check_books))
