"""CP-SAT constraints: machine choice, precedence, no-overlap, calendars and changeovers.

* One eligible machine per operation (exactly one presence literal).
* Precedence arcs inside each job: ``end[a] <= start[b]``.
* One no-overlap per machine over the optional intervals. Unavailable periods join it as fixed
  intervals, unless some *breakable* operation may run on that machine: then each operation and each
  period get a small disjunction instead (before / after / spans-and-pauses), and the span of a
  breakable operation grows by the periods it spans.
* Changeovers: a circuit per machine over the operations that may run there; an arc ``a → b``
  forces ``start[b] >= end[a] + setup(family a, family b)``. The no-overlap stays as a redundant
  constraint because its propagation is much stronger than the circuit's.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from yuzhi.schedule.cpsat.variables import Variables
from yuzhi.schedule.problem import Problem


def add_all(model: cp_model.CpModel, problem: Problem, v: Variables, *, frozen: set[tuple[int, int]]) -> None:
    """Add every constraint of ``problem`` over variables ``v`` (``frozen`` operations are fixed)."""
    _machine_choice(model, v)
    _precedences(model, problem, v)
    _machines(model, problem, v, frozen)
    if problem.has_setups:
        _setups(model, problem, v)


def _machine_choice(model: cp_model.CpModel, v: Variables) -> None:
    for ov in v.ops.values():
        lits = [p for p, _, _ in ov.modes.values()]
        if len(lits) > 1:
            model.add_exactly_one(lits)


def _precedences(model: cp_model.CpModel, problem: Problem, v: Variables) -> None:
    for j, job in enumerate(problem.jobs):
        for a, b in job.arcs:
            model.add(v.ops[(j, a)].end <= v.ops[(j, b)].start)


def _machines(model: cp_model.CpModel, problem: Problem, v: Variables, frozen: set[tuple[int, int]]) -> None:
    per_machine: dict[int, list[tuple[tuple[int, int], cp_model.IntVar | int, cp_model.IntervalVar, object]]] = {
        m: [] for m in range(problem.n_machines)
    }
    for jk, ov in v.ops.items():
        for m, (pres, iv, size) in ov.modes.items():
            per_machine[m].append((jk, pres, iv, size))
    for m, items in per_machine.items():
        periods = problem.machines[m].unavailable
        mixed = periods and any(
            problem.jobs[j].operations[k].breakable and (j, k) not in frozen for (j, k), *_ in items
        )
        ivs = [iv for _, _, iv, _ in items]
        if periods and not mixed:
            # Frozen operations already ran: they are not re-checked against the calendar.
            ivs += [model.new_fixed_size_interval_var(a, b - a, f"off{m}_{a}") for a, b in periods]
            model.add_no_overlap(ivs)
            continue
        model.add_no_overlap(ivs)
        if not periods:
            continue
        for (j, k), pres, _, size in items:
            if (j, k) in frozen:
                continue
            op = problem.jobs[j].operations[k]
            ov = v.ops[(j, k)]
            dur = op.duration_on(m) or 0
            pauses = []
            for i, (a, b) in enumerate(periods):
                if ov.hi <= a or ov.lo >= b:
                    continue  # the operation cannot reach this period at all
                before = model.new_bool_var(f"bf{j}_{k}_{m}_{i}")
                after = model.new_bool_var(f"af{j}_{k}_{m}_{i}")
                model.add(ov.end <= a).only_enforce_if(before)
                model.add(ov.start >= b).only_enforce_if(after)
                if op.breakable and dur > 0:
                    span = model.new_bool_var(f"sp{j}_{k}_{m}_{i}")
                    model.add(ov.start <= a - 1).only_enforce_if(span)
                    model.add(ov.end >= b + 1).only_enforce_if(span)
                    pauses.append((span, b - a))
                    lits = [before, after, span]
                else:
                    lits = [before, after]
                if isinstance(pres, int):
                    model.add_exactly_one(lits)
                else:
                    model.add(sum(lits) == 1).only_enforce_if(pres)
                    model.add(sum(lits) == 0).only_enforce_if(pres.Not())
            if not isinstance(size, int):
                expr = dur + sum(lit * ln for lit, ln in pauses)
                if isinstance(pres, int):
                    model.add(size == expr)
                else:
                    model.add(size == expr).only_enforce_if(pres)


def _setups(model: cp_model.CpModel, problem: Problem, v: Variables) -> None:
    per_machine: dict[int, list[tuple[tuple[int, int], cp_model.IntVar | int]]] = {
        m: [] for m in range(problem.n_machines)
    }
    for jk, ov in v.ops.items():
        for m, (pres, _, _) in ov.modes.items():
            per_machine[m].append((jk, pres))
    for m, items in per_machine.items():
        if len(items) < 2:
            continue
        arcs: list[cp_model.ArcT] = []
        if any(not isinstance(p, int) for _, p in items):
            arcs.append((0, 0, model.new_bool_var(f"empty{m}")))
        for i, ((j, k), pres) in enumerate(items, start=1):
            arcs.append((0, i, model.new_bool_var(f"first{m}_{i}")))
            arcs.append((i, 0, model.new_bool_var(f"last{m}_{i}")))
            if not isinstance(pres, int):
                arcs.append((i, i, pres.Not()))
            fa = problem.jobs[j].operations[k].family
            for i2, ((j2, k2), _) in enumerate(items, start=1):
                if i2 == i:
                    continue
                lit = model.new_bool_var(f"arc{m}_{i}_{i2}")
                arcs.append((i, i2, lit))
                fb = problem.jobs[j2].operations[k2].family
                model.add(v.ops[(j2, k2)].start >= v.ops[(j, k)].end + problem.setup(fa, fb)).only_enforce_if(lit)
        model.add_circuit(arcs)
