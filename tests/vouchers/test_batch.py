"""Billing runs: a batch gives every bill exactly what pushing it alone would, all or nothing."""

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select
from tests.factories import approved_quota, code, customer_of, make_world

from yuzhi.audit.models import AuditEvent
from yuzhi.audit.service import verify_chain
from yuzhi.db import transaction
from yuzhi.errors import Conflict, InvalidInput
from yuzhi.ledger.models import LedgerEntry
from yuzhi.vouchers import service
from yuzhi.vouchers.models import Bill, BillAllocation, QuotaApplication
from yuzhi.vouchers.reconcile import check_books
from yuzhi.vouchers.schemas import BillIn


def bill_in(unit: int, inv: str, amount: int, month: int = 3, **kw) -> BillIn:
    return BillIn(invoice_no=inv, customer_uscc=code(unit + 1), period_start=date(2026, month, 1),
                  period_end=date(2026, month, 28), amount_fen=amount, **kw)


def counts(session) -> tuple[int, int, int, int]:
    return (session.scalar(select(func.count(Bill.id))), session.scalar(select(func.count(LedgerEntry.id))),
            session.scalar(select(func.count()).select_from(AuditEvent)),
            session.scalar(select(func.count(BillAllocation.id))))


def outcome(pairs) -> list[tuple]:
    return [(b.invoice_no, b.kind, b.eligible_fen, b.subsidy_fen, b.owed_fen, b.ineligible_reason, replay)
            for b, replay in pairs]


def test_a_batch_prices_every_bill_as_one_by_one_would(session):
    w = make_world(session, units=4)
    apps = [approved_quota(session, w, u, 2_000_00 * (u + 1), contract=f"C-{u}") for u in range(3)]
    approved_quota(session, w, 0, 1_000_00, contract="C-0b")  # unit 0 holds two quotas: oldest drawn first
    customer_of(session, w, 3, contract="C-3x")  # unit 3 is a customer with no quota at all
    rng = random.Random(7)
    bills = [bill_in(rng.randrange(4), f"RUN-{i}", rng.randrange(1, 300_00)) for i in range(40)]
    bills.insert(0, bill_in(0, "RUN-X", 200_00))
    bills.insert(10, bills[3])  # an identical resend inside the run is a replay
    bills.insert(20, bill_in(0, "RUN-CREDIT", 50_00, kind="credit", original_invoice_no="RUN-X"))

    before = session.begin_nested()
    one_by_one = [service.record_bill(session, actor=w.provider, bill_in=b) for b in bills]
    expected = outcome(one_by_one)
    used_expected = [session.get(QuotaApplication, a).used_fen for a in apps]
    before.rollback()
    session.expire_all()

    batch = service.record_bills(session, actor=w.provider, bills_in=bills)
    assert outcome(batch) == expected
    assert batch[10][1] is True and batch[10][0].id == batch[3][0].id
    assert [session.get(QuotaApplication, a).used_fen for a in apps] == used_expected
    assert any(s for _, _, _, s, *_ in expected) and any("no effective voucher quota" in r for *_, r, _ in expected)
    assert check_books(session)[0] == []
    assert verify_chain(session)[0] == []


def test_quota_is_drawn_in_the_order_sent(session):
    w = make_world(session, units=1)
    approved_quota(session, w, 0, 1_000_00, contract="C-1")  # quota 200.00 yuan
    pairs = service.record_bills(session, actor=w.provider, bills_in=[
        bill_in(0, "A", 600_00), bill_in(0, "B", 600_00), bill_in(0, "C", 10_00)])
    assert [b.subsidy_fen for b, _ in pairs] == [120_00, 80_00, 0]
    assert "used up" in pairs[2][0].ineligible_reason


def test_one_bad_bill_refuses_the_whole_batch_and_names_it(session):
    w = make_world(session, units=2)
    approved_quota(session, w, 0, 1_000_00, contract="C-1")
    customer_of(session, w, 1, contract="C-2x")
    session.commit()
    before = counts(session)
    good = [bill_in(0, "G-1", 100_00), bill_in(1, "G-2", 100_00)]
    bad_uscc = BillIn(**{**good[0].model_dump(), "invoice_no": "G-3", "customer_uscc": code(1)[:-1] + "0"})
    with pytest.raises(InvalidInput) as exc:
        service.record_bills(session, actor=w.provider, bills_in=[*good, bad_uscc])
    assert exc.value.field == "bills.2.customer_uscc" and "invoice G-3" in exc.value.message
    assert "nothing in this batch was recorded" in exc.value.message
    session.rollback()
    assert counts(session) == before
    unknown = bill_in(0, "G-4", 100_00).model_copy(update={"customer_uscc": code(77)})
    with pytest.raises(InvalidInput, match="not registered") as exc:
        service.record_bills(session, actor=w.provider, bills_in=[*good, unknown])
    assert exc.value.field == "bills.2.customer_uscc"
    session.rollback()
    with pytest.raises(InvalidInput) as exc:
        service.record_bills(session, actor=w.provider, bills_in=[
            *good, bill_in(0, "G-5", 10_00, kind="credit", original_invoice_no="NOPE")])
    assert exc.value.field == "bills.2.original_invoice_no"
    session.rollback()
    assert counts(session) == before
    with pytest.raises(InvalidInput, match="no bills"):
        service.record_bills(session, actor=w.provider, bills_in=[])


def test_replays_and_conflicts_in_a_batch(session):
    w = make_world(session, units=1)
    approved_quota(session, w, 0, 1_000_00, contract="C-1")
    first = service.record_bills(session, actor=w.provider, bills_in=[bill_in(0, "R-1", 100_00)])
    again = service.record_bills(session, actor=w.provider, bills_in=[bill_in(0, "R-1", 100_00),
                                                                     bill_in(0, "R-2", 100_00)])
    assert again[0] == (first[0][0], True) and again[1][1] is False
    with pytest.raises(Conflict) as exc:
        service.record_bills(session, actor=w.provider, bills_in=[bill_in(0, "R-3", 5_00), bill_in(0, "R-1", 1)])
    assert exc.value.field == "bills.1.invoice_no"
    with pytest.raises(Conflict) as exc:
        service.record_bills(session, actor=w.provider, bills_in=[bill_in(0, "R-4", 5_00), bill_in(0, "R-4", 6_00)])
    assert exc.value.field == "bills.1.invoice_no"


def test_batch_over_http(client, engine):
    from tests.vouchers.test_api import login

    with transaction(engine) as s:
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 10_000_00, contract="C-1")
        customer_of(s, w, 1, contract="C-2x")
    h = login(client, "provider")
    body = {"bills": [{"invoice_no": f"H-{i}", "customer_uscc": code(1 + i % 2), "period_start": "2026-03-01",
                       "period_end": "2026-03-31", "amount_fen": 123_45} for i in range(4)]}
    r = client.post("/api/vouchers/bills/batch", json=body, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["recorded"], out["replayed"], out["subsidy_fen"]) == (4, 0, 2 * 2_469)
    assert [x["subsidy_fen"] for x in out["results"]] == [2_469, 0, 2_469, 0]
    again = client.post("/api/vouchers/bills/batch", json=body, headers=h).json()
    assert (again["recorded"], again["replayed"]) == (0, 4)
    bad = {"bills": [*body["bills"], {**body["bills"][0], "invoice_no": "H-9", "amount_fen": -5}]}
    r = client.post("/api/vouchers/bills/batch", json=bad, headers=h)
    assert r.status_code == 422 and "bills.4.amount_fen" in r.text
    spans = {"bills": [{**body["bills"][0], "invoice_no": "H-10", "period_end": "2027-01-31"}]}
    r = client.post("/api/vouchers/bills/batch", json=spans, headers=h)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "period_end"
    r = client.post("/api/vouchers/bills/batch", json={"bills": []}, headers=h)
    assert r.status_code == 422
    unit = login(client, "unit1")
    assert client.post("/api/vouchers/bills/batch", json=body, headers=unit).status_code == 403


def test_concurrent_batches_never_exceed_quotas_nor_deadlock(engine):
    units, threads = 4, 8
    with transaction(engine) as s:
        w = make_world(s, units=units)
        app_ids = [approved_quota(s, w, u, 5_000_00, contract=f"C-{u}") for u in range(units)]  # 1,000.00 each

    def run(k: int) -> int:
        rng = random.Random(k)
        order = list(range(25))
        rng.shuffle(order)  # each run touches the units in its own order
        with transaction(engine) as s:
            pairs = service.record_bills(s, actor=w.provider, bills_in=[
                bill_in(i % units, f"T{k}-{i}", 200_00 + i) for i in order])
            return sum(b.subsidy_fen for b, _ in pairs)

    with ThreadPoolExecutor(threads) as pool:
        granted = list(pool.map(run, range(threads)))
    assert sum(granted) == units * 1_000_00  # 8 × 25 bills of ~40 yuan subsidy exhaust every quota exactly
    with transaction(engine) as s:
        assert [s.get(QuotaApplication, a).remaining_fen for a in app_ids] == [0] * units
        assert s.scalar(select(func.count(Bill.id))) == threads * 25
        assert check_books(s)[0] == []
        assert verify_chain(s)[0] == []
