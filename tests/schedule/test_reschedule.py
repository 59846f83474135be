"""Rescheduling: started work frozen, events applied, the rest re-planned close to the old plan."""

from __future__ import annotations

import pytest

from tests.schedule.conftest import jobshop
from yuzhi.errors import InvalidInput
from yuzhi.schedule.check import check
from yuzhi.schedule.objectives import ScheduledOp as S
from yuzhi.schedule.problem import Job, Mode, Operation
from yuzhi.schedule.reschedule import LateFinish, MachineDown, RushOrder, reschedule
from yuzhi.schedule.solve import solve


def test_machine_down_pushes_unstarted_work_only():
    # One machine; J0 [0,3) started at t=1, J1 planned [3,5). The machine is down [3,6):
    # J0 stays, J1 moves to [6,8).
    p = jobshop([(0, 3)], [(0, 2)])
    old = [S(0, 0, 0, 0, 3), S(1, 0, 0, 3, 5)]
    new_p, r = reschedule(p, old, at=1, events=[MachineDown(0, 3, 6)], time_limit=2)
    assert [(o.job, o.start, o.end) for o in r.operations] == [(0, 0, 3), (1, 6, 8)]
    assert check(new_p, r.operations) == []


def test_outage_during_a_running_operation_starts_after_it():
    # J0 runs [0,4) when M0 fails at 2 for 3 units: the outage is taken as [4,7); J1 goes to [7,9).
    p = jobshop([(0, 4)], [(0, 2)])
    new_p, r = reschedule(p, [S(0, 0, 0, 0, 4), S(1, 0, 0, 4, 6)], at=2, events=[MachineDown(0, 2, 5)], time_limit=2)
    assert new_p.machines[0].unavailable == ((4, 7),)
    assert [(o.start, o.end) for o in r.operations] == [(0, 4), (7, 9)]


def test_late_finish_and_stability():
    # Two machines, 3 jobs. J0's first op (M0) finishes at 6 instead of 3; its successor on M1 and
    # the next op on M0 move; the unrelated J2 on M1 keeps its slot (the deviation term).
    p = jobshop([(0, 3), (1, 2)], [(0, 2)], [(1, 2)])
    old = solve(p, time_limit=2).operations
    j0 = next(o for o in old if (o.job, o.operation) == (0, 0))
    assert j0.start == 0
    new_p, r = reschedule(p, old, at=1, events=[LateFinish(0, 0, 6)], time_limit=2, deviation_weight=1)
    assert check(new_p, r.operations) == []
    got = {(o.job, o.operation): o for o in r.operations}
    assert (got[(0, 0)].start, got[(0, 0)].end) == (0, 6)
    assert got[(0, 1)].start >= 6 and got[(1, 0)].start >= 6
    assert got[(2, 0)] == next(o for o in old if o.job == 2)


def test_rush_order_is_added_and_scheduled():
    p = jobshop([(0, 3), (1, 2)], [(1, 4), (0, 1)])
    old = solve(p, time_limit=2).operations
    rush = Job((Operation((Mode(0, 2),)), Operation((Mode(1, 1),))), due=5, weight=10, name="RUSH")
    new_p, r = reschedule(p, old, at=0, events=[RushOrder(rush)], objective="weighted-tardiness", time_limit=3)
    assert new_p.n_jobs == 3 and new_p.jobs[2].name == "RUSH"
    assert check(new_p, r.operations) == []
    # RUSH can finish by 5 (M0 [0,2)→... or after J0) so its weighted tardiness is 0 in the optimum.
    assert r.objective == 0


def test_bad_events():
    p = jobshop([(0, 3)], [(0, 2)])
    old = [S(0, 0, 0, 0, 3), S(1, 0, 0, 3, 5)]
    with pytest.raises(InvalidInput, match="has not started"):
        reschedule(p, old, at=1, events=[LateFinish(1, 0, 9)])
    with pytest.raises(InvalidInput, match="does not exist"):
        reschedule(p, old, at=1, events=[MachineDown(4, 1, 2)])
    with pytest.raises(InvalidInput, match="≥ 0"):
        reschedule(p, old, at=-1)
