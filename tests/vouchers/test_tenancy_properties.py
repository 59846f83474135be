"""Property-based tenancy: whoever asks, a bill is seen by the office, its provider and its unit only —
the same answer from the list, the single read and the payee position, for any set of bills."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factories import approved_quota, code, make_world

from yuzhi.errors import NotFound
from yuzhi.vouchers import reports, service
from yuzhi.vouchers.schemas import BillIn


def _owns(actor, bill) -> bool:
    if actor.is_office:
        return True
    if actor.is_provider:
        return bill.provider_id == actor.provider_id
    return bill.org_id == actor.org_id


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(units=st.lists(st.integers(0, 2), min_size=1, max_size=6), who=st.integers(0, 5))
def test_bills_are_seen_by_their_parties_only(session, units, who):
    if "w" not in session.info:
        w = make_world(session, units=3)
        for u in range(3):
            approved_quota(session, w, u, 10_000_00, contract=f"C-{u}")
        session.commit()
        session.info["w"] = w
    w = session.info["w"]
    callers = [w.admin, w.reviewer, w.provider, *w.units]
    actor = callers[who]
    example = session.begin_nested()
    try:
        made = [service.record_bill(session, actor=w.provider, bill_in=BillIn(
            invoice_no=f"T-{i}", customer_uscc=code(u + 1), period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 28), amount_fen=1_000_00))[0] for i, u in enumerate(units)]
        listed, _ = service.list_bills(session, actor=actor, year=2026, limit=1000)
        assert {b.id for b in listed} == {b.id for b in made if _owns(actor, b)}
        for b in made:
            try:
                service.get_bill(session, actor=actor, bill_id=b.id)
                seen = True
            except NotFound:
                seen = False
            assert seen == _owns(actor, b)
        try:  # the payee position (discount mode: the provider) follows the same rule
            reports.position(session, actor=actor, year=2026, payee_id=w.provider_id if actor.is_office else None)
            assert actor.is_office or actor.provider_id == w.provider_id
        except NotFound:
            assert not actor.is_office and actor.provider_id != w.provider_id
    finally:
        example.rollback()
