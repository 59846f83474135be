"""Slurm's time-out, collected last: the job was submitted by the session fixture
``slurm_timeout_job`` (conftest) when the test session started, with a 60 s limit."""

from __future__ import annotations

import pytest

from tests.compute.test_backends import wait_final
from yuzhi.compute.backends import JobState


@pytest.mark.slow
def test_slurm_time_limit(slurm_timeout_job, slurm_skip_reason):
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    backend, eid = slurm_timeout_job
    usage = wait_final(backend, eid, timeout=180)
    assert usage.state == JobState.TIMEOUT
    # limit 60 s; Slurm checks limits periodically, so it ends somewhat after
    assert 60 <= usage.elapsed_s < 150
    assert usage.alloc_cpus == 1
