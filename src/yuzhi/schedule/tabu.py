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


@njit(cache=True, inline="always")
def _evaluate(dur, jprev, jnext, mprev, mnext, n, r, q, order, indeg):
    """Heads ``r``, tails ``q`` and the makespan with the op that ends last; ``(-1, -1)`` on a cycle."""
    cnt = _heads(dur, jprev, mprev, jnext, mnext, n, r, order, indeg)
    if cnt < n:
        return -1, -1
    _tails(dur, jnext, mnext, n, order, q)
    cmax = 0
    last = -1
    for i in range(n):
        if r[i] + dur[i] > cmax:
            cmax = r[i] + dur[i]
            last = i
    return cmax, last


@njit(cache=True)
def _restore(src_mprev, src_mnext, src_mach, mprev, mnext, mach, dur_m, dur, mfirst, n, n_mach):
    """Copy a solution (machine links and assignment) into the current one, durations included."""
    mprev[:] = src_mprev
    mnext[:] = src_mnext
    mach[:] = src_mach
    _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)


@njit(cache=True)
def _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach):
    """Durations and first operation per machine from the assignment and machine links."""
    for m in range(n_mach):
        mfirst[m] = -1
    for i in range(n):
        dur[i] = dur_m[i, mach[i]]
        if mprev[i] < 0:
            mfirst[mach[i]] = i


@njit(cache=True, inline="always")
def _add_swap(nm, u, v, mu, mv):
    """Append the swap u → v (a critical path has fewer swaps than operations: the arrays have room)."""
    mu[nm] = u
    mv[nm] = v
    return nm + 1


@njit(cache=True, inline="always")
def _n5_moves(path, length, mach, mnext, interior, mu, mv):
    """Swap candidates on the critical ``path`` (``path[length-1]`` first in time), block by block:
    N5 (first two / last two operations of a block, never the outer ends of the path), and with
    ``interior`` also the adjacent swaps inside a block (N1 restricted to the block: no immediate
    gain, but they let the search leave plateaus that N5 alone cannot). Returns the count."""
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
                nm = _add_swap(nm, path[bs], path[bs - 1], mu, mv)
            if not last_block and (first_block or bs - be >= 2):
                nm = _add_swap(nm, path[be + 1], path[be], mu, mv)
            if interior:
                for w in range(bs - 1, be + 1, -1):
                    if (w == bs - 1 and not first_block) or (w - 1 == be and not last_block):
                        continue
                    nm = _add_swap(nm, path[w], path[w - 1], mu, mv)
        first_block = False
        t -= 1
    return nm


@njit(cache=True, inline="always")
def _swap_value(u, v, dur, jprev, jnext, mprev, mnext, r, q):
    """Taillard's estimate of the makespan after swapping machine neighbours u → v (exact whenever
    the new longest path goes through the pair)."""
    a = mprev[u]
    b = mnext[v]
    rv_new = 0  # new head of v (now first)
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
    return val


@njit(cache=True, inline="always")
def _rate_swaps(nm, mk, mu, mv, dur, jprev, jnext, mprev, mnext, r, q, tabu, it, best):
    """Drop swaps inside one job (they would close a cycle), compact the rest to the front and pick
    the best allowed one (not tabu, or better than the best: aspiration).
    Returns ``(count, index of the chosen move or -1, its value)``."""
    best_move = -1
    best_val = 1 << 60
    n_ok = 0
    for k in range(nm):
        u = mu[k]
        v = mv[k]
        if jnext[u] == v:
            continue
        val = _swap_value(u, v, dur, jprev, jnext, mprev, mnext, r, q)
        mk[n_ok] = 0
        mu[n_ok] = u
        mv[n_ok] = v
        if (val < best and val < best_val) or (tabu[v, u] <= it and val < best_val):
            best_move = n_ok
            best_val = val
        n_ok += 1
    return n_ok, best_move, best_val


@njit(cache=True)
def _rate_reassignments(
    path,
    length,
    dur_m,
    dur,
    mach,
    jprev,
    jnext,
    mnext,
    mfirst,
    r,
    q,
    tabu_a,
    it,
    best,
    moves,
    n_ok,
    best_move,
    best_val,
):
    """Moves of each critical operation ``x`` to another eligible machine at any position that cannot
    close a cycle (after Mastrolilli & Gambardella, "Effective neighbourhood functions for the flexible
    job shop problem", J. Scheduling 3, 2000), appended after the swaps to ``moves`` (kind 1).

    Positions on the new machine between ``a`` and ``b`` are kept when ``a`` cannot be a successor of
    ``x`` (``r[a] < r[x] + p[x]``) and ``b`` cannot be a predecessor (``q[b] < q[x] + p[x]``); moves
    are valued by the longest path through ``x`` afterwards. One function, not one per machine: a
    compiled call per (operation, machine) pair costs a third of the search's speed."""
    mk, mu, mv, ma, mb = moves
    max_moves = mk.shape[0]
    for t in range(length):
        x = path[t]
        rx_in = 0 if jprev[x] < 0 else r[jprev[x]] + dur[jprev[x]]
        qx_out = 0 if jnext[x] < 0 else q[jnext[x]] + dur[jnext[x]]
        for m2 in range(dur_m.shape[1]):
            if dur_m[x, m2] < 0 or m2 == mach[x]:
                continue
            is_tabu = tabu_a[x, m2] > it
            a = -1
            b = mfirst[m2]
            while a < 0 or r[a] < r[x] + dur[x]:
                if (b < 0 or q[b] < q[x] + dur[x]) and n_ok < max_moves:
                    rx = rx_in if a < 0 else max(rx_in, r[a] + dur[a])
                    qx = qx_out if b < 0 else max(qx_out, q[b] + dur[b])
                    val = rx + dur_m[x, m2] + qx
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
    return n_ok, best_move, best_val


@njit(cache=True, inline="always")
def _apply(k, moves, mprev, mnext, mach, mfirst, dur, dur_m, tabu, tabu_a, until):
    """Carry out move ``k`` (a swap, or a reassignment of ``x`` to machine ``m2`` between ``a`` and
    ``b``) and make its reversal tabu until iteration ``until``."""
    mk, mu, mv, ma, mb = moves
    if mk[k] == 0:
        u = mu[k]
        v = mv[k]
        if mprev[u] < 0:
            mfirst[mach[u]] = v
        _swap(u, v, mprev, mnext)
        tabu[u, v] = until
        return
    x = mu[k]
    m2 = mv[k]
    a = ma[k]
    b = mb[k]
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
    tabu_a[x, m1] = until


@njit(cache=True, nogil=True)
def _search(
    dur_m,
    dur,
    mach,
    jprev,
    jnext,
    mprev,
    mnext,
    mfirst,
    n_jobs,
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
    interior,
    flexible,
):
    """The tabu main loop for both shops: run ``iters`` iterations from the current solution
    (``mprev``/``mnext``/``mach``, updated in place; the best one in ``best_*``).

    The neighbourhood is N5 swaps (with ``interior``, also the swaps inside critical blocks) and,
    with ``flexible``, the reassignments of critical operations to other eligible machines. Moves are
    ranked by their estimates; the real makespan is recomputed once per iteration.
    Returns ``(best makespan, last iteration, stall counter)``.
    """
    if seed >= 0:
        np.random.seed(seed)
    n, n_mach = dur_m.shape
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    path = np.zeros(n, np.int64)
    max_moves = 4 * n + 16
    # kind (0 = swap u → v, 1 = move x to machine m2 between a and b), then u/x, v/m2, a, b; a tuple
    # of arrays, not one 2-D array: measured faster
    moves = (
        np.zeros(max_moves, np.int64),
        np.zeros(max_moves, np.int64),
        np.zeros(max_moves, np.int64),
        np.zeros(max_moves, np.int64),
        np.zeros(max_moves, np.int64),
    )
    mk, mu, mv = moves[0], moves[1], moves[2]
    best = best_in
    stall = stall_in
    perturb = 0
    n_restart = 0
    base_tenure = 10 + n_jobs // n_mach if n_mach > 0 else 10
    it = it0
    while it < it0 + iters:
        it += 1
        cmax, last = _evaluate(dur, jprev, jnext, mprev, mnext, n, r, q, order, indeg)
        if cmax < 0:  # a cycle slipped in (zero durations): go back to the best solution
            _restore(best_mprev, best_mnext, best_mach, mprev, mnext, mach, dur_m, dur, mfirst, n, n_mach)
            continue
        if cmax < best:
            best = cmax
            best_mprev[:] = mprev
            best_mnext[:] = mnext
            best_mach[:] = mach
            stall = 0
        else:
            stall += 1
        if stall > stall_max:
            # restart from the best (every fourth time), then a few random moves ignoring the tabu list
            n_restart += 1
            if n_restart % 4 == 0:
                _restore(best_mprev, best_mnext, best_mach, mprev, mnext, mach, dur_m, dur, mfirst, n, n_mach)
            perturb = 2 + np.random.randint(0, 4)
            stall = 0
            continue
        length = _critical_path(last, dur, jprev, mprev, r, path)
        nm = _n5_moves(path, length, mach, mnext, interior, mu, mv)
        n_ok, best_move, best_val = _rate_swaps(nm, mk, mu, mv, dur, jprev, jnext, mprev, mnext, r, q, tabu, it, best)
        if flexible:
            n_ok, best_move, best_val = _rate_reassignments(
                path,
                length,
                dur_m,
                dur,
                mach,
                jprev,
                jnext,
                mnext,
                mfirst,
                r,
                q,
                tabu_a,
                it,
                best,
                moves,
                n_ok,
                best_move,
                best_val,
            )
        if n_ok == 0:
            stall = stall_max + 1  # nothing to do here: restart next iteration
            continue
        if best_move < 0 or perturb > 0:
            best_move = np.random.randint(0, n_ok)
            if perturb > 0:
                perturb -= 1
        until = it + base_tenure + np.random.randint(0, base_tenure + 1)
        _apply(best_move, moves, mprev, mnext, mach, mfirst, dur, dur_m, tabu, tabu_a, until)
    return best, it, stall


def _arrays(problem: Problem, schedule: list[ScheduledOp]):
    """Flat arrays of the problem and of ``schedule``: offsets of each job's operations, durations per
    eligible machine (-1 elsewhere), the assignment, job links and machine links."""
    offs, n = [], 0
    for job in problem.jobs:
        offs.append(n)
        n += len(job.operations)
    dur_m = -np.ones((n, problem.n_machines), np.int64)
    mach = np.zeros(n, np.int64)
    jprev = -np.ones(n, np.int64)
    jnext = -np.ones(n, np.int64)
    for j, k, op in problem.operations():
        i = offs[j] + k
        for md in op.modes:
            dur_m[i, md.machine] = md.duration
        mach[i] = op.modes[0].machine
        if k > 0:
            jprev[i] = i - 1
            jnext[i - 1] = i
    mprev = -np.ones(n, np.int64)
    mnext = -np.ones(n, np.int64)
    per: dict[int, list[tuple[int, int, int]]] = {}
    for o in schedule:
        i = offs[o.job] + o.operation
        mach[i] = o.machine
        per.setdefault(o.machine, []).append((o.start, o.end, i))
    for seq in per.values():
        seq.sort()
        for (_, _, a), (_, _, b) in itertools.pairwise(seq):
            mnext[a] = b
            mprev[b] = a
    return offs, dur_m, mach, jprev, jnext, mprev, mnext


def supports(problem: Problem) -> bool:
    """True for pure job shops (what :func:`tabu_search` handles).

    A job may visit a machine twice: a swap that would close a cycle is evaluated as infeasible.
    """
    return problem.is_classic and not problem.is_flexible and problem.n_operations <= MAX_OPS


def _run(
    problem: Problem,
    initial: list[ScheduledOp],
    *,
    time_limit: float,
    seed: int,
    stall: int,
    interior: bool,
    flexible: bool,
    chunk: int,
    stop: Callable[[], bool] | None,
) -> tuple[list[ScheduledOp], int]:
    """Drive :func:`_search` in chunks until ``time_limit``; the best schedule and the iteration count."""
    offs, dur_m, mach, jprev, jnext, mprev, mnext = _arrays(problem, initial)
    n, n_mach = dur_m.shape
    dur = np.zeros(n, np.int64)
    mfirst = -np.ones(n_mach, np.int64)
    _rebuild(dur_m, dur, mach, mprev, mfirst, n, n_mach)
    best_prev, best_next, best_mach = mprev.copy(), mnext.copy(), mach.copy()
    tabu = np.zeros((n, n), np.int64)  # tabu[u, v]: until which iteration putting u before v is tabu
    tabu_a = np.zeros((n, n_mach), np.int64)  # tabu_a[x, m]: until when x may not go back to m
    t0 = time.perf_counter()
    best_val = 1 << 60
    it, stall_count, first = 0, 0, True
    # Run in chunks so the time limit is honoured without timers inside compiled code.
    while time.perf_counter() - t0 < time_limit and not (stop and stop()):
        tc = time.perf_counter()
        best_val, it, stall_count = _search(
            dur_m,
            dur,
            mach,
            jprev,
            jnext,
            mprev,
            mnext,
            mfirst,
            problem.n_jobs,
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
            interior,
            flexible,
        )
        first = False
        spent = time.perf_counter() - tc
        left = time_limit - (time.perf_counter() - t0)
        # aim for chunks of about a tenth of a second
        chunk = max(10, min(int(chunk * 0.1 / max(spent, 1e-4)), int(chunk * max(left, 0) / max(spent, 1e-4))))
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
    return out, it


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
    out, it = _run(
        problem,
        initial,
        time_limit=time_limit,
        seed=seed,
        stall=stall,
        interior=interior,
        flexible=False,
        chunk=100,
        stop=stop,
    )
    tabu_search.last_iterations = it  # type: ignore[attr-defined]
    return out


def flexible_search(
    problem: Problem,
    initial: list[ScheduledOp],
    *,
    time_limit: float,
    seed: int = 0,
    stall: int = 3000,
    stop: Callable[[], bool] | None = None,
) -> list[ScheduledOp]:
    """Tabu search for a flexible job shop (chains, makespan) from ``initial``; never worse than it.

    The same main loop as :func:`tabu_search`, with reassignments of critical operations added to
    the neighbourhood.
    """
    if not (_NUMBA and problem.is_classic and problem.n_operations <= MAX_OPS):
        return initial
    out, it = _run(
        problem,
        initial,
        time_limit=time_limit,
        seed=seed,
        stall=stall,
        interior=False,
        flexible=True,
        chunk=50,
        stop=stop,
    )
    flexible_search.last_iterations = it  # type: ignore[attr-defined]
    return out
