"""Each constraint type on a tiny instance whose optimum is known by hand; every plan passes ``check``."""

from __future__ import annotations

import pytest

from tests.schedule.conftest import jobshop
from yuzhi.errors import InvalidInput
from yuzhi.schedule.check import check
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.readers import read_instance
from yuzhi.schedule.solve import Status, solve


def _solve(p: Problem, **kw):
    r = solve(p, time_limit=kw.pop("time_limit", 5), **kw)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE), r.reason
    assert check(p, r.operations) == []
    return r


def _at(r, j, k=0):
    return next((o.machine, o.start, o.end) for o in r.operations if (o.job, o.operation) == (j, k))


def test_job_shop_two_by_two():
    # J0: M0 3 → M1 2; J1: M1 4 → M0 1. M1 carries 2 + 4 = 6 and both can start at 0:
    # J0 M0 [0,3), J1 M1 [0,4), J0 M1 [4,6), J1 M0 [4,5) → makespan 6 = load of M1 (optimal).
    r = _solve(jobshop([(0, 3), (1, 2)], [(1, 4), (0, 1)]))
    assert (r.status, r.makespan, r.lower_bound, r.gap) == (Status.OPTIMAL, 6, 6, 0.0)


def test_flexible_machines_pick_the_faster_and_run_in_parallel():
    # Two one-operation jobs, each M0 in 4 or M1 in 5: apart they end at max(4, 5) = 5,
    # together on M0 at 8 → optimum 5 (one job per machine).
    p = Problem.from_dict({"machines": 2, "jobs": [{"operations": [{"modes": [[0, 4], [1, 5]]}]}] * 2})
    r = _solve(p)
    assert r.makespan == 5 and r.status == Status.OPTIMAL
    assert sorted(o.machine for o in r.operations) == [0, 1]


def test_release_date():
    # released at 5, 3 units of work → ends at 8.
    p = Problem.from_dict({"machines": 1, "jobs": [{"release": 5, "operations": [{"modes": [[0, 3]]}]}]})
    r = _solve(p)
    assert _at(r, 0) == (0, 5, 8)


def test_general_precedence_dag():
    # A (M0, 2) and B (M1, 3) both precede C (M2, 1): C starts at max(2, 3) = 3, ends 4.
    p = Problem.from_dict(
        {
            "machines": 3,
            "jobs": [
                {
                    "operations": [{"modes": [[0, 2]]}, {"modes": [[1, 3]]}, {"modes": [[2, 1]]}],
                    "precedences": [[0, 2], [1, 2]],
                }
            ],
        }
    )
    r = _solve(p)
    assert _at(r, 0, 0)[1] == 0 and _at(r, 0, 1)[1] == 0
    assert _at(r, 0, 2) == (2, 3, 4)


def test_sequence_dependent_changeovers():
    # One machine, J0 family a (2), J1 family b (2); a→b takes 5, b→a takes 1.
    # a first: 2 + 5 + 2 = 9; b first: 2 + 1 + 2 = 5 → optimum 5 with J1 at [0,2), J0 at [3,5).
    p = Problem.from_dict(
        {
            "machines": 1,
            "families": ["a", "b"],
            "setup_times": [[0, 5], [1, 0]],
            "jobs": [
                {"operations": [{"modes": [[0, 2]], "family": "a"}]},
                {"operations": [{"modes": [[0, 2]], "family": "b"}]},
            ],
        }
    )
    r = _solve(p)
    assert (r.makespan, r.status) == (5, Status.OPTIMAL)
    assert _at(r, 1) == (0, 0, 2) and _at(r, 0) == (0, 3, 5)


def test_calendar_fixed_operation_waits_for_the_machine():
    # Machine off over [2, 10); a 3-unit operation does not fit in [0, 2) → [10, 13).
    p = Problem.from_dict(
        {"machines": [{"name": "M", "unavailable": [[2, 10]]}], "jobs": [{"operations": [{"modes": [[0, 3]]}]}]}
    )
    assert _at(_solve(p), 0) == (0, 10, 13)


def test_calendar_breakable_operation_pauses():
    # Same, but breakable: works [0, 2), pauses over [2, 10), finishes the last unit at 11.
    p = Problem.from_dict(
        {
            "machines": [{"name": "M", "unavailable": [[2, 10]]}],
            "jobs": [{"operations": [{"modes": [[0, 3]], "breakable": True}]}],
        }
    )
    assert _at(_solve(p), 0) == (0, 0, 11)


def test_calendar_mixed_breakable_and_fixed_on_one_machine():
    # Off over [4, 6). Fixed F (3) and breakable B (3). F then B: F [0,3), B [3,4)+[6,8) → 8.
    # B then F: B [0,3), F [3,...) does not fit before 4 → [6,9) → 9. Optimum 8.
    p = Problem.from_dict(
        {
            "machines": [{"name": "M", "unavailable": [[4, 6]]}],
            "jobs": [{"operations": [{"modes": [[0, 3]]}]}, {"operations": [{"modes": [[0, 3]], "breakable": True}]}],
        }
    )
    r = _solve(p)
    assert r.makespan == 8 and _at(r, 0) == (0, 0, 3) and _at(r, 1) == (0, 3, 8)


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("total-tardiness", 1),
        ("weighted-tardiness", 4),
        ("max-tardiness", 1),
        ("late-jobs", 1),
        ("total-completion", 6),
        ("makespan", 5),
    ],
)
def test_due_date_objectives(objective, expected):
    # One machine. A: 4 units, due 4, weight 4. B: 1 unit, due 1, weight 10.
    # B first: B [0,1) on time, A [1,5) late 1 → total 1, weighted 4·1 = 4, max 1, late jobs 1,
    #          completions 1 + 5 = 6, makespan 5.
    # A first: A [0,4) on time, B [4,5) late 4 → total 4, weighted 10·4 = 40, completions 9.
    p = Problem.from_dict(
        {
            "machines": 1,
            "jobs": [
                {"name": "A", "due": 4, "weight": 4, "operations": [{"modes": [[0, 4]]}]},
                {"name": "B", "due": 1, "weight": 10, "operations": [{"modes": [[0, 1]]}]},
            ],
        }
    )
    r = _solve(p, objective=objective)
    assert (r.objective, r.status) == (expected, Status.OPTIMAL)


def test_impossible_deadline_is_infeasible_with_reason():
    # release 2 + 5 units cannot end by 6.
    p = Problem.from_dict(
        {"machines": 1, "jobs": [{"name": "SO-7", "release": 2, "deadline": 6, "operations": [{"modes": [[0, 5]]}]}]}
    )
    r = solve(p, time_limit=2)
    assert r.status == Status.INFEASIBLE and r.operations == []
    assert "SO-7" in r.reason and "deadline 6" in r.reason and "7" in r.reason


def test_deadlines_that_conflict_only_together():
    # Each alone fits (3 ≤ 4), but two 3-unit jobs on one machine need 6 > 4.
    p = Problem.from_dict(
        {
            "machines": 1,
            "jobs": [
                {"name": "X", "deadline": 4, "operations": [{"modes": [[0, 3]]}]},
                {"name": "Y", "deadline": 4, "operations": [{"modes": [[0, 3]]}]},
            ],
        }
    )
    r = solve(p, time_limit=2)
    assert r.status == Status.INFEASIBLE
    assert "X, Y" in r.reason


def test_bad_parameters():
    p = jobshop([(0, 1)])
    with pytest.raises(InvalidInput, match="unknown objective"):
        solve(p, objective="profit")
    with pytest.raises(InvalidInput, match="positive"):
        solve(p, time_limit=0)


def test_result_json_keys():
    r = _solve(jobshop([(0, 3), (1, 2)], [(1, 4), (0, 1)]))
    d = r.to_dict()
    assert {"status", "makespan", "lower_bound", "operations"} <= set(d)
    assert d["status"] == "optimal" and d["makespan"] == 6
    assert d["operations"][0] == {"job": 0, "operation": 0, "machine": 0, "start": 0, "end": 3}


@pytest.mark.parametrize(("name", "optimum"), [("jsp/ft06", 55), ("jsp/la01", 666), ("fjsp/brandimarte/mk01", 40)])
def test_real_instances_reach_the_optimum(sched_data, name, optimum):
    p = read_instance(sched_data / f"{name}.txt")
    r = _solve(p, time_limit=10)
    assert r.makespan == optimum


def test_tabu_stage_improves_a_harder_instance(sched_data):
    # la21 (15×10): the pipeline with tabu search must return a valid plan no worse than the rules.
    p = read_instance(sched_data / "jsp" / "la21.txt")
    r = _solve(p, time_limit=4)
    assert r.makespan <= r.stats["heuristic"]
    assert r.lower_bound <= 1046 <= r.makespan  # best known 1046 (optimal)
