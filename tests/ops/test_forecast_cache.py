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


def test_a_new_day_answers_yesterdays_forecast_and_a_warm_thread_computes_without_a_view(fresh_url):
    import threading
    from datetime import timedelta

    migrate(fresh_url)
    engine = make_engine(fresh_url)
    sm = session_factory(engine)
    try:
        with sm() as s, s.begin():
            w = make_world(s, units=1)
            approved_quota(s, w, 0, 50_000_00, contract="C-1")
        _bill(sm, w, "A-1")
        yesterday = ss.forecast_for(engine, 2026, DAY, stale_ok=True)
        nxt = DAY + timedelta(days=1)
        assert ss.forecast_for(engine, 2026, nxt, stale_ok=True) is yesterday  # the view does not wait
        deadline = time.monotonic() + 20
        today = yesterday
        while today is yesterday and time.monotonic() < deadline:
            time.sleep(0.05)
            today = ss.forecast_for(engine, 2026, nxt, stale_ok=True)
        assert today.as_of == nxt  # today's landed in the background
        later = nxt + timedelta(days=2)
        assert ss.forecast_for(engine, 2026, later, stale_ok=True).as_of == later  # two days old: not shown

        stop = threading.Event()
        ss._LATEST.clear()
        ss._FORECASTS.clear()
        thread = ss.keep_forecasts_warm(engine, every_s=60, stop=stop)
        deadline = time.monotonic() + 20
        while not ss._LATEST and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(20)
        assert [k[1] for k in ss._LATEST] == [2026]  # the open year's forecast, computed with no view
    finally:
        engine.dispose()
