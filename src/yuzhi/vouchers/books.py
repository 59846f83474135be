"""The voucher programme's books: ledger account names, payee types, the programme year, and quota
taking effect after its disclosure period.

Below both :mod:`yuzhi.vouchers.service` (the office's work: programmes, applications, review,
settlement, year end) and :mod:`yuzhi.vouchers.bills` (recording bills), which both use these; so
neither imports the other's internals and there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import SYSTEM
from yuzhi.audit.service import Change, record_many
from yuzhi.programmes import service as programmes
from yuzhi.programmes.core import takes_effect
from yuzhi.vouchers.models import AppStatus, Objection, Programme, QuotaApplication
from yuzhi.vouchers.rules import ProgrammeRules, SettlementMode

HOLDING = (AppStatus.DISCLOSURE, AppStatus.OBJECTED, AppStatus.EFFECTIVE)  # statuses that hold quota


def _now() -> datetime:
    return datetime.now(UTC)


# --- accounts in the ledger -------------------------------------------------------------------


def acct_pool(y: int) -> str:
    return f"pool:{y}"


def acct_quota(y: int, app_id: int) -> str:
    return f"quota:{y}:app:{app_id}"


def acct_payable(y: int, payee_type: str, payee_id: int) -> str:
    return f"payable:{y}:{payee_type}:{payee_id}"


def acct_receivable(y: int, payee_type: str, payee_id: int) -> str:
    """Subsidy already paid out on bills later credited: the payee owes it back to year ``y``'s pool.

    A credit balance (≤ 0: −X means the payee owes X). Netted against the payee's next settlement
    of the same year, or repaid (:func:`yuzhi.vouchers.service.record_repayment`); never against
    another year's money."""
    return f"receivable:{y}:{payee_type}:{payee_id}"


#: The voucher programme's years and pool in the shared funding-programme core (:mod:`yuzhi.programmes`).
KIND = programmes.Kind(model=Programme, name="programme", title="voucher programme", key_prefix="",
                       list_path="/api/vouchers/programmes", pool_account=acct_pool, source_prefix="funding",
                       fund_kind="fund", ref="programme")

#: ``ledger.lock_books`` name for everything that reads payables/receivables before posting.
PAYABLES_LOCK = "vouchers:payables"


def payee_type_for(mode: str) -> str:
    return "provider" if mode == SettlementMode.DISCOUNT else "org"


# --- programme years ----------------------------------------------------------------------


def rules_of(p: Programme) -> ProgrammeRules:
    return ProgrammeRules(pool_fen=p.pool_fen, rate_bp=p.rate_bp, unit_cap_fen=p.unit_cap_fen,
                          province_bp=p.province_bp, settlement_mode=SettlementMode(p.settlement_mode),
                          disclosure_days=p.disclosure_days)


def get_programme(session: Session, *, year: int, lock: bool = False) -> Programme:
    """The voucher programme of ``year`` (the shared programme core's rule and message)."""
    p: Programme = programmes.get_year(session, KIND, year=year, lock=lock)
    return p


# --- quota taking effect ------------------------------------------------------------


def _app_snap(a: QuotaApplication) -> dict[str, object]:
    return {"status": a.status, "approved_fen": a.approved_fen, "used_fen": a.used_fen,
            "expired_fen": a.expired_fen, "reason": a.review_reason, "contract_no": a.contract_no,
            "planned_spend_fen": a.planned_spend_fen, "provider_id": a.provider_id}


def activate_due(session: Session, now: datetime | None = None, *, defer_audit: list[Change] | None = None,
                 ids: Collection[int] | None = None) -> int:
    """Applications whose disclosure period has ended without an open objection take effect.

    ``defer_audit``: collect the audit events (the system's) there instead of writing them now; a
    batch of bills writes them at its end, after its row locks (see :mod:`yuzhi.vouchers.bills`).
    ``ids``: only these applications (a bill passes the rows it already holds locked, so it never
    waits on, or blocks, another unit's rows); other due ones take effect when something needs them."""
    now = now or _now()
    q = select(QuotaApplication).where(QuotaApplication.status == AppStatus.DISCLOSURE,
                                       QuotaApplication.disclosure_until <= now)
    if ids is not None:
        q = q.where(QuotaApplication.id.in_(sorted(ids)))
    due = session.scalars(q.order_by(QuotaApplication.id)).all()
    changes: list[Change] = []
    for a in due:
        if takes_effect(a.disclosure_until, now, open_objections=int(
                programmes.open_objection(session, Objection, a.id) is not None)):
            before = _app_snap(a)
            a.status, a.effective_at = AppStatus.EFFECTIVE, now
            changes.append(Change("application.effective", "application", a.id, before, _app_snap(a), a.org_id))
    session.flush()  # every row first (in id order), then the audit chains' locks: the global lock order
    if defer_audit is not None:
        defer_audit += changes
    elif changes:
        record_many(session, actor=SYSTEM, changes=changes)
    return len(due)
