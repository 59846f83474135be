"""Behaviour tests run on both engines (see conftest's ``backend`` fixture)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from yuzhi.compute.backends import Backend, JobSpec, JobState, Usage, make_backend
from yuzhi.compute.backends.base import BackendUnavailable
from yuzhi.errors import InvalidInput, NotFound

PY = sys.executable
# Hold 64 MiB while burning ~1 s of CPU and a little longer: Slurm samples memory once a second
# (JobAcctGatherFrequency=task=1), so the peak must last across at least one sample.
BURN_1S = ("import time\nx = bytearray(64 * 2**20)\nt = time.process_time()\n"
           "while time.process_time() - t < 1.0: pass\ntime.sleep(1.2)\nprint('burnt', len(x))")


def wait_final(backend: Backend, eid: str, timeout: float = 60) -> Usage:
    """Poll until the usage is final (Slurm accounting lags the job's end by a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        usage = backend.usage(eid)
        if usage.state.is_terminal:
            return usage
        time.sleep(0.2)
    raise AssertionError(f"job {eid} did not finish within {timeout} s: {backend.usage(eid)}")


def wait_state(backend: Backend, eid: str, state: JobState, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while backend.status(eid) != state:
        assert time.monotonic() < deadline, f"job {eid} never reached {state}: {backend.status(eid)}"
        time.sleep(0.1)


def test_success_usage_is_measured(backend, make_spec, workdir):
    spec = make_spec((PY, "-c", BURN_1S), cpus=1, mem_mb=512)
    eid = backend.submit(spec)
    usage = wait_final(backend, eid)
    assert usage.state == JobState.SUCCEEDED
    assert usage.exit_code == 0
    # ~1 s of CPU burnt on purpose; the interpreter adds a little.
    assert 0.95 <= usage.cpu_s < 3.0
    assert usage.elapsed_s >= 1.0
    assert usage.alloc_cpus == 1
    assert usage.alloc_gpus == 0
    assert usage.alloc_mem_bytes == 512 * 2**20
    # 64 MiB touched (bytearray zero-fills) on top of the interpreter.
    assert usage.max_rss_bytes >= 64 * 2**20
    assert "burnt" in spec.log_path.read_text()
    assert backend.status(eid) == JobState.SUCCEEDED


def test_failure_keeps_exit_code_and_log(backend, make_spec):
    spec = make_spec((PY, "-c", "import sys; print('bad input row 7', file=sys.stderr); sys.exit(3)"))
    eid = backend.submit(spec)
    usage = wait_final(backend, eid)
    assert usage.state == JobState.FAILED
    assert usage.exit_code == 3
    assert "bad input row 7" in spec.log_path.read_text()


def test_cancel_running_job(backend, make_spec):
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    spec = make_spec((PY, "-c", burn + "print('start', flush=True); time.sleep(120)"))
    eid = backend.submit(spec)
    wait_state(backend, eid, JobState.RUNNING)
    deadline = time.monotonic() + 30
    while "start" not in (spec.log_path.read_text() if spec.log_path.exists() else "") \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # a step under ~2 s may end before slurmd's first memory sample (no MaxRSS at all)
    backend.cancel(eid)
    usage = wait_final(backend, eid)  # the first terminal reading: it must already carry the steps' accounting
    assert usage.state == JobState.CANCELLED
    assert usage.elapsed_s < 60
    if backend.kind == "slurm":  # issue 20 item 5: was cpu_s=0, max_rss=0 on the first reading
        assert usage.cpu_s >= 0.4 and usage.max_rss_bytes > 0, usage
    backend.cancel(eid)  # cancelling a finished job is a no-op


def test_submit_is_idempotent_per_token(backend, make_spec):
    spec = make_spec((PY, "-c", "print('once')"))
    eid = backend.submit(spec)
    assert backend.submit(spec) == eid
    assert backend.find(spec.token) == eid
    wait_final(backend, eid)
    assert spec.log_path.read_text().count("once") == 1
    assert backend.find("t-never-submitted") is None


def test_local_time_limit(tmp_path, make_spec):
    # The Slurm case (whole minutes) is test_timeouts.py::test_slurm_time_limit, started early.
    b = make_backend("local", {"state_dir": tmp_path / "state"})
    eid = b.submit(make_spec((PY, "-c", "import time; time.sleep(600)"), time_limit_s=1))
    usage = wait_final(b, eid, timeout=30)
    assert usage.state == JobState.TIMEOUT
    assert 1 <= usage.elapsed_s < 10


def test_restart_reconciles_running_and_finished_jobs(backend, make_spec, tmp_path):
    """A platform process submits and dies; a fresh one finds the job and its true outcome."""
    spec = make_spec((PY, "-c", "import time; time.sleep(1.5); print('survived')"))
    config = {"state_dir": str(backend.state_dir)} if backend.kind == "local" else {}  # type: ignore[attr-defined]
    code = (
        "import sys, json\n"
        "from yuzhi.compute.backends import make_backend, JobSpec\n"
        f"b = make_backend({backend.kind!r}, {config!r})\n"
        f"print(b.submit(JobSpec(token={spec.token!r}, name='r', argv={spec.argv!r}, workdir={str(spec.workdir)!r})))\n"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    eid = out.stdout.strip()
    fresh = make_backend(backend.kind, config)
    assert fresh.find(spec.token) == eid
    assert fresh.status(eid) in (JobState.PENDING, JobState.RUNNING)
    usage = wait_final(fresh, eid)
    assert usage.state == JobState.SUCCEEDED
    assert "survived" in spec.log_path.read_text()
    # A second "restart" submitting the same token again does not run it twice.
    assert make_backend(backend.kind, config).submit(spec) == eid
    assert spec.log_path.read_text().count("survived") == 1


def test_unknown_job_is_not_found(backend):
    with pytest.raises(NotFound):
        backend.status("999999999" if backend.kind == "slurm" else "t-nope")


def test_backend_is_available(backend):
    assert backend.check() is None
    assert backend.available()


# --- engine-specific cases -----------------------------------------------------------------

def test_local_lost_supervisor_is_reported_not_rerun(tmp_path, make_spec):
    """The machine 'reboots': the supervisor and its job die without a result."""
    import json
    import os
    import signal

    b = make_backend("local", {"state_dir": tmp_path / "state"})
    eid = b.submit(make_spec((PY, "-c", "import time; time.sleep(60)")))
    wait_state(b, eid, JobState.RUNNING)
    sup = json.loads((tmp_path / "state" / eid / "state.json").read_text())["supervisor_pid"]
    job_pid = json.loads((tmp_path / "state" / eid / "state.json").read_text())["pid"]
    os.kill(sup, signal.SIGKILL)
    fresh = make_backend("local", {"state_dir": tmp_path / "state"})
    deadline = time.monotonic() + 10
    while fresh.status(eid) != JobState.LOST:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    usage = fresh.usage(eid)
    assert usage.state == JobState.LOST
    assert "supervisor" in usage.reason
    time.sleep(0.2)
    assert not fresh._alive(job_pid)  # the orphaned job was killed, not left running


def test_local_second_supervisor_never_runs_the_job_again(tmp_path, make_spec):
    """The platform crashed right after spawning a supervisor and spawns more on retry."""
    b = make_backend("local", {"state_dir": tmp_path / "state"})
    spec = make_spec((PY, "-c", "import time; print('ran'); time.sleep(0.5)"))
    eid = b.submit(spec)
    extra = [subprocess.Popen([PY, "-m", "yuzhi.compute.backends._runner", str(tmp_path / "state" / eid)])
             for _ in range(3)]
    assert b.submit(spec) == eid
    for p in extra:
        p.wait(timeout=30)
    assert wait_final(b, eid).state == JobState.SUCCEEDED
    assert spec.log_path.read_text().count("ran") == 1


def test_local_slots_queue_jobs(tmp_path, make_spec):
    b = make_backend("local", {"state_dir": tmp_path / "state", "cpus": 1})
    first = b.submit(make_spec((PY, "-c", "import time; time.sleep(1)")))
    wait_state(b, first, JobState.RUNNING)
    second = b.submit(make_spec((PY, "-c", "print(2)")))
    time.sleep(0.3)
    assert b.status(second) == JobState.PENDING
    assert wait_final(b, second).state == JobState.SUCCEEDED
    assert wait_final(b, first).state == JobState.SUCCEEDED


def test_local_cancel_pending_job_is_not_charged_time(tmp_path, make_spec):
    b = make_backend("local", {"state_dir": tmp_path / "state", "cpus": 1})
    first = b.submit(make_spec((PY, "-c", "import time; time.sleep(1)")))
    wait_state(b, first, JobState.RUNNING)
    second = b.submit(make_spec((PY, "-c", "print(2)")))
    b.cancel(second)
    usage = wait_final(b, second)
    assert (usage.state, usage.elapsed_s, usage.alloc_cpus) == (JobState.CANCELLED, 0.0, 0)
    b.cancel(first)


def test_local_refuses_oversized_and_missing_program(tmp_path, make_spec):
    b = make_backend("local", {"state_dir": tmp_path / "state", "cpus": 2})
    with pytest.raises(InvalidInput, match="3 CPUs requested but this machine has 2"):
        b.submit(make_spec((PY,), cpus=3))
    with pytest.raises(InvalidInput, match="1 GPUs requested"):
        b.submit(make_spec((PY,), gpus=1))
    eid = b.submit(make_spec(("/nonexistent/program",)))
    usage = wait_final(b, eid)
    assert (usage.state, usage.exit_code) == (JobState.FAILED, 127)


def test_slurm_refuses_impossible_request(slurm_skip_reason, make_spec):
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    with pytest.raises(InvalidInput, match=r"Slurm refused the job: .*More processors requested"):
        make_backend("slurm", {}).submit(make_spec((PY, "-c", "1"), cpus=4096))


def test_slurm_down_is_unavailable_with_reason(tmp_path):
    b = make_backend("slurm", {"bin_dir": str(tmp_path)})  # no Slurm tools there
    assert b.check() == "Slurm command 'sinfo' not found"
    assert not b.available()
    with pytest.raises(BackendUnavailable, match="not found"):
        b.status("1")


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"cpus": 0}, "cpus"), ({"mem_mb": -1}, "mem_mb"), ({"time_limit_s": 0}, "time_limit_s"),
     ({"token": "../etc"}, "token"), ({"argv": ()}, "argv"), ({"gpus": 1.5}, "gpus")],
)
def test_bad_spec(kw, field, tmp_path):
    args = {"token": "t-1", "name": "x", "argv": ("true",), "workdir": tmp_path, **kw}
    with pytest.raises(InvalidInput) as err:
        JobSpec(**args)
    assert err.value.field == field


def test_unknown_backend_kind():
    with pytest.raises(InvalidInput, match="unknown backend kind 'ray'"):
        make_backend("ray", {})


def test_usage_many_matches_usage_one_by_one(backend, make_spec):
    eids = [backend.submit(make_spec((PY, "-c", f"import sys; sys.exit({code})"))) for code in (0, 5)]
    for eid in eids:
        wait_final(backend, eid)
    many = backend.usage_many([*eids, "999999999" if backend.kind == "slurm" else "t-unknown"])
    assert sorted(many) == sorted(eids)  # the unknown id is left out
    for eid in eids:
        assert many[eid] == backend.usage(eid)
    assert [many[e].exit_code for e in eids] == [0, 5]


def test_slurm_mpi_shape_is_priced_by_the_allocation(slurm_skip_reason, make_spec):
    """Issue 20 item 4 (single node here): ntasks × cpus-per-task under srun; usage = Slurm's AllocTRES."""
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    backend = make_backend("slurm", {"timeout_s": 20})
    spec = make_spec(("/bin/sh", "-c", "echo task $SLURM_PROCID"), ntasks=2, cpus=1, mem_mb=128, launcher="srun")
    usage = wait_final(backend, backend.submit(spec))
    assert usage.state == JobState.SUCCEEDED, usage
    assert usage.alloc_cpus == 2
    assert sorted(spec.log_path.read_text().split("\n")[:2]) == ["task 0", "task 1"]


def test_local_refuses_multi_task_jobs(tmp_path, make_spec):
    with pytest.raises(InvalidInput, match="single-task"):
        make_backend("local", {"state_dir": str(tmp_path / "s")}).submit(make_spec(("true",), ntasks=2))
