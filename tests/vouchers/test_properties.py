"""Property-based: for any sequence of applications, reviews, bills, credits and a year close, the
books balance, reconcile, and no cap or pool is exceeded."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import _wipe
from tests.factories import code, make_world

from yuzhi.db import transaction
from yuzhi.errors import DomainError
from yuzhi.vouchers import service
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import ApplicationCreate, BillIn, Review

ops = st.lists(st.one_of(
    st.tuples(st.just("apply"), st.integers(0, 2), st.integers(1, 3_000_000_00)),
    st.tuples(st.just("review"), st.integers(0, 9), st.booleans(), st.one_of(st.none(), st.integers(0, 800_000_00))),
    st.tuples(st.just("bill"), st.integers(0, 2), st.integers(1, 2_000_000_00)),
    st.tuples(st.just("credit"), st.integers(0, 9), st.integers(1, 1_000_000_00)),
    st.tuples(st.just("settle")),
    st.tuples(st.just("close")),
), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_any_sequence_keeps_the_books(engine, sequence):
    _wipe(engine)
    with transaction(engine) as s:
        w = make_world(s, units=3, pool_fen=2_000_000_00, unit_cap_fen=500_000_00)
    apps: list[int] = []
    bills: list[str] = []
    for n, op in enumerate(sequence):
        try:
            with transaction(engine) as s:
                if op[0] == "apply":
                    apps.append(service.apply(s, actor=w.units[op[1]], app_in=ApplicationCreate(
                        year=2026, provider_id=w.provider_id, contract_no=f"C-{n}", planned_spend_fen=op[2])).id)
                elif op[0] == "review" and apps:
                    service.review(s, actor=w.reviewer, app_id=apps[op[1] % len(apps)],
                                   decision=Review(approve=op[2], amount_fen=op[3], reason="r"))
                elif op[0] == "bill":
                    service.record_bill(s, actor=w.provider, bill_in=BillIn(
                        invoice_no=f"I-{n}", customer_uscc=code(op[1] + 1), period_start=date(2026, 5, 1),
                        period_end=date(2026, 5, 2), amount_fen=op[2]))
                    bills.append(f"I-{n}|{op[1]}")
                elif op[0] == "credit" and bills:
                    inv, unit = bills[op[1] % len(bills)].split("|")
                    service.record_bill(s, actor=w.provider, bill_in=BillIn(
                        invoice_no=f"CN-{n}", customer_uscc=code(int(unit) + 1), kind="credit",
                        original_invoice_no=inv, period_start=date(2026, 5, 1), period_end=date(2026, 5, 2),
                        amount_fen=op[2]))
                elif op[0] == "settle":
                    from yuzhi.vouchers.schemas import SettlementCreate
                    service.create_settlement(s, actor=w.admin, settle_in=SettlementCreate(year=2026))
                elif op[0] == "close":
                    service.close_year(s, actor=w.admin, year=2026)
        except DomainError:
            pass  # refused operations must leave no trace; the checks below prove it
    with transaction(engine) as s:
        errors, summary = check_books(s)
        assert errors == []
        assert 0 <= summary[2026]["pool_remaining_fen"] <= 2_000_000_00
