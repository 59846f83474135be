"""CP-SAT variables: one start/end per operation, one optional interval per eligible machine.

Domains are tightened before the search: an operation cannot start before its job's release plus
the shortest path of its predecessors (``head``), nor end after the horizon (or the job's deadline)
minus the shortest path of its successors (``tail``). Tight domains are what makes the disjunctive
propagation of CP-SAT bite on job shops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem


@dataclass
class OpVars:
    """Variables of one operation."""

    start: cp_model.IntVar
    end: cp_model.IntVar
    # machine -> (presence literal, interval, size expression)
    modes: dict[int, tuple[cp_model.IntVar | int, cp_model.IntervalVar, object]] = field(default_factory=dict)
    lo: int = 0  # earliest start
    hi: int = 0  # latest end
    fixed: bool = False  # a frozen operation (constants, never hinted)


@dataclass
class Variables:
    """All variables of a model, indexed ``ops[(job, operation)]``."""

    ops: dict[tuple[int, int], OpVars]
    horizon: int
    heads: dict[tuple[int, int], int]
    tails: dict[tuple[int, int], int]


def heads_tails(problem: Problem) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Shortest work before (head, incl. release) and after (tail) each operation inside its job."""
    heads: dict[tuple[int, int], int] = {}
    tails: dict[tuple[int, int], int] = {}
    for j, job in enumerate(problem.jobs):
        order = job.topological_order()
        preds, succ = job.predecessors(), job.successors()
        for k in order:
            heads[(j, k)] = max((heads[(j, a)] + job.operations[a].min_duration for a in preds[k]), default=job.release)
        for k in reversed(order):
            tails[(j, k)] = max((tails[(j, b)] + job.operations[b].min_duration for b in succ[k]), default=0)
    return heads, tails


def safe_horizon(problem: Problem, fixed: dict[tuple[int, int], ScheduledOp] | None = None) -> int:
    """An upper bound on the end of some optimal schedule: everything in series after all breaks."""
    fixed = fixed or {}
    max_setup = max((t for r in problem.setup_times for t in r), default=0)
    start = max(
        [j.release for j in problem.jobs]
        + [e for m in problem.machines for _, e in m.unavailable]
        + [o.end for o in fixed.values()]
        + [0]
    )
    breaks = sum(e - s for m in problem.machines for s, e in m.unavailable)
    work = sum(max(md.duration for md in op.modes) + max_setup for _, _, op in problem.operations())
    return start + work + breaks + 1


def create(
    model: cp_model.CpModel,
    problem: Problem,
    horizon: int,
    fixed: dict[tuple[int, int], ScheduledOp] | None = None,
    earliest: int = 0,
) -> Variables:
    """Create the variables (``fixed`` operations get singleton domains on their machine).

    ``earliest`` is the earliest start of any operation that is not fixed (rescheduling time).
    """
    fixed = fixed or {}
    heads, tails = heads_tails(problem)
    ops: dict[tuple[int, int], OpVars] = {}
    for j, k, op in problem.operations():
        job = problem.jobs[j]
        f = fixed.get((j, k))
        if f is not None:
            s = model.new_constant(f.start)
            e = model.new_constant(f.end)
            iv = model.new_fixed_size_interval_var(f.start, f.end - f.start, f"x{j}_{k}_{f.machine}")
            ops[(j, k)] = OpVars(s, e, {f.machine: (1, iv, f.end - f.start)}, f.start, f.end, True)
            continue
        lo = max(heads[(j, k)], earliest)
        hi = horizon - tails[(j, k)]
        if job.deadline is not None:
            hi = min(hi, job.deadline - tails[(j, k)])
        hi = max(hi, lo)  # an empty domain is reported as infeasible by the solver, with its reason elsewhere
        s = model.new_int_var(lo, hi, f"s{j}_{k}")
        e = model.new_int_var(lo, hi, f"e{j}_{k}")
        ov = OpVars(s, e, lo=lo, hi=hi)
        breakable_here = op.breakable and any(problem.machines[md.machine].unavailable for md in op.modes)
        for md in op.modes:
            pres: cp_model.IntVar | int = 1 if len(op.modes) == 1 else model.new_bool_var(f"p{j}_{k}_{md.machine}")
            size: cp_model.IntVar | int  # a variable span where the operation may pause over breaks
            if breakable_here and problem.machines[md.machine].unavailable:
                extra = sum(b - a for a, b in problem.machines[md.machine].unavailable)
                size = model.new_int_var(md.duration, md.duration + extra, f"z{j}_{k}_{md.machine}")
            else:
                size = md.duration
            if isinstance(pres, int):
                iv = model.new_interval_var(s, size, e, f"x{j}_{k}_{md.machine}")
            else:
                iv = model.new_optional_interval_var(s, size, e, pres, f"x{j}_{k}_{md.machine}")
            ov.modes[md.machine] = (pres, iv, size)
        ops[(j, k)] = ov
    return Variables(ops=ops, horizon=horizon, heads=heads, tails=tails)
