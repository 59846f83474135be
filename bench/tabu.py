"""Benchmark: the tabu search's main loop, now one loop for job shop and flexible job shop (issue 19),
against the two-loop version it replaced, in the same run on the same instances and start schedules.

Usage::

    .venv/bin/python bench/tabu.py                      # 100,000 iterations per instance
    .venv/bin/python bench/tabu.py --iterations 300000 --repeat 5

Each instance starts from the same dispatching-rule schedule; both versions run the same number of
iterations from the same seed in one compiled call (no time limit, so no chunking), repeated
``--repeat`` times, keeping the fastest (CPU time of this process: other processes on a shared
machine count less). It prints iterations per second for each, the ratio new/old time, and whether
both walked the same trajectory (best makespan, final state): the merge is meant to change nothing
but the code's shape. The baseline is ``src/yuzhi/schedule/tabu.py`` at ``--baseline-rev`` (a git
revision), loaded into a temporary module. Instances come from the shared data folder.
"""

from __future__ import annotations

import os
import sys

# bench/ holds bench/inspect.py, which would shadow the standard library's ``inspect``.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

REPO = Path(__file__).resolve().parents[1]
#: the last revision with the two loops (``_search`` and ``_search_flex``)
BASELINE_REV = "99ab8d2"
CASES = [  # (instance, flexible, interior swaps)
    ("jsp/ft10", False, False),
    ("jsp/la21", False, True),
    ("jsp/ta13", False, False),
    ("jsp/ta33", False, False),
    ("jsp/ta43", False, False),
    ("fjsp/brandimarte/mk04", True, False),
    ("fjsp/brandimarte/mk06", True, False),
    ("fjsp/brandimarte/mk10", True, False),
]


def _baseline(rev: str, where: Path) -> ModuleType:
    """``tabu.py`` at ``rev`` as module ``tabu_baseline`` (its Numba cache stays in ``where``)."""
    text = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:src/yuzhi/schedule/tabu.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    path = where / "tabu_baseline.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("tabu_baseline", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["tabu_baseline"] = mod
    spec.loader.exec_module(mod)
    return mod


def _run_old(old: ModuleType, p, init, flex: bool, interior: bool, iters: int):
    offs, n, dur, mach, jprev, jnext, mprev, mnext = old._arrays(p, init)
    tabu = np.zeros((n, n), np.int64)
    if not flex:
        bp, bn = mprev.copy(), mnext.copy()
        t = time.process_time()
        res = old._search(dur, mach, jprev, jnext, mprev, mnext, n, p.n_jobs, p.n_machines, 0, iters, 3000,
                          tabu, 1 << 60, bp, bn, 0, 0, interior)
        return res, time.process_time() - t, (bp, bn, mach)
    nm = p.n_machines
    dur_m = -np.ones((n, nm), np.int64)
    for j, k, op in p.operations():
        for md in op.modes:
            dur_m[offs[j] + k, md.machine] = md.duration
    for o in init:
        mach[offs[o.job] + o.operation] = o.machine
    mfirst = -np.ones(nm, np.int64)
    old._rebuild(dur_m, dur, mach, mprev, mfirst, n, nm)
    bp, bn, bm = mprev.copy(), mnext.copy(), mach.copy()
    tabu_a = np.zeros((n, nm), np.int64)
    t = time.process_time()
    res = old._search_flex(dur_m, dur, mach, jprev, jnext, mprev, mnext, mfirst, n, p.n_jobs, nm, 0, iters, 3000,
                           tabu, tabu_a, 1 << 60, bp, bn, bm, 0, 0)
    return res, time.process_time() - t, (bp, bn, bm)


def _run_new(new: ModuleType, p, init, flex: bool, interior: bool, iters: int):
    _offs, dur_m, mach, jprev, jnext, mprev, mnext = new._arrays(p, init)
    n, nm = dur_m.shape
    dur = np.zeros(n, np.int64)
    mfirst = -np.ones(nm, np.int64)
    new._rebuild(dur_m, dur, mach, mprev, mfirst, n, nm)
    bp, bn, bm = mprev.copy(), mnext.copy(), mach.copy()
    tabu, tabu_a = np.zeros((n, n), np.int64), np.zeros((n, nm), np.int64)
    t = time.process_time()
    res = new._search(dur_m, dur, mach, jprev, jnext, mprev, mnext, mfirst, p.n_jobs, 0, iters, 3000, tabu, tabu_a,
                      1 << 60, bp, bn, bm, 0, 0, interior, flex)
    return res, time.process_time() - t, (bp, bn, bm)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    args = ap.parse_args(argv)

    from yuzhi.config import shared_data_dir
    from yuzhi.schedule import tabu as new
    from yuzhi.schedule.heuristics import dispatch
    from yuzhi.schedule.readers import read_instance

    if not new.available():
        print("numba is not installed", file=sys.stderr)
        return 1
    data = shared_data_dir() / "scheduling"
    if not data.is_dir():
        print(f"shared data not found at {data}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        old = _baseline(args.baseline_rev, Path(tmp))
        print(f"iterations={args.iterations} repeat={args.repeat} baseline={args.baseline_rev}")
        print(f"{'instance':24s} {'old it/s':>10s} {'new it/s':>10s} {'new/old time':>13s} same")
        total_old = total_new = 0.0
        all_same = True
        for name, flex, interior in CASES:
            path = data / f"{name}.txt"
            if not path.is_file():
                continue
            p = read_instance(path)
            init = dispatch(p, max_runs=0)
            _run_old(old, p, init, flex, interior, 10)  # compile (or load the cache) outside the timing
            _run_new(new, p, init, flex, interior, 10)
            t_old = t_new = float("inf")
            for _ in range(args.repeat):
                r_old, dt_old, s_old = _run_old(old, p, init, flex, interior, args.iterations)
                r_new, dt_new, s_new = _run_new(new, p, init, flex, interior, args.iterations)
                t_old, t_new = min(t_old, dt_old), min(t_new, dt_new)
            same = r_old == r_new and all(bool((a == b).all()) for a, b in zip(s_old, s_new, strict=True))
            all_same &= same
            total_old += t_old
            total_new += t_new
            print(f"{name:24s} {args.iterations / t_old:10.0f} {args.iterations / t_new:10.0f} "
                  f"{t_new / t_old:13.3f} {same}", flush=True)
        print(f"total CPU s: old {total_old:.2f}, new {total_new:.2f}; ratio new/old time {total_new / total_old:.3f}; "
              f"identical trajectories: {all_same}")
    return 0 if all_same else 2


if __name__ == "__main__":
    raise SystemExit(main())
