"""Gantt: self-contained HTML (inline SVG, no external resource) and PNG; utilisation figures."""

from __future__ import annotations

import re

from yuzhi.schedule.gantt import render_html, render_png, utilisation
from yuzhi.schedule.objectives import ScheduledOp as S
from yuzhi.schedule.problem import Problem

P = Problem.from_dict(
    {
        "name": "demo",
        "machines": [{"name": "A", "unavailable": [[8, 10]]}, {"name": "B"}],
        "families": ["x", "y"],
        "setup_times": [[0, 2], [0, 0]],
        "jobs": [
            {"name": "SO-1", "due": 20, "operations": [{"modes": [[0, 3]], "family": "x"}]},
            {"name": "SO-2", "due": 4, "operations": [{"modes": [[0, 3]], "family": "y"}, {"modes": [[1, 2]]}]},
        ],
    }
)
OPS = [S(0, 0, 0, 0, 3), S(1, 0, 0, 5, 8), S(1, 1, 1, 8, 10)]


def test_utilisation():
    # Makespan 10. A: busy 6, changeover x→y 2 ([3,5)), off [8,10) = 2, idle 10 - 2 - 6 - 2 = 0.
    a, b = utilisation(P, OPS)
    assert (a.busy, a.setup, a.unavailable, a.idle) == (6, 2, 2, 0)
    assert a.utilisation == 6 / 8
    assert (b.busy, b.setup, b.unavailable, b.idle, b.utilisation) == (2, 0, 0, 8, 0.2)


def test_html_is_self_contained_and_shows_everything():
    h = render_html(P, OPS, status="optimal", objective="makespan", value=10)
    assert h.count("<svg") == 2  # per machine and per order
    assert not re.search(r"(src|href)=\"?https?:", h)  # no CDN, no remote resource
    assert "<script" not in h
    assert "changeover [3, 5)" in h
    assert "unavailable [8, 10)" in h
    assert "SO-2  late 6" in h  # SO-2 ends at 10, due 4
    assert "75.0%" in h  # A's utilisation


def test_png(tmp_path):
    f = render_png(P, OPS, tmp_path / "g.png")
    assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f.stat().st_size > 5000
