"""Pool forecast: on years with a seasonal pattern it predicts a held-out year's end within a few per
cent, beats the naive pace it is compared with, and finds the day a fully committed pool runs dry."""

from __future__ import annotations

from datetime import date

import numpy as np

from yuzhi.vouchers import forecast as fc
from yuzhi.vouchers import simulate as sim

DAY = sim.DAY
MONTH_WEIGHT = np.array([0.3, 0.5, 1.0, 1.0, 1.2, 1.0, 0.8, 0.8, 1.2, 1.4, 1.6, 2.0])  # slow spring, busy Q4


def _year(year: int, *, seed: int, units: int = 150, bills: int = 6000, pool_fen: int = 50_000_000_00,
          quota_fen: int = 200_000_00) -> sim.Year:
    """A recorded year: each unit holds a quota from January; bills follow MONTH_WEIGHT; net subsidy 20%."""
    rng = np.random.default_rng(seed)
    start = (date(year, 1, 1) - date(1970, 1, 1)).days
    month = rng.choice(12, bills, p=MONTH_WEIGHT / MONTH_WEIGHT.sum())
    first = np.array([(date(year, m + 1, 1) - date(year, 1, 1)).days for m in range(12)] + [365])
    day = start + first[month] + (rng.random(bills) * (first[month + 1] - first[month])).astype(np.int64)
    unit = rng.integers(0, units, bills)
    net = rng.integers(1_000_00, 30_000_00, bills).astype(np.int64)
    # the books never pay beyond a quota: clip each unit's running sum in usage order
    order = np.lexsort((day, unit))
    net_sorted = net[order]
    u_sorted = unit[order]
    out = np.zeros(bills, dtype=np.int64)
    used: dict[int, int] = {}
    for k, (uu, v) in enumerate(zip(u_sorted.tolist(), net_sorted.tolist(), strict=True)):
        take = max(0, min(v, quota_fen - used.get(uu, 0)))
        used[uu] = used.get(uu, 0) + take
        out[order[k]] = take
    z = np.zeros(bills, dtype=bool)
    rules = sim.SimRules(name="in force", pool_fen=pool_fen, rate_bp=2000, unit_cap_fen=1_000_000_00)
    jan = (start + 2) * DAY
    return sim.Year(
        year=year, in_force=rules, unit_id=np.arange(units), unit_name=[f"u{i}" for i in range(units)],
        unit_kind=["enterprise"] * units, unit_city=["郑州市"] * units, unit_industry=[""] * units,
        unit_uscc=["914101"] * units, prov_id=np.arange(1), prov_name=["p"], prov_criterion=["ai_computing_100pf"],
        prov_unit=np.array([-1]), app_id=np.arange(units), app_unit=np.arange(units), app_prov=np.zeros(units, int),
        app_planned=np.full(units, quota_fen * 5), app_approved=np.full(units, quota_fen),
        app_reviewed=np.full(units, jan), app_effective=np.full(units, jan), app_affiliated=np.zeros(units, bool),
        bill_id=np.arange(bills), bill_unit=unit, bill_prov=np.zeros(bills, int), bill_amount=net * 5,
        bill_credit=z, bill_orig=np.full(bills, -1), bill_recorded=day * DAY, bill_usage_day=day,
        bill_unit_refused=z, bill_not_qualified=z, bill_affiliated=z, rec_subsidy=out, rec_net=out)


def test_seasonal_model_predicts_a_held_out_year_and_beats_the_naive_pace():
    kw = {"quota_fen": 800_000_00, "pool_fen": 150 * 800_000_00}  # quotas bind for some units, not all
    y24, y25, y26 = _year(2024, seed=1, **kw), _year(2025, seed=2, **kw), _year(2026, seed=3, **kw)
    f = fc.forecast(y26, date(2026, 6, 30), prev=y25, prev_prev=y24)
    actual = int(y26.rec_net.sum())
    assert f.seasonality == "previous year" and len(f.backtest) == 9
    assert 0.5 * f.pool_fen < actual < 0.95 * f.pool_fen  # not saturated: the forecast has work to do
    assert abs(f.expected_use_fen - actual) / actual < 0.05  # the held-out year's end, from its first half
    assert f.low_use_fen <= f.expected_use_fen <= f.high_use_fen
    assert f.backtest_mape is not None and f.naive_mape is not None and f.backtest_mape < f.naive_mape
    assert f.exhausted_on is None and f.unused_fen == f.pool_fen - f.expected_use_fen > 0


def test_a_fully_committed_pool_runs_dry_within_the_year():
    # every unit demands far more than its quota and all of the pool is committed: it runs dry this year
    q = 50_000_00
    y25 = _year(2025, seed=2, bills=3000, pool_fen=150 * q, quota_fen=q)
    y26 = _year(2026, seed=3, bills=3000, pool_fen=150 * q, quota_fen=q)
    f = fc.forecast(y26, date(2026, 2, 28), prev=y25)
    assert f.committed_out_on == date(2026, 2, 28)  # nothing left to approve already
    assert f.exhausted_on is not None and date(2026, 2, 28) < f.exhausted_on <= date(2026, 12, 31)
    assert f.expected_use_fen == f.pool_fen and f.unused_fen == 0
    # with a pool twice the quota committed, it cannot run dry by use, and half is expected unused
    y26b = _year(2026, seed=3, bills=3000, pool_fen=300 * q, quota_fen=q)
    g = fc.forecast(y26b, date(2026, 2, 28), prev=y25)
    assert g.exhausted_on is None and g.unused_fen >= 150 * q and g.committed_out_on is None


def test_without_history_the_model_says_so():
    f = fc.forecast(_year(2026, seed=3), date(2026, 6, 30))
    assert f.seasonality == "flat" and f.backtest == [] and f.backtest_mape is None
