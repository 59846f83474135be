"""Award books: prove the award pool, commitments and payouts reconcile with the applications.

Each check returns error strings (empty list: the invariant holds), like
``yuzhi.vouchers.reconcile``; ``yuzhi awards check`` prints them.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.awards.models import AwardApplication, AwardProgramme, AwardStatus
from yuzhi.awards.service import acct_commit, acct_pool
from yuzhi.ledger import books, core
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import CREDIT, DEBIT, AccountType

#: The award programme's account types (year ``Y``): ``award_fund`` pool ← funding; approval commits
#: from the pool; payment moves the commitment to paid, by funding source.
ACCOUNT_TYPES = (
    AccountType("award_funding", CREDIT, "award_funding:Y:<source> — sources of the award budget"),
    AccountType("award_pool", DEBIT, "award_pool:Y — uncommitted award budget"),
    AccountType("award_commit", DEBIT, "award_commit:Y:app:<id> — granted, not yet paid"),
    AccountType("award_paid", DEBIT, "award_paid:Y:<source>:app:<id> — paid out"),
)
_TYPES = {t.prefix: t for t in ACCOUNT_TYPES}


def check_programme(session: Session, p: AwardProgramme) -> list[str]:
    y = p.year
    txns = [t for t in ledger.load_all(session, y) if t.kind.startswith("award_")]
    bals = core.balances(txns)
    errors = core.check_balanced(txns) + core.check_years_isolated(txns)
    errors += core.check_signs({k: v for k, v in core.balances(txns).items() if core.type_of(k) in _TYPES}, _TYPES)
    funding = -core.sum_prefix(bals, f"award_funding:{y}:")
    if funding != p.budget_fen:
        errors.append(f"{y}: award funding {funding} fen ≠ budget {p.budget_fen} fen")
    pool = bals.get(acct_pool(y), 0)
    if pool < 0:
        errors.append(f"{y}: award pool is negative: {pool} fen")
    apps = session.scalars(select(AwardApplication).where(AwardApplication.programme_id == p.id)).all()
    committed = paid = 0
    for a in apps:
        want_commit = a.granted_fen if a.status == AwardStatus.APPROVED else 0
        want_paid = a.granted_fen if a.status == AwardStatus.PAID else 0
        got_commit = bals.get(acct_commit(y, a.id), 0)
        got_paid = core.sum_prefix({k: v for k, v in bals.items() if k.endswith(f":app:{a.id}")}, f"award_paid:{y}:")
        if got_commit != want_commit:
            errors.append(f"{y}: award application {a.id} ({a.status}) commit {got_commit} ≠ {want_commit} fen")
        if got_paid != want_paid:
            errors.append(f"{y}: award application {a.id} ({a.status}) paid {got_paid} ≠ {want_paid} fen")
        if a.granted_fen > p.cap_per_model_fen:
            errors.append(f"{y}: award application {a.id} granted {a.granted_fen} above the cap {p.cap_per_model_fen}")
        committed += want_commit
        paid += want_paid
    if pool != p.budget_fen - committed - paid:
        errors.append(f"{y}: award pool {pool} ≠ budget {p.budget_fen} − committed {committed} − paid {paid}")
    return errors


def check_books(session: Session) -> tuple[list[str], dict[int, dict[str, int]]]:
    """Every award year's invariants, plus once-per-model across all years."""
    errors: list[str] = []
    summary: dict[int, dict[str, int]] = {}
    for p in session.scalars(select(AwardProgramme).order_by(AwardProgramme.year)):
        errors += check_programme(session, p)
        bals = ledger.balances_like(session, "award_")
        summary[p.year] = {
            "budget_fen": p.budget_fen,
            "pool_fen": bals.get(acct_pool(p.year), 0),
            "committed_fen": core.sum_prefix(bals, f"award_commit:{p.year}:"),
            "paid_fen": core.sum_prefix(bals, f"award_paid:{p.year}:"),
        }
    held = Counter(session.scalars(select(AwardApplication.model_id).where(
        AwardApplication.status.in_([AwardStatus.APPROVED, AwardStatus.PAID]))))
    errors += [f"model {mid} holds {n} awards (once per model)" for mid, n in sorted(held.items()) if n > 1]
    return errors, summary


books.register(books.Book(name="awards", title="Award books (fen)", account_types=ACCOUNT_TYPES,
                          check=check_books))
