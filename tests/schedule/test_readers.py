"""Readers: JSPLIB/Taillard and FJS, 0-/1-based, with/without third header field; errors with line numbers."""

from __future__ import annotations

import pytest

from yuzhi.errors import InvalidInput
from yuzhi.schedule.problem import Mode
from yuzhi.schedule.readers import detect_format, parse_text, read_instance

JSP0 = """# a comment
2 3
0 5 1 4 2 3
2 1 0 2 1 6
"""
JSP1 = "2 3\n1 5 2 4 3 3\n3 1 1 2 2 6\n"
TAILLARD = """Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound
 2 3 840612802 398197754 1231 1005
Times
 5 4 3
 1 2 6
Machines
 1 2 3
 3 1 2
"""
FJS0 = "2 3\n2 2 0 5 1 4 1 2 3\n1 3 0 1 1 2 2 6\n"
FJS1 = "2 3 1.5\n2 2 1 5 2 4 1 3 3\n1 3 1 1 2 2 3 6\n"


@pytest.mark.parametrize("text", [JSP0, JSP1, TAILLARD])
def test_jsplib_variants_give_the_same_problem(text):
    p = parse_text(text, fmt="auto")
    assert (p.n_jobs, p.n_machines) == (2, 3)
    assert [op.modes for op in p.jobs[0].operations] == [(Mode(0, 5),), (Mode(1, 4),), (Mode(2, 3),)]
    assert [op.modes for op in p.jobs[1].operations] == [(Mode(2, 1),), (Mode(0, 2),), (Mode(1, 6),)]


@pytest.mark.parametrize("text", [FJS0, FJS1])
def test_fjs_zero_and_one_based(text):
    p = parse_text(text, fmt="auto")
    assert (p.n_jobs, p.n_machines) == (2, 3)
    assert p.jobs[0].operations[0].modes == (Mode(0, 5), Mode(1, 4))
    assert p.jobs[0].operations[1].modes == (Mode(2, 3),)
    assert p.jobs[1].operations[0].modes == (Mode(0, 1), Mode(1, 2), Mode(2, 6))


def test_detect_format():
    assert detect_format("x.txt", JSP0) == "jsplib"
    assert detect_format("x.txt", FJS1) == "fjs"
    assert detect_format("x.json", "{}") == "json"
    assert detect_format("x.xlsx") == "xlsx"


@pytest.mark.parametrize(
    ("text", "fmt", "line", "words"),
    [
        ("2 2\n0 3 1 x\n1 2 0 2\n", "jsplib", "line 2", "'x' is not a whole number"),
        ("2 2\n0 3 1 4\n1 2 0\n", "jsplib", "line 3", "needs 2 pairs"),
        ("3 2\n0 3 1 4\n1 2 0 2\n", "jsplib", "line 4", "only 2 job lines"),
        ("2 2\n0 3 1 4\n1 2 0 2\n5 5 5 5\n", "jsplib", "line 4", "unexpected extra line"),
        ("2 2\n0 -3 1 4\n1 2 0 2\n", "jsplib", "line 2", "negative"),
        ("1 2\n2 1 0 3 2 1 5\n", "fjs", "line 2", "line ends early"),
        ("1 2\n1 0\n", "fjs", "line 2", "no eligible machine"),
        ("1 2\n1 1 0 3 9\n", "fjs", "line 2", "extra numbers"),
        ("x 2\n", "fjs", "line 1", "not a whole number"),
        ('{"machines": 1,\n "jobs": [}', "json", "line 2", "invalid JSON"),
    ],
)
def test_malformed_files_name_the_line(text, fmt, line, words):
    with pytest.raises(InvalidInput) as e:
        parse_text(text, fmt=fmt)
    assert e.value.field.startswith(line)
    assert words in e.value.message


def test_read_instance_prefixes_file_name(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("2 2\n0 3 1 x\n1 2 0 2\n")
    with pytest.raises(InvalidInput) as e:
        read_instance(f, fmt="jsplib")
    assert e.value.field == "bad.txt, line 2"
    with pytest.raises(InvalidInput, match="no such file"):
        read_instance(tmp_path / "missing.txt")
    with pytest.raises(InvalidInput, match="unknown format"):
        read_instance(f, fmt="csv")


def test_real_instances(sched_data):
    ft06 = read_instance(sched_data / "jsp" / "ft06.txt")
    assert (ft06.n_jobs, ft06.n_machines, ft06.n_operations) == (6, 6, 36)
    assert ft06.jobs[0].operations[0].modes == (Mode(2, 1),)
    mk01 = read_instance(sched_data / "fjsp" / "brandimarte" / "mk01.txt")
    assert (mk01.n_jobs, mk01.n_machines, mk01.n_operations) == (10, 6, 55)
    assert mk01.is_flexible
