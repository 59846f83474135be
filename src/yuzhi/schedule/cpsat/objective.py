"""CP-SAT objective: makespan or a due-date objective, plus an optional deviation term.

The deviation term (rescheduling) adds, for every operation of a reference plan, the absolute shift
of its start and a penalty when it moves to another machine, so a re-plan changes as little as
needed. Weights are scaled to integers because CP-SAT objectives are integral.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TypeAlias

from ortools.sat.python import cp_model

from yuzhi.schedule.cpsat.variables import Variables
from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem

#: What the objectives build: a linear expression, or 0 (``sum`` of no terms). Narrower than
#: ``cp_model.LinearExprT``, which also admits numpy integers that mypy cannot add to an expression.
Expr: TypeAlias = cp_model.LinearExpr | int


def completion_vars(model: cp_model.CpModel, problem: Problem, v: Variables) -> list[cp_model.IntVar]:
    """One variable per job equal to the end of its last operation(s)."""
    out = []
    for j, job in enumerate(problem.jobs):
        succ = job.successors()
        sinks = [k for k in range(len(job.operations)) if not succ[k]]
        if len(sinks) == 1:
            out.append(v.ops[(j, sinks[0])].end)
        else:
            c = model.new_int_var(0, v.horizon, f"C{j}")
            model.add_max_equality(c, [v.ops[(j, k)].end for k in sinks])
            out.append(c)
    return out


def primary(
    model: cp_model.CpModel, problem: Problem, v: Variables, objective: str, comps: list[cp_model.IntVar]
) -> tuple[Expr, cp_model.IntVar | None]:
    """The objective expression and, for makespan, the makespan variable."""
    if objective == "makespan":
        lb = max(v.heads[(j, k)] + op.min_duration + v.tails[(j, k)] for j, k, op in problem.operations())
        cmax = model.new_int_var(lb, v.horizon, "makespan")
        model.add_max_equality(cmax, comps)
        return cmax, cmax
    if objective in ("total-completion", "weighted-completion"):
        w = [1 if objective == "total-completion" else job.weight for job in problem.jobs]
        return sum(wi * c for wi, c in zip(w, comps, strict=True)), None
    terms: list[cp_model.LinearExpr] = []
    tmax = model.new_int_var(0, v.horizon, "tmax") if objective == "max-tardiness" else None
    for j, job in enumerate(problem.jobs):
        if job.due is None:
            continue
        c = comps[j]
        if objective in ("late-jobs", "weighted-late-jobs"):
            late = model.new_bool_var(f"late{j}")
            model.add(c <= job.due).only_enforce_if(late.Not())
            terms.append((job.weight if objective == "weighted-late-jobs" else 1) * late)
            continue
        t = model.new_int_var(0, v.horizon, f"T{j}")
        model.add(t >= c - job.due)
        if tmax is not None:
            model.add(tmax >= t)
        else:
            terms.append((job.weight if objective == "weighted-tardiness" else 1) * t)
    if tmax is not None:
        return tmax, None
    return sum(terms), None


def deviation(
    model: cp_model.CpModel,
    v: Variables,
    reference: dict[tuple[int, int], ScheduledOp],
    skip: set[tuple[int, int]],
) -> Expr:
    """Sum of |start shift| plus one horizon-tenth per machine change, over the reference plan."""
    terms: list[cp_model.LinearExpr] = []
    move_penalty = max(1, v.horizon // 10)
    for jk, ref in reference.items():
        if jk in skip or jk not in v.ops:
            continue
        ov = v.ops[jk]
        d = model.new_int_var(0, v.horizon, f"dev{jk[0]}_{jk[1]}")
        model.add(d >= ov.start - ref.start)
        model.add(d >= ref.start - ov.start)
        terms.append(d)
        if len(ov.modes) > 1 and ref.machine in ov.modes:
            pres = ov.modes[ref.machine][0]
            if not isinstance(pres, int):
                terms.append(move_penalty * (1 - pres))
    return sum(terms)


def combine(
    primary_expr: Expr, dev_expr: Expr | None, weight: float
) -> Expr:
    """``primary + weight * deviation`` scaled to integers (weight is rounded to 1/100)."""
    if dev_expr is None or weight <= 0:
        return primary_expr
    frac = Fraction(weight).limit_denominator(100)
    return frac.denominator * primary_expr + frac.numerator * dev_expr
