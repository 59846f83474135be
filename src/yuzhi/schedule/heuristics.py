"""Dispatching rules: a feasible plan in milliseconds, used as the CP-SAT warm start (hint).

The generator builds an *active* schedule the Giffler–Thompson way, generalised to alternative
machines, release dates, sequence-dependent changeovers and calendars: at each step it finds the
ready operation that can finish first (its machine ``m*`` and end ``c*``), collects the ready
operations that could start on ``m*`` before ``c*`` (the conflict set), and picks one by a
priority rule; the chosen operation goes on the eligible machine where it ends earliest. Machines
are filled left to right (no insertion into earlier gaps), which keeps changeovers exact.

Rules: ``mwkr`` (most work remaining), ``mopnr`` (most operations remaining), ``spt``, ``edd``
(earliest due date), ``atc``-like slack, and randomised variants of each. :func:`dispatch` runs
several and keeps the best for the requested objective.

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 2, "jobs": [
...     {"operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2]]}]},
...     {"operations": [{"modes": [[1, 4]]}, {"modes": [[0, 1]]}]}]})
>>> max(o.end for o in dispatch(p, seed=0))
6
"""

from __future__ import annotations

import random
import time

from yuzhi.schedule.calendars import breakable_end, earliest_breakable, earliest_fixed
from yuzhi.schedule.objectives import ScheduledOp, evaluate
from yuzhi.schedule.problem import Job, Problem

__all__ = ["RULES", "dispatch", "generate"]

RULES = ("mwkr", "mopnr", "spt", "edd", "slack")


def _place(
    problem: Problem,
    j: int,
    k: int,
    mode_machine: int,
    dur: int,
    est: int,
    free: list[int],
    last_fam: list[int | None],
) -> tuple[int, int]:
    """Start and end of operation (j, k) on a machine, after ``est`` and the machine's last job."""
    op = problem.jobs[j].operations[k]
    s = max(est, free[mode_machine] + problem.setup(last_fam[mode_machine], op.family))
    periods = problem.machines[mode_machine].unavailable
    if not periods:
        return s, s + dur
    if op.breakable:
        s = earliest_breakable(periods, s)
        return s, breakable_end(periods, s, dur)
    s = earliest_fixed(periods, s, dur)
    return s, s + dur


def _work_tails(problem: Problem) -> list[list[int]]:
    """Remaining work after (and including) each operation along its longest successor path."""
    tail: list[list[int]] = []
    for job in problem.jobs:
        order = job.topological_order()
        t = [0] * len(job.operations)
        s = job.successors()
        for k in reversed(order):
            t[k] = job.operations[k].min_duration + max((t[b] for b in s[k]), default=0)
        tail.append(t)
    return tail


def _conflict_set(
    problem: Problem,
    ready: set[tuple[int, int]],
    ready_at: list[list[int]],
    free: list[int],
    last_fam: list[int | None],
) -> tuple[dict[tuple[int, int], list[tuple[int, int, int]]], list[tuple[int, int]]]:
    """Giffler–Thompson step: every ready operation's placements ``(end, start, machine)``, and the
    operations that could start before the earliest possible end on that end's machine (the
    candidates to choose from; the earliest-ending one alone if none)."""
    jobs = problem.jobs
    best_end, best_m = None, -1
    options: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for j, k in ready:
        opts = []
        for md in jobs[j].operations[k].modes:
            s, e = _place(problem, j, k, md.machine, md.duration, ready_at[j][k], free, last_fam)
            opts.append((e, s, md.machine))
            if best_end is None or e < best_end:
                best_end, best_m = e, md.machine
        options[(j, k)] = opts
    assert best_end is not None
    conflict = [jk for jk, opts in options.items() if any(m == best_m and s < best_end for _, s, m in opts)] or [
        min(options, key=lambda jk: min(options[jk]))
    ]
    return options, conflict


def _priority(rule: str, job: Job, k: int, tail: int, remaining_ops: int, ready_at: int) -> float:
    """Priority of operation ``k`` of ``job`` under ``rule`` (lower first), before noise."""
    if rule == "mwkr":
        return -tail
    if rule == "mopnr":
        return -remaining_ops
    if rule == "spt":
        return job.operations[k].min_duration
    if rule == "edd":
        return job.due if job.due is not None else 10**12
    # slack: due date minus remaining work, weighted
    due = job.due if job.due is not None else 10**12
    return (due - tail - ready_at) / max(job.weight, 1)


def generate(
    problem: Problem,
    rule: str = "mwkr",
    *,
    noise: float = 0.0,
    rng: random.Random | None = None,
    fixed: dict[tuple[int, int], ScheduledOp] | None = None,
    earliest: int = 0,
) -> list[ScheduledOp]:
    """One active schedule built with priority ``rule`` (higher noise → more random choices).

    ``fixed`` operations (already started when rescheduling) keep their place; no other operation
    starts before ``earliest``.
    """
    fixed = fixed or {}
    rng = rng or random.Random(0)
    jobs = problem.jobs
    preds = [job.predecessors() for job in jobs]
    succ = [job.successors() for job in jobs]
    tail = _work_tails(problem)
    remaining_ops = [len(job.operations) for job in jobs]
    n_pred = [[len(p) for p in pj] for pj in preds]
    ready_at = [[max(job.release, earliest)] * len(job.operations) for job in jobs]
    free = [0] * problem.n_machines
    last_fam: list[int | None] = [None] * problem.n_machines
    out: list[ScheduledOp] = []
    for (j, k), f in sorted(fixed.items(), key=lambda kv: kv[1].start):
        out.append(f)
        if f.end >= free[f.machine]:
            free[f.machine] = f.end
            last_fam[f.machine] = jobs[j].operations[k].family
        remaining_ops[j] -= 1
        for b in succ[j][k]:
            n_pred[j][b] -= 1
            ready_at[j][b] = max(ready_at[j][b], f.end)
    ready: set[tuple[int, int]] = {
        (j, k)
        for j, job in enumerate(jobs)
        for k in range(len(job.operations))
        if n_pred[j][k] == 0 and (j, k) not in fixed
    }
    total = problem.n_operations

    while len(out) < total:
        options, conflict = _conflict_set(problem, ready, ready_at, free, last_fam)

        def prio(jk: tuple[int, int]) -> float:
            v = _priority(rule, jobs[jk[0]], jk[1], tail[jk[0]][jk[1]], remaining_ops[jk[0]], ready_at[jk[0]][jk[1]])
            if noise:
                v += noise * rng.random() * (abs(v) + 1)
            return v

        j, k = min(conflict, key=lambda jk: (prio(jk), jk))
        e, s, m = min(options[(j, k)])
        out.append(ScheduledOp(j, k, m, s, e))
        ready.discard((j, k))
        free[m] = e
        last_fam[m] = jobs[j].operations[k].family
        remaining_ops[j] -= 1
        for b in succ[j][k]:
            n_pred[j][b] -= 1
            ready_at[j][b] = max(ready_at[j][b], e)
            if n_pred[j][b] == 0:
                ready.add((j, b))
    out.sort(key=lambda o: (o.job, o.operation))
    return out


def dispatch(
    problem: Problem,
    objective: str = "makespan",
    *,
    seed: int = 0,
    time_budget: float = 0.5,
    max_runs: int = 200,
    fixed: dict[tuple[int, int], ScheduledOp] | None = None,
    earliest: int = 0,
) -> list[ScheduledOp]:
    """Best schedule over all rules plus randomised restarts within ``time_budget`` seconds.

    Parameters
    ----------
    problem
        The instance.
    objective
        Objective to compare candidate schedules (see :data:`~yuzhi.schedule.objectives.OBJECTIVES`).
    seed
        Seed of the randomised restarts, for reproducible results.
    time_budget, max_runs
        Stop the randomised restarts after this many seconds or runs (the deterministic rules always run).
    """
    rng = random.Random(seed)
    t0 = time.perf_counter()
    best: list[ScheduledOp] | None = None
    best_val: tuple[int, int] | None = None

    def consider(sched: list[ScheduledOp]) -> None:
        nonlocal best, best_val
        val = (evaluate(problem, sched, objective), max(o.end for o in sched))
        if best_val is None or val < best_val:
            best, best_val = sched, val

    for rule in RULES:
        consider(generate(problem, rule, fixed=fixed, earliest=earliest))
    runs = 0
    while runs < max_runs and time.perf_counter() - t0 < time_budget:
        rule = RULES[runs % len(RULES)] if objective != "makespan" else ("mwkr", "mopnr")[runs % 2]
        consider(generate(problem, rule, noise=0.3, rng=rng, fixed=fixed, earliest=earliest))
        runs += 1
    assert best is not None
    return best
