"""One entry point: ``solve(problem, ...) -> Result`` with a status enum.

Pipeline (each stage hands its best schedule to the next as a warm start):

1. **Dispatching rules** (:mod:`.heuristics`): a feasible plan in milliseconds. For makespan it also
   gives the horizon: no optimal schedule ends later, so every domain shrinks.
2. **CP-SAT, short run** with the hint, the tight horizon and machine-load lower bounds: proves
   optimality outright on easy instances and gives the lower bound.
3. **Tabu search** (:mod:`.tabu`, classic job shops and flexible job shops, with Numba): N5 swaps on
   the critical path (plus moving critical operations to other eligible machines when flexible); far
   more improvement per second than CP-SAT on 2 cores for the larger instances. With 2+ workers, two
   searches with different seeds run in parallel threads.
4. **CP-SAT again**, hinted with the best schedule and bounded by its makespan, for the remaining
   time: polishes the schedule and tightens the bound.

Every returned schedule is verified by :func:`yuzhi.schedule.check.check`; a violation is a bug
and raises.

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 2, "jobs": [
...     {"operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2]]}]},
...     {"operations": [{"modes": [[1, 4]]}, {"modes": [[0, 1]]}]}]})
>>> r = solve(p, time_limit=2)
>>> r.status.value, r.makespan, r.lower_bound
('optimal', 6, 6)
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from yuzhi.schedule.check import check
from yuzhi.schedule.objectives import ScheduledOp, check_objective, evaluate
from yuzhi.schedule.problem import Problem

__all__ = ["Result", "Status", "solve"]


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"  # the objective is proven optimal
    FEASIBLE = "feasible"  # a valid schedule, optimality not proven
    INFEASIBLE = "infeasible"  # proven: no schedule satisfies the hard constraints (see ``reason``)
    UNKNOWN = "unknown"  # no schedule found within the time limit


@dataclass
class Result:
    """What :func:`solve` returns.

    Attributes
    ----------
    status
        :class:`Status`.
    objective_name, objective
        Objective optimised and its value (``None`` without a schedule).
    lower_bound
        Proven lower bound on the objective.
    makespan
        End of the last operation.
    operations
        The schedule, sorted by job and operation (0-based, input order).
    runtime
        Wall-clock seconds.
    reason
        Why the problem is infeasible (or why nothing was found).
    stats
        Per-stage figures (heuristic, CP-SAT, tabu) for the curious.
    """

    status: Status
    objective_name: str
    objective: int | None
    lower_bound: int | None
    makespan: int | None
    operations: list[ScheduledOp]
    runtime: float
    reason: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Relative gap ``(objective - bound) / objective`` (0 when optimal)."""
        if self.objective is None or self.lower_bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)

    def to_dict(self) -> dict[str, Any]:
        """The ``schedule.json`` document."""
        return {
            "status": self.status.value,
            "objective": self.objective_name,
            "objective_value": self.objective,
            "makespan": self.makespan,
            "lower_bound": self.lower_bound,
            "gap": None if self.gap is None else round(self.gap, 6),
            "runtime_s": round(self.runtime, 3),
            "reason": self.reason,
            "operations": [o.to_dict() for o in self.operations],
        }


def _precheck(problem: Problem) -> str:
    """A reason the problem is infeasible that can be seen without search, or ''."""
    from yuzhi.schedule.cpsat.variables import heads_tails

    heads, tails = heads_tails(problem)
    for j, job in enumerate(problem.jobs):
        if job.deadline is None:
            continue
        need = max(heads[(j, k)] + op.min_duration + tails[(j, k)] for k, op in enumerate(job.operations))
        if need > job.deadline:
            return (
                f"order {job.name or j} (job {j}) cannot meet its deadline {job.deadline}: release "
                f"{job.release} plus its shortest route takes it to {need}"
            )
    return ""


def _bound_trivial(problem: Problem, objective: str) -> int:
    if objective != "makespan":
        return 0
    from yuzhi.schedule.cpsat.variables import heads_tails

    heads, tails = heads_tails(problem)
    lb = max(heads[(j, k)] + op.min_duration + tails[(j, k)] for j, k, op in problem.operations())
    loads: dict[int, int] = {}
    for _, _, op in problem.operations():
        if len(op.modes) == 1:
            loads[op.modes[0].machine] = loads.get(op.modes[0].machine, 0) + op.modes[0].duration
    return max([lb, *loads.values()])


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    objective: str = "makespan",
    seed: int = 0,
    hint: list[ScheduledOp] | None = None,
    fixed: dict[tuple[int, int], ScheduledOp] | None = None,
    earliest: int = 0,
    reference: dict[tuple[int, int], ScheduledOp] | None = None,
    deviation_weight: float = 0.0,
    use_tabu: bool = True,
    log: bool = False,
) -> Result:
    """Schedule ``problem``.

    Parameters
    ----------
    problem
        The instance.
    time_limit
        Wall-clock seconds for the whole pipeline.
    workers
        CP-SAT search workers (threads).
    objective
        One of :data:`yuzhi.schedule.objectives.OBJECTIVES`.
    seed
        Seed of every randomised component (same seed, same machine → same result when no time limit
        is hit).
    hint
        A schedule to warm-start from (e.g. the previous plan).
    fixed, earliest, reference, deviation_weight
        Rescheduling: operations that keep their place, the time before which nothing else may start,
        the old plan and the weight of the deviation from it in the objective.
    use_tabu
        Allow the tabu search stage (pure job shops with Numba).
    log
        Print CP-SAT's search log.

    Returns
    -------
    Result

    Raises
    ------
    InvalidInput
        Unknown objective or invalid parameters.
    """
    from yuzhi.errors import InvalidInput
    from yuzhi.schedule import tabu
    from yuzhi.schedule.cpsat.variables import safe_horizon
    from yuzhi.schedule.heuristics import dispatch

    check_objective(objective)
    if time_limit <= 0 or workers < 1:
        raise InvalidInput(
            "time limit must be positive" if time_limit <= 0 else "workers must be ≥ 1",
            field="time_limit" if time_limit <= 0 else "workers",
        )
    t0 = time.perf_counter()
    fixed = fixed or {}
    stats: dict[str, Any] = {}

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    def result(status: Status, ops: list[ScheduledOp] | None, lb: int | None, reason: str = "") -> Result:
        return _result(problem, objective, stats, t0, status, ops, lb, reason)

    reason = _precheck(problem) if not fixed else ""
    if reason:
        return result(Status.INFEASIBLE, None, None, reason)

    # 1. dispatching rules
    heur = dispatch(
        problem, objective, seed=seed, time_budget=min(0.5, 0.05 * time_limit), fixed=fixed, earliest=earliest
    )
    heur_ok = not check(problem, heur)
    stats["heuristic"] = evaluate(problem, heur, objective) if heur_ok else None
    best = heur if heur_ok else None
    # A valid warm start (e.g. the right-shifted old plan) is the fallback if it is no worse.
    if hint is not None and not check(problem, hint) and _no_worse(problem, objective, hint, best, bool(reference)):
        best = hint
    start_hint = hint or heur
    lb = _bound_trivial(problem, objective) if not fixed else 0
    tight = objective == "makespan" and heur_ok and not reference
    horizon = max(o.end for o in heur) if tight else safe_horizon(problem, fixed)

    run_cp = functools.partial(
        _run_cp,
        problem,
        objective,
        {
            "fixed": fixed,
            "earliest": earliest,
            "reference": reference,
            "deviation_weight": deviation_weight,
            "workers": workers,
            "seed": seed,
            "log": log,
        },
    )

    use_ts = use_tabu and tabu.available() and problem.is_classic and objective == "makespan" and not fixed
    # 2. CP-SAT, short run (or the whole time when tabu search does not apply)
    first = left() * (0.12 if use_ts else 0.999)
    r1 = run_cp(horizon, start_hint, max(0.05, first))
    stats["cpsat1"] = {"status": r1.status, "objective": r1.objective, "bound": r1.bound}
    if r1.status == "infeasible":
        # (a horizon too tight cannot be the cause: with `tight` the heuristic meets it)
        return result(Status.INFEASIBLE, None, None, _infeasible_reason(problem))
    # With a deviation term CP-SAT's plan wins even at equal objective: it is the closer one.
    if r1.schedule is not None and _no_worse(problem, objective, r1.schedule, best, bool(reference)):
        best = r1.schedule
    if r1.bound is not None and not reference:
        lb = max(lb, r1.bound)
    if r1.status == "optimal" or not use_ts or best is None:
        if best is None:
            return result(Status.UNKNOWN, None, None, "no schedule found within the time limit")
        status = Status.OPTIMAL if r1.status == "optimal" and not reference else Status.FEASIBLE
        return result(status, best, lb if not reference else None)
    # 3. tabu search
    # Small instances: CP-SAT with a good hint closes the gap best; large ones: local search wins.
    ts_time = left() * (0.5 if problem.n_operations <= 250 else 0.8)
    best = _tabu_stage(problem, best, ts_time=ts_time, seed=seed, workers=workers, stats=stats)
    # 4. CP-SAT polish and bound
    if left() > 0.2 and evaluate(problem, best, objective) > lb:
        r2 = run_cp(max(o.end for o in best), best, left() - 0.05)
        stats["cpsat2"] = {"status": r2.status, "objective": r2.objective, "bound": r2.bound}
        if r2.schedule is not None and evaluate(problem, r2.schedule, objective) < evaluate(problem, best, objective):
            best = r2.schedule
        if r2.bound is not None:
            lb = max(lb, r2.bound)
    return result(Status.FEASIBLE, best, lb)


def _result(
    problem: Problem,
    objective: str,
    stats: dict[str, Any],
    t0: float,
    status: Status,
    ops: list[ScheduledOp] | None,
    lb: int | None,
    reason: str = "",
) -> Result:
    """The :class:`Result` of a plan, checked first (an invalid plan is never handed out); a plan
    that meets its bound is optimal."""
    ops = ops or []
    if ops:
        bad = check(problem, ops)
        if bad:  # pragma: no cover - a solver bug; never hand out an invalid plan
            raise RuntimeError("internal error, invalid schedule: " + "; ".join(map(str, bad[:5])))
    val = evaluate(problem, ops, objective) if ops else None
    if val is not None and lb is not None:
        lb = min(lb, val)
        if lb == val:
            status = Status.OPTIMAL
    return Result(
        status,
        objective,
        val,
        lb,
        max((o.end for o in ops), default=None) if ops else None,
        sorted(ops),
        time.perf_counter() - t0,
        reason,
        stats,
    )


def _infeasible_reason(problem: Problem) -> str:
    """Why CP-SAT proved there is no plan, naming the orders with deadlines when there are some."""
    deadlined = [j.name or str(i) for i, j in enumerate(problem.jobs) if j.deadline is not None]
    if not deadlined:
        return "no schedule satisfies every hard constraint"
    return f"no schedule satisfies every hard constraint (deadlines of orders {', '.join(deadlined)} cannot all be met)"


def _tabu_stage(
    problem: Problem, best: list[ScheduledOp], *, ts_time: float, seed: int, workers: int, stats: dict[str, Any]
) -> list[ScheduledOp]:
    """Stage 3: tabu search from ``best`` (two walks with different seeds on 2+ workers); the better plan."""
    from yuzhi.schedule import tabu

    # On 2+ workers a second tabu search with another seed runs on the other core (compiled code that
    # releases the GIL): two independent walks find better schedules than one, and CP-SAT gets the
    # best of both in stage 4.
    start = best
    par: dict[str, Any] = {}
    thread = None
    if workers >= 2:
        import threading

        def side() -> None:
            fn = tabu.flexible_search if problem.is_flexible else tabu.tabu_search
            par["ts"] = fn(problem, start, time_limit=ts_time, seed=seed + 1)

        thread = threading.Thread(target=side, daemon=True)
        thread.start()

    # A flexible job shop gets the search that also moves critical operations between machines.
    if problem.is_flexible:
        ts = tabu.flexible_search(problem, start, time_limit=ts_time, seed=seed)
    else:
        ts = tabu.tabu_search(problem, start, time_limit=ts_time, seed=seed)
    stats["tabu"] = max(o.end for o in ts)
    if max(o.end for o in ts) <= max(o.end for o in best):
        best = ts
    if thread is not None:
        thread.join()
        if "ts" in par:
            stats["tabu2"] = max(o.end for o in par["ts"])
            if max(o.end for o in par["ts"]) < max(o.end for o in best):
                best = par["ts"]
    return best


def _no_worse(
    problem: Problem, objective: str, cand: list[ScheduledOp], best: list[ScheduledOp] | None, prefer: bool
) -> bool:
    """``cand`` replaces ``best``: none yet, preferred outright (closer to the old plan), or no worse."""
    return best is None or prefer or evaluate(problem, cand, objective) <= evaluate(problem, best, objective)


def _run_cp(
    problem: Problem, objective: str, cfg: dict[str, Any], h: int, hint_ops: list[ScheduledOp], limit: float
) -> Any:
    """One CP-SAT run with horizon ``h`` warm-started from ``hint_ops`` (``cfg``: the solve options)."""
    from yuzhi.schedule.cpsat import model as cpm

    b = cpm.build(
        problem,
        objective,
        horizon=h,
        fixed=cfg["fixed"],
        earliest=cfg["earliest"],
        reference=cfg["reference"],
        deviation_weight=cfg["deviation_weight"],
    )
    cpm.add_hint(b, hint_ops)
    if b.makespan is not None:
        b.model.add_hint(b.makespan, max(o.end for o in hint_ops))
    r = cpm.run(b, time_limit=limit, workers=cfg["workers"], seed=cfg["seed"], log=cfg["log"])
    if r.objective is not None and b.scale != 1:
        r.bound = None  # the bound is on the combined objective, not on the primary one
    return r
