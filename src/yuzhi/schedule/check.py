"""Independent verification of a schedule: every violated rule, not just the first.

This module shares no code with the solver (only the problem data and the record type), so a bug
in the model cannot hide itself. Each rule is a small function ``(problem, ops) -> violations``,
beancount-style, and :func:`check` runs them all.

Rules: every operation scheduled exactly once; times non-negative and ``end`` = ``start`` +
processing time on the chosen machine (plus the breaks it pauses over, for breakable operations);
the machine is eligible; release dates; precedences; hard deadlines; no two operations overlap on a
machine, and consecutive operations leave room for the changeover between their families; no
operation overlaps an unavailable period (a breakable one may pause over it, but may not start or
end inside it).

>>> from yuzhi.schedule.problem import Problem
>>> p = Problem.from_dict({"machines": 1, "jobs": [{"operations": [{"modes": [[0, 3]]}]},
...                                               {"operations": [{"modes": [[0, 2]]}]}]})
>>> [v.kind for v in check(p, [ScheduledOp(0, 0, 0, 0, 3), ScheduledOp(1, 0, 0, 2, 4)])]
['overlap']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from yuzhi.schedule.objectives import ScheduledOp
from yuzhi.schedule.problem import Problem

__all__ = ["Violation", "check", "schedule_from_json"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind, a message naming jobs/operations/machines, and where."""

    kind: str
    message: str
    job: int | None = None
    operation: int | None = None
    machine: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def _name(problem: Problem, j: int, k: int | None = None) -> str:
    job = problem.jobs[j]
    s = f"job {j}" + (f" ({job.name})" if job.name else "")
    if k is not None:
        op = job.operations[k]
        s += f" operation {k}" + (f" ({op.name})" if op.name else "")
    return s


def _mname(problem: Problem, m: int) -> str:
    n = problem.machines[m].name
    return f"machine {m}" + (f" ({n})" if n else "")


def _coverage(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    out = []
    seen: dict[tuple[int, int], int] = {}
    for o in ops:
        if not (0 <= o.job < problem.n_jobs and 0 <= o.operation < len(problem.jobs[o.job].operations)):
            out.append(
                Violation("unknown", f"operation ({o.job}, {o.operation}) is not in the problem", o.job, o.operation)
            )
            continue
        seen[(o.job, o.operation)] = seen.get((o.job, o.operation), 0) + 1
    for j, k, _ in problem.operations():
        c = seen.get((j, k), 0)
        if c == 0:
            out.append(Violation("missing", f"{_name(problem, j, k)} is not scheduled", j, k))
        elif c > 1:
            out.append(Violation("duplicate", f"{_name(problem, j, k)} is scheduled {c} times", j, k))
    return out


def _valid(problem: Problem, ops: list[ScheduledOp]) -> list[ScheduledOp]:
    return [o for o in ops if 0 <= o.job < problem.n_jobs and 0 <= o.operation < len(problem.jobs[o.job].operations)]


def _durations(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    out = []
    for o in _valid(problem, ops):
        op = problem.jobs[o.job].operations[o.operation]
        if o.start < 0:
            out.append(
                Violation(
                    "negative",
                    f"{_name(problem, o.job, o.operation)} starts at {o.start} < 0",
                    o.job,
                    o.operation,
                    o.machine,
                )
            )
        d = op.duration_on(o.machine)
        if d is None:
            out.append(
                Violation(
                    "eligibility",
                    f"{_name(problem, o.job, o.operation)} runs on "
                    f"{_mname(problem, o.machine) if 0 <= o.machine < problem.n_machines else o.machine}"
                    f", which is not eligible (eligible: {list(op.machines)})",
                    o.job,
                    o.operation,
                    o.machine,
                )
            )
            continue
        periods = problem.machines[o.machine].unavailable
        paused = 0
        if op.breakable and periods:
            paused = sum(max(0, min(o.end, b) - max(o.start, a)) for a, b in periods)
        if o.end - o.start - paused != d:
            extra = f" (+{paused} paused)" if paused else ""
            out.append(
                Violation(
                    "duration",
                    f"{_name(problem, o.job, o.operation)} lasts {o.end - o.start}"
                    f"{extra} on {_mname(problem, o.machine)}, but its processing time there is {d}",
                    o.job,
                    o.operation,
                    o.machine,
                )
            )
    return out


def _dates(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    out = []
    for o in _valid(problem, ops):
        job = problem.jobs[o.job]
        if o.start < job.release:
            out.append(
                Violation(
                    "release",
                    f"{_name(problem, o.job, o.operation)} starts at {o.start}, before the release date {job.release}",
                    o.job,
                    o.operation,
                )
            )
        if job.deadline is not None and o.end > job.deadline:
            out.append(
                Violation(
                    "deadline",
                    f"{_name(problem, o.job, o.operation)} ends at {o.end}, after the deadline {job.deadline}",
                    o.job,
                    o.operation,
                )
            )
    return out


def _precedence(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    out = []
    at = {(o.job, o.operation): o for o in _valid(problem, ops)}
    for j, job in enumerate(problem.jobs):
        for a, b in job.arcs:
            oa, ob = at.get((j, a)), at.get((j, b))
            if oa and ob and ob.start < oa.end:
                out.append(
                    Violation(
                        "precedence",
                        f"{_name(problem, j, b)} starts at {ob.start}, before operation {a} ends at {oa.end}",
                        j,
                        b,
                    )
                )
    return out


def _machines(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    out = []
    per: dict[int, list[ScheduledOp]] = {}
    for o in _valid(problem, ops):
        if 0 <= o.machine < problem.n_machines:
            per.setdefault(o.machine, []).append(o)
    for m, seq in per.items():
        seq.sort(key=lambda o: (o.start, o.end))
        # Overlap against every earlier operation still running (not just the previous one).
        running: list[ScheduledOp] = []
        for o in seq:
            running = [r for r in running if r.end > o.start]
            for r in running:
                if o.end > o.start and r.end > r.start:
                    out.append(
                        Violation(
                            "overlap",
                            f"{_name(problem, r.job, r.operation)} [{r.start}, {r.end}) "
                            f"and {_name(problem, o.job, o.operation)} [{o.start}, {o.end}) overlap "
                            f"on {_mname(problem, m)}",
                            o.job,
                            o.operation,
                            m,
                        )
                    )
            running.append(o)
        for a, b in itertools.pairwise(seq):
            fa = problem.jobs[a.job].operations[a.operation].family
            fb = problem.jobs[b.job].operations[b.operation].family
            s = problem.setup(fa, fb)
            # a changeover time implies both families are set (setup() is 0 otherwise)
            if s and fa is not None and fb is not None and b.start < a.end + s and b.start >= a.end:
                out.append(
                    Violation(
                        "setup",
                        f"{_name(problem, b.job, b.operation)} starts at {b.start} on "
                        f"{_mname(problem, m)}, but the changeover {problem.families[fa]} → "
                        f"{problem.families[fb]} after {_name(problem, a.job, a.operation)} "
                        f"(ends {a.end}) takes {s}",
                        b.job,
                        b.operation,
                        m,
                    )
                )
        for o in seq:
            op = problem.jobs[o.job].operations[o.operation]
            for lo, hi in problem.machines[m].unavailable:
                if op.breakable:
                    bad = lo < o.start < hi or lo < o.end < hi or (o.start == lo and o.end > lo)
                else:
                    bad = max(o.start, lo) < min(o.end, hi) or (o.start == o.end and lo < o.start < hi)
                if bad:
                    out.append(
                        Violation(
                            "calendar",
                            f"{_name(problem, o.job, o.operation)} [{o.start}, {o.end}) "
                            f"on {_mname(problem, m)} meets its unavailable period [{lo}, {hi})",
                            o.job,
                            o.operation,
                            m,
                        )
                    )
    return out


RULES: list[Callable[[Problem, list[ScheduledOp]], list[Violation]]] = [
    _coverage,
    _durations,
    _dates,
    _precedence,
    _machines,
]


def check(problem: Problem, ops: list[ScheduledOp]) -> list[Violation]:
    """Every violation of ``ops`` against ``problem`` (an empty list means the schedule is valid)."""
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule(problem, ops))
    return out


def schedule_from_json(data: dict) -> list[ScheduledOp]:
    """Operations of a ``schedule.json`` document (keys ``job, operation, machine, start, end``)."""
    from yuzhi.errors import InvalidInput

    ops = data.get("operations") if isinstance(data, dict) else None
    if not isinstance(ops, list):
        raise InvalidInput(
            "schedule JSON has no 'operations' list",
            field="operations",
            fix="use the file written by `yuzhi schedule solve --out`",
        )
    out = []
    for i, o in enumerate(ops):
        try:
            out.append(
                ScheduledOp(int(o["job"]), int(o["operation"]), int(o["machine"]), int(o["start"]), int(o["end"]))
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(
                f"operations[{i}] needs integer job, operation, machine, start, end", field=f"operations[{i}]"
            ) from None
    return out
