"""Tabu search for the classic job shop (makespan), compiled with Numba.

Why: on 2 cores, CP-SAT alone stays several percent above the best-known makespans of the larger
Taillard instances within a minute. Local search on the disjunctive graph with the N5 neighbourhood
of Nowicki & Smutnicki (1996) — swap the first two or the last two operations of a critical block —
finds much better schedules per second, and CP-SAT then polishes them and proves bounds.

Method (Nowicki & Smutnicki, "A fast taboo search algorithm for the job shop problem", Management
Science 42(6), 1996; Taillard, "Parallel taboo search techniques for the job shop scheduling
problem", ORSA J. Computing 6(2), 1994):

* a solution is a sequence of operations per machine; heads are the longest paths in the DAG of
  job and machine arcs, the makespan the longest path;
* one critical path is split into blocks; N5 moves never create a cycle;
* every move is evaluated exactly (heads recomputed); the tabu list forbids swapping a pair back
  for a random tenure; a move that beats the best is always allowed (aspiration);
* after ``stall`` iterations without a new best, the search restarts from the best solution
  perturbed by a few random critical swaps.

Only pure job shops (one machine per operation, chains, no dates, setups or calendars) are handled
here; :func:`available` says whether Numba is installed (the solver falls back to CP-SAT alone).

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 2, "jobs": [
...     {"operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2]]}]},
...     {"operations": [{"modes": [[1, 4]]}, {"modes": [[0, 1]]}]}]})
>>> max(o.end for o in tabu_search(p, time_limit=0.2, seed=0))  # doctest: +SKIP
6
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np

from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem

__all__ = ["available", "tabu_search"]

try:  # Numba is optional: without it the solver uses CP-SAT alone.
    from numba import njit

    _NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    _NUMBA = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def deco(f):
            return f

        return deco if not args or not callable(args[0]) else args[0]


MAX_OPS = 4000  # the tabu matrix is n × n integers (128 MB at 4,000 operations)


def available() -> bool:
    """True if the compiled tabu search can run."""
    return _NUMBA


@njit(cache=True)
def _heads(dur, jprev, mprev, jnext, mnext, n, r, order, indeg):
    """Heads (earliest starts) by Kahn's algorithm; returns the number of ordered ops (< n: cycle)."""
    for i in range(n):
        indeg[i] = (1 if jprev[i] >= 0 else 0) + (1 if mprev[i] >= 0 else 0)
        r[i] = 0
    cnt = 0
    for i in range(n):
        if indeg[i] == 0:
            order[cnt] = i
            cnt += 1
    p = 0
    while p < cnt:
        i = order[p]
        p += 1
        e = r[i] + dur[i]
        s = jnext[i]
        if s >= 0:
            if e > r[s]:
                r[s] = e
            indeg[s] -= 1
            if indeg[s] == 0:
                order[cnt] = s
                cnt += 1
        s = mnext[i]
        if s >= 0:
            if e > r[s]:
                r[s] = e
            indeg[s] -= 1
            if indeg[s] == 0:
                order[cnt] = s
                cnt += 1
    return cnt


@njit(cache=True)
def _makespan(dur, jprev, mprev, jnext, mnext, n, r, order, indeg):
    cnt = _heads(dur, jprev, mprev, jnext, mnext, n, r, order, indeg)
    if cnt < n:
        return 1 << 60
    c = 0
    for i in range(n):
        if r[i] + dur[i] > c:
            c = r[i] + dur[i]
    return c


@njit(cache=True)
def _swap(u, v, mprev, mnext):
    """Swap adjacent machine neighbours u → v into v → u."""
    a = mprev[u]
    b = mnext[v]
    if a >= 0:
        mnext[a] = v
    if b >= 0:
        mprev[b] = u
    mprev[v] = a
    mnext[v] = u
    mprev[u] = v
    mnext[u] = b


@njit(cache=True)
def _tails(dur, jnext, mnext, n, order, q):
    """Tails (longest path after each op, excluding it) in reverse topological ``order``."""
    for t in range(n - 1, -1, -1):
        i = order[t]
        best = 0
        s = jnext[i]
        if s >= 0 and q[s] + dur[s] > best:
            best = q[s] + dur[s]
        s = mnext[i]
        if s >= 0 and q[s] + dur[s] > best:
            best = q[s] + dur[s]
        q[i] = best


@njit(cache=True)
def _critical_path(last, dur, jprev, mprev, r, path):
    """Fill ``path`` with one critical path, walking back from ``last`` (the op that ends last)
    through tight machine or job predecessors; returns its length (path[0] ends last)."""
    length = 0
    i = last
    while i >= 0:
        path[length] = i
        length += 1
        nxt = -1
        p = mprev[i]
        if p >= 0 and r[p] + dur[p] == r[i]:
            nxt = p
        else:
            p = jprev[i]
            if p >= 0 and r[p] + dur[p] == r[i]:
                nxt = p
        i = nxt
    return length


@njit(cache=True, nogil=True)
def _search(
    dur,
    mach,
    jprev,
    jnext,
    mprev,
    mnext,
    n,
    n_jobs,
    n_mach,
    it0,
    iters,
    stall_max,
    tabu,
    best_in,
    best_mprev,
    best_mnext,
    stall_in,
    seed,
    interior,
):
    """Run ``iters`` tabu iterations from the current solution (``mprev``/``mnext``, updated in place).

    Moves are ranked by Taillard's estimate (heads and tails of the swapped pair), exact whenever the
    new longest path goes through the pair; the real makespan is recomputed once per iteration.
    Returns ``(best makespan, last iteration, stall counter)``.
    """
    if seed >= 0:
        np.random.seed(seed)
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    path = np.zeros(n, np.int64)
    mu = np.zeros(2 * n, np.int64)
    mv = np.zeros(2 * n, np.int64)
    est = np.zeros(2 * n, np.int64)
    best = best_in
    stall = stall_in
    perturb = 0
    n_restart = 0
    base_tenure = 10 + n_jobs // n_mach
    it = it0
    while it < it0 + iters:
        it += 1
        cnt = _heads(dur, jprev, mprev, jnext, mnext, n, r, order, indeg)
        if cnt < n:  # a cycle slipped in (zero durations): go back to the best solution
            mprev[:] = best_mprev
            mnext[:] = best_mnext
            continue
        _tails(dur, jnext, mnext, n, order, q)
        cmax = 0
        last = -1
        for i in range(n):
            if r[i] + dur[i] > cmax:
                cmax = r[i] + dur[i]
                last = i
        if cmax < best:
            best = cmax
            best_mprev[:] = mprev
            best_mnext[:] = mnext
            stall = 0
        else:
            stall += 1
        if stall > stall_max:
            # restart from the best, then a few random critical moves (ignoring the tabu list)
            n_restart += 1
            if n_restart % 4 == 0:
                mprev[:] = best_mprev
                mnext[:] = best_mnext
            perturb = 2 + np.random.randint(0, 4)
            stall = 0
            continue
        # one critical path, built backwards from the op that ends last
        length = _critical_path(last, dur, jprev, mprev, r, path)
        # path[length-1] is the first op in time; blocks walking forwards in time (N5 moves)
        nm = 0
        t = length - 1
        first_block = True
        while t >= 0:
            bs = t
            while t - 1 >= 0 and mach[path[t - 1]] == mach[path[bs]] and mnext[path[t]] == path[t - 1]:
                t -= 1
            be = t
            last_block = be == 0
            if bs - be >= 1:
                if not first_block:
                    mu[nm] = path[bs]
                    mv[nm] = path[bs - 1]
                    nm += 1
                if not last_block and (first_block or bs - be >= 2):
                    mu[nm] = path[be + 1]
                    mv[nm] = path[be]
                    nm += 1
                if interior:
                    # interior adjacent swaps (N1 restricted to the block): no immediate gain, but
                    # they let the search leave plateaus that N5 alone cannot
                    for w in range(bs - 1, be + 1, -1):
                        if w == bs - 1 and not first_block:
                            continue
                        if w - 1 == be and not last_block:
                            continue
                        mu[nm] = path[w]
                        mv[nm] = path[w - 1]
                        nm += 1
            first_block = False
            t -= 1
        best_move = -1
        best_val = 1 << 60
        n_ok = 0
        for k in range(nm):
            u = mu[k]
            v = mv[k]
            if jnext[u] == v:
                continue  # same job: the swap would close a cycle
            a = mprev[u]
            b = mnext[v]
            ru = 0
            p = jprev[v]
            if p >= 0:
                ru = r[p] + dur[p]
            if a >= 0 and r[a] + dur[a] > ru:
                ru = r[a] + dur[a]
            rv_new = ru  # new head of v (now first)
            ru_new = rv_new + dur[v]
            p = jprev[u]
            if p >= 0 and r[p] + dur[p] > ru_new:
                ru_new = r[p] + dur[p]
            qu_new = 0
            s = jnext[u]
            if s >= 0:
                qu_new = q[s] + dur[s]
            if b >= 0 and q[b] + dur[b] > qu_new:
                qu_new = q[b] + dur[b]
            qv_new = qu_new + dur[u]
            s = jnext[v]
            if s >= 0 and q[s] + dur[s] > qv_new:
                qv_new = q[s] + dur[s]
            val = rv_new + dur[v] + qv_new
            if ru_new + dur[u] + qu_new > val:
                val = ru_new + dur[u] + qu_new
            mu[n_ok] = u
            mv[n_ok] = v
            est[n_ok] = val
            if (val < best and val < best_val) or (tabu[v, u] <= it and val < best_val):
                best_move = n_ok
                best_val = val
            n_ok += 1
        if n_ok == 0:
            stall = stall_max + 1  # nothing to do here: restart next iteration
            continue
        if best_move < 0 or perturb > 0:
            best_move = np.random.randint(0, n_ok)
            if perturb > 0:
                perturb -= 1
        u = mu[best_move]
        v = mv[best_move]
        _swap(u, v, mprev, mnext)
        tabu[u, v] = it + base_tenure + np.random.randint(0, base_tenure + 1)
    return best, it, stall


def _arrays(problem: Problem, schedule: list[ScheduledOp]):
    offs, n = [], 0
    for job in problem.jobs:
        offs.append(n)
        n += len(job.operations)
    dur = np.zeros(n, np.int64)
    mach = np.zeros(n, np.int64)
    jprev = -np.ones(n, np.int64)
    jnext = -np.ones(n, np.int64)
    for j, k, op in problem.operations():
        i = offs[j] + k
        dur[i] = op.modes[0].duration
        mach[i] = op.modes[0].machine
        if k > 0:
            jprev[i] = i - 1
            jnext[i - 1] = i
    mprev = -np.ones(n, np.int64)
    mnext = -np.ones(n, np.int64)
    per: dict[int, list[tuple[int, int, int]]] = {}
    for o in schedule:
        per.setdefault(o.machine, []).append((o.start, o.end, offs[o.job] + o.operation))
    for seq in per.values():
        seq.sort()
        for (_, _, a), (_, _, b) in itertools.pairwise(seq):
            mnext[a] = b
            mprev[b] = a
    return offs, n, dur, mach, jprev, jnext, mprev, mnext


def supports(problem: Problem) -> bool:
    """True for pure job shops (what this search handles).

    A job may visit a machine twice: a swap that would close a cycle is evaluated as infeasible.
    """
    return problem.is_classic and not problem.is_flexible and problem.n_operations <= MAX_OPS


def tabu_search(
    problem: Problem,
    initial: list[ScheduledOp],
    *,
    time_limit: float,
    seed: int = 0,
    stall: int = 3000,
    interior: bool = False,
    stop: Callable[[], bool] | None = None,
) -> list[ScheduledOp]:
    """Improve ``initial`` (a feasible job-shop schedule) for at most ``time_limit`` seconds.

    Returns the best semi-active schedule found (never worse than ``initial``).
    """
    if not (_NUMBA and supports(problem)):
        return initial
    offs, n, dur, mach, jprev, jnext, mprev, mnext = _arrays(problem, initial)
    best_prev = mprev.copy()
    best_next = mnext.copy()
    tabu = np.zeros((n, n), np.int64)  # tabu[u, v]: until which iteration putting u before v is tabu
    t0 = time.perf_counter()
    best_val = 1 << 60
    stall_max = stall
    it, stall_count, chunk, first = 0, 0, 100, True
    # Run in chunks so the time limit is honoured without timers inside compiled code.
    while time.perf_counter() - t0 < time_limit and not (stop and stop()):
        tc = time.perf_counter()
        best_val, it, stall_count = _search(
            dur,
            mach,
            jprev,
            jnext,
            mprev,
            mnext,
            n,
            problem.n_jobs,
            problem.n_machines,
            it,
            chunk,
            stall_max,
            tabu,
            best_val,
            best_prev,
            best_next,
            stall_count,
            seed if first else -1,
            interior,
        )
        first = False
        spent = time.perf_counter() - tc
        left = time_limit - (time.perf_counter() - t0)
        # aim for chunks of about a tenth of a second
        chunk = max(10, min(int(chunk * 0.1 / max(spent, 1e-4)), int(chunk * max(left, 0) / max(spent, 1e-4))))
    tabu_search.last_iterations = it  # type: ignore[attr-defined]
    r = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    _heads(dur, jprev, best_prev, jnext, best_next, n, r, order, indeg)
    out = []
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            i = offs[j] + k
            out.append(ScheduledOp(j, k, int(mach[i]), int(r[i]), int(r[i] + dur[i])))
    return out


# --------------------------------------------------------------------------- flexible job shop


@njit(cache=True, nogil=True)
def _search_flex(
    dur_m,
    dur,
    mach,
    jprev,
    jnext,
    mprev,
    mnext,
    mfirst,
    n,
    n_jobs,
    n_mach,
    it0,
    iters,
    stall_max,
    tabu,
    tabu_a,
    best_in,
    best_mprev,
    best_mnext,
    best_mach,
    stall_in,
    seed,
):
    """Tabu search for the flexible job shop: N5 swaps plus moving a critical operation to another
    eligible machine at any position that cannot close a cycle (after Mastrolilli & Gambardella,
    "Effective neighbourhood functions for the flexible job shop problem", J. Scheduling 3, 2000).

    Positions on the new machine ``m'`` between ``a`` and ``b`` are kept when ``a`` cannot be a
    successor of ``x`` (``r[a] < r[x] + p[x]``) and ``b`` cannot be a predecessor
    (``q[b] < q[x] + p[x]``); moves are ranked by the longest path through ``x`` afterwards.
    """
    if seed >= 0:
        np.random.seed(seed)
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    path = np.zeros(n, np.int64)
    max_moves = 4 * n + 16
    mk = np.zeros(max_moves, np.int64)  # 0 = swap (u, v), 1 = move x to machine mm between a and b
    mu = np.zeros(max_moves, np.int64)
    mv = np.zeros(max_moves, np.int64)
    ma = np.zeros(max_moves, np.int64)
    mb = np.zeros(max_moves, np.int64)
    best = best_in
    stall = stall_in
    perturb = 0
    n_restart = 0
    base_tenure = 10 + n_jobs // n_mach
    it = it0
    while it < it0 + iters:
        it += 1
        cnt = _heads(dur, jprev, mprev, jnext, mnext, n, r, order, indeg)
        if cnt < n:
            mprev[:] = best_mprev
            mnext[:] = best_mnext
            mach[:] = best_mach
            _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)
            continue
        _tails(dur, jnext, mnext, n, order, q)
        cmax = 0
        last = -1
        for i in range(n):
            if r[i] + dur[i] > cmax:
                cmax = r[i] + dur[i]
                last = i
        if cmax < best:
            best = cmax
            best_mprev[:] = mprev
            best_mnext[:] = mnext
            best_mach[:] = mach
            stall = 0
        else:
            stall += 1
        if stall > stall_max:
            n_restart += 1
            if n_restart % 4 == 0:
                mprev[:] = best_mprev
                mnext[:] = best_mnext
                mach[:] = best_mach
                _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)
            perturb = 2 + np.random.randint(0, 4)
            stall = 0
            continue
        length = _critical_path(last, dur, jprev, mprev, r, path)
        nm = 0
        # N5 swaps
        t = length - 1
        first_block = True
        while t >= 0:
            bs = t
            while t - 1 >= 0 and mach[path[t - 1]] == mach[path[bs]] and mnext[path[t]] == path[t - 1]:
                t -= 1
            be = t
            last_block = be == 0
            if bs - be >= 1:
                if not first_block and nm < max_moves:
                    mk[nm] = 0
                    mu[nm] = path[bs]
                    mv[nm] = path[bs - 1]
                    nm += 1
                if not last_block and (first_block or bs - be >= 2) and nm < max_moves:
                    mk[nm] = 0
                    mu[nm] = path[be + 1]
                    mv[nm] = path[be]
                    nm += 1
            first_block = False
            t -= 1
        best_move = -1
        best_val = 1 << 60
        n_ok = 0
        for k in range(nm):
            u = mu[k]
            v = mv[k]
            if jnext[u] == v:
                continue
            a = mprev[u]
            b = mnext[v]
            rv_new = 0
            p = jprev[v]
            if p >= 0:
                rv_new = r[p] + dur[p]
            if a >= 0 and r[a] + dur[a] > rv_new:
                rv_new = r[a] + dur[a]
            ru_new = rv_new + dur[v]
            p = jprev[u]
            if p >= 0 and r[p] + dur[p] > ru_new:
                ru_new = r[p] + dur[p]
            qu_new = 0
            s = jnext[u]
            if s >= 0:
                qu_new = q[s] + dur[s]
            if b >= 0 and q[b] + dur[b] > qu_new:
                qu_new = q[b] + dur[b]
            qv_new = qu_new + dur[u]
            s = jnext[v]
            if s >= 0 and q[s] + dur[s] > qv_new:
                qv_new = q[s] + dur[s]
            val = rv_new + dur[v] + qv_new
            if ru_new + dur[u] + qu_new > val:
                val = ru_new + dur[u] + qu_new
            mk[n_ok] = 0
            mu[n_ok] = u
            mv[n_ok] = v
            if (val < best and val < best_val) or (tabu[v, u] <= it and val < best_val):
                best_move = n_ok
                best_val = val
            n_ok += 1
        # reassignment moves of critical operations
        for t in range(length):
            x = path[t]
            rx_in = 0
            p = jprev[x]
            if p >= 0:
                rx_in = r[p] + dur[p]
            qx_out = 0
            s = jnext[x]
            if s >= 0:
                qx_out = q[s] + dur[s]
            for m2 in range(n_mach):
                d2 = dur_m[x, m2]
                if d2 < 0 or m2 == mach[x]:
                    continue
                is_tabu = tabu_a[x, m2] > it
                a = -1
                b = mfirst[m2]
                while True:
                    ok_a = a < 0 or r[a] < r[x] + dur[x]
                    ok_b = b < 0 or q[b] < q[x] + dur[x]
                    if not ok_a:
                        break
                    if ok_b:
                        rx = rx_in
                        if a >= 0 and r[a] + dur[a] > rx:
                            rx = r[a] + dur[a]
                        qx = qx_out
                        if b >= 0 and q[b] + dur[b] > qx:
                            qx = q[b] + dur[b]
                        val = rx + d2 + qx
                        if n_ok < max_moves:
                            mk[n_ok] = 1
                            mu[n_ok] = x
                            mv[n_ok] = m2
                            ma[n_ok] = a
                            mb[n_ok] = b
                            if (val < best and val < best_val) or (not is_tabu and val < best_val):
                                best_move = n_ok
                                best_val = val
                            n_ok += 1
                    if b < 0:
                        break
                    a = b
                    b = mnext[b]
        if n_ok == 0:
            stall = stall_max + 1
            continue
        if best_move < 0 or perturb > 0:
            best_move = np.random.randint(0, n_ok)
            if perturb > 0:
                perturb -= 1
        if mk[best_move] == 0:
            u = mu[best_move]
            v = mv[best_move]
            if mprev[u] < 0:
                mfirst[mach[u]] = v
            _swap(u, v, mprev, mnext)
            tabu[u, v] = it + base_tenure + np.random.randint(0, base_tenure + 1)
        else:
            x = mu[best_move]
            m2 = mv[best_move]
            a = ma[best_move]
            b = mb[best_move]
            m1 = mach[x]
            # unlink x from its machine
            pa = mprev[x]
            pb = mnext[x]
            if pa >= 0:
                mnext[pa] = pb
            else:
                mfirst[m1] = pb
            if pb >= 0:
                mprev[pb] = pa
            # link between a and b on m2
            mprev[x] = a
            mnext[x] = b
            if a >= 0:
                mnext[a] = x
            else:
                mfirst[m2] = x
            if b >= 0:
                mprev[b] = x
            mach[x] = m2
            dur[x] = dur_m[x, m2]
            tabu_a[x, m1] = it + base_tenure + np.random.randint(0, base_tenure + 1)
    return best, it, stall


@njit(cache=True)
def _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach):
    """Durations and first operation per machine from the assignment and machine links."""
    for m in range(n_mach):
        mfirst[m] = -1
    for i in range(n):
        dur[i] = dur_m[i, mach[i]]
        if mprev[i] < 0:
            mfirst[mach[i]] = i


def flexible_search(
    problem: Problem,
    initial: list[ScheduledOp],
    *,
    time_limit: float,
    seed: int = 0,
    stall: int = 3000,
    stop: Callable[[], bool] | None = None,
) -> list[ScheduledOp]:
    """Tabu search for a flexible job shop (chains, makespan) from ``initial``; never worse than it."""
    if not (_NUMBA and problem.is_classic and problem.n_operations <= MAX_OPS):
        return initial
    offs, n, dur, mach, jprev, jnext, mprev, mnext = _arrays(problem, initial)
    n_mach = problem.n_machines
    dur_m = -np.ones((n, n_mach), np.int64)
    for j, k, op in problem.operations():
        for md in op.modes:
            dur_m[offs[j] + k, md.machine] = md.duration
    for o in initial:
        i = offs[o.job] + o.operation
        mach[i] = o.machine
    mfirst = -np.ones(n_mach, np.int64)
    _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)
    best_prev, best_next, best_mach = mprev.copy(), mnext.copy(), mach.copy()
    tabu = np.zeros((n, n), np.int64)
    tabu_a = np.zeros((n, n_mach), np.int64)
    t0 = time.perf_counter()
    best_val = 1 << 60
    it, stall_count, chunk, first = 0, 0, 50, True
    while time.perf_counter() - t0 < time_limit and not (stop and stop()):
        tc = time.perf_counter()
        best_val, it, stall_count = _search_flex(
            dur_m,
            dur,
            mach,
            jprev,
            jnext,
            mprev,
            mnext,
            mfirst,
            n,
            problem.n_jobs,
            n_mach,
            it,
            chunk,
            stall,
            tabu,
            tabu_a,
            best_val,
            best_prev,
            best_next,
            best_mach,
            stall_count,
            seed if first else -1,
        )
        first = False
        spent = time.perf_counter() - tc
        left = time_limit - (time.perf_counter() - t0)
        chunk = max(10, min(int(chunk * 0.1 / max(spent, 1e-4)), int(chunk * max(left, 0) / max(spent, 1e-4))))
    flexible_search.last_iterations = it  # type: ignore[attr-defined]
    bdur = np.array([dur_m[i, best_mach[i]] for i in range(n)], np.int64)
    r = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    _heads(bdur, jprev, best_prev, jnext, best_next, n, r, order, indeg)
    out = []
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            i = offs[j] + k
            out.append(ScheduledOp(j, k, int(best_mach[i]), int(r[i]), int(r[i] + bdur[i])))
    return out
