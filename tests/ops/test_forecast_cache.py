"""The dashboard's forecast never makes a view wait while bills keep arriving: with ``stale_ok`` the
day's last forecast answers at once and a background thread redoes it; the plain call stays exact."""

from __future__ import annotations

import time
from datetime import date

from tests.factories import approved_quota, code, make_world
from yuzhi.db import make_engine, migrate, session_factory
from yuzhi.vouchers import service
from yuzhi.vouchers import simulate_service as ss
from yuzhi.vouchers.schemas import BillIn

DAY = date(2026, 9, 30)


def _bill(sm, w, inv: str) -> None:  # type: ignore[no-untyped-def]
    with sm() as s, s.begin():
        service.record_bill(s, actor=w.provider, bill_in=BillIn(
            invoice_no=inv, customer_uscc=code(1), period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            amount_fen=1_000_00))


def test_stale_ok_answers_the_last_forecast_and_refreshes_behind(fresh_url):
    migrate(fresh_url)
    engine = make_engine(fresh_url)
    sm = session_factory(engine)
    try:
        with sm() as s, s.begin():
            w = make_world(s, units=1)
            approved_quota(s, w, 0, 50_000_00, contract="C-1")
        _bill(sm, w, "A-1")
        first = ss.forecast_for(engine, 2026, DAY, stale_ok=True)  # nothing cached: computed now
        assert ss.forecast_for(engine, 2026, DAY, stale_ok=True) is first
        _bill(sm, w, "A-2")  # the books moved on
        assert ss.forecast_for(engine, 2026, DAY, stale_ok=True) is first  # answered at once, stale
        deadline = time.monotonic() + 20
        fresh = first
        while fresh is first and time.monotonic() < deadline:
            time.sleep(0.05)
            fresh = ss.forecast_for(engine, 2026, DAY, stale_ok=True)
        assert fresh is not first  # the background refresh landed
        assert ss.forecast_for(engine, 2026, DAY) is fresh  # and is the exact one for these books
    finally:
        engine.dispose()
