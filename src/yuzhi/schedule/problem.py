"""Scheduling problem data: plain, validated, immutable.

A :class:`Problem` holds jobs (orders), each a set of operations with one or more eligible
machines (``modes``: machine index and processing time), optional precedences inside the job (a
general DAG; the default is the listed order), release dates, due dates, hard deadlines and weights;
machines with calendars (unavailable periods: shifts off, breaks, planned maintenance); and
sequence-dependent changeover times between setup families.

All times are non-negative integers in one unit (minutes in the Excel template). Indices are 0-based
in input order. Every check names the bad index, so a user can find the row to fix.

Example
-------
>>> p = Problem.from_dict({
...     "machines": [{"name": "lathe"}, {"name": "mill", "unavailable": [[0, 5]]}],
...     "jobs": [{"name": "A", "due": 10,
...               "operations": [{"modes": [[0, 3]]}, {"modes": [[1, 2], [0, 4]]}]}]})
>>> p.n_jobs, p.n_machines, p.n_operations
(1, 2, 2)
>>> p.jobs[0].operations[1].modes[1]
Mode(machine=0, duration=4)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, overload

from yuzhi.errors import InvalidInput

__all__ = ["Job", "Machine", "Mode", "Operation", "Problem"]


@overload
def _int(value: Any, where: str, *, minimum: int | None = 0, allow_none: Literal[False] = False) -> int: ...


@overload
def _int(value: Any, where: str, *, minimum: int | None = 0, allow_none: bool) -> int | None: ...


def _int(value: Any, where: str, *, minimum: int | None = 0, allow_none: bool = False) -> int | None:
    """Coerce ``value`` to an int, or raise :class:`InvalidInput` naming ``where``."""
    if value is None:
        if allow_none:
            return None
        raise InvalidInput(f"{where} is missing", field=where, fix="give a whole number")
    if isinstance(value, bool):
        raise InvalidInput(f"{where} must be a whole number, got {value!r}", field=where)
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(
                f"{where} must be a whole number, got {value!r}",
                field=where,
                fix="round times to whole units (e.g. minutes)",
            )
        value = int(value)
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{where} must be a whole number, got {value!r}", field=where) from None
    if minimum is not None and value < minimum:
        raise InvalidInput(
            f"{where} must be ≥ {minimum}, got {value}",
            field=where,
            fix="times and weights cannot be negative",
        )
    return value


@dataclass(frozen=True)
class Mode:
    """One way to process an operation: on ``machine`` for ``duration`` time units.

    Parameters
    ----------
    machine
        0-based machine index.
    duration
        Processing time (≥ 0).
    """

    machine: int
    duration: int


@dataclass(frozen=True)
class Operation:
    """A step of a job.

    Parameters
    ----------
    modes
        Eligible machines with their processing times; at least one.
    family
        Setup family index (into ``Problem.families``) or ``None`` for no changeovers.
    breakable
        If true, the operation may pause over a machine's unavailable period and resume after it
        (its span grows by the break); if false (default) it must fit between unavailable periods.
    name
        Free label shown in reports.
    """

    modes: tuple[Mode, ...]
    family: int | None = None
    breakable: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", tuple(self.modes))

    @property
    def min_duration(self) -> int:
        """Shortest processing time over the eligible machines (0 without modes)."""
        return min((m.duration for m in self.modes), default=0)

    @property
    def machines(self) -> tuple[int, ...]:
        """Eligible machine indices, in mode order."""
        return tuple(m.machine for m in self.modes)

    def duration_on(self, machine: int) -> int | None:
        """Processing time on ``machine``, or ``None`` if that machine is not eligible."""
        for m in self.modes:
            if m.machine == machine:
                return m.duration
        return None


@dataclass(frozen=True)
class Job:
    """An order: operations, precedences and dates.

    Parameters
    ----------
    operations
        The job's operations.
    precedences
        Pairs ``(a, b)`` of operation indices in this job: ``b`` starts after ``a`` ends. ``None``
        (the default) means a chain in the listed order; ``()`` means no order at all.
    release
        Earliest start of any operation.
    due
        Due date for tardiness objectives (soft); ``None`` means no due date.
    deadline
        Hard latest completion; ``None`` means none. A deadline that cannot be met makes the
        problem infeasible (the solver reports which order).
    weight
        Priority for weighted objectives.
    name
        Order identifier shown in reports.
    """

    operations: tuple[Operation, ...]
    precedences: tuple[tuple[int, int], ...] | None = None
    release: int = 0
    due: int | None = None
    deadline: int | None = None
    weight: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", tuple(self.operations))
        if self.precedences is not None:
            object.__setattr__(self, "precedences", tuple(tuple(p) for p in self.precedences))

    @property
    def arcs(self) -> tuple[tuple[int, int], ...]:
        """The precedence arcs actually in force (the chain if none were given)."""
        if self.precedences is None:
            return tuple((k, k + 1) for k in range(len(self.operations) - 1))
        return self.precedences

    def predecessors(self) -> list[list[int]]:
        """For each operation, the indices of its direct predecessors."""
        preds: list[list[int]] = [[] for _ in self.operations]
        for a, b in self.arcs:
            preds[b].append(a)
        return preds

    def successors(self) -> list[list[int]]:
        """For each operation, the indices of its direct successors."""
        succ: list[list[int]] = [[] for _ in self.operations]
        for a, b in self.arcs:
            succ[a].append(b)
        return succ

    def topological_order(self) -> list[int]:
        """Operation indices in an order compatible with the precedences (stable for chains)."""
        preds = [len(p) for p in self.predecessors()]
        succ = self.successors()
        ready = [k for k, c in enumerate(preds) if c == 0]
        out: list[int] = []
        while ready:
            ready.sort()
            k = ready.pop(0)
            out.append(k)
            for b in succ[k]:
                preds[b] -= 1
                if preds[b] == 0:
                    ready.append(b)
        return out


@dataclass(frozen=True)
class Machine:
    """A resource that processes one operation at a time.

    Parameters
    ----------
    name
        Machine identifier.
    unavailable
        Half-open periods ``[start, end)`` when the machine cannot work (off shift, breaks, planned
        maintenance, breakdowns). They may be given in any order and may overlap; they are stored
        sorted and merged.
    """

    name: str = ""
    unavailable: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        periods = sorted((int(s), int(e)) for s, e in self.unavailable)
        merged: list[tuple[int, int]] = []
        for s, e in periods:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        object.__setattr__(self, "unavailable", tuple(merged))


@dataclass(frozen=True)
class Problem:
    """A complete scheduling instance (validated on construction).

    Parameters
    ----------
    jobs, machines
        The orders and resources.
    families
        Names of setup families; ``Operation.family`` indexes this tuple.
    setup_times
        Square matrix ``setup_times[a][b]``: changeover time needed on a machine between an
        operation of family ``a`` and the next one of family ``b`` (sequence-dependent). Empty
        means no changeovers.
    name
        Instance name.
    time_unit
        Label for the time unit (``"min"``, ``"h"``, ...), for reports only.
    plan_start
        ISO date-time of time 0 (naive = Beijing time), or ``""``: with it, charts show calendar
        dates and shift times instead of bare time units.

    Raises
    ------
    InvalidInput
        With the bad index in ``field``: an operation without eligible machine, an unknown machine or
        family, a negative time, a cyclic precedence, a malformed changeover matrix, ...
    """

    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    families: tuple[str, ...] = ()
    setup_times: tuple[tuple[int, ...], ...] = ()
    name: str = ""
    time_unit: str = ""
    plan_start: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "machines", tuple(self.machines))
        object.__setattr__(self, "families", tuple(self.families))
        object.__setattr__(self, "setup_times", tuple(tuple(r) for r in self.setup_times))
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        """The first inconsistency found, as an :class:`InvalidInput` naming its JSON path."""
        m = len(self.machines)
        if m == 0:
            raise InvalidInput("the problem has no machines", field="machines", fix="add at least one machine")
        if not self.jobs:
            raise InvalidInput("the problem has no jobs", field="jobs", fix="add at least one order/job")
        for i, mach in enumerate(self.machines):
            for p, (s, e) in enumerate(mach.unavailable):
                where = f"machines[{i}].unavailable[{p}]"
                _int(s, where + ".start")
                if e <= s:
                    raise InvalidInput(
                        f"unavailable period of machine {i} ({mach.name or i}) ends at {e}, not after its start {s}",
                        field=where,
                        fix="give start < end",
                    )
        self._validate_setup_times()
        for j, job in enumerate(self.jobs):
            self._validate_job(j, job)

    def _validate_setup_times(self) -> None:
        nf = len(self.families)
        if self.setup_times:
            if len(self.setup_times) != nf or any(len(r) != nf for r in self.setup_times):
                raise InvalidInput(
                    f"changeover matrix must be {nf}×{nf} (one row and column per family)",
                    field="setup_times",
                    fix="list a changeover time for every (from, to) pair of families",
                )
            for a, row in enumerate(self.setup_times):
                for b, t in enumerate(row):
                    _int(t, f"setup_times[{a}][{b}]")

    def _validate_job(self, j: int, job: Job) -> None:
        jw = f"jobs[{j}]"
        if not job.operations:
            raise InvalidInput(f"job {j} ({job.name or j}) has no operations", field=jw)
        _int(job.release, jw + ".release")
        _int(job.weight, jw + ".weight")
        _int(job.due, jw + ".due", allow_none=True)
        _int(job.deadline, jw + ".deadline", allow_none=True)
        for k, op in enumerate(job.operations):
            self._validate_operation(j, job, k, op)
        n_ops = len(job.operations)
        for a, b in job.arcs:
            if not (0 <= a < n_ops and 0 <= b < n_ops) or a == b:
                raise InvalidInput(
                    f"job {j} has a precedence ({a}, {b}) outside its operations 0..{n_ops - 1}",
                    field=jw + ".precedences",
                )
        if len(job.topological_order()) != n_ops:
            raise InvalidInput(
                f"job {j} ({job.name or j}) has cyclic precedences",
                field=jw + ".precedences",
                fix="remove the arc that closes the cycle",
            )

    def _validate_operation(self, j: int, job: Job, k: int, op: Operation) -> None:
        m = len(self.machines)
        nf = len(self.families)
        ow = f"jobs[{j}].operations[{k}]"
        if not op.modes:
            raise InvalidInput(
                f"operation {k} of job {j} ({job.name or j}) has no eligible machine",
                field=ow,
                fix="give at least one machine with a processing time",
            )
        seen: set[int] = set()
        for q, mode in enumerate(op.modes):
            mw = f"{ow}.modes[{q}]"
            if not 0 <= mode.machine < m:
                raise InvalidInput(
                    f"operation {k} of job {j} uses machine {mode.machine}, but machines are 0..{m - 1}",
                    field=mw,
                    fix="use a listed machine",
                )
            if mode.machine in seen:
                raise InvalidInput(f"operation {k} of job {j} lists machine {mode.machine} twice", field=mw)
            seen.add(mode.machine)
            if not isinstance(mode.duration, int) or mode.duration < 0:
                raise InvalidInput(
                    f"operation {k} of job {j} has processing time {mode.duration} on machine "
                    f"{mode.machine}; times must be whole numbers ≥ 0",
                    field=mw + ".duration",
                )
        if op.family is not None and not 0 <= op.family < nf:
            raise InvalidInput(
                f"operation {k} of job {j} has setup family {op.family}, but there are {nf} families",
                field=ow + ".family",
            )

    # ------------------------------------------------------------------ properties
    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return len(self.jobs)

    @property
    def n_machines(self) -> int:
        """Number of machines."""
        return len(self.machines)

    @property
    def n_operations(self) -> int:
        """Total number of operations."""
        return sum(len(j.operations) for j in self.jobs)

    @property
    def has_setups(self) -> bool:
        """True if some changeover time is positive and some operation has a family."""
        return any(t > 0 for r in self.setup_times for t in r) and any(
            op.family is not None for j in self.jobs for op in j.operations
        )

    @property
    def has_calendars(self) -> bool:
        """True if some machine has an unavailable period."""
        return any(m.unavailable for m in self.machines)

    @property
    def is_flexible(self) -> bool:
        """True if some operation has more than one eligible machine."""
        return any(len(op.modes) > 1 for j in self.jobs for op in j.operations)

    @property
    def is_classic(self) -> bool:
        """True for a plain (flexible) job shop: chains, no dates, setups, calendars or deadlines."""
        return (
            not self.has_setups
            and not self.has_calendars
            and all(j.precedences is None and j.release == 0 and j.deadline is None for j in self.jobs)
        )

    def setup(self, a: int | None, b: int | None) -> int:
        """Changeover time from family ``a`` to family ``b`` (0 if either is ``None``)."""
        if a is None or b is None or not self.setup_times:
            return 0
        return self.setup_times[a][b]

    def operations(self) -> Iterable[tuple[int, int, Operation]]:
        """Yield ``(job, operation, Operation)`` in input order."""
        for j, job in enumerate(self.jobs):
            for k, op in enumerate(job.operations):
                yield j, k, op

    def replace(self, **changes: Any) -> Problem:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ JSON round trip
    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (machines referenced by index); inverse of :meth:`from_dict`."""
        jobs = []
        for job in self.jobs:
            d: dict[str, Any] = {
                "name": job.name,
                "release": job.release,
                "due": job.due,
                "deadline": job.deadline,
                "weight": job.weight,
                "operations": [
                    {
                        "name": op.name,
                        "family": op.family,
                        "breakable": op.breakable,
                        "modes": [[md.machine, md.duration] for md in op.modes],
                    }
                    for op in job.operations
                ],
            }
            if job.precedences is not None:
                d["precedences"] = [list(p) for p in job.precedences]
            jobs.append(d)
        return {
            "name": self.name,
            "time_unit": self.time_unit,
            "machines": [{"name": m.name, "unavailable": [list(p) for p in m.unavailable]} for m in self.machines],
            "families": list(self.families),
            "setup_times": [list(r) for r in self.setup_times],
            "jobs": jobs,
        } | ({"plan_start": self.plan_start} if self.plan_start else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """Build from the JSON form; machines and families may be referenced by index or name.

        Raises
        ------
        InvalidInput
            Naming the JSON path of the bad value.
        """
        if not isinstance(data, dict):
            raise InvalidInput("a scheduling JSON document must be an object", fix="see `yuzhi schedule template`")
        mlist = data.get("machines")
        if mlist is None:
            raise InvalidInput("no 'machines' list", field="machines")
        if isinstance(mlist, int):
            mlist = [{"name": f"M{i}"} for i in range(mlist)]
        machines = [_machine_from_json(i, md) for i, md in enumerate(mlist)]
        mindex = {m.name: i for i, m in enumerate(machines)}
        families = tuple(str(f) for f in data.get("families", []) or [])
        findex = {f: i for i, f in enumerate(families)}

        jobs = []
        for j, jd in enumerate(data.get("jobs", []) or []):
            ops = [
                _operation_from_json(od, f"jobs[{j}].operations[{k}]", mindex, findex)
                for k, od in enumerate(jd.get("operations", []) or [])
            ]
            prec = jd.get("precedences")
            jobs.append(
                Job(
                    operations=tuple(ops),
                    precedences=None if prec is None else tuple((int(a), int(b)) for a, b in prec),
                    release=_int(jd.get("release", 0) or 0, f"jobs[{j}].release", minimum=None),
                    due=_int(jd.get("due"), f"jobs[{j}].due", minimum=None, allow_none=True),
                    deadline=_int(jd.get("deadline"), f"jobs[{j}].deadline", minimum=None, allow_none=True),
                    weight=_int(jd.get("weight", 1), f"jobs[{j}].weight", minimum=None),
                    name=str(jd.get("name", "") or ""),
                )
            )
        return cls(
            jobs=tuple(jobs),
            machines=tuple(machines),
            families=families,
            setup_times=tuple(tuple(r) for r in data.get("setup_times", []) or []),
            name=str(data.get("name", "") or ""),
            time_unit=str(data.get("time_unit", "") or ""),
            plan_start=_iso(data.get("plan_start")),
        )

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


def _machine_from_json(i: int, md: Any) -> Machine:
    """Machine ``i`` of the JSON form (a name, or an object with ``name`` and ``unavailable`` periods)."""
    if isinstance(md, str):
        md = {"name": md}
    un = []
    for p, per in enumerate(md.get("unavailable", []) or []):
        if isinstance(per, dict):
            per = [per.get("start"), per.get("end")]
        if len(per) != 2:
            raise InvalidInput("an unavailable period is [start, end]", field=f"machines[{i}].unavailable[{p}]")
        un.append(
            (
                _int(per[0], f"machines[{i}].unavailable[{p}].start"),
                _int(per[1], f"machines[{i}].unavailable[{p}].end"),
            )
        )
    return Machine(name=str(md.get("name", f"M{i}")), unavailable=tuple(un))


def _machine_ref(v: Any, where: str, mindex: dict[str, int]) -> int:
    """A machine given by name or index."""
    if isinstance(v, str) and v in mindex:
        return mindex[v]
    if isinstance(v, str) and not v.strip().lstrip("-").isdigit():
        raise InvalidInput(f"unknown machine {v!r}", field=where, fix=f"use one of {sorted(mindex)}")
    return _int(v, where, minimum=None)


def _operation_from_json(od: Any, ow: str, mindex: dict[str, int], findex: dict[str, int]) -> Operation:
    """One operation of the JSON form at path ``ow``; modes are ``[machine, duration]`` or objects."""
    modes = []
    for q, md in enumerate(od.get("modes", []) or []):
        if isinstance(md, dict):
            md = [md.get("machine"), md.get("duration")]
        modes.append(
            Mode(
                _machine_ref(md[0], f"{ow}.modes[{q}].machine", mindex),
                _int(md[1], f"{ow}.modes[{q}].duration", minimum=None),
            )
        )
    fam = od.get("family")
    if isinstance(fam, str):
        if fam not in findex:
            raise InvalidInput(f"unknown setup family {fam!r}", field=ow + ".family")
        fam = findex[fam]
    return Operation(
        modes=tuple(modes),
        family=fam,
        breakable=bool(od.get("breakable", False)),
        name=str(od.get("name", "") or ""),
    )


def _iso(v: Any) -> str:
    """``plan_start`` as an ISO date-time string ("" when absent); a bad one is an input error."""
    import datetime as dt

    if v in (None, ""):
        return ""
    try:
        return dt.datetime.fromisoformat(str(v)).isoformat()
    except ValueError:
        raise InvalidInput(
            f"plan_start {v!r} is not a date-time", field="plan_start", fix="write e.g. 2026-12-07T08:00"
        ) from None
