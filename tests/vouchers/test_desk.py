"""Group commit: bills pushed one at a time by concurrent callers share transactions, and each
caller still gets exactly its own answer (real threads, real database)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import approved_quota, code, make_world

from yuzhi.audit.service import verify_chain
from yuzhi.db import for_update, session_factory, transaction
from yuzhi.errors import Conflict, DomainError, InvalidInput
from yuzhi.vouchers.desk import BillDesk
from yuzhi.vouchers.models import Bill, QuotaApplication
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import BillIn

N = 16


def bill_in(unit: int, inv: str, amount: int) -> BillIn:
    return BillIn(invoice_no=inv, customer_uscc=code(unit + 1), period_start=date(2026, 3, 1),
                  period_end=date(2026, 3, 31), amount_fen=amount)


def held_writes(engine):
    """An open transaction holding the quota rows (PostgreSQL) or the write lock (SQLite), so the
    desk's first batch waits while the other callers queue behind it."""
    s = Session(engine)
    s.execute(for_update(s, select(QuotaApplication)))
    return s


def run_gated(engine, desk, actor, bills):
    gate = held_writes(engine)

    def push(b):
        try:
            return desk.submit(actor=actor, bill_in=b)
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(len(bills)) as pool:
        first = pool.submit(push, bills[0])
        time.sleep(0.3)  # the first caller leads and waits on the held rows
        rest = [pool.submit(push, b) for b in bills[1:]]
        deadline = time.monotonic() + 20
        while sum(len(q) for q in desk._queues.values()) < len(bills) - 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        gate.rollback()
        gate.close()
        return [first.result(), *[f.result() for f in rest]]


def test_concurrent_single_bills_are_committed_together(engine):
    with transaction(engine) as s:
        w = make_world(s, units=2)
        apps = [approved_quota(s, w, u, 1_000_00, contract=f"C-{u}") for u in range(2)]  # 200.00 yuan each
    desk = BillDesk(session_factory(engine), max_inflight=1)  # one writer: the grouping is deterministic
    out = run_gated(engine, desk, w.provider, [bill_in(i % 2, f"D-{i}", 150_00 + i) for i in range(N)])
    assert (desk.batches, desk.bills) == (2, N)  # the first bill alone, then everyone who queued behind it
    assert all(isinstance(r, tuple) and r[1] is False for r in out)
    subsidies = {r[0].invoice_no: r[0].subsidy_fen for r in out}
    assert sum(subsidies.values()) == 2 * 200_00  # both quotas drawn exactly, never beyond
    # arrival order decides who gets quota: the first bill for unit 0 got its full 20%
    assert subsidies["D-0"] == 30_00
    with transaction(engine) as s:
        assert [s.get(QuotaApplication, a).remaining_fen for a in apps] == [0, 0]
        assert s.scalar(select(func.count(Bill.id))) == N
        assert check_books(s)[0] == [] and verify_chain(s)[0] == []


def test_a_bad_bill_fails_alone_with_its_own_error(engine):
    with transaction(engine) as s:
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 10_000_00, contract="C-0")
    desk = BillDesk(session_factory(engine), max_inflight=1)
    bills = [bill_in(0, f"E-{i}", 100_00) for i in range(8)]
    bills[3] = bills[3].model_copy(update={"customer_uscc": code(55)})  # not registered
    bills[5] = bill_in(0, "E-1", 999_00)  # same invoice as bill 1, different content
    bills[6] = bill_in(0, "E-2", 100_00)  # an identical resend of bill 2
    out = run_gated(engine, desk, w.provider, bills)
    assert isinstance(out[3], InvalidInput) and out[3].field == "customer_uscc"  # as a single push says it
    assert "not registered" in out[3].message and "bills." not in out[3].message
    assert isinstance(out[5], Conflict) and out[5].field == "invoice_no"
    assert out[6][1] is True and out[6][0].id == out[2][0].id  # replay
    ok = [r for i, r in enumerate(out) if i not in (3, 5, 6)]
    assert all(isinstance(r, tuple) and r[0].subsidy_fen == 20_00 for r in ok)
    with transaction(engine) as s:
        assert s.scalar(select(func.count(Bill.id))) == 5  # bills 0, 1, 2, 4, 7
        assert check_books(s)[0] == []


def test_callers_never_wait_for_each_others_failure(engine):
    """A caller that may not push bills gets its refusal; others' bills go through."""
    with transaction(engine) as s:
        w = make_world(s, units=1)
        approved_quota(s, w, 0, 10_000_00, contract="C-0")
    desk = BillDesk(session_factory(engine))
    results: list[object] = []

    def push(actor, b):
        try:
            results.append(desk.submit(actor=actor, bill_in=b))
        except DomainError as exc:
            results.append(exc)

    callers = [w.units[0] if i % 4 == 0 else w.provider for i in range(12)]  # a unit may not push bills
    threads = [threading.Thread(target=push, args=(a, bill_in(0, f"F-{i}", 50_00))) for i, a in enumerate(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 3 and all(r.code == "forbidden" for r in refused)
    assert len([r for r in results if isinstance(r, tuple)]) == 9


def test_several_writers_in_flight_lose_nothing(engine):
    """64 callers, four transactions at a time: every caller gets one answer, quotas end exact."""
    units, callers = 4, 64
    with transaction(engine) as s:
        w = make_world(s, units=units)
        apps = [approved_quota(s, w, u, 2_000_00, contract=f"C-{u}") for u in range(units)]  # 400.00 each
    desk = BillDesk(session_factory(engine), max_inflight=4)
    with ThreadPoolExecutor(32) as pool:
        out = list(pool.map(lambda i: desk.submit(actor=w.provider, bill_in=bill_in(i % units, f"G-{i}", 200_00)),
                            range(callers)))
    assert sorted(b.invoice_no for b, _ in out) == sorted(f"G-{i}" for i in range(callers))
    assert sum(b.subsidy_fen for b, _ in out) == units * 400_00  # 16 bills x 40.00 per unit, 400.00 of quota
    assert desk.bills == callers and desk.batches <= callers
    assert desk._queues == {} and desk._inflight == {}  # every writer slot was given back
    with transaction(engine) as s:
        assert [s.get(QuotaApplication, a).remaining_fen for a in apps] == [0] * units
        assert check_books(s)[0] == [] and verify_chain(s)[0] == []
