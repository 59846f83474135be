"""Policy simulator speed: a year of 1,000 units and 1,000,000 bills replayed under 5 rule sets.

Usage::

    .venv/bin/python bench/simulate.py                  # 1,000 units, 1,000,000 bills, 5 rule sets
    .venv/bin/python bench/simulate.py --bills 200000   # smaller
    .venv/bin/python bench/simulate.py --forecast       # the pool forecast on a held-out year

The year is generated in memory (seeded): units of all three kinds in Henan's 18 cities, five
providers of the three criteria, 1–3 quota applications per unit approved by the rules in force
(some below the maximum, a few cut by the pool), bills over the year (busier in the autumn) with a
few hundred credit notes. Aim
(issue 21): all five rule sets in < 60 s on 2 cores.

Baseline, measured in the same run: the plain way — a per-bill Python loop calling the same live
rule functions (``rules.rate_share``, ``rules.draw``, ``rules.reversal_for_credit``) bill after bill —
timed on a prefix of the year and extrapolated to the whole year × 5 rule sets. The loop's results
on that prefix are checked against the vectorised replay of the same prefix (they must agree to the
fen), so the two measure the same work.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/inspect.py would shadow the standard library's inspect (numpy imports it): drop this folder
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402

from yuzhi.vouchers import simulate as sim  # noqa: E402
from yuzhi.vouchers.rules import approvable, draw, rate_share, reversal_for_credit  # noqa: E402

CITIES = ["郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市", "焦作市", "濮阳市", "许昌市",
          "漯河市", "三门峡市", "南阳市", "商丘市", "信阳市", "周口市", "驻马店市", "济源市"]
INDUSTRIES = ["新材料", "新能源汽车", "电子信息", "先进装备", "现代医药", "现代食品", "轻纺"]
KINDS = ["enterprise"] * 8 + ["university", "research_institute"]
DAY = sim.DAY


MONTH_WEIGHT = np.array([0.5, 0.4, 0.9, 1.0, 1.0, 1.1, 0.9, 0.9, 1.1, 1.2, 1.4, 1.6])  # slow spring, busy Q4


def make_year(units: int, bills: int, seed: int = 2026, year: int = 2026) -> sim.Year:
    rng = np.random.default_rng(seed)
    year0 = int(np.datetime64(f"{year}-01-01T00:00:00", "us").astype(np.int64))
    in_force = sim.SimRules(name="in force", pool_fen=50_000_000_00, rate_bp=2000, unit_cap_fen=1_000_000_00)
    n_prov = 5
    crit = ["national_supercomputing", "ai_computing_100pf", "ai_computing_100pf", "data_centre_1000_racks",
            "data_centre_1000_racks"]
    # applications: 1-3 per unit, planned spend log-normal (median ~120,000 yuan), reviewed Jan–Jun
    per_unit = rng.integers(1, 4, units)
    app_unit = np.repeat(np.arange(units), per_unit)
    n_apps = len(app_unit)
    app_prov = rng.integers(0, n_prov, n_apps)
    planned = (np.exp(rng.normal(np.log(120_000), 1.0, n_apps)) * 100).astype(np.int64)
    reviewed = year0 + np.sort(rng.integers(0, 180 * DAY, n_apps))
    rng.shuffle(app_unit)
    approved = np.zeros(n_apps, dtype=np.int64)
    committed: dict[int, int] = {}
    pool = 0
    for i in range(n_apps):  # the office approves the maximum, now and then less
        u = int(app_unit[i])
        mx = approvable(int(planned[i]), rate_bp=2000, unit_remaining_fen=in_force.unit_cap_fen - committed.get(u, 0),
                        pool_remaining_fen=in_force.pool_fen - pool)
        amt = mx if rng.random() > 0.2 else mx * 3 // 4
        approved[i] = amt
        committed[u] = committed.get(u, 0) + amt
        pool += amt
    effective = np.where(approved > 0, reviewed + 5 * DAY, -1)
    reviewed = np.where(approved > 0, reviewed, -1)
    # bills: mostly with a provider the unit holds quota with, recorded through the year
    pick = rng.integers(0, n_apps, bills)
    bill_unit = app_unit[pick]
    bill_prov = np.where(rng.random(bills) < 0.9, app_prov[pick], rng.integers(0, n_prov, bills))
    amount = (np.exp(rng.normal(np.log(2_000), 1.2, bills)) * 100).astype(np.int64) + 1
    # usage month by MONTH_WEIGHT, recorded within a month of the usage
    month = rng.choice(12, bills, p=MONTH_WEIGHT / MONTH_WEIGHT.sum())
    first = np.array([int((np.datetime64(f"{year}-{m + 1:02d}-01") - np.datetime64(f"{year}-01-01")).astype(int))
                      for m in range(12)] + [365])
    usage = year0 // DAY + first[month] + (rng.random(bills) * (first[month + 1] - first[month])).astype(np.int64)
    recorded = np.sort(np.minimum(usage * DAY + rng.integers(0, 30 * DAY, bills), year0 + 365 * DAY - 1))
    usage = np.sort(usage)  # bills arrive in about the order of their usage
    credit = np.zeros(bills, dtype=bool)
    orig = np.full(bills, -1, dtype=np.int64)
    cand = np.flatnonzero(rng.random(bills) < 0.01)
    cand = cand[cand > 1000]
    origs = np.unique(cand - rng.integers(1, 1000, len(cand)))  # one credit note per credited bill
    cand = cand[: len(origs)]
    ok = (origs < cand) & ~np.isin(origs, cand)
    cand, origs = cand[ok], origs[ok]
    credit[cand] = True
    orig[cand] = origs
    bill_unit[cand], bill_prov[cand] = bill_unit[origs], bill_prov[origs]
    amount[cand] = amount[origs] // 4 + 1
    return sim.Year(
        year=year, in_force=in_force, unit_id=np.arange(units, dtype=np.int64),
        unit_name=[f"单位{i:04d}" for i in range(units)], unit_kind=[KINDS[i % 10] for i in range(units)],
        unit_city=[CITIES[i % 18] for i in range(units)], unit_industry=[INDUSTRIES[i % 7] for i in range(units)],
        unit_uscc=["914101" + f"{i:012d}" for i in range(units)],
        prov_id=np.arange(n_prov, dtype=np.int64), prov_name=[f"P{i}" for i in range(n_prov)], prov_criterion=crit,
        prov_unit=np.full(n_prov, -1, dtype=np.int64),
        app_id=np.arange(n_apps, dtype=np.int64), app_unit=app_unit.astype(np.int64), app_prov=app_prov,
        app_planned=planned, app_approved=approved, app_reviewed=reviewed, app_effective=effective,
        app_affiliated=np.zeros(n_apps, dtype=bool),
        bill_id=np.arange(bills, dtype=np.int64), bill_unit=bill_unit.astype(np.int64),
        bill_prov=bill_prov.astype(np.int64), bill_amount=amount, bill_credit=credit, bill_orig=orig,
        bill_recorded=recorded, bill_usage_day=usage, bill_unit_refused=np.zeros(bills, dtype=bool),
        bill_not_qualified=np.zeros(bills, dtype=bool), bill_affiliated=np.zeros(bills, dtype=bool))


def rule_sets(base: sim.SimRules) -> list[sim.SimRules]:
    return [
        replace(base, name="in force"),
        replace(base, name="15%, 500k cap", rate_bp=1500, unit_cap_fen=500_000_00),
        replace(base, name="25% (flagged)", rate_bp=2500),
        replace(base, name="pool 30M, max approval", pool_fen=30_000_000_00, approval="maximum"),
        replace(base, name="any provider, no data centres", bill_binding="unit",
                provider_criteria=("national_supercomputing", "ai_computing_100pf")),
    ]


def prefix(y: sim.Year, n: int) -> sim.Year:
    """The year's first ``n`` bills (credit notes whose bill is cut off are dropped)."""
    keep = np.arange(len(y.bill_id)) < n
    keep &= ~(y.bill_credit & (y.bill_orig >= n))
    idx = np.flatnonzero(keep)
    remap = np.full(len(y.bill_id), -1, dtype=np.int64)
    remap[idx] = np.arange(len(idx))
    out = replace(y)
    for name in ("bill_id", "bill_unit", "bill_prov", "bill_amount", "bill_credit", "bill_recorded", "bill_usage_day",
                 "bill_unit_refused", "bill_not_qualified", "bill_affiliated"):
        setattr(out, name, getattr(y, name)[idx])
    out.bill_orig = np.where(y.bill_orig[idx] >= 0, remap[np.maximum(y.bill_orig[idx], 0)], -1)
    return out


def loop_replay(y: sim.Year, r: sim.SimRules, app_amount: np.ndarray) -> list[int]:
    """The plain way: bill after bill, the live rule functions, dicts for quota drawn and credits."""
    n_prov = len(y.prov_id)
    shift = (r.disclosure_days - y.in_force.disclosure_days) * DAY
    quotas: dict[int, list[tuple[int, int]]] = {}
    for i in np.argsort(y.app_effective, kind="stable").tolist():
        if y.app_effective[i] >= 0 and app_amount[i] > 0:
            g = int(y.app_unit[i]) * n_prov + int(y.app_prov[i]) if r.bill_binding == "provider" \
                else int(y.app_unit[i])
            quotas.setdefault(g, []).append((int(y.app_effective[i]) + shift, int(app_amount[i])))
    drawn: dict[int, int] = {}
    net: dict[int, int] = {}
    credited: dict[int, int] = {}
    out = []
    ok_crit = [c in r.provider_criteria for c in y.prov_criterion]
    for i in range(len(y.bill_id)):
        u, p, amt = int(y.bill_unit[i]), int(y.bill_prov[i]), int(y.bill_amount[i])
        g = u * n_prov + p if r.bill_binding == "provider" else u
        if y.bill_credit[i]:
            o = int(y.bill_orig[i])
            rev = 0
            if ok_crit[int(y.bill_prov[o])] and net.get(o, 0):
                rev = reversal_for_credit(original_eligible_fen=int(y.bill_amount[o]),
                                          credited_before_fen=credited.get(o, 0), credit_fen=amt,
                                          net_subsidy_fen=net[o], rate_bp=r.rate_bp)
            net[o] = net.get(o, 0) - rev
            credited[o] = credited.get(o, 0) + amt
            drawn[g] = drawn.get(g, 0) - rev
            out.append(rev)
            continue
        if not ok_crit[p]:
            out.append(0)
            continue
        t = int(y.bill_recorded[i])
        held = sum(a for when, a in quotas.get(g, ()) if when <= t)
        s = draw(rate_share(amt, r.rate_bp), held - drawn.get(g, 0))
        drawn[g] = drawn.get(g, 0) + s
        net[i] = s
        out.append(s)
    return out


def forecast_eval(units: int, bills: int) -> None:
    """The pool forecast on a held-out year: 2024 and 2025 are history (seasonality, backtest), 2026 is
    scored once at each month end against its actual year-end use, beside the naive pace."""
    from datetime import date, timedelta

    from yuzhi.vouchers import forecast as fc

    years = {}
    for k, yr in enumerate((2024, 2025, 2026)):
        y = make_year(units, bills, seed=100 + k, year=yr)
        res = sim.replay(y, y.in_force)  # the books of that year
        y.rec_subsidy, y.rec_net = res.bill_subsidy, res.bill_net
        years[yr] = y
    y = years[2026]
    actual = int(y.rec_net.sum())
    print(f"forecast, held-out 2026 ({units:,} units, {bills:,} bills a year; actual use "
          f"{sim.yuan(actual)} yuan of a {sim.yuan(y.in_force.pool_fen)} pool):")
    errs, naive = [], []
    for m in range(3, 12):
        cut = date(2026, m + 1, 1) - timedelta(days=1)
        f = fc.forecast(y, cut, prev=years[2025], prev_prev=years[2024])
        used = f.used_fen
        n = used * 365 / ((cut - date(2026, 1, 1)).days + 1)
        errs.append((f.expected_use_fen - actual) / actual)
        naive.append((n - actual) / actual)
        inside = f.low_use_fen <= actual <= f.high_use_fen
        print(f"  as of {cut}: expected {sim.yuan(f.expected_use_fen):>16s} ({errs[-1]:+.1%}), range "
              f"{sim.yuan(f.low_use_fen)}–{sim.yuan(f.high_use_fen)} {'holds' if inside else 'misses'} the actual; "
              f"naive pace {naive[-1]:+.1%}; committed runs out {f.committed_out_on or '—'}")
    print(f"  mean absolute error: model {np.mean(np.abs(errs)):.1%}, naive pace {np.mean(np.abs(naive)):.1%} "
          f"(backtest on 2025 as shown on the dashboard: model {f.backtest_mape:.1%}, naive {f.naive_mape:.1%})")


def db_eval(y: sim.Year, url: str) -> None:
    """End to end as the CLI runs it: the year written to a scratch database (bulk inserts, not the
    live path), then one read-only snapshot and the five replays, timed."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from yuzhi.accounts.models import Organisation
    from yuzhi.db import import_all_models, make_engine, migrate
    from yuzhi.providers.models import Provider
    from yuzhi.vouchers import simulate_service as ss
    from yuzhi.vouchers.models import Bill, Programme, QuotaApplication

    t0 = time.perf_counter()
    migrate(url)
    import_all_models()
    engine = make_engine(url)

    def ts(us: int) -> datetime:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))

    n_u, n_p = y.n_units, len(y.prov_id)
    with engine.begin() as conn:
        conn.execute(insert(Organisation), [
            {"id": i + 1, "uscc": f"U{i:017d}", "name": y.unit_name[i] if i < n_u else f"provider org {i}",
             "kind": y.unit_kind[i] if i < n_u else "enterprise", "region": "410100",
             "city": y.unit_city[i] if i < n_u else "郑州市", "industry": y.unit_industry[i] if i < n_u else "",
             "status": "approved"} for i in range(n_u + n_p)])
        conn.execute(insert(Provider), [
            {"id": k + 1, "org_id": n_u + k + 1, "name": y.prov_name[k], "criterion": y.prov_criterion[k],
             "valid_from": datetime(2025, 1, 1).date(), "valid_to": datetime(2027, 12, 31).date()}
            for k in range(n_p)])
        r = y.in_force
        conn.execute(insert(Programme), [{"id": 1, "year": y.year, "name": "bench", "pool_fen": r.pool_fen,
                                          "rate_bp": r.rate_bp, "unit_cap_fen": r.unit_cap_fen,
                                          "province_bp": r.province_bp, "settlement_mode": r.settlement_mode,
                                          "disclosure_days": r.disclosure_days}])
        conn.execute(insert(QuotaApplication), [
            {"id": i + 1, "org_id": int(y.app_unit[i]) + 1, "programme_id": 1, "provider_id": int(y.app_prov[i]) + 1,
             "contract_no": f"C{i}", "planned_spend_fen": int(y.app_planned[i]),
             "status": "effective" if y.app_approved[i] > 0 else "rejected", "approved_fen": int(y.app_approved[i]),
             "reviewed_at": ts(y.app_reviewed[i]) if y.app_reviewed[i] >= 0 else None,
             "effective_at": ts(y.app_effective[i]) if y.app_effective[i] >= 0 else None}
            for i in range(len(y.app_id))])
        res = sim.replay(y, y.in_force)
        epoch = datetime(1970, 1, 1).date()
        for lo in range(0, len(y.bill_id), 50_000):
            conn.execute(insert(Bill), [
                {"id": i + 1, "provider_id": int(y.bill_prov[i]) + 1, "org_id": int(y.bill_unit[i]) + 1,
                 "programme_id": 1, "invoice_no": f"I{i}", "kind": "credit" if y.bill_credit[i] else "bill",
                 "original_bill_id": int(y.bill_orig[i]) + 1 if y.bill_credit[i] else None,
                 "period_start": epoch + timedelta(days=int(y.bill_usage_day[i])),
                 "period_end": epoch + timedelta(days=int(y.bill_usage_day[i])),
                 "amount_fen": int(y.bill_amount[i]), "eligible_fen": int(y.bill_amount[i]),
                 "subsidy_fen": int(res.bill_subsidy[i]), "owed_fen": 0, "net_subsidy_fen": int(res.bill_net[i]),
                 "settlement_mode": r.settlement_mode, "payload_hash": "-", "created_at": ts(y.bill_recorded[i])}
                for i in range(lo, min(lo + 50_000, len(y.bill_id)))])
    print(f"scratch database {url.split('://')[0]}: {len(y.bill_id):,} bills written in "
          f"{time.perf_counter() - t0:.1f} s (bulk inserts, not timed below)")
    t = time.perf_counter()
    snap = ss.snapshot(engine, y.year)
    t_snap = time.perf_counter() - t
    t = time.perf_counter()
    comparison = ss.compare(snap, rule_sets(snap.in_force)[1:])
    t_rep = time.perf_counter() - t
    same = comparison.base.bill_subsidy.tolist() == snap.rec_subsidy.tolist()
    print(f"end to end: snapshot {t_snap:.1f} s + in force and 4 rule sets {t_rep:.1f} s = {t_snap + t_rep:.1f} s "
          f"(aim < 60 s); the replay in force gives back the stored subsidies: {same}")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--bills", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=50_000, help="bills in the baseline's timed prefix")
    ap.add_argument("--forecast", action="store_true", help="only the pool forecast on a held-out year")
    ap.add_argument("--db", metavar="URL", help="end to end through a scratch database (e.g. sqlite:////tmp/sim.db; "
                    "its contents are replaced)")
    a = ap.parse_args()
    if a.forecast:
        forecast_eval(a.units, min(a.bills, 300_000))
        return
    t0 = time.perf_counter()
    y = make_year(a.units, a.bills)
    print(f"yuzhi policy simulator bench · {os.cpu_count()} CPUs · {a.units:,} units, {len(y.app_id):,} "
          f"applications, {a.bills:,} bills ({int(y.bill_credit.sum()):,} credit notes); generated in "
          f"{time.perf_counter() - t0:.1f} s")
    sets = rule_sets(y.in_force)
    total = 0.0
    for r in sets:
        t = time.perf_counter()
        res = sim.replay(y, r)
        dt = time.perf_counter() - t
        total += dt
        print(f"  {r.name:32s} {dt:6.2f} s   subsidy {sim.yuan(res.total_fen):>16s} yuan, committed "
              f"{sim.yuan(res.committed_fen):>16s}, units capped {res.units_capped:4d}, pool runs out "
              f"{res.pool_exhausted_on or '—'}")
    print(f"vectorised replay, 5 rule sets: {total:.2f} s (aim < 60 s)")

    # baseline: the per-bill loop on a prefix, checked against the vectorised replay of that prefix
    py = prefix(y, a.sample)
    loop_total = 0.0
    for r in sets:
        vec = sim.replay(py, r)
        t = time.perf_counter()
        ref = loop_replay(py, r, vec.app_amount)
        loop_total += time.perf_counter() - t
        if ref != vec.bill_subsidy.tolist():
            bad = next(i for i, (p, q) in enumerate(zip(ref, vec.bill_subsidy.tolist(), strict=True)) if p != q)
            raise SystemExit(f"baseline and replay disagree under {r.name!r} at bill {bad}")
    per_bill = loop_total / (len(py.bill_id) * len(sets))
    est = per_bill * a.bills * len(sets)
    print(f"baseline, per-bill Python loop on the live rule functions: {per_bill * 1e6:.1f} µs a bill on "
          f"{len(py.bill_id):,} bills × 5 (same results to the fen) → {est:.0f} s for the year × 5, extrapolated")
    print(f"ratio: vectorised replay is {est / total:.1f}× faster than the per-bill loop")
    if a.db:
        db_eval(y, a.db)


if __name__ == "__main__":
    main()
