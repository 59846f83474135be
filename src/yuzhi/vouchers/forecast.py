"""Forecast for the running voucher year: when the pool runs dry, and how much is left unused.

Pure (no database): it takes the :class:`~yuzhi.vouchers.simulate.Year` snapshots the simulator
reads. The model is deliberately simple, so the office can check it by hand:

* **Seasonality** ``F(d)``: the share of a year's subsidy *demand* (rate × eligible amount, before any
  quota limit) billed by day ``d`` (usage period end), from the previous year's bills, month by month;
  a flat year (``d / 365``) when there is none. Demand, not use: use stops at the quotas.
* **Per-unit quota use curves**: a unit that has demanded ``d`` by today ``t`` is on course to demand
  ``d / F(t)`` in the year, and uses at most the quota it holds ``Q``. One early bill says little, so
  a unit's pace is blended with the programme's pace per yuan of quota (``Σd / F(t) / ΣQ × Q``), its
  own weighing ``n / (n + 5)`` after ``n`` bills (a unit with no bill yet follows the programme).
  Expected use by any later day ``D`` is ``min(Q, u + pace × (F(D) − F(t)))`` summed over units.
* **Pool exhausted** on the first day expected use reaches 99% of the pool (only possible once all of the
  pool is committed as quota); **unused at year end** = pool − expected use on 31 December.
* **Quota commitments** (the pool runs dry for *approvals* when committed quota reaches it): the
  quota committed so far ``C(t)`` grows like last year's approvals did, ``C(t) × G(D) / G(t)``, with
  ``G`` the share of last year's approved quota reviewed by day ``D`` (flat without history); the
  first day that reaches the pool is when the office can approve nothing more.
* **Interval** from a backtest: the same method run on the previous year at each month end
  (with the year before it as seasonality, or flat) against that year's actual use; the smallest and
  largest relative errors scale today's pace into a low and a high case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from yuzhi.vouchers.simulate import Year

EPOCH = date(1970, 1, 1)


@dataclass
class Forecast:
    year: int
    as_of: date
    pool_fen: int
    committed_fen: int
    used_fen: int
    expected_use_fen: int  # by 31 December
    low_use_fen: int
    high_use_fen: int
    exhausted_on: date | None  # expected; None: not within the year
    exhausted_early: date | None  # the high case (faster use)
    exhausted_late: date | None  # the low case
    seasonality: str  # "previous year" / "flat"
    committed_out_on: date | None = None  # expected day committed quota reaches the pool (None: not this year)
    committed_out_early: date | None = None
    committed_out_late: date | None = None
    committed_mape: float | None = None  # backtest error of the commitment model
    backtest: list[tuple[date, float, float]] = field(default_factory=list)  # cut-off, model error, naive error
    backtest_mape: float | None = None  # mean absolute relative error of the model
    naive_mape: float | None = None  # of the naive baseline: used so far × 365 / days elapsed, no caps

    @property
    def unused_fen(self) -> int:
        return self.pool_fen - self.expected_use_fen

    @property
    def unused_range_fen(self) -> tuple[int, int]:
        return self.pool_fen - self.high_use_fen, self.pool_fen - self.low_use_fen


def _days(d: date) -> int:
    return (d - EPOCH).days


def seasonality(prev: Year | None) -> tuple[np.ndarray, str]:
    """F over the 366 days of a year (index = day of year, 0 = 1 January, value after that day)."""
    flat = np.arange(1, 367, dtype=float) / 365.0
    if prev is None:
        return np.minimum(flat, 1.0), "flat"
    net = _demand(prev)
    total = float(net.sum())
    if total <= 0:
        return np.minimum(flat, 1.0), "flat"
    start = _days(date(prev.year, 1, 1))
    # month by month (linear inside a month): robust to a handful of large bills
    ends = [_days(date(prev.year, m, 1)) - start for m in range(2, 13)] + [365]
    cum = [0.0] + [float(net[(prev.bill_usage_day - start) < e].sum()) / total for e in ends]
    knots = [0, *ends]
    return np.minimum(np.interp(np.arange(1, 367), knots, cum), 1.0), "previous year"


EXHAUSTED_SHARE = 0.99  # "runs dry": less than 1% of the pool left (the last yuan waits on the slowest unit)
SHRINK_BILLS = 5  # a unit with n bills so far trusts its own pace with weight n / (n + 5)


def _demand(y: Year) -> np.ndarray:
    """Per bill: the subsidy it asks for before any quota limit (rate × amount of eligible bills billed
    by a provider the unit holds quota with: other bills can never draw on the unit's quota)."""
    ok = ~(y.bill_credit | y.bill_unit_refused | y.bill_not_qualified | y.bill_affiliated)
    n_prov = max(len(y.prov_id), 1)
    held = (y.app_approved > 0) & (y.app_reviewed >= 0)
    ok &= np.isin(y.bill_unit * n_prov + y.bill_prov, y.app_unit[held] * n_prov + y.app_prov[held])
    return np.where(ok, y.bill_amount * y.in_force.rate_bp // 10000, 0)


def _units(y: Year, upto_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit, by ``upto_day``: quota held (approved, reviewed), net subsidy used (usage day), subsidy
    demanded (before quota limits) and bills."""
    q = np.zeros(y.n_units, dtype=np.int64)
    held = (y.app_reviewed >= 0) & (y.app_reviewed // (86_400 * 10**6) <= upto_day)
    np.add.at(q, y.app_unit[held], y.app_approved[held])
    m = (y.bill_usage_day <= upto_day) & ~y.bill_credit
    u = np.zeros(y.n_units, dtype=np.int64)
    np.add.at(u, y.bill_unit[m], y.rec_net[m])
    d = np.zeros(y.n_units, dtype=np.int64)
    np.add.at(d, y.bill_unit[m], _demand(y)[m])
    weights = None if y.bill_count is None else y.bill_count[m]
    n = np.bincount(y.bill_unit[m], weights=weights, minlength=y.n_units)
    return q, u, d, n


def _curve(q: np.ndarray, u: np.ndarray, d: np.ndarray, n: np.ndarray, f_now: float, f_later: np.ndarray,
           scale: float = 1.0) -> np.ndarray:
    """Expected cumulative use at each later day: per unit min(quota, its year's demand × F(D)), summed.

    A unit's year demand blends its own pace (demanded / F(now)) with the programme's pace per yuan
    of quota, weighted by how many bills it has so far, so one early bill does not decide its year."""
    if f_now <= 0 or q.sum() <= 0:
        return np.full(len(f_later), float(u.sum()))
    own = d / f_now
    pooled = float(d[q > 0].sum()) / f_now / float(q.sum())
    w = n / (n + SHRINK_BILLS)
    year = (w * own + (1 - w) * pooled * q) * scale
    future = year[:, None] * np.maximum(f_later[None, :] - f_now, 0.0)
    return np.maximum(u[:, None], np.minimum(q[:, None], u[:, None] + future)).sum(axis=0)


def _predict(y: Year, f: np.ndarray, cut: date) -> float:
    start = _days(date(y.year, 1, 1))
    doy = _days(cut) - start
    q, u, d, n = _units(y, _days(cut))
    return float(_curve(q, u, d, n, float(f[doy]), np.array([f[364]]))[0])


def backtest(prev: Year, prev_prev: Year | None) -> list[tuple[date, float, float]]:
    """At each month end (March to November) of ``prev``: the relative error of the model's year-end
    use, and of the naive pace (used × 365 / days elapsed), against what was actually used."""
    f, _ = seasonality(prev_prev)
    actual = float(prev.rec_net.sum())
    if actual <= 0:
        return []
    out = []
    for m in range(3, 12):
        cut = date(prev.year, m + 1, 1) - timedelta(days=1)
        model = _predict(prev, f, cut)
        _q, u, _d, _n = _units(prev, _days(cut))
        elapsed = _days(cut) - _days(date(prev.year, 1, 1)) + 1
        naive = float(u.sum()) * 365 / elapsed
        out.append((cut, (model - actual) / actual, (naive - actual) / actual))
    return out


def forecast(y: Year, as_of: date, prev: Year | None = None, prev_prev: Year | None = None) -> Forecast:
    """The running year's forecast as of ``as_of`` (see the module docstring)."""
    f, source = seasonality(prev)
    start = _days(date(y.year, 1, 1))
    doy = min(max(_days(as_of) - start, 0), 364)
    q, u, d, n = _units(y, _days(as_of))
    pool = y.in_force.pool_fen
    bt = backtest(prev, prev_prev) if prev is not None else []
    errs = [e for _c, e, _n in bt]
    lo_e, hi_e = (min(errs), max(errs)) if errs else (-0.25, 0.25)  # no history: ±25%, said on the page
    later = f[doy:365]
    cases = {}
    for name, scale in (("mid", 1.0), ("low", 1.0 / (1.0 + hi_e) if hi_e > -1 else 1.0),
                        ("high", 1.0 / (1.0 + lo_e) if lo_e > -1 else 1.0)):
        curve = _curve(q, u, d, n, float(f[doy]), later, scale)
        hit = np.flatnonzero(curve >= pool * EXHAUSTED_SHARE)
        cases[name] = (int(np.rint(min(curve[-1], pool))), EPOCH + timedelta(days=start + doy + int(hit[0]))
                       if len(hit) else None)
    return with_commitments(Forecast(year=y.year, as_of=as_of, pool_fen=pool, committed_fen=int(q.sum()),
                                     used_fen=int(u.sum()),
                    expected_use_fen=cases["mid"][0], low_use_fen=min(cases["low"][0], cases["mid"][0]),
                    high_use_fen=max(cases["high"][0], cases["mid"][0]), exhausted_on=cases["mid"][1],
                    exhausted_early=cases["high"][1], exhausted_late=cases["low"][1], seasonality=source,
                    backtest=bt, backtest_mape=float(np.mean(np.abs(errs))) if errs else None,
                    naive_mape=float(np.mean([abs(n) for _c, _e, n in bt])) if bt else None), y, prev, prev_prev)


def approval_profile(prev: Year | None) -> np.ndarray:
    """G over the days of a year: share of the year's approved quota reviewed by each day (flat without history)."""
    flat = np.minimum(np.arange(1, 367, dtype=float) / 365.0, 1.0)
    if prev is None or prev.app_approved.sum() <= 0:
        return flat
    start = _days(date(prev.year, 1, 1))
    held = prev.app_reviewed >= 0
    day = prev.app_reviewed[held] // (86_400 * 10**6) - start
    amt = prev.app_approved[held].astype(float)
    ends = [_days(date(prev.year, m, 1)) - start for m in range(2, 13)] + [365]
    cum = [0.0] + [float(amt[day < e].sum()) / float(amt.sum()) for e in ends]
    return np.minimum(np.interp(np.arange(1, 367), [0, *ends], cum), 1.0)


def _committed_by(y: Year, upto_day: int) -> float:
    held = (y.app_reviewed >= 0) & (y.app_reviewed // (86_400 * 10**6) <= upto_day)
    return float(y.app_approved[held].sum())


def committed_backtest(prev: Year, prev_prev: Year | None) -> list[float]:
    """Relative errors of the commitment model's year-end committed quota at each month end of ``prev``."""
    g = approval_profile(prev_prev)
    actual = float(prev.app_approved[prev.app_reviewed >= 0].sum())
    if actual <= 0:
        return []
    start = _days(date(prev.year, 1, 1))
    out = []
    for m in range(3, 12):
        cut = date(prev.year, m + 1, 1) - timedelta(days=1)
        doy = _days(cut) - start
        c = _committed_by(prev, _days(cut))
        if g[doy] > 0 and c > 0:
            out.append((min(c / g[doy], prev.in_force.pool_fen) - actual) / actual)
    return out


def with_commitments(f: Forecast, y: Year, prev: Year | None, prev_prev: Year | None) -> Forecast:
    """Add the day committed quota is expected to reach the pool (and its interval) to ``f``."""
    g = approval_profile(prev)
    start = _days(date(y.year, 1, 1))
    doy = min(max(_days(f.as_of) - start, 0), 364)
    c = _committed_by(y, _days(f.as_of))
    errs = committed_backtest(prev, prev_prev) if prev is not None else []
    lo_e, hi_e = (min(errs), max(errs)) if errs else (-0.25, 0.25)
    pool = y.in_force.pool_fen

    def out_on(scale: float) -> date | None:
        if c >= pool:
            return f.as_of
        if g[doy] <= 0 or c <= 0:
            return None
        proj = c * scale * g[doy:365] / g[doy]
        hit = np.flatnonzero(proj >= pool)
        return EPOCH + timedelta(days=start + doy + int(hit[0])) if len(hit) else None

    f.committed_out_on = out_on(1.0)
    f.committed_out_early = out_on(1.0 / (1.0 + lo_e) if lo_e > -1 else 1.0)
    f.committed_out_late = out_on(1.0 / (1.0 + hi_e) if hi_e > -1 else 1.0)
    f.committed_mape = float(np.mean(np.abs(errs))) if errs else None
    return f
