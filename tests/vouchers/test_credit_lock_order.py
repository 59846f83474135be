"""Credit notes never wait for a row lock while holding the payables lock (PostgreSQL).

A credit note splits the subsidy it takes back by the payee's payable balance, read under
``PAYABLES_LOCK`` (an advisory lock). If a batch took that lock at its first credit note and then
locked the quota row of a later one, a second batch holding that quota row and asking for the lock
would deadlock with it (PostgreSQL aborts one of them after ``deadlock_timeout``). The order is
forced here: batch B locks quota X and pauses just before the payables lock; batch A then credits a
bill of quota A and a bill of quota X. Both must commit, and the books must hold.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import event, select
from tests.conftest import is_postgres
from tests.factories import approved_quota, code, make_world

from yuzhi.db import transaction
from yuzhi.ledger import books
from yuzhi.ledger import service as ledger
from yuzhi.vouchers import service
from yuzhi.vouchers.models import Bill, BillAllocation
from yuzhi.vouchers.schemas import BillIn

YUAN = 100


def _bill(no: str, amount_fen: int, *, credit_of: str | None = None) -> BillIn:
    return BillIn(invoice_no=no, customer_uscc=code(1), period_start=date(2026, 5, 1), period_end=date(2026, 5, 31),
                  amount_fen=amount_fen, kind="credit" if credit_of else "bill", original_invoice_no=credit_of)


def test_credit_batches_on_expired_quotas_do_not_deadlock(engine):
    if not is_postgres(engine):
        pytest.skip("row and advisory locks are PostgreSQL's (SQLite writers are serial)")
    with transaction(engine) as s:
        w = make_world(s, units=1)
        qa = approved_quota(s, w, 0, 500 * YUAN, contract="C-A")  # quota A: 100 yuan
        service.record_bill(s, actor=w.provider, bill_in=_bill("B1", 500 * YUAN))  # draws all of A
        qx = approved_quota(s, w, 0, 1_000 * YUAN, contract="C-X")  # quota X: 200 yuan
        for no in ("B2", "B3"):
            service.record_bill(s, actor=w.provider, bill_in=_bill(no, 500 * YUAN))  # 100 yuan each from X
        service.close_year(s, actor=w.admin, year=2026)  # both quotas expire (fully used)
    with transaction(engine) as s:
        drawn = {b: {al.application_id for al in s.scalars(select(BillAllocation).join(Bill).where(
            Bill.invoice_no == b))} for b in ("B1", "B2", "B3")}
        assert drawn == {"B1": {qa}, "B2": {qx}, "B3": {qx}}

    b_paused, go = threading.Event(), threading.Event()

    def pause_b_before_payables_lock(conn, cursor, statement, params, context, executemany):
        if threading.current_thread().name.startswith("batch-b") and "pg_advisory_xact_lock" in statement:
            b_paused.set()  # B holds quota X's row (and B3's) now
            go.wait(timeout=3)  # let A run into X's row lock first

    def batch(name: str, credits: list[tuple[str, str]]) -> str:
        threading.current_thread().name = name
        with transaction(engine) as s:
            service.record_bills(s, actor=w.provider, bills_in=[
                _bill(no, 50 * YUAN * 5, credit_of=orig) for no, orig in credits])
        return "ok"

    event.listen(engine, "before_cursor_execute", pause_b_before_payables_lock)
    try:
        with ThreadPoolExecutor(2) as pool:
            fb = pool.submit(batch, "batch-b", [("CN-3", "B3")])
            assert b_paused.wait(timeout=30)
            fa = pool.submit(batch, "batch-a", [("CN-1", "B1"), ("CN-2", "B2")])
            threading.Timer(1.5, go.set).start()  # A is blocked on X's row by then
            outcomes = [fb.result(timeout=60), fa.result(timeout=60)]
    finally:
        event.remove(engine, "before_cursor_execute", pause_b_before_payables_lock)
        go.set()
    assert outcomes == ["ok", "ok"]
    with transaction(engine) as s:
        assert books.check_all(s).errors == []
        # 3 credits × 50 yuan subsidy reversed; the year is closed: restored quota goes to the pool
        assert ledger.balance(s, "pool:2026") - (50_000_000 * YUAN - 100 * YUAN - 200 * YUAN) == 150 * YUAN
        payable = ledger.balance(s, f"payable:2026:provider:{w.provider_id}")
        receivable = ledger.balance(s, f"receivable:2026:provider:{w.provider_id}")
        assert (payable, receivable) == (300 * YUAN - 150 * YUAN, 0)  # nothing settled yet: all from the payable


def test_a_credit_note_in_a_batch_is_split_as_the_payable_stood_at_its_place(session):
    """The split is posted at the end of the batch, but a bill later in the same batch does not
    cover a clawback of money already paid out: it stays owed back, exactly as one by one."""
    from yuzhi.vouchers.schemas import SettlementCreate

    w = make_world(session, units=1)
    approved_quota(session, w, 0, 10_000 * YUAN, contract="C-1")  # quota 2,000 yuan
    service.record_bill(session, actor=w.provider, bill_in=_bill("INV-1", 5_000 * YUAN))  # subsidy 1,000
    batch = service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
    service.mark_paid(session, actor=w.admin, batch_id=batch.id, payment_ref="PAY-1")
    service.record_bills(session, actor=w.provider, bills_in=[
        _bill("CN-1", 5_000 * YUAN, credit_of="INV-1"),  # all 1,000 paid out comes back
        _bill("INV-2", 1_000 * YUAN)])  # a later bill in the batch: 200 yuan payable
    payee = f"2026:provider:{w.provider_id}"
    assert (ledger.balance(session, f"payable:{payee}"), ledger.balance(session, f"receivable:{payee}")) == \
        (200 * YUAN, -1_000 * YUAN)
    session.flush()
    assert books.check_all(session).errors == []


def test_a_quota_whose_disclosure_just_ended_takes_effect_in_the_bill_path_audited_by_the_system(session):
    """The batch writes the system's "took effect" events at its end, after its own; the chain and
    the ledger digests in it still verify."""
    from datetime import UTC, datetime, timedelta

    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.audit import service as audit
    from yuzhi.audit.models import AuditEvent
    from yuzhi.vouchers.models import QuotaApplication

    w = make_world(session, units=1, disclosure_days=5)
    app_id = approved_quota(session, w, 0, 10_000 * YUAN, contract="C-1")
    a = session.get(QuotaApplication, app_id)
    assert a.status == "disclosure"
    a.disclosure_until = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    bill, _ = service.record_bill(session, actor=w.provider, bill_in=_bill("INV-1", 1_000 * YUAN))
    assert bill.subsidy_fen == 200 * YUAN and session.get(QuotaApplication, app_id).status == "effective"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["application.effective", "bill.record"])).order_by(AuditEvent.chain, AuditEvent.seq)).all()
    assert [(e.action, e.actor) for e in events] == [("bill.record", w.provider.label),
                                                     ("application.effective", SYSTEM.label)]
    session.flush()
    assert audit.verify_chain(session)[0] == [] and audit.check_ledger(session) == []
