"""Problem validation: every error names the bad index and says how to fix it."""

from __future__ import annotations

import pytest

from yuzhi.errors import InvalidInput
from yuzhi.schedule.problem import Job, Machine, Mode, Operation, Problem


def _p(jobs, machines=2, **kw):
    return Problem.from_dict({"machines": machines, "jobs": jobs, **kw})


@pytest.mark.parametrize(
    ("jobs", "field", "words"),
    [
        ([{"operations": [{"modes": []}]}], "jobs[0].operations[0]", "no eligible machine"),
        (
            [{"operations": [{"modes": [[0, 1]]}, {"modes": [[5, 1]]}]}],
            "jobs[0].operations[1].modes[0]",
            "uses machine 5",
        ),
        ([{"operations": [{"modes": [[0, -3]]}]}], "jobs[0].operations[0].modes[0].duration", "-3"),
        ([{"operations": [{"modes": [[0, 1], [0, 2]]}]}], "jobs[0].operations[0].modes[1]", "twice"),
        ([{"release": -1, "operations": [{"modes": [[0, 1]]}]}], "jobs[0].release", "≥ 0"),
        (
            [{"operations": [{"modes": [[0, 1]]}, {"modes": [[1, 1]]}], "precedences": [[0, 1], [1, 0]]}],
            "jobs[0].precedences",
            "cyclic",
        ),
        ([{"operations": [{"modes": [[0, 1]]}], "precedences": [[0, 3]]}], "jobs[0].precedences", "outside"),
        ([{"operations": []}], "jobs[0]", "no operations"),
        ([{"operations": [{"modes": [[0, 1]], "family": 2}]}], "jobs[0].operations[0].family", "0 families"),
    ],
)
def test_bad_input_names_the_index(jobs, field, words):
    with pytest.raises(InvalidInput) as e:
        _p(jobs)
    assert e.value.field == field
    assert words in e.value.message


def test_unknown_machine_name_and_bad_calendar():
    with pytest.raises(InvalidInput, match="unknown machine 'X'"):
        Problem.from_dict({"machines": [{"name": "A"}], "jobs": [{"operations": [{"modes": [["X", 1]]}]}]})
    with pytest.raises(InvalidInput) as e:
        Problem.from_dict(
            {"machines": [{"name": "A", "unavailable": [[5, 5]]}], "jobs": [{"operations": [{"modes": [["A", 1]]}]}]}
        )
    assert e.value.field == "machines[0].unavailable[0]"


def test_setup_matrix_shape_is_checked():
    with pytest.raises(InvalidInput, match="2×2"):
        _p([{"operations": [{"modes": [[0, 1]], "family": 0}]}], families=["a", "b"], setup_times=[[0, 1]])


def test_calendar_periods_are_sorted_and_merged():
    m = Machine("M", ((10, 20), (0, 5), (4, 8), (20, 22)))
    assert m.unavailable == ((0, 8), (10, 22))


def test_general_dag_and_json_round_trip():
    p = _p(
        [
            {
                "name": "A",
                "due": 9,
                "weight": 2,
                "release": 1,
                "operations": [{"modes": [[0, 2]]}, {"modes": [[1, 3]]}, {"modes": [[0, 1], [1, 4]], "family": "x"}],
                "precedences": [[0, 2], [1, 2]],
            }
        ],
        families=["x"],
        setup_times=[[3]],
    )
    job = p.jobs[0]
    assert job.arcs == ((0, 2), (1, 2))
    assert job.topological_order() == [0, 1, 2]
    assert p.jobs[0].operations[2].modes == (Mode(0, 1), Mode(1, 4))
    assert p.has_setups and p.is_flexible and not p.is_classic
    q = Problem.from_dict(p.to_dict())
    assert q == p


def test_chain_is_the_default_precedence():
    p = Problem(
        jobs=(Job((Operation((Mode(0, 1),)), Operation((Mode(0, 1),)), Operation((Mode(0, 1),)))),),
        machines=(Machine("M"),),
    )
    assert p.jobs[0].arcs == ((0, 1), (1, 2))
    assert p.is_classic and p.n_operations == 3
