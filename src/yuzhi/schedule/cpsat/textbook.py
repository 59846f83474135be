"""The plain textbook CP-SAT job-shop model, kept as the baseline our solver must beat.

Interval per operation (optional per machine when flexible), one no-overlap per machine, job chains,
minimise the makespan; no hint, no tightened horizon, default parameters. This is the model of the
OR-Tools job-shop example and what a first attempt looks like; ``bench/schedule.py`` runs it in the
same process, with the same time limit and workers, next to our solver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ortools.sat.python import cp_model

from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem


def solve_textbook(
    problem: Problem, *, time_limit: float, workers: int = 2, seed: int = 0
) -> tuple[str, int | None, int | None, list[ScheduledOp]]:
    """Solve a classic (flexible) job shop with the textbook model: ``(status, makespan, bound, ops)``."""
    model = cp_model.CpModel()
    horizon = sum(max(md.duration for md in op.modes) for _, _, op in problem.operations())
    per_machine: dict[int, list] = {m: [] for m in range(problem.n_machines)}
    starts: dict[tuple[int, int], cp_model.IntVar] = {}
    ends: dict[tuple[int, int], cp_model.IntVar] = {}
    pres: dict[tuple[int, int], Mapping[int, cp_model.IntVar | None]] = {}  # None: the only machine
    for j, k, op in problem.operations():
        s = model.new_int_var(0, horizon, f"s{j}_{k}")
        e = model.new_int_var(0, horizon, f"e{j}_{k}")
        starts[(j, k)], ends[(j, k)] = s, e
        if len(op.modes) == 1:
            md = op.modes[0]
            per_machine[md.machine].append(model.new_interval_var(s, md.duration, e, f"x{j}_{k}"))
            pres[(j, k)] = {md.machine: None}
        else:
            lits = {}
            for md in op.modes:
                p = model.new_bool_var(f"p{j}_{k}_{md.machine}")
                per_machine[md.machine].append(model.new_optional_interval_var(s, md.duration, e, p, ""))
                lits[md.machine] = p
            model.add_exactly_one(lits.values())
            pres[(j, k)] = lits
    for ivs in per_machine.values():
        model.add_no_overlap(ivs)
    for j, job in enumerate(problem.jobs):
        for a, b in job.arcs:
            model.add(ends[(j, a)] <= starts[(j, b)])
    cmax = model.new_int_var(0, horizon, "cmax")
    model.add_max_equality(cmax, list(ends.values()))
    model.minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    st = solver.solve(model)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ("infeasible" if st == cp_model.INFEASIBLE else "unknown"), None, None, []
    ops = []
    for (j, k), chosen in pres.items():
        m = next(mm for mm, p in chosen.items() if p is None or solver.boolean_value(p))
        ops.append(ScheduledOp(j, k, m, solver.value(starts[(j, k)]), solver.value(ends[(j, k)])))
    status = "optimal" if st == cp_model.OPTIMAL else "feasible"
    return status, round(solver.objective_value), math.ceil(solver.best_objective_bound - 1e-6), ops
