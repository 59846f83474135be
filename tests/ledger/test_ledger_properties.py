"""Property-based tests of the generic ledger: any sequence of postings keeps the books.

Pure core: every accepted transaction balances, balances are the running sums, the sum of every
account is zero, and an unbalanced transaction is refused. On the database: any sequence of
voucher bills, credit notes (also after settlement: clawbacks), settlements, payments, repayments
and a year close keeps every registered book's assertions (``yuzhi ledger check``)."""

from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.factories import approved_quota, code, make_world

from yuzhi.errors import DomainError
from yuzhi.ledger import books, core
from yuzhi.ledger import service as ledger
from yuzhi.vouchers import reports, service
from yuzhi.vouchers.schemas import BillIn, SettlementCreate

ACCOUNTS = ["funding:2026:province", "pool:2026", "quota:2026:app:1", "payable:2026:provider:1",
            "receivable:2026:provider:1", "paid:2026:city:provider:1"]
postings = st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.integers(-10**12, 10**12)), min_size=1, max_size=6)


@given(st.lists(postings, max_size=30))
def test_any_sequence_of_balanced_postings_keeps_the_books(raw):
    txns, running = [], {}
    for legs in raw:
        total = sum(a for _, a in legs)
        legs = [*legs, ("funding:2026:city", -total)]  # balance it
        t = core.Txn("t", 2026, tuple(core.Posting(acct, amt) for acct, amt in legs))
        txns.append(t)
        for acct, amt in legs:
            running[acct] = running.get(acct, 0) + amt
    bals = core.balances(txns)
    assert core.check_balanced(txns) == [] and core.check_years_isolated(txns) == []
    assert sum(bals.values()) == 0
    assert {k: v for k, v in bals.items() if v} == {k: v for k, v in running.items() if v}


@given(postings.filter(lambda legs: sum(a for _, a in legs) != 0))
def test_an_unbalanced_transaction_is_refused(legs):
    with pytest.raises(ValueError, match="unbalanced"):
        core.Txn("t", 2026, tuple(core.Posting(acct, amt) for acct, amt in legs))


@given(st.integers(-10**6, 10**6), st.sampled_from([core.DEBIT, core.CREDIT, core.EITHER]))
def test_signs_follow_the_registered_side(amount, side):
    errors = core.check_signs({"x:2026": amount}, {"x": core.AccountType("x", side)})
    wrong = (side == core.DEBIT and amount < 0) or (side == core.CREDIT and amount > 0)
    assert bool(errors) == wrong


def test_an_account_type_belongs_to_one_book():
    books.discover()
    with pytest.raises(ValueError, match="already belongs to book 'vouchers'"):
        books.register(books.Book(name="other", title="x", account_types=(core.AccountType("pool", core.DEBIT),),
                                  check=lambda s: ([], {})))
    assert {"pool", "receivable", "award_pool", "award_paid"} <= set(books.account_types())


money = st.integers(1, 3_000_00)
ops = st.lists(st.one_of(
    st.tuples(st.just("bill"), money),
    st.tuples(st.just("credit"), st.integers(0, 9), st.integers(1, 100)),  # which bill, percent of what is open
    st.tuples(st.just("settle"), st.integers(0, 1)),  # settle, and pay the batch (1) or not (0)
    st.tuples(st.just("repay"), st.integers(1, 100)),  # percent of what is owed back
    st.tuples(st.just("close"), st.integers(0, 9)),  # closes one time in ten
), min_size=3, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
def test_any_sequence_of_voucher_money_keeps_every_book(session, sequence):
    if "w" not in session.info:
        w = make_world(session, units=1)
        approved_quota(session, w, 0, 25_000_00, contract="C-1")  # quota 5,000.00 yuan
        session.commit()
        session.info["w"] = w
    w = session.info["w"]
    payable, receivable = (f"payable:2026:provider:{w.provider_id}", f"receivable:2026:provider:{w.provider_id}")
    example = session.begin_nested()
    bills: list[tuple[str, int]] = []
    n = 0
    for op in sequence:
        if op[0] == "close" and op[1]:
            continue
        step = session.begin_nested()
        try:
            if op[0] == "bill":
                n += 1
                service.record_bill(session, actor=w.provider, bill_in=BillIn(
                    invoice_no=f"INV-{n}", customer_uscc=code(1), period_start=date(2026, 3, 1),
                    period_end=date(2026, 3, 28), amount_fen=op[1]))
                bills.append((f"INV-{n}", op[1]))
            elif op[0] == "credit" and bills:
                inv, amount = bills[op[1] % len(bills)]
                n += 1
                service.record_bill(session, actor=w.provider, bill_in=BillIn(
                    invoice_no=f"CN-{n}", customer_uscc=code(1), period_start=date(2026, 3, 1),
                    period_end=date(2026, 3, 28), amount_fen=max(1, amount * op[2] // 100), kind="credit",
                    original_invoice_no=inv))
            elif op[0] == "settle":
                batch = service.create_settlement(session, actor=w.admin, settle_in=SettlementCreate(year=2026))
                if op[1]:
                    service.mark_paid(session, actor=w.admin, batch_id=batch.id, payment_ref="PAY")
            elif op[0] == "repay":
                owed = -ledger.balance(session, receivable)
                if owed:
                    service.record_repayment(session, actor=w.admin, year=2026, payee_id=w.provider_id,
                                             amount_fen=max(1, owed * op[1] // 100), payment_ref="BACK")
            elif op[0] == "close":
                service.close_year(session, actor=w.admin, year=2026)
            step.commit()
            event(f"{op[0]} ok")
        except DomainError as exc:
            step.rollback()
            event(f"{op[0]} refused: {exc.code}")
        assert ledger.balance(session, payable) >= 0 and ledger.balance(session, receivable) <= 0
    try:
        result = books.check_all(session)
        assert result.errors == []
        assert sum(ledger.balances_like(session, "").values()) == 0
        d = reports.dashboard(session, actor=w.admin, year=2026)
        assert d.settled_fen == d.paid_gross_fen - d.receivable_fen - d.repaid_fen
    finally:
        example.rollback()
