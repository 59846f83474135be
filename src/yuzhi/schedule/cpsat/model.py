"""Build and run one CP-SAT model; map the answer back to :class:`ScheduledOp` (no OR-Tools types leak).

:class:`Built` keeps the model with its variables so the LNS loop (:mod:`.lns`) can clone it and add
neighbourhood constraints without rebuilding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from yuzhi.schedule.cpsat import constraints, objective, variables
from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem


@dataclass
class Built:
    """A CP-SAT model of a problem with handles to its variables."""

    model: cp_model.CpModel
    vars: variables.Variables
    makespan: cp_model.IntVar | None
    objective: cp_model.LinearExprT
    scale: int  # objective = scale * primary + deviation terms


@dataclass
class RunResult:
    """Outcome of one CP-SAT run, in our own terms."""

    status: str  # optimal | feasible | infeasible | unknown
    schedule: list[ScheduledOp] | None
    objective: int | None
    bound: int | None
    wall_time: float


def build(
    problem: Problem,
    objective_name: str,
    *,
    horizon: int,
    fixed: dict[tuple[int, int], ScheduledOp] | None = None,
    earliest: int = 0,
    reference: dict[tuple[int, int], ScheduledOp] | None = None,
    deviation_weight: float = 0.0,
    redundant: bool = True,
) -> Built:
    """Build the full model.

    Parameters
    ----------
    horizon
        Latest end of any operation (a valid upper bound on an optimal schedule).
    fixed
        Operations that keep their machine, start and end (already started when rescheduling).
    earliest
        No free operation starts before this time (rescheduling time ``t``).
    reference, deviation_weight
        Old plan and weight of the deviation term.
    redundant
        Add machine-load lower bounds on the makespan (helps the bound on job shops).
    """
    model = cp_model.CpModel()
    fixed = fixed or {}
    v = variables.create(model, problem, horizon, fixed, earliest)
    constraints.add_all(model, problem, v, frozen=set(fixed))
    comps = objective.completion_vars(model, problem, v)
    expr, cmax = objective.primary(model, problem, v, objective_name, comps)
    if cmax is not None and redundant:
        _machine_bounds(model, problem, v, cmax, set(fixed))
    dev = None
    if reference:
        dev = objective.deviation(model, v, reference, set(fixed))
    total = objective.combine(expr, dev, deviation_weight)
    scale = 1
    if dev is not None and deviation_weight > 0:
        from fractions import Fraction

        scale = Fraction(deviation_weight).limit_denominator(100).denominator
    model.minimize(total)
    return Built(model, v, cmax, total, scale)


def _machine_bounds(
    model: cp_model.CpModel,
    problem: Problem,
    v: variables.Variables,
    cmax: cp_model.IntVar,
    frozen: set[tuple[int, int]],
) -> None:
    """For machines whose operations all have to run there: Cmax ≥ min head + load + min tail."""
    per: dict[int, list[tuple[int, int, int]]] = {}
    for (j, k), ov in v.ops.items():
        if len(ov.modes) != 1 or (j, k) in frozen:
            continue
        ((m, (_, _, size)),) = ov.modes.items()
        if not isinstance(size, int):
            continue
        per.setdefault(m, []).append((v.heads[(j, k)], size, v.tails[(j, k)]))
    for items in per.values():
        lb = min(h for h, _, _ in items) + sum(d for _, d, _ in items) + min(t for _, _, t in items)
        model.add(cmax >= lb)


def add_hint(built: Built, schedule: list[ScheduledOp]) -> None:
    """Warm start: suggest every start, end and machine choice of ``schedule``."""
    built.model.clear_hints()
    seen: set[int] = set()

    def hint(var, value: int) -> None:
        if var.index in seen:
            return  # constants are shared between fixed operations
        seen.add(var.index)
        built.model.add_hint(var, value)

    for o in schedule:
        ov = built.vars.ops.get((o.job, o.operation))
        if ov is None or ov.fixed:
            continue
        hint(ov.start, o.start)
        hint(ov.end, o.end)
        for m, (pres, _, _) in ov.modes.items():
            if not isinstance(pres, int):
                hint(pres, int(m == o.machine))


def params(time_limit: float, workers: int, seed: int, *, log: bool = False) -> cp_model.CpSolver:
    """A solver with our parameters."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.01, float(time_limit))
    p.num_workers = max(1, int(workers))
    p.random_seed = int(seed)
    p.log_search_progress = log
    return solver


def extract(solver: cp_model.CpSolver, built: Built) -> list[ScheduledOp]:
    """The schedule of the solver's current solution."""
    out = []
    for (j, k), ov in built.vars.ops.items():
        machine = next(m for m, (pres, _, _) in ov.modes.items() if isinstance(pres, int) or solver.boolean_value(pres))
        out.append(ScheduledOp(j, k, machine, solver.value(ov.start), solver.value(ov.end)))
    out.sort(key=lambda o: (o.job, o.operation))
    return out


_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


def run(
    built: Built,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool = False,
    solver: cp_model.CpSolver | None = None,
) -> RunResult:
    """Solve ``built`` and return our own result type."""
    solver = solver or params(time_limit, workers, seed, log=log)
    st = solver.solve(built.model)
    status = _STATUS.get(st, "unknown")
    if status == "invalid":
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    if status in ("optimal", "feasible"):
        return RunResult(
            status,
            extract(solver, built),
            round(solver.objective_value),
            math.ceil(solver.best_objective_bound - 1e-6),
            solver.wall_time,
        )
    return RunResult(status, None, None, None, solver.wall_time)
