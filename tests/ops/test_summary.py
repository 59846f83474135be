"""The dashboard's bill totals (voucher_bill_months) stay equal to the bills: kept in each batch's
transaction (bills, credits, replays, a refused batch), and filled from the bills by the migration that
adds them to an older database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import approved_quota, code, make_world
from yuzhi.db import alembic_config, make_engine, migrate, session_factory
from yuzhi.errors import DomainError
from yuzhi.vouchers import reports, summary
from yuzhi.vouchers.models import Bill, BillKind
from yuzhi.vouchers.schemas import BillIn
from yuzhi.vouchers.summary import BillMonth


def _bill(inv: str, unit: int, month: int, amount: int, **kw: object) -> BillIn:
    return BillIn(invoice_no=inv, customer_uscc=code(unit), period_start=date(2026, month, 1),
                  period_end=date(2026, month, 28), amount_fen=amount, **kw)


def _books(s) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    """The year's bills as the dashboard must show them: (bill count, subsidy by month...)."""
    rows = s.execute(select(Bill.period_end, Bill.kind, Bill.subsidy_fen)).all()
    by_month: dict[int, int] = {}
    for end, kind, sub in rows:
        by_month[end.month] = by_month.get(end.month, 0) + (-sub if kind == BillKind.CREDIT else sub)
    return [len(rows), *(by_month.get(m, 0) for m in range(1, 13))]


def test_totals_follow_bills_credits_replays_and_refusals(fresh_url):
    from yuzhi.vouchers import service

    migrate(fresh_url)
    engine = make_engine(fresh_url)
    sm = session_factory(engine)
    with sm() as s, s.begin():
        w = make_world(s, units=3)
        approved_quota(s, w, 0, 3_000_00, contract="C-1")
        approved_quota(s, w, 1, 50_000_00, contract="C-2")
    with sm() as s, s.begin():  # a batch over two units and two months, one in-batch replay
        service.record_bills(s, actor=w.provider, bills_in=[
            _bill("A-1", 1, 3, 1_000_00), _bill("A-2", 2, 3, 2_500_00), _bill("A-3", 1, 4, 9_000_00),
            _bill("A-2", 2, 3, 2_500_00)])
    with sm() as s, s.begin():  # single bills, a replay of a recorded one, a credit note
        service.record_bill(s, actor=w.provider, bill_in=_bill("B-1", 2, 5, 7_000_00))
        service.record_bill(s, actor=w.provider, bill_in=_bill("A-1", 1, 3, 1_000_00))
        service.record_bill(s, actor=w.provider, bill_in=_bill("C-1", 1, 3, 400_00, kind="credit",
                                                                 original_invoice_no="A-1"))
    with pytest.raises(DomainError), sm() as s, s.begin():  # refused as a whole: nothing counted
        service.record_bills(s, actor=w.provider, bills_in=[_bill("D-1", 2, 6, 1_000_00),
                                                            _bill("D-2", 77, 6, 1_000_00)])
    with sm() as s:
        assert summary.drift(s) == []
        assert s.scalar(select(func.sum(BillMonth.bills))) == s.scalar(select(func.count(Bill.id))) == 5
        d = reports.dashboard(s, actor=w.admin, year=2026)
        want = _books(s)
        assert [d.counts["bills"], *(v for _, v in d.monthly)] == want
        assert want[3] > 0 and want[4] > 0  # March (net of the credit) and April carry subsidy
        assert sum(v for _, v in d.by_provider) == sum(want[1:])
        # a repair recomputes the same rows
        before = sorted(tuple(r) for r in s.execute(select(BillMonth.__table__)).all())
        s.rollback()
    with engine.begin() as conn:
        assert summary.rebuild(conn) == len(before)
    with sm() as s:
        assert sorted(tuple(r) for r in s.execute(select(BillMonth.__table__)).all()) == before
    engine.dispose()


def test_the_migration_fills_totals_for_bills_an_older_release_recorded(fresh_url, monkeypatch):
    from alembic import command
    from alembic.script import ScriptDirectory

    from yuzhi.vouchers import service

    script = ScriptDirectory.from_config(alembic_config(fresh_url))
    for head in sorted(script.get_heads()):  # every branch at head except the summary's own
        if head != "ops_0001" and "ops" not in (script.get_revision(head).branch_labels or ()):
            command.upgrade(alembic_config(fresh_url), head)
    engine = make_engine(fresh_url)
    sm = session_factory(engine)
    monkeypatch.setattr(summary, "add", lambda conn, bills: None)  # the older release kept no totals
    with sm() as s, s.begin():
        w = make_world(s, units=2)
        approved_quota(s, w, 0, 3_000_00, contract="C-1")
        approved_quota(s, w, 1, 9_000_00, contract="C-2")
    with sm() as s, s.begin():
        service.record_bills(s, actor=w.provider, bills_in=[
            _bill("A-1", 1, 3, 1_000_00), _bill("A-2", 2, 3, 2_500_00), _bill("A-3", 1, 4, 1_500_00)])
    monkeypatch.undo()
    command.upgrade(alembic_config(fresh_url), "heads")
    with sm() as s:
        assert summary.drift(s) == []
        assert s.scalar(select(func.sum(BillMonth.bills))) == 3
        d = reports.dashboard(s, actor=w.admin, year=2026)
        assert [d.counts["bills"], *(v for _, v in d.monthly)] == _books(s)
    engine.dispose()
