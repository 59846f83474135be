"""Objectives and the scheduled-operation record, shared by the solver, checker and heuristics.

A schedule is a list of :class:`ScheduledOp` (``job``, ``operation``, ``machine``, ``start``,
``end``). Objectives are *regular* (never better when an operation finishes later), so every
one of them is computed from the completion time of each job.

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 1, "jobs": [
...     {"due": 2, "weight": 3, "operations": [{"modes": [[0, 3]]}]}]})
>>> evaluate(p, [ScheduledOp(0, 0, 0, 0, 3)], "weighted-tardiness")
3
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from yuzhi.errors import InvalidInput
from yuzhi.schedule.problem import Problem

__all__ = ["OBJECTIVES", "ScheduledOp", "evaluate", "job_completion"]

OBJECTIVES = (
    "makespan",
    "total-tardiness",
    "weighted-tardiness",
    "max-tardiness",
    "late-jobs",
    "weighted-late-jobs",
    "total-completion",
    "weighted-completion",
)


@dataclass(frozen=True, order=True)
class ScheduledOp:
    """One operation placed on a machine over ``[start, end)`` (0-based indices, input order)."""

    job: int
    operation: int
    machine: int
    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        """JSON form with the keys of ``schedule.json``."""
        return asdict(self)


def check_objective(name: str) -> str:
    """Return ``name`` if it is a known objective, else raise :class:`InvalidInput`."""
    if name not in OBJECTIVES:
        raise InvalidInput(f"unknown objective {name!r}", field="objective", fix=f"use one of {', '.join(OBJECTIVES)}")
    return name


def job_completion(problem: Problem, ops: list[ScheduledOp]) -> list[int]:
    """Completion time of each job (0 for a job with nothing scheduled)."""
    done = [0] * problem.n_jobs
    for o in ops:
        done[o.job] = max(done[o.job], o.end)
    return done


def evaluate(problem: Problem, ops: list[ScheduledOp], objective: str) -> int:
    """Objective value of a schedule. Jobs without a due date never count as late."""
    check_objective(objective)
    comp = job_completion(problem, ops)
    if objective == "makespan":
        return max(comp, default=0)
    total = 0
    worst = 0
    for j, job in enumerate(problem.jobs):
        c = comp[j]
        late = 0 if job.due is None else max(0, c - job.due)
        if objective == "total-tardiness":
            total += late
        elif objective == "weighted-tardiness":
            total += job.weight * late
        elif objective == "max-tardiness":
            worst = max(worst, late)
        elif objective == "late-jobs":
            total += int(late > 0)
        elif objective == "weighted-late-jobs":
            total += job.weight * int(late > 0)
        elif objective == "total-completion":
            total += c
        elif objective == "weighted-completion":
            total += job.weight * c
    return worst if objective == "max-tardiness" else total
