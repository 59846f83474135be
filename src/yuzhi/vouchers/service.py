"""Voucher programme: years, quota applications and review, disclosure, bills, credits,
settlement and year-end close. Every money movement posts a balanced ledger transaction and an
audit event in the caller's transaction.

Concurrency: approvals lock the programme row (``SELECT … FOR UPDATE``), bills lock the unit's
applications, so 32 reviewers or 32 providers at once can never over-commit the pool or a quota.
On SQLite, writers are serialised by ``BEGIN IMMEDIATE`` (see ``yuzhi.db``).

Year boundary rule: a bill belongs to the programme year of its usage period. A bill whose usage
period spans two calendar years is refused: the provider splits it at 31 December, so nothing
from one year can pay for another and each part meets its own year's quota.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation, OrgStatus
from yuzhi.audit.service import record
from yuzhi.db import for_update as _for_update
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import Posting, Txn, transfer
from yuzhi.programmes import service as programmes
from yuzhi.programmes.core import (
    DONE,
    EXPIRE_UNUSED,
    HOLDS,
    PENDING,
    Disclosure,
    Holding,
    cap_left,
    disclosure_open,
    headroom,
    limits_text,
)
from yuzhi.programmes.core import close_year as plan_close
from yuzhi.programmes.funding import split_funding
from yuzhi.programmes.objections import objection_identity
from yuzhi.providers import service as registry
from yuzhi.providers.models import Provider
from yuzhi.vouchers.bills import MAX_BATCH, line_amount, payload_hash, record_bill, record_bills
from yuzhi.vouchers.books import (
    HOLDING,
    KIND,
    PAYABLES_LOCK,
    _app_snap,
    _now,
    acct_payable,
    acct_pool,
    acct_quota,
    acct_receivable,
    activate_due,
    get_programme,
    payee_type_for,
    rules_of,
)
from yuzhi.vouchers.models import (
    AppStatus,
    BatchStatus,
    Bill,
    Objection,
    Programme,
    ProgrammeStatus,
    QuotaApplication,
    SettlementBatch,
    SettlementLine,
)
from yuzhi.vouchers.rules import ProgrammeRules, rate_share
from yuzhi.vouchers.schemas import (
    ApplicationCreate,
    ObjectionCreate,
    ProgrammeCreate,
    Review,
    SettlementCreate,
)

# --- programmes -------------------------------------------------------------------------------


def create_programme(session: Session, *, actor: Actor, prog_in: ProgrammeCreate) -> Programme:
    """Open a programme year and fund its pool from province and city (1:1 by default)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator opens a programme year")
    ProgrammeRules(pool_fen=prog_in.pool_fen, rate_bp=prog_in.rate_bp, unit_cap_fen=prog_in.unit_cap_fen,
                   province_bp=prog_in.province_bp, settlement_mode=prog_in.settlement_mode,
                   disclosure_days=prog_in.disclosure_days)  # validates the rules
    programmes.require_new_year(session, KIND, year=prog_in.year)
    p = Programme(**prog_in.model_dump())
    p.settlement_mode = prog_in.settlement_mode.value
    session.add(p)
    session.flush()
    programmes.fund_year(session, KIND, p, amount_fen=p.pool_fen, memo=p.name)
    record(session, actor=actor, action="programme.create", entity="programme", entity_id=p.id,
           after=prog_in.model_dump(mode="json"))
    return p


def list_programmes(session: Session) -> list[Programme]:
    return programmes.list_years(session, KIND)


def pool_remaining(session: Session, p: Programme) -> int:
    return programmes.pool_remaining(session, KIND, p.year)


def subsidy_outlook(session: Session, *, org_id: int, provider_id: int, amount_fen: int,
                    day: date) -> tuple[int, int]:
    """``(rate share of amount_fen, quota the unit still holds with the provider)`` for ``day``'s year,
    ``(0, 0)`` without an open programme. What a bill of ``amount_fen`` could be subsidised at most,
    by the same rule the bill path uses (``rules.rate_share``); callers such as the compute network's
    pre-run estimate take the minimum after their own reservations."""
    p = session.scalar(select(Programme).where(Programme.year == day.year))
    if p is None or p.status != ProgrammeStatus.OPEN:
        return 0, 0
    remaining = session.scalar(select(func.coalesce(func.sum(
        QuotaApplication.approved_fen - QuotaApplication.used_fen - QuotaApplication.expired_fen), 0)).where(
        QuotaApplication.org_id == org_id, QuotaApplication.programme_id == p.id,
        QuotaApplication.provider_id == provider_id, QuotaApplication.status == AppStatus.EFFECTIVE)) or 0
    return int(rate_share(amount_fen, p.rate_bp)), int(remaining)


def unit_committed(session: Session, *, programme_id: int, org_id: int) -> int:
    """Quota the unit holds this year (approved, not expired) — counts against the per-unit cap."""
    return programmes.committed(session, QuotaApplication.approved_fen - QuotaApplication.expired_fen, where=[
        QuotaApplication.programme_id == programme_id, QuotaApplication.org_id == org_id,
        QuotaApplication.status.in_([*HOLDING, AppStatus.EXPIRED])])


# --- applications -----------------------------------------------------------------------------


def apply(session: Session, *, actor: Actor, app_in: ApplicationCreate) -> QuotaApplication:
    """A unit applies for quota: planned spend with a whitelisted provider under a contract."""
    if actor.org_id is None or actor.is_office or actor.is_provider:
        raise Forbidden("only members of a registered unit apply for vouchers")
    org = accounts.get_org(session, actor=actor, org_id=actor.org_id)
    if org.status != OrgStatus.APPROVED:
        raise InvalidInput(f"organisation {org.name} is {org.status}, not approved", field="org",
                           fix="wait for the programme office to approve the registration",
                           key="org_not_approved", params={"name": org.name, "status": org.status})
    p = get_programme(session, year=app_in.year)
    programmes.require_open(KIND, p, applying=True)
    provider = registry.get(session, provider_id=app_in.provider_id)
    if not registry.whitelisted_in_year(provider, p.year):
        raise InvalidInput(f"provider {provider.name} is suspended or not whitelisted in {p.year}",
                           field="provider_id", fix="choose an active whitelisted provider",
                           key="provider_not_whitelisted_year", params={"name": provider.name, "year": p.year})
    problem = registry.eligibility_problem(session, provider, customer_org_id=org.id)
    if problem:
        raise InvalidInput(problem, field="provider_id", fix="buy compute from an unrelated whitelisted provider")
    contract = app_in.contract_no.strip()
    if session.scalar(select(QuotaApplication.id).where(QuotaApplication.provider_id == provider.id,
                                                        QuotaApplication.contract_no == contract)) is not None:
        raise Conflict(f"contract {contract} with {provider.name} already has an application; "
                       "a contract is subsidised once", field="contract_no",
                       key="contract_has_application", params={"contract": contract, "name": provider.name})
    a = QuotaApplication(org_id=org.id, programme_id=p.id, provider_id=provider.id, contract_no=contract,
                         planned_spend_fen=app_in.planned_spend_fen, purpose=app_in.purpose,
                         status=AppStatus.SUBMITTED)
    session.add(a)
    session.flush()
    record(session, actor=actor, action="application.submit", entity="application", entity_id=a.id,
           after=_app_snap(a), org_id=org.id)
    return a


def get_application(session: Session, *, actor: Actor, app_id: int, lock: bool = False) -> QuotaApplication:
    q = select(QuotaApplication).where(QuotaApplication.id == app_id)
    a = session.scalar(_for_update(session, q) if lock else q)
    if a is None or not _visible(actor, a.org_id, a.provider_id):
        raise NotFound(f"application {app_id} not found", field="application_id",
                       key="application_not_found", params={"id": app_id})
    return a


def _visible(actor: Actor, org_id: int, provider_id: int | None) -> bool:
    return tenancy.can_see(actor, org_id, provider_id, by_provider=True)


def list_applications(session: Session, *, actor: Actor, year: int | None = None, status: str | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[list[QuotaApplication], int]:
    activate_due(session)
    q = select(QuotaApplication)
    if year is not None:
        q = q.join(Programme, Programme.id == QuotaApplication.programme_id).where(Programme.year == year)
    if status:
        q = q.where(QuotaApplication.status == status)
    q = tenancy.scope(q, QuotaApplication, actor, by_provider=True)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(QuotaApplication.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def max_approvable(session: Session, *, p: Programme, a: QuotaApplication) -> tuple[int, dict[str, int]]:
    """The most the office may approve now, and each limit (for the error message and the UI)."""
    rules = rules_of(p)
    held_by_this = a.approved_fen - a.expired_fen if a.status in HOLDING else 0
    limits = {
        "rate_of_planned_spend": rate_share(a.planned_spend_fen, rules.rate_bp),
        "unit_cap_remaining": cap_left(cap_fen=rules.unit_cap_fen, held_by_this_fen=held_by_this,
                                       committed_fen=unit_committed(session, programme_id=p.id, org_id=a.org_id)),
        "pool_remaining": pool_remaining(session, p) + held_by_this,
    }
    return headroom(limits)[0], limits


def review(session: Session, *, actor: Actor, app_id: int, decision: Review) -> QuotaApplication:
    """Approve (≤ min(rate × planned, unit cap left, pool left)) or reject with a reason.

    Also used for the re-review after an upheld objection: the held quota is adjusted to the new
    amount (or released on rejection) by one ledger transaction.
    """
    if not actor.is_office:
        raise Forbidden("only the programme office reviews applications")
    pre = get_application(session, actor=actor, app_id=app_id)
    p = programmes.year_of(session, KIND, pre.programme_id, lock=True)  # serialise
    a = get_application(session, actor=actor, app_id=app_id, lock=True)
    session.refresh(a)
    if a.status not in (AppStatus.SUBMITTED, AppStatus.OBJECTED):
        raise Conflict(f"application {a.id} is {a.status}; only submitted or objected applications are reviewed",
                       field="status",
                       key="application_not_reviewable", params={"id": a.id, "status": a.status})
    programmes.require_open(KIND, p)
    from yuzhi.vouchers import review2  # two-step years: this decision is the 复核 (issue 15)

    review2.check_second_review(session, actor=actor, a=a, approve=decision.approve, amount_fen=decision.amount_fen)
    before = _app_snap(a)
    held = a.approved_fen if a.status == AppStatus.OBJECTED else 0
    if decision.approve:
        cap, limits = max_approvable(session, p=p, a=a)
        binding = headroom(limits)[1]
        amount = cap if decision.amount_fen is None else decision.amount_fen
        if amount > cap:
            raise InvalidInput(
                f"{amount} fen exceeds the maximum approvable {cap} fen (limited by {binding}: "
                + limits_text(limits) + ")",
                field="amount_fen", fix=f"approve at most {cap} fen, or reject",
                key="approve_over_max", params={"amount_fen": amount, "cap_fen": cap, "binding": binding})
        if amount <= 0:
            raise InvalidInput("nothing can be approved: " + limits_text(limits),
                               field="amount_fen", fix="reject the application with a reason",
                               key="approve_nothing_left", params={"binding": binding})
        delta = amount - held
        if delta:
            ledger.post(session, transfer("approve" if delta > 0 else "release", p.year,
                                          debit=acct_quota(p.year, a.id), credit=acct_pool(p.year), amount=delta,
                                          ref=f"application:{a.id}"))
        a.approved_fen = amount
        now = _now()
        a.reviewed_at = now
        a.reviewed_by = actor.user_id
        a.review_reason = decision.reason.strip()
        window = Disclosure.after_decision(now, p.disclosure_days)
        if window.immediate:
            a.status, a.disclosure_until, a.effective_at = AppStatus.EFFECTIVE, window.until, now
        else:
            a.status, a.disclosure_until = AppStatus.DISCLOSURE, window.until
    else:
        if not decision.reason.strip():
            raise InvalidInput("a rejection needs a reason", field="reason", fix="say why it is refused")
        if held:
            ledger.post(session, transfer("release", p.year, debit=acct_pool(p.year),
                                          credit=acct_quota(p.year, a.id), amount=held, ref=f"application:{a.id}"))
        a.approved_fen = 0
        a.status = AppStatus.REJECTED
        a.review_reason = decision.reason.strip()
        a.reviewed_at = _now()
        a.reviewed_by = actor.user_id
    session.flush()
    record(session, actor=actor, action="application.approve" if decision.approve else "application.reject",
           entity="application", entity_id=a.id, before=before, after=_app_snap(a), org_id=a.org_id)
    return a


def disclosure(session: Session, *, year: int | None = None) -> list[tuple[QuotaApplication, str, str]]:
    """The public disclosure list (公示): approved quotas with unit and provider names. Public."""
    activate_due(session)
    q = (select(QuotaApplication, Organisation.name, Provider.name)
         .join(Organisation, Organisation.id == QuotaApplication.org_id)
         .join(Provider, Provider.id == QuotaApplication.provider_id)
         .where(QuotaApplication.status.in_([AppStatus.DISCLOSURE, AppStatus.OBJECTED, AppStatus.EFFECTIVE])))
    if year is not None:
        q = q.join(Programme, Programme.id == QuotaApplication.programme_id).where(Programme.year == year)
    return [tuple(r) for r in session.execute(q.order_by(QuotaApplication.reviewed_at.desc()))]  # type: ignore[misc]


def lodge_objection(session: Session, *, actor: Actor, app_id: int, obj_in: ObjectionCreate) -> Objection:
    """Anyone may object to a quota while it is on disclosure (identified and rate-limited)."""
    a = session.get(QuotaApplication, app_id)
    if a is None or a.status != AppStatus.DISCLOSURE or not disclosure_open(a.disclosure_until, _now()):
        raise NotFound(f"application {app_id} is not on public disclosure", field="application_id",
                       fix="objections are accepted only during the disclosure period",
                       key="application_not_on_disclosure", params={"id": app_id})
    who = objection_identity(session, Objection, actor=actor, app_id=a.id, submitted_by=obj_in.submitted_by)
    o = Objection(application_id=a.id, submitted_by=who, text=obj_in.text)
    session.add(o)
    session.flush()
    record(session, actor=actor, action="objection.lodge", entity="objection", entity_id=o.id,
           after={"application_id": a.id, "text": o.text}, org_id=a.org_id)
    return o


def resolve_objection(session: Session, *, actor: Actor, objection_id: int, uphold: bool,
                      resolution: str) -> Objection:
    """Upheld → the application goes back to review (quota stays held until re-reviewed)."""
    if not actor.is_office:
        raise Forbidden("only the programme office resolves objections")
    o = session.get(Objection, objection_id)
    if o is None or o.status != "open":
        raise NotFound(f"open objection {objection_id} not found", field="objection_id",
                       key="objection_not_found", params={"id": objection_id})
    a = get_application(session, actor=actor, app_id=o.application_id, lock=True)
    before = _app_snap(a)
    o.status, o.resolution = ("upheld" if uphold else "dismissed"), resolution
    if uphold and a.status in (AppStatus.DISCLOSURE, AppStatus.EFFECTIVE):
        a.status = AppStatus.OBJECTED
    session.flush()
    record(session, actor=actor, action="objection.uphold" if uphold else "objection.dismiss",
           entity="application", entity_id=a.id, before=before, after=_app_snap(a), org_id=a.org_id)
    return o


def list_objections(session: Session, *, actor: Actor, status: str | None = "open") -> list[Objection]:
    return programmes.list_objections(session, Objection, actor=actor, status=status)


def application_objections(session: Session, *, actor: Actor, application: QuotaApplication) -> list[Objection]:
    """The objections lodged against an application, for the office (who decides them); others see none."""
    if not actor.is_office:
        return []
    return list(session.scalars(select(Objection).where(Objection.application_id == application.id)
                                .order_by(Objection.id)))


# --- bills ------------------------------------------------------------------------------------


def get_bill(session: Session, *, actor: Actor, bill_id: int) -> Bill:
    b = session.get(Bill, bill_id)
    if b is None or not _visible(actor, b.org_id, b.provider_id):
        raise NotFound(f"bill {bill_id} not found", field="bill_id", key="bill_not_found", params={"id": bill_id})
    return b


def list_bills(session: Session, *, actor: Actor, year: int | None = None, org_id: int | None = None,
               limit: int = 100, offset: int = 0) -> tuple[list[Bill], int]:
    q = select(Bill)
    if year is not None:
        q = q.join(Programme, Programme.id == Bill.programme_id).where(Programme.year == year)
    q = tenancy.scope(q, Bill, actor, by_provider=True)
    if org_id is not None:
        q = q.where(Bill.org_id == org_id)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    return list(session.scalars(q.order_by(Bill.id.desc()).limit(limit).offset(offset))), total


def month_bills(session: Session, *, actor: Actor, start: date, end: date) -> list[Bill]:
    """The bills whose usage period ends in ``[start, end)`` that ``actor`` may see (an operator: its
    provider's only), by customer then id: the provider portal's monthly statement."""
    q = tenancy.scope(select(Bill).where(Bill.period_end >= start, Bill.period_end < end), Bill, actor,
                      by_provider=True)
    return list(session.scalars(q.order_by(Bill.org_id, Bill.id)))


def bill_period_range(session: Session, *, actor: Actor) -> tuple[date | None, date | None]:
    """The first and last usage-period end among the bills ``actor`` may see (the statement's month range)."""
    q = select(func.min(Bill.period_end), func.max(Bill.period_end))
    clause = tenancy.scope_clause(actor, Bill, by_provider=True)
    first, last = session.execute(q if clause is None else q.where(clause)).one()
    return first, last


def bill_customers(session: Session, *, actor: Actor, bills: list[Bill]) -> dict[int, tuple[str, str]]:
    """Name and USCC of the units billed in ``bills`` that ``actor`` may see: only those units, not every
    organisation's name."""
    ids = {b.org_id for b in bills if tenancy.can_see(actor, b.org_id, b.provider_id, by_provider=True)}
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name, Organisation.uscc)
                           .where(Organisation.id.in_(ids)))
    return {i: (name, uscc) for i, name, uscc in rows}


# --- settlement -------------------------------------------------------------------------------


def _payee_id(account: str) -> int:
    return int(account.rsplit(":", 1)[1])


def _netting(session: Session, p: Programme, ptype: str, payee_id: int | None) -> tuple[dict[int, int], list[Posting]]:
    """What each payee is due after its receivable is netted, and the postings of that netting.

    A payable below zero (books written before receivables existed) is first moved into the
    receivable, so the two never hide each other."""
    pay = {_payee_id(k): v for k, v in ledger.balances_like(session, f"payable:{p.year}:{ptype}:").items()}
    rec = {_payee_id(k): v for k, v in ledger.balances_like(session, f"receivable:{p.year}:{ptype}:").items()}
    due: dict[int, int] = {}
    moves: dict[str, int] = defaultdict(int)
    for pid in sorted(set(pay) | set(rec)):
        if payee_id is not None and pid != payee_id:
            continue
        payable, owed = pay.get(pid, 0), -rec.get(pid, 0)
        if payable < 0:  # legacy: a negative payable is a receivable
            moves[acct_payable(p.year, ptype, pid)] -= payable
            moves[acct_receivable(p.year, ptype, pid)] += payable
            payable, owed = 0, owed - payable
        netted = min(payable, max(owed, 0))
        if netted:
            moves[acct_receivable(p.year, ptype, pid)] += netted
            moves[acct_payable(p.year, ptype, pid)] -= netted
        if payable - netted > 0:
            due[pid] = payable - netted
    return due, [Posting(a, v) for a, v in sorted(moves.items()) if v]


def create_settlement(session: Session, *, actor: Actor, settle_in: SettlementCreate) -> SettlementBatch:
    """Settle every payee's payable of the year (or one payee's), net of what it owes back.

    A payee's receivable (subsidy paid on bills later credited) is netted first; only the rest is
    paid. The netting is its own ledger transaction (``net``) with the batch as its reference."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator runs settlement")
    p = get_programme(session, year=settle_in.year, lock=True)
    ptype = payee_type_for(p.settlement_mode)
    prefix = f"payable:{p.year}:{ptype}:"
    ledger.lock_books(session, PAYABLES_LOCK)
    due, netting = _netting(session, p, ptype, settle_in.payee_id)
    if not due:
        raise InvalidInput(f"nothing to settle for {p.year}" + (f" payee {settle_in.payee_id}"
                           if settle_in.payee_id else ""), field="year",
                           fix="settlement runs after bills with subsidy have been recorded "
                               "(a payee's receivable is netted first)",
                           key="nothing_to_settle_payee" if settle_in.payee_id else "nothing_to_settle",
                           params={"year": p.year, "payee_id": settle_in.payee_id})
    batch = SettlementBatch(programme_id=p.id, mode=p.settlement_mode, payee_type=ptype,
                            payee_id=settle_in.payee_id, status=BatchStatus.DRAFT)
    session.add(batch)
    session.flush()
    if netting:
        ledger.post(session, Txn("net", p.year, tuple(netting), ref=f"settlement:{batch.id}",
                                 memo="receivables netted against payables"))
    postings: list[Posting] = []
    for payee_id, amount in sorted(due.items()):
        prov, city = split_funding(amount, province_bp=p.province_bp)
        payee: Provider | Organisation | None = (session.get(Provider, payee_id) if ptype == "provider"
                                                 else session.get(Organisation, payee_id))
        name = payee.name if payee is not None else f"{ptype} {payee_id}"
        count = session.scalar(select(func.count(Bill.id)).where(
            Bill.programme_id == p.id, Bill.subsidy_fen > 0,
            (Bill.provider_id if ptype == "provider" else Bill.org_id) == payee_id)) or 0
        batch.lines.append(SettlementLine(payee_type=ptype, payee_id=payee_id, payee_name=name, amount_fen=amount,
                                          province_fen=prov, city_fen=city, bill_count=count))
        postings += [Posting(prefix + str(payee_id), -amount),
                     Posting(f"settling:{p.year}:batch:{batch.id}", amount)]
        batch.total_fen += amount
        batch.province_fen += prov
        batch.city_fen += city
    ledger.post(session, Txn("settle", p.year, tuple(postings), ref=f"settlement:{batch.id}"))
    payee_col = Bill.provider_id if ptype == "provider" else Bill.org_id
    linked = session.execute(update(Bill).where(  # each bill remembers its batch (provider portal, issue 15)
        Bill.programme_id == p.id, Bill.kind == "bill", Bill.subsidy_fen > 0, Bill.settlement_id.is_(None),
        payee_col.in_(sorted(due))).values(settlement_id=batch.id).execution_options(synchronize_session=False))
    session.flush()
    netted = sum(x.amount for x in netting if x.account.startswith("receivable:") and x.amount > 0)
    record(session, actor=actor, action="settlement.create", entity="settlement", entity_id=batch.id,
           after={"year": p.year, "total_fen": batch.total_fen, "lines": len(batch.lines),
                  "bills": getattr(linked, "rowcount", None)}
           | ({"netted_fen": netted} if netted else {}))
    return batch


def record_repayment(session: Session, *, actor: Actor, year: int, payee_id: int, amount_fen: int,
                     payment_ref: str) -> int:
    """A payee paid back (part of) what it owes the year's pool; returns what it still owes.

    The money returns to the funding sources in the programme's province:city split (``repaid``
    accounts, credit balances that reduce the net amount paid out)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator records repayments")
    if amount_fen <= 0:
        raise InvalidInput("a repayment is a positive amount of fen", field="amount_fen")
    if not payment_ref.strip():
        raise InvalidInput("a repayment needs the bank transfer's reference", field="payment_ref")
    p = get_programme(session, year=year, lock=True)
    ptype = payee_type_for(p.settlement_mode)
    ledger.lock_books(session, PAYABLES_LOCK)
    acct = acct_receivable(year, ptype, payee_id)
    owed = -ledger.balance(session, acct)
    if amount_fen > owed:
        raise InvalidInput(f"{ptype} {payee_id} owes {owed} fen to the {year} pool, less than {amount_fen}",
                           field="amount_fen", fix=f"record at most {owed} fen",
                           key="repay_over_owed", params={"payee": f"{ptype} {payee_id}", "owed_fen": owed,
                                   "amount_fen": amount_fen, "year": year})
    prov, city = split_funding(amount_fen, province_bp=p.province_bp)
    postings = [Posting(acct, amount_fen)] + [Posting(f"repaid:{year}:{src}:{ptype}:{payee_id}", -v)
                                              for src, v in (("province", prov), ("city", city)) if v]
    ledger.post(session, Txn("repay", year, tuple(postings), ref=f"{ptype}:{payee_id}", memo=payment_ref.strip()))
    record(session, actor=actor, action="clawback.repaid", entity="programme", entity_id=p.id,
           after={"year": year, "payee_type": ptype, "payee_id": payee_id, "amount_fen": amount_fen,
                  "payment_ref": payment_ref.strip(), "still_owed_fen": owed - amount_fen})
    return owed - amount_fen


def get_settlement(session: Session, *, actor: Actor, batch_id: int) -> SettlementBatch:
    b = session.get(SettlementBatch, batch_id)
    if b is None or not (actor.is_office or (actor.is_provider and b.payee_type == "provider"
                                            and any(ln.payee_id == actor.provider_id for ln in b.lines))):
        raise NotFound(f"settlement {batch_id} not found", field="settlement_id",
                       key="settlement_not_found", params={"id": batch_id})
    return b


def list_settlements(session: Session, *, actor: Actor) -> list[SettlementBatch]:
    if not actor.is_office:
        raise Forbidden("settlement batches are managed by the programme office")
    return list(session.scalars(select(SettlementBatch).order_by(SettlementBatch.id.desc())))


def mark_exported(session: Session, *, actor: Actor, batch_id: int) -> SettlementBatch:
    b = get_settlement(session, actor=actor, batch_id=batch_id)
    if b.status == BatchStatus.DRAFT:
        b.status = BatchStatus.EXPORTED
        record(session, actor=actor, action="settlement.export", entity="settlement", entity_id=b.id,
               before={"status": "draft"}, after={"status": b.status})
    return b


def mark_paid(session: Session, *, actor: Actor, batch_id: int, payment_ref: str) -> SettlementBatch:
    """Record the payment: the batch's money moves to ``paid`` by funding source (province/city)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator marks settlements paid")
    b = session.scalar(_for_update(session, select(SettlementBatch).where(SettlementBatch.id == batch_id)))
    if b is None:
        raise NotFound(f"settlement {batch_id} not found", field="settlement_id",
                       key="settlement_not_found", params={"id": batch_id})
    if b.status == BatchStatus.PAID:
        raise Conflict(f"settlement {batch_id} is already paid ({b.payment_ref})", field="settlement_id",
                       key="settlement_already_paid", params={"id": batch_id, "ref": b.payment_ref})
    p = programmes.year_of(session, KIND, b.programme_id)
    postings = [Posting(f"settling:{p.year}:batch:{b.id}", -b.total_fen)]
    for ln in b.lines:
        postings += [Posting(f"paid:{p.year}:province:{ln.payee_type}:{ln.payee_id}", ln.province_fen),
                     Posting(f"paid:{p.year}:city:{ln.payee_type}:{ln.payee_id}", ln.city_fen)]
    ledger.post(session, Txn("pay", p.year, tuple(postings), ref=f"settlement:{b.id}", memo=payment_ref))
    before = {"status": b.status}
    b.status, b.paid_at, b.payment_ref = BatchStatus.PAID, _now(), payment_ref.strip()
    session.flush()
    record(session, actor=actor, action="settlement.paid", entity="settlement", entity_id=b.id, before=before,
           after={"status": b.status, "payment_ref": b.payment_ref, "total_fen": b.total_fen})
    return b


# --- year end ---------------------------------------------------------------------------------


def close_year(session: Session, *, actor: Actor, year: int) -> dict[str, int]:
    """Year end: every unused quota expires back to the pool, pending applications lapse, no more bills."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator closes a programme year")
    p = programmes.begin_close(session, KIND, year=year)
    apps = {a.id: a for a in session.scalars(_for_update(session, select(QuotaApplication).where(
        QuotaApplication.programme_id == p.id).order_by(QuotaApplication.id))).all()}
    for a in apps.values():
        session.refresh(a)
    plan = plan_close([Holding(a.id, HOLDS if a.status in HOLDING else PENDING if a.status == AppStatus.SUBMITTED
                               else DONE, a.remaining_fen) for a in apps.values()], policy=EXPIRE_UNUSED)
    for app_id, left in plan.expire:
        ledger.post(session, transfer("expire", year, debit=acct_pool(year), credit=acct_quota(year, app_id),
                                      amount=left, ref=f"application:{app_id}"))
        apps[app_id].expired_fen += left
    for app_id in plan.closed:
        apps[app_id].status = AppStatus.EXPIRED
    for app_id in plan.lapsed:
        apps[app_id].status, apps[app_id].review_reason = AppStatus.REJECTED, "programme year closed before review"
    expired_total = plan.expired_fen
    p.status = ProgrammeStatus.CLOSED
    session.flush()
    # what payees owe back stays a receivable of this year's pool: netted at this year's next
    # settlement or repaid, never paid from another year's money
    receivable = -sum(ledger.balances_like(session, f"receivable:{year}:").values())
    record(session, actor=actor, action="programme.close", entity="programme", entity_id=p.id,
           before={"status": "open"}, after={"status": "closed", "expired_fen": expired_total,
                                             "receivable_fen": receivable})
    return {"expired_fen": expired_total, "applications": len(apps), "receivable_fen": receivable}


#: The service's public names, including those defined in ``books`` (account names, programme
#: years) and ``bills`` (recording bills) that callers reach as ``service.<name>``.
__all__ = ["HOLDING", "MAX_BATCH", "PAYABLES_LOCK", "acct_payable", "acct_pool", "acct_quota", "acct_receivable",
           "activate_due", "audit_refused", "get_programme", "line_amount", "payee_type_for", "payload_hash",
           "record_bill", "record_bills", "rules_of"]


def audit_refused(sessionmaker: Callable[[], Session], *, actor: Actor, exc: BaseException) -> None:
    """Audit a refused attempt (``exc.refused``) in a transaction of its own, after the refused one
    was rolled back: nothing of the attempt is recorded except this event."""
    info = getattr(exc, "refused", None)
    if not info:
        return
    info = dict(info)
    with sessionmaker() as s:
        record(s, actor=actor, action=info.pop("action"), entity="bill", entity_id=info.get("invoice_no"),
               after=info, org_id=info.get("org_id"))
        s.commit()
