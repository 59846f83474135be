"""Recording providers' bills and credit notes: one at a time or a whole billing run at once.

A bill is the platform's hottest write (every provider pushes every invoice), so bills are recorded
set-based: a batch of N bills costs the same ~13 statements as one bill, not 13 × N. The steps:

1. check every bill on its own (customer code, usage period inside one programme year, lines add up);
2. read in one statement each: the provider, its invoices already on file (idempotency), the
   customers (each with whether it is declared affiliated with the provider and whether it is the
   provider's customer at all: a provider bills only units bound to it by a voucher application
   naming its contract, by compute jobs run on it, by a declared affiliation, or itself), the programme years,
   and the customers' quotas with this provider, locked ``FOR UPDATE`` in id order (so concurrent
   batches cannot deadlock);
3. price every bill in memory, in the order given: subsidy = rate × eligible amount rounded down to the
   fen, limited by the quota left after the bills before it (oldest quota drawn first);
4. write with multi-row ``INSERT``s: bills, lines, quota draws, one ledger transaction per subsidised
   bill, one audit event per bill.

A batch is all or nothing: the first bad bill aborts it with an error naming ``bills.<i>.<field>`` and
nothing is written. Credit notes run one by one in their place in the batch (they are rare and
touch the original bill's allocations). :func:`record_bill` is a batch of one.

Lock order, the same on every path (so no two writers can deadlock): original bills, then quota
applications, each in ascending id; then the dashboard's month rows, the payables lock, the audit
chains. A batch with credit notes takes its bill and quota locks up front (two statements); a quota
whose 公示 ended takes effect in the bill path only among the rows the batch already holds.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from yuzhi.accounts import uscc as uscc_rules
from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.accounts.models import Affiliation, Organisation, OrgStatus
from yuzhi.audit.chain import canonical_json
from yuzhi.audit.service import Change, record_many
from yuzhi.compute.models import ComputeJob
from yuzhi.db import for_update, utcnow
from yuzhi.errors import Conflict, DomainError, Forbidden, InvalidInput
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import Posting, Txn
from yuzhi.providers import service as registry
from yuzhi.providers.models import Provider
from yuzhi.vouchers import books as programme
from yuzhi.vouchers import summary
from yuzhi.vouchers.models import (
    AppStatus,
    Bill,
    BillAllocation,
    BillKind,
    BillLine,
    Programme,
    ProgrammeStatus,
    QuotaApplication,
)
from yuzhi.vouchers.rules import SettlementMode, reversal_for_credit
from yuzhi.vouchers.schemas import BillIn

#: Largest batch accepted in one call (one transaction; a provider's monthly run is split above this).
MAX_BATCH = 1000

# The statements of the hot path, built once (building a statement costs more than running it) and
# run on the session's connection: plain rows, no ORM objects except the bills returned to callers.
_B, _O, _P = Bill.__table__, Organisation.__table__, Programme.__table__
_A, _Q, _AL = Affiliation.__table__, QuotaApplication.__table__, BillAllocation.__table__
_J = ComputeJob.__table__
_ON_FILE = select(_B.c.invoice_no, _B.c.id).where(
    _B.c.provider_id == bindparam("provider"), _B.c.invoice_no.in_(bindparam("invoices", expanding=True)))
_CUSTOMERS = select(  # each customer, whether it is declared affiliated with the provider's organisation,
    _O.c.id, _O.c.uscc, _O.c.status,  # and whether the unit itself ever bound itself to the provider
    exists().where(or_(and_(_A.c.org_a_id == _O.c.id, _A.c.org_b_id == bindparam("own")),
                       and_(_A.c.org_b_id == _O.c.id, _A.c.org_a_id == bindparam("own")))).label("affiliated"),
    or_(exists().where(_Q.c.org_id == _O.c.id, _Q.c.provider_id == bindparam("provider")),
        exists().where(_J.c.org_id == _O.c.id, _J.c.provider_id == bindparam("provider"))).label("customer"),
).where(_O.c.uscc.in_(bindparam("codes", expanding=True)))
_PROVIDER = select(Provider.__table__).where(Provider.__table__.c.id == bindparam("id"))
_YEARS = select(_P).where(_P.c.year.in_(bindparam("years", expanding=True)))
_QUOTAS = (select(_Q.c.id, _Q.c.org_id, _Q.c.programme_id, _Q.c.status, _Q.c.approved_fen, _Q.c.used_fen,
                  _Q.c.expired_fen, _Q.c.disclosure_until, _Q.c.effective_at)
           .where(_Q.c.provider_id == bindparam("provider"), _Q.c.org_id.in_(bindparam("orgs", expanding=True)),
                  _Q.c.programme_id.in_(bindparam("programmes", expanding=True)),
                  _Q.c.status.in_([AppStatus.EFFECTIVE.value, AppStatus.DISCLOSURE.value]))
           .order_by(_Q.c.id))  # locked in id order: concurrent batches cannot deadlock
_QUOTAS_LOCKED = _QUOTAS.with_for_update()
# A batch with credit notes locks, at its start, the original bills it credits and then every quota
# row it may touch (its bills' quotas, and those the originals drew), each set in id order in one
# statement: original bills, then quotas, is the one global order of every bill path.
_LOCK_ORIGINALS = (select(_B.c.id).where(
    _B.c.provider_id == bindparam("provider"), _B.c.invoice_no.in_(bindparam("invoices", expanding=True)),
    _B.c.kind == BillKind.BILL.value).order_by(_B.c.id).with_for_update())
_LOCK_QUOTAS = (select(_Q.c.id).where(or_(
    cast(ColumnElement[bool], _QUOTAS.whereclause),  # (set: _QUOTAS has a WHERE)
    _Q.c.id.in_(select(_AL.c.application_id).where(_AL.c.bill_id.in_(bindparam("bills", expanding=True)))),
)).order_by(_Q.c.id).with_for_update())
_INSERT_BILLS = insert(Bill).returning(Bill, sort_by_parameter_order=True)
_INSERT_LINES = insert(cast(Table, BillLine.__table__))  # (declared a FromClause; it is the Table)
_INSERT_ALLOCATIONS = insert(cast(Table, _AL))
_DRAW = (update(cast(Table, _Q)).where(_Q.c.id == bindparam("app_id"))
         .values(used_fen=_Q.c.used_fen + bindparam("drawn"), updated_at=bindparam("now")))


def payload_hash(bill_in: BillIn, provider_id: int) -> str:
    data = bill_in.model_dump(mode="json")
    data["provider_id"] = provider_id
    data["customer_uscc"] = data["customer_uscc"].strip().upper()
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def line_amount(quantity: Decimal, unit_price_fen: Decimal) -> int:
    """One bill line in fen: quantity × unit price, rounded half-up (as on the provider's invoice)."""
    return int((quantity * unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- public entry points ----------------------------------------------------------------------


def record_bill(session: Session, *, actor: Actor, bill_in: BillIn, source: str = "api") -> tuple[Bill, bool]:
    """Record a metered bill or credit note; return ``(bill, replay)``.

    Idempotent per (provider, invoice number): the same payload again returns the original
    result (``replay=True``); a different payload under the same number is a 409.
    """
    return record_bills(session, actor=actor, bills_in=[bill_in], source=source)[0]


def record_bills(session: Session, *, actor: Actor, bills_in: Sequence[BillIn],
                 source: str = "api") -> list[tuple[Bill, bool]]:
    """Record a batch of bills and credit notes from one provider, in order, all or nothing.

    Returns ``(bill, replay)`` per input, in input order. Errors name the bill as ``bills.<i>``
    (for a batch of one, just the field, as for a single push).
    """
    if not bills_in:
        raise InvalidInput("the batch holds no bills", field="bills", fix="send at least one bill")
    if len(bills_in) > MAX_BATCH:
        raise InvalidInput(f"{len(bills_in)} bills in one batch; at most {MAX_BATCH} are accepted",
                           field="bills", fix=f"split the run into batches of {MAX_BATCH} or fewer",
                           key="bills_batch_too_large", params={"count": len(bills_in), "most": MAX_BATCH})
    batch = _Batch(session, actor, source, list(bills_in))
    return batch.run()


# --- the batch --------------------------------------------------------------------------------


@dataclass
class _Item:
    index: int
    bill_in: BillIn
    invoice: str
    digest: str
    code: str  # customer USCC, normalised
    year: int
    line_amounts: list[int]
    replay_of: int | None = None  # index of an earlier item in this batch with the same invoice


@dataclass
class _Quota:
    """A locked, effective quota application, as far as pricing needs it."""

    id: int
    remaining: int
    effective_at: datetime | None
    drawn: int = 0


@dataclass
class _Priced:
    item: _Item
    org: Row  # organisations (id, uscc, status)
    prog: Row  # a voucher_programmes row
    eligible: int
    subsidy: int
    reason: str
    draws: list[tuple[_Quota, int]] = field(default_factory=list)


class _Batch:
    def __init__(self, session: Session, actor: Actor, source: str, bills_in: list[BillIn]) -> None:
        self.session, self.actor, self.source, self.bills_in = session, actor, source, bills_in
        self.many = len(bills_in) > 1
        # subsidy posted to payables by this batch's bills, in order (a credit note's split needs it)
        self.payable_log: list[tuple[str, int]] = []
        self.refunds: list[_Refund] = []  # credit notes' ledger transactions, posted at the end
        self.changes: list[Change] = []  # the batch's audit events, written at the end
        self.system_changes: list[Change] = []  # quotas that took effect on the way (the system's events)

    @contextmanager
    def _about(self, index: int) -> Iterator[None]:
        """Name the bill in any error raised while handling it (batches only)."""
        try:
            yield
        except DomainError as exc:
            # the CLI names the file's line instead: keep the bill's own message and field too
            exc.batch_index, exc.item_message, exc.item_field = index, exc.message, exc.field  # type: ignore[attr-defined]
            if not self.many:
                raise
            inv = self.bills_in[index].invoice_no
            exc.message = f"bill {index} (invoice {inv}): {exc.message}; nothing in this batch was recorded"
            exc.field = f"bills.{index}" + (f".{exc.field}" if exc.field else "")
            exc.args = (exc.message,)
            raise

    def run(self) -> list[tuple[Bill, bool]]:
        self.session.flush()  # the reads below run on the connection: let them see the caller's changes
        self.conn = self.session.connection()
        self.postgres = self.conn.dialect.name == "postgresql"
        self.provider = self._provider()
        items = [self._check(i, b) for i, b in enumerate(self.bills_in)]
        existing = self._existing(items)
        new = [it for it in items if it.invoice not in existing and it.replay_of is None]
        self.orgs = self._orgs(new)
        self.programmes = self._programmes(new)
        if self.postgres and any(it.bill_in.kind == BillKind.CREDIT.value for it in new):
            self._lock_rows(new)
        results: list[tuple[Bill, bool] | None] = [None] * len(items)
        segment: list[_Item] = []
        for it in items:
            if it.invoice in existing:
                results[it.index] = (existing[it.invoice], True)
            elif it.replay_of is not None:
                pass  # filled in below, once the first occurrence is written
            elif it.bill_in.kind == BillKind.CREDIT.value:
                self._debits(segment, results)
                segment = []
                with self._about(it.index):
                    results[it.index] = (self._credit(it), False)
            else:
                segment.append(it)
        self._debits(segment, results)
        for it in items:
            if results[it.index] is None and it.replay_of is not None:
                results[it.index] = (results[it.replay_of][0], True)  # type: ignore[index]
        summary.add(self.conn, [b for b, replay in results if not replay])  # type: ignore[misc]  # dashboard totals, same transaction (issue 14)
        # last, in this order: every row lock of the batch is held before the payables lock, and that
        # before the audit chains' locks (so no lock is ever awaited while holding a later one)
        self._post_refunds()
        if self.changes:  # (first: the batch's ledger transactions join its bills' events)
            record_many(self.session, actor=self.actor, changes=self.changes)
        if self.system_changes:
            record_many(self.session, actor=SYSTEM, changes=self.system_changes)
        return results  # type: ignore[return-value]

    def _lock_rows(self, items: list[_Item]) -> None:
        """Take every row lock a batch with credit notes needs, up front and in the global order.

        Taken one by one where each bill needs them, two batches could lock the same rows in opposite
        orders: credits of the same originals in opposite order, or a credit note giving quota back
        newest application first while a bill draws oldest first. The later per-row locks then find
        the rows already held and never wait."""
        credits = [it for it in items if it.bill_in.kind == BillKind.CREDIT.value]
        invoices = sorted({(it.bill_in.original_invoice_no or "").strip() for it in credits})
        originals = [r.id for r in self.conn.execute(_LOCK_ORIGINALS, {"provider": self.provider.id,
                                                                         "invoices": invoices})]
        debits = [it for it in items if it.bill_in.kind == BillKind.BILL.value]
        self.conn.execute(_LOCK_QUOTAS, {
            "provider": self.provider.id, "bills": originals,
            "orgs": sorted({self.orgs[it.code].id for it in debits}),
            "programmes": sorted({self.programmes[it.year].id for it in debits})}).all()

    # --- reads ---------------------------------------------------------------------------------

    def _provider(self) -> Row:
        ids = {b.provider_id for b in self.bills_in}
        actor = self.actor
        if actor.is_provider:
            for i, b in enumerate(self.bills_in):
                if b.provider_id not in (None, actor.provider_id):
                    with self._about(i):
                        raise Forbidden("a provider pushes bills only for itself", field="provider_id")
            return self._provider_row(actor.provider_id)  # type: ignore[arg-type]
        if actor.is_admin:
            if None in ids:
                with self._about([b.provider_id for b in self.bills_in].index(None)):
                    raise InvalidInput("provider_id is required when the office records a bill",
                                       field="provider_id")
            if len(ids) > 1:
                raise InvalidInput("a batch holds one provider's bills", field="bills",
                                   fix="send one batch per provider")
            return self._provider_row(ids.pop())  # type: ignore[arg-type]
        raise Forbidden("only providers (or the office) record bills")

    def _provider_row(self, provider_id: int) -> Row:
        row = self.conn.execute(_PROVIDER, {"id": provider_id}).first()
        if row is None:
            registry.get(self.session, provider_id=provider_id)  # raises the standard NotFound
        return row  # type: ignore[return-value]

    def _check(self, index: int, b: BillIn) -> _Item:
        """Rules that need no database; raise on the first problem."""
        with self._about(index):
            code = uscc_rules.parse(b.customer_uscc, field="customer_uscc").code
            if b.period_start.year != b.period_end.year:
                raise InvalidInput(
                    f"usage period {b.period_start}..{b.period_end} spans two programme years",
                    field="period_end", fix=f"split the invoice at {b.period_start.year}-12-31: one bill per year",
                    key="bill_spans_years",
                    params={"start": b.period_start, "end": b.period_end, "year": b.period_start.year})
            amounts = [line_amount(ln.quantity, ln.unit_price_fen) for ln in b.lines]
            if amounts and sum(amounts) != b.amount_fen:
                raise InvalidInput(f"lines add up to {sum(amounts)} fen but amount_fen is {b.amount_fen}",
                                   field="lines", fix="make amount_fen the sum of quantity × unit_price_fen "
                                                       "(each line rounded half-up to the fen)",
                                   key="bill_lines_sum", params={"lines_fen": sum(amounts), "amount_fen": b.amount_fen})
        return _Item(index, b, b.invoice_no.strip(), payload_hash(b, self.provider.id), code,
                     b.period_start.year, amounts)

    def _existing(self, items: list[_Item]) -> dict[str, Bill]:
        """Invoices already on file (replays) and repeats within the batch; conflicts raise."""
        on_file = self.conn.execute(_ON_FILE, {"provider": self.provider.id,
                                               "invoices": sorted({it.invoice for it in items})}).all()
        found = {b.invoice_no: b for b in self.session.scalars(
            select(Bill).where(Bill.id.in_([i for _, i in on_file])))} if on_file else {}
        first: dict[str, _Item] = {}
        for it in items:
            earlier = found.get(it.invoice)
            digest = earlier.payload_hash if earlier is not None else None
            if earlier is None and it.invoice in first:
                it.replay_of = first[it.invoice].index
                digest = first[it.invoice].digest
            if digest is not None and digest != it.digest:
                with self._about(it.index):
                    raise Conflict(f"invoice {it.invoice} was already recorded with different content",
                                   field="invoice_no", fix="send the original payload to retry, or use a new "
                                                           "invoice number (credit notes correct a bill)",
                                   key="bill_invoice_differs", params={"invoice": it.invoice})
            first.setdefault(it.invoice, it)
        return found

    def _orgs(self, items: list[_Item]) -> dict[str, Row]:
        if not items:
            return {}
        orgs = {r.uscc: r for r in self.conn.execute(_CUSTOMERS, {"codes": sorted({it.code for it in items}),
                                                                  "own": self.provider.org_id,
                                                                  "provider": self.provider.id})}
        for it in items:
            if it.code not in orgs:
                with self._about(it.index):
                    raise InvalidInput(f"customer {it.code} is not registered on the platform",
                                       field="customer_uscc", fix="the unit registers first; bills for "
                                                                  "unregistered customers are not accepted",
                                       key="bill_customer_unknown", params={"uscc": it.code})
            org = orgs[it.code]
            if not (org.customer or org.affiliated or org.id == self.provider.org_id):
                with self._about(it.index):
                    raise self._not_customer(it, org)
        return orgs

    def _not_customer(self, it: _Item, org: Row) -> Forbidden:
        """A bill for a unit that never bound itself to this provider: it would put an amount owed on
        that unit's official statement. Refused; the caller audits the attempt (``refused``) after
        the rollback, so the record survives while the bill does not."""
        exc = Forbidden(f"customer {it.code} is not a customer of this provider: it has no voucher application "
                        "naming your contract and has run no compute job on you; a provider bills only its own "
                        "customers", field="customer_uscc",
                        fix="the unit applies for a voucher naming your contract (or runs its jobs on your "
                            "compute) first; check the customer code")
        exc.refused = {"action": "bill.refused", "org_id": org.id, "provider_id": self.provider.id,  # type: ignore[attr-defined]
                       "invoice_no": it.invoice, "customer_uscc": it.code, "amount_fen": it.bill_in.amount_fen,
                       "reason": "not a customer of this provider"}
        return exc

    def _programmes(self, items: list[_Item]) -> dict[int, Row]:
        if not items:
            return {}
        progs = {p.year: p for p in self.conn.execute(_YEARS, {"years": sorted({it.year for it in items})})}
        for it in items:
            with self._about(it.index):
                p = progs.get(it.year)
                if p is None:
                    programme.get_programme(self.session, year=it.year)  # raises the standard NotFound
                elif p.status != ProgrammeStatus.OPEN and it.bill_in.kind == BillKind.BILL.value:
                    raise InvalidInput(f"the {p.year} programme year is closed; no more bills for its usage",
                                       field="period_start",
                                       fix="bills must arrive before the office closes the year",
                                       key="bill_year_closed", params={"year": p.year})
        return progs

    def _quotas(self, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[_Quota]]:
        """Effective quotas per (org, programme) with this provider, locked, oldest first."""
        if not keys:
            return {}
        params = {"provider": self.provider.id, "orgs": sorted({o for o, _ in keys}),
                  "programmes": sorted({p for _, p in keys})}
        rows = self.conn.execute(_QUOTAS_LOCKED if self.postgres else _QUOTAS, params).all()
        now = programme._now()
        due = [r.id for r in rows
               if r.status == AppStatus.DISCLOSURE and r.disclosure_until and r.disclosure_until <= now]
        if due:
            # a disclosure period just ended: take effect first (audited at the end, by the system);
            # only the rows this batch holds locked: another unit's due quota is its own bills' business
            programme.activate_due(self.session, now, defer_audit=self.system_changes, ids=due)
            self.session.flush()
            rows = self.conn.execute(_QUOTAS, params).all()
        out: dict[tuple[int, int], list[_Quota]] = defaultdict(list)
        for r in rows:
            if r.status == AppStatus.EFFECTIVE and (r.org_id, r.programme_id) in keys:
                out[(r.org_id, r.programme_id)].append(
                    _Quota(r.id, r.approved_fen - r.used_fen - r.expired_fen, r.effective_at))
        for apps in out.values():
            apps.sort(key=lambda a: (a.effective_at is None, a.effective_at or now, a.id))
        return out

    # --- debits --------------------------------------------------------------------------------

    def _reason(self, it: _Item, org: Row) -> str:
        b = it.bill_in
        if org.status != OrgStatus.APPROVED:
            return f"unit is {org.status}, not approved"
        provider = cast(Provider, self.provider)  # a row of the providers table: the attributes the rules read
        return registry.qualification_problem(provider, start=b.period_start, end=b.period_end) \
            or registry.relation_problem(provider, customer_org_id=org.id, affiliated=bool(org.affiliated)) \
            or ""

    def _price(self, items: list[_Item]) -> list[_Priced]:
        priced = []
        for it in items:
            org, prog = self.orgs[it.code], self.programmes[it.year]
            reason = self._reason(it, org)
            priced.append(_Priced(it, org, prog, 0 if reason else it.bill_in.amount_fen, 0, reason))
        quotas = self._quotas({(p.org.id, p.prog.id) for p in priced if p.eligible})
        for p in priced:
            if not p.eligible:
                continue
            apps = quotas.get((p.org.id, p.prog.id), [])
            remaining = sum(a.remaining for a in apps)
            rules = programme.rules_of(cast(Programme, p.prog))  # a programmes row, read like the model
            p.subsidy = rules.subsidy_for(eligible_fen=p.eligible, remaining_quota_fen=remaining)
            if not apps:
                p.reason = "no effective voucher quota with this provider (apply and wait for 公示)"
            elif p.subsidy == 0 and remaining == 0:
                p.reason = "voucher quota with this provider is used up"
            left = p.subsidy
            for a in apps:
                take = min(left, a.remaining)
                if take <= 0:
                    continue
                a.remaining -= take
                a.drawn += take
                left -= take
                p.draws.append((a, take))
        return priced

    def _debits(self, items: list[_Item], results: list[tuple[Bill, bool] | None]) -> None:
        if not items:
            return
        session, provider = self.session, self.provider
        priced = self._price(items)
        rows = []
        for p in priced:
            b, discount = p.item.bill_in, p.prog.settlement_mode == SettlementMode.DISCOUNT
            rows.append({
                "provider_id": provider.id, "org_id": p.org.id, "programme_id": p.prog.id, "invoice_no": p.item.invoice,
                "kind": BillKind.BILL.value, "period_start": b.period_start, "period_end": b.period_end,
                "amount_fen": b.amount_fen, "eligible_fen": p.eligible, "subsidy_fen": p.subsidy,
                "net_subsidy_fen": p.subsidy, "owed_fen": b.amount_fen - p.subsidy if discount else b.amount_fen,
                "credited_fen": 0, "ineligible_reason": p.reason, "settlement_mode": p.prog.settlement_mode,
                "payload_hash": p.item.digest, "source": self.source})
        bills = list(session.scalars(_INSERT_BILLS, rows))
        lines = [{"bill_id": bill.id, "resource": ln.resource, "quantity": str(ln.quantity), "unit": ln.unit,
                  "unit_price_fen": str(ln.unit_price_fen), "amount_fen": amt}
                 for bill, p in zip(bills, priced, strict=True)
                 for ln, amt in zip(p.item.bill_in.lines, p.item.line_amounts, strict=True)]
        if lines:
            self.conn.execute(_INSERT_LINES, lines)
        allocations, txns = [], []
        for bill, p in zip(bills, priced, strict=True):
            if not p.subsidy:
                continue
            postings = [Posting(programme.acct_quota(p.prog.year, a.id), -take) for a, take in p.draws]
            allocations += [{"bill_id": bill.id, "application_id": a.id, "amount_fen": take} for a, take in p.draws]
            mode = p.prog.settlement_mode
            payee = provider.id if mode == SettlementMode.DISCOUNT else p.org.id
            postings.append(Posting(programme.acct_payable(p.prog.year, programme.payee_type_for(mode), payee),
                                    p.subsidy))
            txns.append(Txn("subsidy", p.prog.year, tuple(postings), ref=f"bill:{bill.id}"))
        if allocations:
            self.conn.execute(_INSERT_ALLOCATIONS, allocations)
            drawn = {a.id: a.drawn for p in priced for a, _ in p.draws}
            now = utcnow()
            self.conn.execute(_DRAW, [{"app_id": i, "drawn": d, "now": now} for i, d in sorted(drawn.items())])
            for app_id in drawn:  # keep any copy already loaded in this session in step with the row
                obj = session.identity_map.get(session.identity_key(QuotaApplication, app_id))
                if obj is not None:
                    session.expire(obj, ["used_fen", "updated_at"])
        ledger.post_many(session, txns)
        self.payable_log += [(x.postings[-1].account, x.postings[-1].amount) for x in txns]
        self.changes += [Change("bill.record", "bill", bill.id, after=_snapshot(bill, provider.id), org_id=bill.org_id)
                         for bill in bills]
        for bill, p in zip(bills, priced, strict=True):
            results[p.item.index] = (bill, False)

    # --- credits -------------------------------------------------------------------------------

    def _credit(self, it: _Item) -> Bill:
        session, provider, b = self.session, self.provider, it.bill_in
        org, p = self.orgs[it.code], self.programmes[it.year]
        orig = session.scalar(for_update(session, select(Bill).where(
            Bill.provider_id == provider.id, Bill.invoice_no == (b.original_invoice_no or "").strip(),
            Bill.kind == BillKind.BILL)))
        if orig is None:
            raise InvalidInput(f"original invoice {b.original_invoice_no} not found for this provider",
                               field="original_invoice_no", fix="credit an invoice you pushed earlier",
                               key="bill_original_not_found", params={"invoice": b.original_invoice_no})
        session.refresh(orig)
        if orig.org_id != org.id:
            raise InvalidInput("the credit note's customer differs from the original invoice's customer",
                               field="customer_uscc")
        if orig.programme_id != p.id:
            raise InvalidInput("a credit note belongs to the year of the original usage period", field="period_start",
                               fix=f"use the original period {orig.period_start}..{orig.period_end}")
        open_amount = orig.amount_fen - orig.credited_fen
        if b.amount_fen > open_amount:
            raise InvalidInput(f"credit of {b.amount_fen} fen exceeds the {open_amount} fen still open on "
                               f"invoice {orig.invoice_no}", field="amount_fen",
                               fix=f"credit at most {open_amount} fen",
                               key="bill_credit_over_open",
                               params={"amount_fen": b.amount_fen, "open_fen": open_amount, "invoice": orig.invoice_no})
        credited_eligible_before = orig.credited_fen if orig.eligible_fen else 0
        reversal = 0
        if orig.eligible_fen and orig.net_subsidy_fen:
            reversal = reversal_for_credit(original_eligible_fen=orig.eligible_fen,
                                           credited_before_fen=credited_eligible_before, credit_fen=b.amount_fen,
                                           net_subsidy_fen=orig.net_subsidy_fen, rate_bp=p.rate_bp)
        credit = Bill(provider_id=provider.id, org_id=org.id, programme_id=p.id, invoice_no=it.invoice,
                      kind=BillKind.CREDIT, original_bill_id=orig.id, period_start=b.period_start,
                      period_end=b.period_end, amount_fen=b.amount_fen,
                      eligible_fen=b.amount_fen if orig.eligible_fen else 0, subsidy_fen=reversal,
                      owed_fen=0, settlement_mode=orig.settlement_mode, payload_hash=it.digest, source=self.source)
        # what the unit gets back from the provider: the credit less the subsidy it no longer receives
        credit.owed_fen = -(b.amount_fen - reversal) if orig.settlement_mode == SettlementMode.DISCOUNT \
            else -b.amount_fen
        credit.lines = [BillLine(resource=ln.resource, quantity=str(ln.quantity), unit=ln.unit,
                                 unit_price_fen=str(ln.unit_price_fen), amount_fen=amt)
                        for ln, amt in zip(b.lines, it.line_amounts, strict=True)]
        session.add(credit)
        session.flush()
        orig.credited_fen += b.amount_fen
        if reversal:
            orig.net_subsidy_fen -= reversal
            postings: list[Posting] = []
            left = reversal
            allocs = session.scalars(select(BillAllocation).where(BillAllocation.bill_id == orig.id)
                                     .order_by(BillAllocation.id.desc())).all()
            net_by_app: dict[int, int] = defaultdict(int)
            for al in allocs:
                net_by_app[al.application_id] += al.amount_fen
            for app_id in sorted(net_by_app, reverse=True):
                back = min(left, net_by_app[app_id])
                if back <= 0:
                    continue
                a = session.scalar(for_update(session, select(QuotaApplication).where(QuotaApplication.id == app_id)))
                session.refresh(a)
                a.used_fen -= back
                left -= back
                session.add(BillAllocation(bill_id=credit.id, application_id=app_id, amount_fen=-back))
                if p.status == ProgrammeStatus.CLOSED or a.status == AppStatus.EXPIRED:
                    a.expired_fen += back  # the year is closed: restored quota goes straight back to the pool
                    postings.append(Posting(programme.acct_pool(p.year), back))
                else:
                    postings.append(Posting(programme.acct_quota(p.year, app_id), back))
            session.flush()
            ptype = programme.payee_type_for(orig.settlement_mode)
            payee = provider.id if orig.settlement_mode == SettlementMode.DISCOUNT else org.id
            self.refunds.append(_Refund(credit.id, p.year, ptype, payee, reversal, postings, len(self.payable_log)))
        session.flush()
        self.changes.append(Change("credit.record", "bill", credit.id, after=_snapshot(credit, provider.id),
                                   org_id=org.id))
        return credit


    def _post_refunds(self) -> None:
        """Post the credit notes' ledger transactions, in their order in the batch, each taking its
        reversal back from the payee's payable while that covers it; the rest was already settled, so
        it becomes a receivable of the year's pool (the payee owes it).

        The split reads the payable's balance, so it runs under ``PAYABLES_LOCK``, and only here, at
        the end of the batch: every row lock of the batch (original bills, quotas — also expired ones
        —, the dashboard's month rows) is already held, so this transaction never waits for a row
        while holding the lock another writer that holds that row may be waiting for (the order of
        ``ledger.lock_books``). Each split sees the payable as it stood at its place in the batch:
        subsidy posted by the batch's later bills is not counted."""
        if not self.refunds:
            return
        ledger.lock_books(self.session, programme.PAYABLES_LOCK)
        for r in self.refunds:
            payable = programme.acct_payable(r.year, r.payee_type, r.payee_id)
            later = sum(v for acct, v in self.payable_log[r.log_at:] if acct == payable)
            from_payable = min(r.reversal, max(0, ledger.balance(self.session, payable) - later))
            postings = [Posting(payable, -from_payable)] if from_payable else []
            if r.reversal > from_payable:
                postings.append(Posting(programme.acct_receivable(r.year, r.payee_type, r.payee_id),
                                        -(r.reversal - from_payable)))
            ledger.post(self.session, Txn("refund", r.year, (*postings, *r.restored), ref=f"bill:{r.credit_id}"))


@dataclass
class _Refund:
    """A credit note's reversal waiting for the payables lock at the end of its batch."""

    credit_id: int
    year: int
    payee_type: str
    payee_id: int
    reversal: int
    restored: list[Posting]  # quota (or, once expired, pool) given back, per application
    log_at: int  # entries of ``payable_log`` written before this credit note


def _snapshot(bill: Bill, provider_id: int) -> dict[str, object]:
    return {"invoice_no": bill.invoice_no, "provider_id": provider_id, "org_id": bill.org_id,
            "amount_fen": bill.amount_fen, "eligible_fen": bill.eligible_fen, "subsidy_fen": bill.subsidy_fen,
            "owed_fen": bill.owed_fen, "reason": bill.ineligible_reason}
