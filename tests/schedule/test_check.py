"""The independent checker reports every violation, each with its kind and the operation at fault."""

from __future__ import annotations

import pytest

from yuzhi.errors import InvalidInput
from yuzhi.schedule.check import check, schedule_from_json
from yuzhi.schedule.objectives import ScheduledOp as S
from yuzhi.schedule.problem import Problem

P = Problem.from_dict(
    {
        "machines": [{"name": "A"}, {"name": "B", "unavailable": [[10, 20]]}],
        "families": ["x", "y"],
        "setup_times": [[0, 4], [0, 0]],
        "jobs": [
            {
                "name": "J0",
                "release": 2,
                "deadline": 30,
                "operations": [{"modes": [[0, 3]], "family": "x"}, {"modes": [[1, 2], [0, 5]]}],
            },
            {"name": "J1", "operations": [{"modes": [[0, 2]], "family": "y"}, {"modes": [[1, 4]], "breakable": True}]},
        ],
    }
)


def kinds(ops):
    return sorted(v.kind for v in check(P, ops))


def test_valid_schedule_has_no_violation():
    # J0 x on A [2,5); J1 y on A needs x→y changeover 4 → [9,11); J0 op1 on B [5,7);
    # J1 op1 breakable on B: [11,...) is inside the break → start 20 → [20,24).
    ops = [S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7), S(1, 1, 1, 20, 24)]
    assert check(P, ops) == []


def test_breakable_operation_may_pause_over_the_break():
    # J1 y first on A [0,2) (y→x needs no changeover), J0 x [2,5); on B J0 [5,7), J1 works 8..10 + 20..22.
    ops = [S(0, 0, 0, 2, 5), S(1, 0, 0, 0, 2), S(0, 1, 1, 5, 7), S(1, 1, 1, 8, 22)]
    assert check(P, ops) == []


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7)], ["missing"]),
        (
            [S(0, 0, 0, 2, 5), S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7), S(1, 1, 1, 20, 24)],
            ["duplicate", "overlap"],
        ),
        ([S(0, 0, 0, 1, 4), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7), S(1, 1, 1, 20, 24)], ["release"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 4, 6), S(1, 1, 1, 20, 24)], ["precedence"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 7, 9), S(0, 1, 1, 5, 7), S(1, 1, 1, 20, 24)], ["setup"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 8), S(1, 1, 1, 20, 24)], ["duration"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 9, 11), S(1, 1, 1, 20, 24)], ["calendar"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7), S(1, 1, 0, 20, 24)], ["eligibility"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 30, 32), S(1, 1, 1, 20, 24)], ["deadline"]),
        ([S(0, 0, 0, 2, 5), S(1, 0, 0, 9, 11), S(0, 1, 1, 5, 7), S(1, 1, 1, 12, 24)], ["calendar"]),
    ],
)
def test_each_violation_kind(ops, expected):
    assert kinds(ops) == expected


def test_all_violations_are_reported_together():
    ops = [S(0, 0, 0, 0, 3), S(1, 0, 0, 1, 3), S(0, 1, 1, 2, 4), S(1, 1, 1, 12, 16)]
    got = check(P, ops)
    # release (J0 at 0 < 2), overlap (J1 on A), precedence (J0 op 1 at 2 < 3), and the breakable J1 op 1
    # starting inside the break: calendar, and only 0 units of work in [12, 16) → duration.
    assert sorted({v.kind for v in got}) == ["calendar", "duration", "overlap", "precedence", "release"]
    msg = " | ".join(str(v) for v in got)
    assert "job 0 (J0) operation 0 starts at 0, before the release date 2" in msg
    assert "machine 0 (A)" in msg


def test_schedule_json_errors():
    with pytest.raises(InvalidInput, match="no 'operations' list"):
        schedule_from_json({})
    with pytest.raises(InvalidInput) as e:
        schedule_from_json({"operations": [{"job": 0}]})
    assert e.value.field == "operations[0]"
