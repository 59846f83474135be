"""Benchmark: our solver vs the textbook CP-SAT model vs PyJobShop, same run, same limit and workers.

Usage::

    .venv/bin/python bench/schedule.py --set la --time-limit 30 --workers 2
    .venv/bin/python bench/schedule.py --set ta --time-limit 60
    .venv/bin/python bench/schedule.py --set mk --time-limit 60
    .venv/bin/python bench/schedule.py --quick            # 3 instances, 5 s each

Prints, per instance, each solver's makespan and gap to the best-known upper bound (``bounds.json``
in the shared data), then the mean gaps side by side and the ratio of our mean gap to the
textbook model's. Instances come from ``yuzhi.config.shared_data_dir() / "scheduling"``.
``--json FILE`` also writes every figure.
"""

from __future__ import annotations

import os
import sys

# bench/ holds bench/inspect.py, which would shadow the standard library's ``inspect`` for scripts run
# from here: drop the script's folder from the import path before anything imports ``inspect``.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import json
import statistics
import time
from pathlib import Path

SETS = {
    "la": [f"la{i:02d}" for i in range(1, 41)],
    "ta": [f"ta{i:02d}" for i in range(1, 51)],
    "ta-spread": ["ta03", "ta13", "ta23", "ta33", "ta43"],
    "mk": [f"brandimarte/mk{i:02d}" for i in range(1, 11)],
    "quick": ["ft06", "la16", "brandimarte/mk01"],
}


def _path(data: Path, name: str) -> Path:
    return data / ("fjsp" if "/" in name else "jsp") / f"{name}.txt"


def run_ours(problem, limit: float, workers: int, seed: int) -> tuple[int, int | None, str]:
    from yuzhi.schedule.solve import solve

    r = solve(problem, time_limit=limit, workers=workers, seed=seed)
    return r.makespan, r.lower_bound, r.status.value


def run_textbook(problem, limit: float, workers: int, seed: int) -> tuple[int | None, int | None, str]:
    from yuzhi.schedule.check import check
    from yuzhi.schedule.cpsat.textbook import solve_textbook

    status, value, bound, ops = solve_textbook(problem, time_limit=limit, workers=workers, seed=seed)
    assert not ops or not check(problem, ops)
    return value, bound, status


def run_pyjobshop(problem, limit: float, workers: int, seed: int) -> tuple[int | None, int | None, str]:
    from pyjobshop import Model

    model = Model()
    machines = [model.add_machine() for _ in problem.machines]
    for job in problem.jobs:
        pj = model.add_job()
        tasks = []
        for op in job.operations:
            t = model.add_task(job=pj)
            for md in op.modes:
                model.add_mode(t, machines[md.machine], md.duration)
            tasks.append(t)
        for a, b in job.arcs:
            model.add_end_before_start(tasks[a], tasks[b])
    model.set_objective(weight_makespan=1)
    res = model.solve(solver="ortools", time_limit=limit, display=False, num_workers=workers)
    status = str(res.status.value if hasattr(res.status, "value") else res.status).lower()
    lb = getattr(res, "lower_bound", None)
    obj = res.objective if status in ("optimal", "feasible") else None
    return (None if obj is None else round(obj)), (None if lb is None else round(lb)), status


SOLVERS = {"ours": run_ours, "textbook": run_textbook, "pyjobshop": run_pyjobshop}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="ta-spread", help=f"one of {', '.join(SETS)}")
    ap.add_argument("--instances", nargs="*", help="explicit instance names (override --set)")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="ours,textbook,pyjobshop")
    ap.add_argument("--quick", action="store_true", help="3 small instances at 5 s")
    ap.add_argument("--json", type=Path, help="write all figures to this file")
    args = ap.parse_args(argv)

    from yuzhi.config import shared_data_dir
    from yuzhi.schedule.readers import read_instance

    data = shared_data_dir() / "scheduling"
    if not data.is_dir():
        print(f"shared data not found at {data}", file=sys.stderr)
        return 1
    bounds = json.loads((data / "bounds.json").read_text())["instances"]
    if args.quick:
        args.set, args.time_limit = "quick", 5.0
    names = args.instances or SETS[args.set]
    names = [n for n in names if _path(data, n).is_file()]
    solvers = [s for s in args.solvers.split(",") if s]
    print(f"set={args.set} instances={len(names)} time_limit={args.time_limit}s workers={args.workers}")
    header = f"{'instance':18s} {'BKS':>6s}" + "".join(f" {s:>10s} {'gap%':>6s}" for s in solvers)
    print(header)
    rows = []
    for name in names:
        problem = read_instance(_path(data, name))
        bks = bounds[name]["upper_bound"]
        row = {"instance": name, "bks": bks}
        line = f"{name:18s} {bks:6d}"
        for s in solvers:
            t0 = time.perf_counter()
            try:
                value, bound, status = SOLVERS[s](problem, args.time_limit, args.workers, args.seed)
            except ImportError as exc:
                value, bound, status = None, None, f"missing: {exc.name}"
            wall = time.perf_counter() - t0
            gap = None if value is None else 100.0 * (value - bks) / bks
            row[s] = {"makespan": value, "bound": bound, "status": status, "gap_pct": gap, "wall_s": round(wall, 2)}
            line += f" {value if value is not None else '-':>10} {gap if gap is not None else float('nan'):6.2f}"
        ref = bounds[name].get("pyjobshop_900s", {}).get("ortools", {}).get("objective")
        row["pyjobshop_900s"] = ref
        rows.append(row)
        print(line, flush=True)
        if args.json:  # partial results survive an interrupted run
            args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows}, indent=1))
    print("-" * len(header))
    means = {}
    for s in solvers:
        gaps = [r[s]["gap_pct"] for r in rows if r[s]["gap_pct"] is not None]
        means[s] = statistics.fmean(gaps) if len(gaps) == len(rows) and gaps else None
    pub = [100.0 * (r["pyjobshop_900s"] - r["bks"]) / r["bks"] for r in rows if r["pyjobshop_900s"] is not None]
    print(
        "mean gap to best known: "
        + ", ".join(f"{s} {means[s]:.2f}%" if means[s] is not None else f"{s} n/a" for s in solvers)
    )
    if pub and len(pub) == len(rows):
        print(f"published PyJobShop CP-SAT 900 s on these instances: {statistics.fmean(pub):.2f}%")
    if means.get("ours") is not None and means.get("textbook"):
        print(f"ratio ours/textbook mean gap: {means['ours'] / means['textbook']:.3f}")
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows, "means": means}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
