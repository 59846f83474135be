"""Parsing sacct's output: the exact strings Slurm 22.05 prints."""

from __future__ import annotations

import pytest

from yuzhi.compute.backends import JobState
from yuzhi.compute.backends.slurm import parse_duration, parse_exit, parse_size, parse_state, parse_tres


def test_sizes():
    assert parse_size("66024K") == 66024 * 1024
    assert parse_size("256M") == 256 * 2**20
    assert parse_size("1.50G") == 1610612736
    assert parse_size("") == 0
    assert parse_size("512", "M") == 512 * 2**20


def test_durations():
    assert parse_duration("00:01.077") == pytest.approx(1.077)
    assert parse_duration("01:02:03") == 3723
    assert parse_duration("1-02:00:00") == 93600
    assert parse_duration("") == 0.0


def test_tres_and_exit():
    assert parse_tres("billing=1,cpu=2,mem=256M,node=1,gres/gpu=1") == {
        "billing": "1", "cpu": "2", "mem": "256M", "node": "1", "gres/gpu": "1"}
    assert (parse_exit("0:0"), parse_exit("3:0"), parse_exit("0:15"), parse_exit("")) == (0, 3, 143, None)


def test_states():
    assert parse_state("CANCELLED by 0") == JobState.CANCELLED
    assert parse_state("COMPLETED") == JobState.SUCCEEDED
    assert parse_state("NODE_FAIL") == JobState.LOST
    assert parse_state("OUT_OF_MEMORY") == JobState.FAILED
    assert parse_state("TIMEOUT") == JobState.TIMEOUT
    with pytest.raises(ValueError, match="unknown Slurm job state 'WEIRD'"):
        parse_state("WEIRD")
