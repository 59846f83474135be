"""Every bill path takes its row locks in one global order (PostgreSQL).

Original bills (ascending id), then quota applications (ascending id), then the dashboard's month
rows, then the payables lock, then the audit chains. Each test forces the interleaving that
deadlocked when one path broke that order: batch A pauses right after its first row lock on the
named table, batch B runs until it blocks, then A goes on. Both must commit (PostgreSQL would
abort one with ``DeadlockDetected`` after ``deadlock_timeout`` otherwise), and the books must hold.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from tests.conftest import is_postgres
from tests.factories import approved_quota, code, make_world

from yuzhi.db import transaction
from yuzhi.ledger import books
from yuzhi.vouchers import service
from yuzhi.vouchers.models import Bill, BillAllocation, QuotaApplication
from yuzhi.vouchers.schemas import BillIn

YUAN = 100


def _bill(no: str, amount_fen: int, *, unit: int = 1, credit_of: str | None = None) -> BillIn:
    return BillIn(invoice_no=no, customer_uscc=code(unit), period_start=date(2026, 5, 1),
                  period_end=date(2026, 5, 31), amount_fen=amount_fen, kind="credit" if credit_of else "bill",
                  original_invoice_no=credit_of)


@pytest.fixture
def pg(engine):
    if not is_postgres(engine):
        pytest.skip("row locks are PostgreSQL's (SQLite writers are serial)")
    return engine


def _race(engine, table: str, batch_a: Callable[[], None], batch_b: Callable[[], None]) -> list[str]:
    """Run A until just after its first ``FOR UPDATE`` on ``table``, then B until it blocks, then A."""
    a_paused, go = threading.Event(), threading.Event()

    def pause_a(conn, cursor, statement, params, context, executemany):
        if threading.current_thread().name == "batch-a" and "FOR UPDATE" in statement \
                and f"FROM {table}" in statement and not a_paused.is_set():
            a_paused.set()
            go.wait(timeout=3)  # B runs into A's lock meanwhile

    def run(name: str, body: Callable[[], None]) -> str:
        threading.current_thread().name = name
        try:
            body()
        except Exception as exc:  # the outcome (a deadlock, say) is what the test compares
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        return "ok"

    event.listen(engine, "after_cursor_execute", pause_a)
    try:
        with ThreadPoolExecutor(2) as pool:
            fa = pool.submit(run, "batch-a", batch_a)
            assert a_paused.wait(timeout=30), f"batch A never locked a row of {table}"
            fb = pool.submit(run, "batch-b", batch_b)
            threading.Timer(1.5, go.set).start()  # B is blocked on A's row by then
            return [fa.result(timeout=60), fb.result(timeout=60)]
    finally:
        event.remove(engine, "after_cursor_execute", pause_a)
        go.set()


def _push(engine, actor, bills: list[BillIn]) -> Callable[[], None]:
    def body() -> None:
        with transaction(engine) as s:
            service.record_bills(s, actor=actor, bills_in=bills)
    return body


def test_a_credit_restoring_two_quotas_and_a_bill_drawing_them_do_not_deadlock(pg):
    """(a) A credit note gives quota back to the applications its bill drew, newest first; a bill
    of the same unit locks those applications oldest first. Both now lock them ascending."""
    with transaction(pg) as s:
        w = make_world(s, units=1)
        q1 = approved_quota(s, w, 0, 500 * YUAN, contract="C-1")  # 100 yuan
        q2 = approved_quota(s, w, 0, 1_000 * YUAN, contract="C-2")  # 200 yuan
        service.record_bill(s, actor=w.provider, bill_in=_bill("B1", 1_000 * YUAN))  # 200: 100 from q1, 100 q2
    with transaction(pg) as s:
        assert sorted(al.application_id for al in s.scalars(select(BillAllocation))) == [q1, q2]
    outcomes = _race(pg, "voucher_applications",
                     _push(pg, w.provider, [_bill("CN-1", 1_000 * YUAN, credit_of="B1")]),  # gives back 200
                     _push(pg, w.provider, [_bill("B2", 500 * YUAN)]))
    assert outcomes == ["ok", "ok"]
    with transaction(pg) as s:
        assert books.check_all(s).errors == []
        used = {a.id: a.used_fen for a in s.scalars(select(QuotaApplication))}
        assert sum(used.values()) == 100 * YUAN  # only B2's subsidy is still drawn


def test_batches_crediting_the_same_bills_in_opposite_order_do_not_deadlock(pg):
    """(b) Each batch locks all the original bills it credits at its start, in id order."""
    with transaction(pg) as s:
        w = make_world(s, units=1)
        approved_quota(s, w, 0, 10_000 * YUAN, contract="C-1")
        for no in ("B1", "B2"):
            service.record_bill(s, actor=w.provider, bill_in=_bill(no, 500 * YUAN))
    outcomes = _race(pg, "voucher_bills",
                     _push(pg, w.provider, [_bill("CA-1", 100 * YUAN, credit_of="B1"),
                                            _bill("CA-2", 100 * YUAN, credit_of="B2")]),
                     _push(pg, w.provider, [_bill("CB-2", 100 * YUAN, credit_of="B2"),
                                            _bill("CB-1", 100 * YUAN, credit_of="B1")]))
    assert outcomes == ["ok", "ok"]
    with transaction(pg) as s:
        assert books.check_all(s).errors == []
        origs = {b.invoice_no: b.credited_fen for b in s.scalars(select(Bill).where(Bill.kind == "bill"))}
        assert origs == {"B1": 200 * YUAN, "B2": 200 * YUAN}


def test_a_bill_activates_only_its_own_units_quotas_whose_disclosure_ended(pg):
    """(c) Two units' quotas both left 公示; each unit's bill makes its own quota effective (and
    draws on it) without touching the other unit's row, so the two bills never wait on each other."""
    with transaction(pg) as s:
        w = make_world(s, units=2, disclosure_days=5)
        q1 = approved_quota(s, w, 0, 1_000 * YUAN, contract="C-1")
        q2 = approved_quota(s, w, 1, 1_000 * YUAN, contract="C-2")
        for a in s.scalars(select(QuotaApplication)):
            assert a.status == "disclosure"
            a.disclosure_until = datetime.now(UTC) - timedelta(minutes=1)
    outcomes = _race(pg, "voucher_applications",
                     _push(pg, w.provider, [_bill("U1-1", 500 * YUAN, unit=1)]),
                     _push(pg, w.provider, [_bill("U2-1", 500 * YUAN, unit=2)]))
    assert outcomes == ["ok", "ok"]
    with transaction(pg) as s:
        apps = {a.id: (a.status, a.used_fen) for a in s.scalars(select(QuotaApplication))}
        assert apps == {q1: ("effective", 100 * YUAN), q2: ("effective", 100 * YUAN)}
        assert books.check_all(s).errors == []


def test_a_bill_leaves_other_units_due_quotas_to_their_own_bills(engine):
    """(c) The lock scope of a bill is its own unit: another unit's quota whose 公示 ended stays
    as it is until something needs it (its own bill, or a list of applications)."""
    with transaction(engine) as s:
        w = make_world(s, units=2, disclosure_days=5)
        approved_quota(s, w, 0, 1_000 * YUAN, contract="C-1")
        other = approved_quota(s, w, 1, 1_000 * YUAN, contract="C-2")
        for a in s.scalars(select(QuotaApplication)):
            a.disclosure_until = datetime.now(UTC) - timedelta(minutes=1)
    with transaction(engine) as s:
        service.record_bill(s, actor=w.provider, bill_in=_bill("U1-1", 500 * YUAN, unit=1))
        assert s.get(QuotaApplication, other).status == "disclosure"
    with transaction(engine) as s:
        bill, _ = service.record_bill(s, actor=w.provider, bill_in=_bill("U2-1", 500 * YUAN, unit=2))
        assert bill.subsidy_fen == 100 * YUAN and s.get(QuotaApplication, other).status == "effective"
