"""Every plan the solver returns passes the independent checker, on random small plants with every
feature at once (alternative machines, DAG routings, releases, deadlines, changeovers, calendars,
breakable operations), and the tabu searches never return something invalid or worse than their start."""

from __future__ import annotations

import random

import pytest

from yuzhi.schedule.check import check
from yuzhi.schedule.heuristics import dispatch
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.readers import read_instance
from yuzhi.schedule.solve import Status, solve


def random_plant(seed: int) -> Problem:
    rng = random.Random(seed)
    n_m, n_f = rng.randint(2, 4), rng.randint(1, 3)
    machines = []
    for i in range(n_m):
        periods, t = [], rng.randint(5, 20)
        for _ in range(rng.randint(0, 3)):
            periods.append([t, t + rng.randint(2, 8)])
            t += rng.randint(10, 30)
        machines.append({"name": f"M{i}", "unavailable": periods})
    jobs = []
    for j in range(rng.randint(2, 5)):
        k = rng.randint(1, 4)
        ops = []
        for _ in range(k):
            ms = rng.sample(range(n_m), rng.randint(1, min(2, n_m)))
            ops.append(
                {
                    "modes": [[m, rng.randint(1, 9)] for m in ms],
                    "family": rng.randrange(n_f),
                    "breakable": rng.random() < 0.3,
                }
            )
        prec = [[a, a + 1] for a in range(k - 1)] if rng.random() < 0.7 else [[0, b] for b in range(1, k)]
        jobs.append(
            {
                "name": f"O{j}",
                "operations": ops,
                "precedences": prec,
                "release": rng.randint(0, 10),
                "due": rng.randint(10, 60),
                "weight": rng.randint(1, 5),
            }
        )
    setup = [[0 if a == b else rng.randint(0, 4) for b in range(n_f)] for a in range(n_f)]
    return Problem.from_dict(
        {"machines": machines, "jobs": jobs, "families": [f"f{i}" for i in range(n_f)], "setup_times": setup}
    )


@pytest.mark.parametrize("seed", range(12))
def test_random_plants_give_valid_plans(seed):
    p = random_plant(seed)
    objective = ("makespan", "weighted-tardiness", "total-completion")[seed % 3]
    r = solve(p, time_limit=2, objective=objective, seed=seed)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check(p, r.operations) == []
    assert r.lower_bound <= r.objective


def test_flexible_tabu_search_is_valid_and_no_worse(sched_data):
    from yuzhi.schedule import tabu

    if not tabu.available():
        pytest.skip("numba not installed")
    p = read_instance(sched_data / "fjsp" / "brandimarte" / "mk04.txt")
    start = dispatch(p, time_budget=0.1)
    out = tabu.flexible_search(p, start, time_limit=1.0, seed=1)
    assert check(p, out) == []
    assert max(o.end for o in out) <= max(o.end for o in start)
