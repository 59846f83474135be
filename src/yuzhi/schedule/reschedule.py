"""Rescheduling: reality changed at time ``t``; keep what has started, re-plan the rest, change little.

Events:

* :class:`MachineDown` — machine ``m`` unavailable over ``[start, end)`` (a breakdown at 10:40);
* :class:`RushOrder` — a new job to fit in (usually with a due date and a high weight);
* :class:`LateFinish` — a started operation ends later than planned (its real end).

Method: operations that started before ``t`` are frozen on their machine with their (possibly
updated) end; an operation already running when its machine goes down is assumed to finish first
(the outage is applied after it; report a later end with :class:`LateFinish`). Everything else
starts at ``t`` or later. The warm start is the old plan *right-shifted*: same machines, same
order on each machine, each operation as early as the new facts allow — feasible by construction
and as close to the old plan as possible. CP-SAT then minimises ``objective + w × deviation``,
where the deviation sums the start shifts of the old plan's operations plus a penalty for moving
one to another machine (see :mod:`yuzhi.schedule.cpsat.objective`).

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 1, "jobs": [{"operations": [{"modes": [[0, 3]]}]},
...                                               {"operations": [{"modes": [[0, 2]]}]}]})
>>> old = [ScheduledOp(0, 0, 0, 0, 3), ScheduledOp(1, 0, 0, 3, 5)]
>>> new_p, r = reschedule(p, old, at=1, events=[MachineDown(0, 3, 6)], time_limit=2)
>>> [(o.job, o.start, o.end) for o in r.operations]
[(0, 0, 3), (1, 6, 8)]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from yuzhi.errors import InvalidInput
from yuzhi.schedule.calendars import breakable_end, earliest_breakable, earliest_fixed
from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Job, Machine, Mode, Problem
from yuzhi.schedule.solve import Result, solve

__all__ = ["LateFinish", "MachineDown", "RushOrder", "reschedule"]


@dataclass(frozen=True)
class MachineDown:
    """Machine ``machine`` cannot work over ``[start, end)``."""

    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class RushOrder:
    """A new job (appended after the existing ones)."""

    job: Job


@dataclass(frozen=True)
class LateFinish:
    """Operation ``(job, operation)`` really ends at ``end``."""

    job: int
    operation: int
    end: int


Event = MachineDown | RushOrder | LateFinish


def _right_shift(
    problem: Problem, old: list[ScheduledOp], fixed: dict[tuple[int, int], ScheduledOp], at: int
) -> list[ScheduledOp] | None:
    """The old plan pushed right just enough to be feasible again (None if an op is missing)."""
    by = {(o.job, o.operation): o for o in old}
    todo = [jk for jk in ((j, k) for j, k, _ in problem.operations()) if jk not in fixed]
    big = 1 << 60
    free = {m: 0 for m in range(problem.n_machines)}
    fam: dict[int, int | None] = {m: None for m in range(problem.n_machines)}
    end: dict[tuple[int, int], int] = {}
    for jk, f in sorted(fixed.items(), key=lambda kv: kv[1].start):
        end[jk] = f.end
        if f.end >= free[f.machine]:
            free[f.machine] = f.end
            fam[f.machine] = problem.jobs[jk[0]].operations[jk[1]].family
    out = list(fixed.values())
    # Old start order is a valid topological order of precedences and machine sequences.
    # New operations (rush orders) go last, in job order.
    pending = sorted(todo, key=lambda jk: (by[jk].start, by[jk].end) if jk in by else (big, jk[0] * 10**6 + jk[1]))
    preds = {j: job.predecessors() for j, job in enumerate(problem.jobs)}
    while pending:
        progressed = False
        for jk in list(pending):
            j, k = jk
            if any((j, a) not in end for a in preds[j][k]):
                continue
            op = problem.jobs[j].operations[k]
            o = by.get(jk)
            if o is not None and op.duration_on(o.machine) is not None:
                m = o.machine
            else:
                m = min(op.modes, key=lambda md: free[md.machine] + md.duration).machine
            d = op.duration_on(m) or 0
            s = max(
                [at, problem.jobs[j].release, free[m] + problem.setup(fam[m], op.family)]
                + [end[(j, a)] for a in preds[j][k]]
            )
            periods = problem.machines[m].unavailable
            if op.breakable:
                s = earliest_breakable(periods, s)
                e = breakable_end(periods, s, d)
            else:
                s = earliest_fixed(periods, s, d)
                e = s + d
            out.append(ScheduledOp(j, k, m, s, e))
            end[jk] = e
            free[m], fam[m] = e, op.family
            pending.remove(jk)
            progressed = True
            break
        if not progressed:
            return None
    return sorted(out)


def _sort_events(
    events: list[Event], jobs: list[Job], n_machines: int
) -> tuple[dict[tuple[int, int], int], list[MachineDown]]:
    """Rush orders appended to ``jobs``; late finishes by operation and machine-down periods, checked."""
    late: dict[tuple[int, int], int] = {}
    downs: list[MachineDown] = []
    for ev in events:
        if isinstance(ev, RushOrder):
            jobs.append(ev.job)
        elif isinstance(ev, MachineDown):
            if not 0 <= ev.machine < n_machines:
                raise InvalidInput(f"machine {ev.machine} does not exist", field="events.machine")
            if ev.end <= ev.start:
                raise InvalidInput("a machine-down period needs start < end", field="events.down")
            downs.append(ev)
        elif isinstance(ev, LateFinish):
            late[(ev.job, ev.operation)] = ev.end
    return late, downs


def _frozen(
    problem: Problem, by: dict[tuple[int, int], ScheduledOp], late: dict[tuple[int, int], int], at: int
) -> dict[tuple[int, int], ScheduledOp]:
    """Operations of the old plan started before ``at``, with their real ends (late finishes applied)."""
    for jk in late:
        if jk not in by:
            raise InvalidInput(f"operation {jk} is not in the current plan", field="events.late")
        if by[jk].start >= at:
            raise InvalidInput(
                f"operation {jk} has not started by t={at}; only a started operation can finish late",
                field="events.late",
            )
    fixed: dict[tuple[int, int], ScheduledOp] = {}
    for jk, o in by.items():
        if o.start < at and jk[0] < problem.n_jobs:
            e = late.get(jk, o.end)
            if e < o.start:
                raise InvalidInput(f"operation {jk} cannot end at {e}, before its start {o.start}", field="events.late")
            fixed[jk] = ScheduledOp(o.job, o.operation, o.machine, o.start, e)
    return fixed


def _with_outage(m: Machine, ev: MachineDown, fixed: dict[tuple[int, int], ScheduledOp]) -> Machine:
    """``m`` with the outage added; a running operation finishes before the outage starts."""
    s, length = ev.start, ev.end - ev.start
    for f in fixed.values():
        if f.machine == ev.machine and f.start < s + length and f.end > s:
            s = max(s, f.end)
    return Machine(m.name, (*m.unavailable, (s, s + length)))


def _clear_frozen(m: int, mach: Machine, fixed: dict[tuple[int, int], ScheduledOp]) -> Machine:
    """Calendars must not cut through frozen operations (they ran, whatever the calendar says now)."""
    keep = []
    for a, b in mach.unavailable:
        clash = [f for f in fixed.values() if f.machine == m and f.start < b and f.end > a]
        if clash:
            a = max([a] + [f.end for f in clash])
        if a < b:
            keep.append((a, b))
    return Machine(mach.name, tuple(keep))


def reschedule(
    problem: Problem,
    old: list[ScheduledOp],
    *,
    at: int,
    events: list[Event] = (),  # type: ignore[assignment]
    objective: str = "makespan",
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    deviation_weight: float = 0.1,
) -> tuple[Problem, Result]:
    """Re-plan from time ``at`` after ``events``.

    Parameters
    ----------
    problem, old
        The instance and the plan being executed.
    at
        Current time: operations with ``start < at`` have started and are frozen.
    events
        What happened (see the event classes).
    objective, time_limit, workers, seed
        As in :func:`yuzhi.schedule.solve.solve`.
    deviation_weight
        Weight of the deviation from the old plan relative to the objective (0 = ignore the old plan).

    Returns
    -------
    (Problem, Result)
        The updated instance (new calendars, new orders, frozen operations with their real times) and
        the new plan; check the plan against *this* instance.
    """
    if at < 0:
        raise InvalidInput("the reschedule time must be ≥ 0", field="at")
    jobs = list(problem.jobs)
    machines = list(problem.machines)
    late, downs = _sort_events(events, jobs, len(machines))
    by = {(o.job, o.operation): o for o in old}
    fixed = _frozen(problem, by, late, at)
    for ev in downs:
        machines[ev.machine] = _with_outage(machines[ev.machine], ev, fixed)
    # Frozen operations keep exactly what happened: single mode with the real length, never paused.
    for (j, k), f in fixed.items():
        job = jobs[j]
        ops = list(job.operations)
        ops[k] = replace(ops[k], modes=(Mode(f.machine, f.end - f.start),), breakable=False)
        jobs[j] = replace(job, operations=tuple(ops))
    machines = [_clear_frozen(m, mach, fixed) for m, mach in enumerate(machines)]
    new_problem = problem.replace(jobs=tuple(jobs), machines=tuple(machines))
    reference = {jk: o for jk, o in by.items() if jk not in fixed}
    hint = _right_shift(new_problem, old, fixed, at)
    result = solve(
        new_problem,
        time_limit=time_limit,
        workers=workers,
        objective=objective,
        seed=seed,
        hint=hint,
        fixed=fixed,
        earliest=at,
        reference=reference,
        deviation_weight=deviation_weight,
    )
    return new_problem, result
