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


def test_cancelled_job_waits_for_its_step_records():
    """Issue 20 item 5: the job line turns CANCELLED before the batch step's accounting arrives."""
    from datetime import datetime, timedelta

    from yuzhi.compute.backends.slurm import _steps_pending, _usage_from_rows

    end = (datetime.now() - timedelta(seconds=2)).isoformat(timespec="seconds")
    job = ["7", "CANCELLED by 0", "0:15", "4", "billing=1,cpu=1,mem=256M,node=1", "00:00:00", "", end]
    running_step = ["7.batch", "RUNNING", "0:0", "4", "cpu=1,mem=256M,node=1", "00:00:00", "", "Unknown"]
    done_step = ["7.batch", "CANCELLED", "0:15", "4", "cpu=1,mem=256M,node=1", "00:03.500", "66024K", end]
    waiting = _usage_from_rows("7", [job, running_step])
    assert not waiting.state.is_terminal and "accounting" in waiting.reason
    # what sacct printed ~0.5 s after scancel on 22.05: the step CANCELLED, exit 0:0, no MaxRSS yet
    guessed_step = ["7.batch", "CANCELLED", "0:0", "4", "cpu=1,mem=256M,node=1", "00:00:00", "", end]
    assert not _usage_from_rows("7", [job, guessed_step]).state.is_terminal
    assert not _usage_from_rows("7", [job]).state.is_terminal  # ran 4 s, no step yet
    job_done = [*job[:5], "00:03.500", "", end]
    usage = _usage_from_rows("7", [job_done, done_step])
    assert usage.state == JobState.CANCELLED and usage.cpu_s == pytest.approx(3.5)
    assert usage.max_rss_bytes == 66024 * 1024
    # cancelled while pending: never ran, no step will ever come
    assert _usage_from_rows("8", [["8", "CANCELLED by 0", "0:0", "0", "", "00:00:00", "", end]]).state \
        == JobState.CANCELLED
    # a step record that never arrives does not hold the job open for ever
    old = (datetime.now() - timedelta(minutes=10)).isoformat(timespec="seconds")
    assert not _steps_pending("7", [[*job[:7], old], running_step])


def test_jobs_charge_column_labels_a_hold():
    """Issue 20 item 8: an active job's amount is a hold, not a charge."""
    from types import SimpleNamespace

    from yuzhi.compute.cli import _charge_cell

    assert _charge_cell(SimpleNamespace(status="running", hold_fen=1234, charge_fen=0)) == "held 冻结 ¥12.34"
    assert _charge_cell(SimpleNamespace(status="succeeded", hold_fen=0, charge_fen=98)) == "¥0.98"


def test_worker_polls_fast_while_jobs_change_and_backs_off_when_they_do_not():
    """Issue 20 item 7: adaptive polling instead of a fixed one-second pass."""
    from yuzhi.compute.service import TickReport
    from yuzhi.compute.worker import next_wait

    kw = {"interval": 1.0, "min_interval": 0.05, "idle_interval": 0.2}
    assert next_wait(0.8, TickReport(changed=1, active=3), **kw) == 0.05
    waits = [0.05]
    for _ in range(30):
        waits.append(next_wait(waits[-1], TickReport(active=2), **kw))
    assert waits == sorted(waits) and waits[1] < 0.1 and waits[-1] == 1.0
    assert next_wait(0.05, TickReport(active=0), **kw) == 0.2
    assert next_wait(0.05, None, **kw) == 1.0


def test_a_completed_sub_second_step_without_maxrss_is_final():
    """Slurm 22.05 prints no MaxRSS for a step shorter than its first sample: nothing more will come."""
    from yuzhi.compute.backends.slurm import _usage_from_rows

    rows = [["98", "COMPLETED", "0:0", "1", "billing=1,cpu=1,mem=256M,node=1", "00:00.016", "", "2026-12-04T19:33:01"],
            ["98.batch", "COMPLETED", "0:0", "1", "cpu=1,mem=256M,node=1", "00:00.016", "", "2026-12-04T19:33:01"]]
    assert _usage_from_rows("98", rows).state == JobState.SUCCEEDED


def test_slurm_start_time_is_the_jobs_start():
    """Issue 20 item 6: the rate card is chosen by Slurm's Start, read in the host's local time."""
    from datetime import datetime

    from yuzhi.compute.backends.slurm import _usage_from_rows

    row = ["9", "COMPLETED", "0:0", "5", "cpu=1,mem=1G", "00:01", "", "2026-11-30T23:59:59", "2026-11-30T23:59:54"]
    step = ["9.batch", "COMPLETED", "0:0", "5", "cpu=1,mem=1G", "00:01", "1000K", *row[7:]]
    usage = _usage_from_rows("9", [row, step])
    assert usage.started_at == datetime.fromisoformat("2026-11-30T23:59:54").astimezone()
    assert usage.started_at.tzinfo is not None
    assert _usage_from_rows("9", [[*row[:8], "Unknown"], step]).started_at is None
