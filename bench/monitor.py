"""Monitoring benchmark: speed of the default detector and the rules, against PyOD and river.

Run: ``.venv/bin/python bench/monitor.py [--quick]`` (one core: BLAS threads are pinned to 1).

Prints, each with a ratio to a baseline measured in the same run:

- batch scoring throughput (samples/s, 8 sensors) of ``MahalanobisDetector`` vs PyOD's PCA and
  Isolation Forest detectors (``decision_function``) on the same rows;
- streaming latency per sample (p50/p99) of ``MahalanobisDetector.stream()`` vs river's
  ``HalfSpaceTrees`` (``score_one`` + ``learn_one``), the usual online detector;
- 1,000 sensors at 1 Hz: per-sample streaming cost and the share of one core it takes;
- rule evaluation throughput (methane preset with hysteresis) vs a vectorised threshold test;
- SKAB / NAB accuracy with the textbook baselines when the shared data is present.
"""

from __future__ import annotations

import os
import sys

# `python bench/<name>.py` puts bench/ first on sys.path, where bench/inspect.py (the inspection
# benchmark, named by its issue) would shadow the standard library's inspect module; drop that entry.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import os  # noqa: E402

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from yuzhi.config import shared_data_dir  # noqa: E402
from yuzhi.monitor.detectors import MahalanobisDetector  # noqa: E402
from yuzhi.monitor.rules import PRESETS, evaluate  # noqa: E402


def synthetic(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = max(1, d // 4)
    latent = rng.normal(size=(n, k))
    mix = rng.normal(size=(k, d))
    return latent @ mix + 0.3 * rng.normal(size=(n, d))


def best_of(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def latencies(update, rows) -> np.ndarray:
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        t0 = time.perf_counter()
        update(r)
        out[i] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes (CI smoke run)")
    ap.add_argument("--chart", help="only write the documentation chart (PNG) to this path and exit")
    ap.add_argument("--demo-csv", help="only write the worked example's CSV files into this folder and exit")
    args = ap.parse_args()
    if args.demo_csv:
        demo_csv(args.demo_csv)
        return
    if args.chart:
        demo_chart(args.chart)
        return
    n_batch = 200_000 if args.quick else 2_000_000
    n_stream = 5_000 if args.quick else 50_000
    d = 8

    train = synthetic(5_000, d)
    X = synthetic(n_batch, d, seed=1)
    det = MahalanobisDetector().fit(train)
    t_ours = best_of(lambda: det.score_samples(X))
    ours = n_batch / t_ours
    print(f"batch scoring, {d} sensors, {n_batch:,} rows, 1 core")
    print(f"  yuzhi MahalanobisDetector      {ours:>12,.0f} samples/s")
    from pyod.models.iforest import IForest
    from pyod.models.pca import PCA as PyodPCA

    for name, model in (("PyOD PCA", PyodPCA(random_state=0)), ("PyOD IForest", IForest(random_state=0))):
        model.fit(train)
        m = min(n_batch, 200_000)
        t = best_of(lambda model=model, m=m: model.decision_function(X[:m]), repeat=2)
        rate = m / t
        print(f"  {name:<30s} {rate:>12,.0f} samples/s   ours ×{ours / rate:,.1f}")

    print(f"streaming, {d} sensors, {n_stream:,} samples one at a time")
    st = det.stream()
    lat = latencies(st.update, X[:n_stream])
    p50, p99 = np.percentile(lat, [50, 99]) * 1e6
    print(f"  yuzhi stream.update            p50 {p50:8.1f} µs   p99 {p99:8.1f} µs")
    from river.anomaly import HalfSpaceTrees

    hst = HalfSpaceTrees(seed=0)
    lo, hi = train.min(0), train.max(0)
    dicts = [{f"s{j}": float((v - lo[j]) / (hi[j] - lo[j])) for j, v in enumerate(r)} for r in X[:n_stream]]
    for r in dicts[:1000]:
        hst.learn_one(r)

    def hst_update(r):
        hst.score_one(r)
        hst.learn_one(r)

    lat_r = latencies(hst_update, dicts)
    r50, r99 = np.percentile(lat_r, [50, 99]) * 1e6
    print(f"  river HalfSpaceTrees           p50 {r50:8.1f} µs   p99 {r99:8.1f} µs   ours p99 ×{r99 / p99:,.1f} faster")

    big_d = 1000
    big_train = synthetic(3_000, big_d, seed=2)
    big = MahalanobisDetector().fit(big_train)
    big_rows = synthetic(300 if args.quick else 3_000, big_d, seed=3)
    st = big.stream()
    lat_b = latencies(st.update, big_rows)
    b50, b99 = np.percentile(lat_b, [50, 99]) * 1e3
    share = lat_b.mean() / 1.0
    print(
        f"1,000 sensors at 1 Hz, streaming: p50 {b50:.3f} ms  p99 {b99:.3f} ms per sample "
        f"= {100 * share:.3f}% of one core (budget 1 s per sample: ×{1 / lat_b.max():,.0f} headroom)"
    )
    t_bb = best_of(lambda: big.score_samples(big_rows), repeat=2)
    print(f"  batch: {len(big_rows) / t_bb:,.0f} samples/s of 1,000 sensors")

    n_rule = 200_000 if args.quick else 1_000_000
    rng = np.random.default_rng(4)
    ch4 = np.clip(0.6 + np.cumsum(rng.normal(0, 0.01, n_rule)), 0, 3)
    t = np.arange(n_rule, dtype=float)
    t_rule = best_of(lambda: evaluate(PRESETS["methane.coal_face"], t, ch4), repeat=2)
    t_vec = best_of(lambda: np.flatnonzero(np.diff((ch4 >= 1.0).astype(np.int8))), repeat=3)
    print(
        f"rules: methane preset with hysteresis {n_rule / t_rule:,.0f} samples/s; "
        f"plain vectorised threshold (no hysteresis) {n_rule / t_vec:,.0f} samples/s (×{t_rule / t_vec:,.0f} slower)"
    )

    data = shared_data_dir() / "monitoring"
    if (data / "skab").exists():
        from yuzhi.monitor import benchmarks as B

        files = B.load_skab(data / "skab")
        for name, make in (
            ("yuzhi", MahalanobisDetector),
            ("Isolation Forest", B.IsolationForestBaseline),
            ("PCA T²+Q", B.PcaT2QBaseline),
        ):
            r = B.evaluate_skab(files, make)
            print(f"SKAB {name:<17s} F1 {r['f1']:.3f}  FAR {r['far']:5.1f}%  MAR {r['mar']:5.1f}%")
    if (data / "nab").exists() and not args.quick:
        from yuzhi.monitor import benchmarks as B
        files = B.load_nab(data / "nab")
        t_nab = time.perf_counter()
        ours_scores = B.nab_run(files)
        t_nab = time.perf_counter() - t_nab
        ours_nab = B.nab_score(files, ours_scores)
        wg = B.nab_score(files, [B.windowed_gaussian(f.values) for f in files])
        print(
            f"NAB standard: yuzhi {ours_nab['standard']['score']:.1f}, windowed Gaussian "
            f"{wg['standard']['score']:.1f} (×{ours_nab['standard']['score'] / wg['standard']['score']:.2f}); "
            f"NAB detector streams {sum(len(f.values) for f in files) / t_nab:,.0f} samples/s"
        )
    elif not args.quick:
        print("shared NAB data not present: NAB part skipped")


def demo_scenario() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The coal-face scenario of :mod:`yuzhi.monitor.demo`, with units in the trace names."""
    from yuzhi.monitor.demo import coal_face_scenario

    t, series = coal_face_scenario()
    units = {"ch4_face": "%", "airflow": "m/s", "co": "ppm", "fan": "current A"}
    return t, {f"{k} {units[k]}": v for k, v in series.items()}


def demo_csv(folder: str) -> None:
    """coalface_normal.csv (first hour) and coalface_shift.csv (3 h) for docs/monitor.md."""
    from pathlib import Path

    t, series = demo_scenario()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    keys = [k.split()[0] for k in series]
    stamps = [str(np.datetime64("2026-03-02T08:00:00") + np.timedelta64(int(s), "s")).replace("T", " ") for s in t]
    for name, rows in (("coalface_normal.csv", range(60)), ("coalface_shift.csv", range(len(t)))):
        lines = ["timestamp," + ",".join(keys)]
        lines += [stamps[i] + "," + ",".join(f"{series[k][i]:.3f}" for k in series) for i in rows]
        (out / name).write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'coalface_normal.csv'} and {out / 'coalface_shift.csv'}")


def demo_chart(path: str) -> None:
    """The docs chart: statutory methane alarm, learned early warning, traces around them."""
    from yuzhi.monitor.chart import traces_png

    t, series = demo_scenario()
    X = np.column_stack(list(series.values()))
    det = MahalanobisDetector().fit(X[:60], list(series))
    score, flag, top = det.explain(X)
    ev = evaluate(PRESETS["methane.coal_face"], t, series["ch4_face %"])
    alarm = next(e for e in ev if e.level == "alarm")
    first_warn = int(np.flatnonzero(flag)[0])
    traces = {k: list(zip(t / 60, v.tolist(), strict=True)) for k, v in series.items()}
    traces["learned score (max 5)"] = list(zip(t / 60, np.minimum(score, 5.0).tolist(), strict=True))
    title = (f"minutes; shaded: statutory CH4 alarm (>=1.0%) {alarm.start_s / 60:.0f}-{alarm.end_s / 60:.0f} min; "
             f"learned early warning from minute {first_warn} (sensor: {det.sensors_[top[first_warn]]})")
    traces_png(path, traces, span=(alarm.start_s / 60, alarm.end_s / 60),
               limits={"ch4_face %": [1.0, 1.5], "learned score (max 5)": [1.0]}, highlight="ch4_face %", title=title)
    print(title)
    print(f"chart written to {path}")


if __name__ == "__main__":
    main()
