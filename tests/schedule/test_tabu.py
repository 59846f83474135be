"""The one tabu main loop (issue 19): job shop and flexible job shop share it, so a job shop run through
the flexible neighbourhood must walk exactly the job-shop walk (no operation has another machine to
go to), and the walk is fixed by the seed and the number of iterations (no clock inside)."""

from __future__ import annotations

import numpy as np
import pytest

from yuzhi.schedule import tabu
from yuzhi.schedule.check import check
from yuzhi.schedule.heuristics import dispatch
from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem

from .conftest import jobshop

pytestmark = pytest.mark.skipif(not tabu.available(), reason="numba is not installed")

# Fisher & Thompson's 6×6 instance (ft06), (machine, duration) per operation; optimum 55.
FT06 = [
    [(2, 1), (0, 3), (1, 6), (3, 7), (5, 3), (4, 6)],
    [(1, 8), (2, 5), (4, 10), (5, 10), (0, 10), (3, 4)],
    [(2, 5), (3, 4), (5, 8), (0, 9), (1, 1), (4, 7)],
    [(1, 5), (0, 5), (2, 5), (3, 3), (4, 8), (5, 9)],
    [(2, 9), (1, 3), (4, 5), (5, 4), (0, 3), (3, 1)],
    [(1, 3), (3, 3), (5, 9), (0, 10), (4, 4), (2, 1)],
]


def _walk(problem: Problem, *, iterations: int, flexible: bool, interior: bool = False, seed: int = 0):
    """``iterations`` of the compiled loop from the rules' schedule: (best, last iteration, stall), best state."""
    start = dispatch(problem, max_runs=0)
    _offs, dur_m, mach, jprev, jnext, mprev, mnext = tabu._arrays(problem, start)
    n, n_mach = dur_m.shape
    dur = np.zeros(n, np.int64)
    mfirst = -np.ones(n_mach, np.int64)
    tabu._rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)
    best = (mprev.copy(), mnext.copy(), mach.copy())
    out = tabu._search(
        dur_m, dur, mach, jprev, jnext, mprev, mnext, mfirst, problem.n_jobs, 0, iterations, 3000,
        np.zeros((n, n), np.int64), np.zeros((n, n_mach), np.int64), 1 << 60, *best, 0, seed, interior, flexible,
    )
    return out, best


@pytest.mark.parametrize("interior", [False, True])
def test_a_job_shop_walks_the_same_in_the_flexible_neighbourhood(interior):
    p = jobshop(*FT06)
    plain, plain_best = _walk(p, iterations=3000, flexible=False, interior=interior)
    flex, flex_best = _walk(p, iterations=3000, flexible=True, interior=interior)
    assert plain == flex
    assert all((a == b).all() for a, b in zip(plain_best, flex_best, strict=True))


def test_the_walk_depends_on_seed_and_iterations_only():
    p = jobshop(*FT06)
    a, _ = _walk(p, iterations=2000, flexible=False, seed=3)
    b, _ = _walk(p, iterations=2000, flexible=False, seed=3)
    assert a == b and a[1] == 2000


def test_ft06_reaches_its_optimum_in_a_few_thousand_iterations():
    (best, _it, _stall), _ = _walk(jobshop(*FT06), iterations=5000, flexible=False)
    assert best == 55


def test_a_flexible_shop_moves_operations_to_other_machines():
    # two machines, every operation may run on either (the second slower); the start runs everything
    # on machine 0, one job after the other: only reassignments can shorten it
    jobs = [{"operations": [{"modes": [[0, 4], [1, 5]]}, {"modes": [[0, 3], [1, 4]]}]} for _ in range(4)]
    p = Problem.from_dict({"machines": 2, "jobs": jobs})
    start = []
    for j in range(4):
        start += [ScheduledOp(j, 0, 0, 7 * j, 7 * j + 4), ScheduledOp(j, 1, 0, 7 * j + 4, 7 * j + 7)]
    assert check(p, start) == []
    out = tabu.flexible_search(p, start, time_limit=0.5, seed=0)
    assert check(p, out) == []
    assert max(o.end for o in out) < 28
    assert {o.machine for o in out} == {0, 1}
