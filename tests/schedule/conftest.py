"""Scheduling fixtures: the shared benchmark instances (skipped when the data folder is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuzhi.config import shared_data_dir
from yuzhi.schedule.problem import Problem


@pytest.fixture(scope="session")
def sched_data() -> Path:
    d = shared_data_dir() / "scheduling"
    if not d.is_dir():
        pytest.skip(f"shared scheduling data not found at {d} (present in CI)")
    return d


def jobshop(*jobs: list[tuple[int, int]], n_machines: int | None = None, **extra) -> Problem:
    """A job shop from lists of (machine, duration) per job."""
    m = n_machines or 1 + max(mm for job in jobs for mm, _ in job)
    return Problem.from_dict(
        {
            "machines": m,
            "jobs": [{"operations": [{"modes": [[mm, d]]} for mm, d in job]} for job in jobs],
            **extra,
        }
    )
