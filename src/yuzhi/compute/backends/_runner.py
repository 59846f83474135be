"""Supervisor process for one local job: ``python -m yuzhi.compute.backends._runner JOBDIR``.

Started detached (its own session) by :class:`~yuzhi.compute.backends.local.LocalBackend`, so it
outlives the platform process: a platform restart finds the job still running, or finished with
its ``result.json`` on disk. It

1. waits for enough CPU slots (``flock`` on slot files, released by the kernel if it dies),
2. runs the command in its own process group (at most once: a ``flock``-ed ``run.lock`` and
   the ``state.json`` it writes first stop any second supervisor of the same job), stdout+stderr to ``workdir/job.log``,
3. enforces the time limit and cancellation (SIGTERM, then SIGKILL after a grace period),
4. meters the job with ``wait4``: wall time, user+system CPU seconds and peak RSS,
5. writes ``result.json`` atomically (the record the backend reads).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

GRACE_S = 2.0


def write_json(path: Path, data: dict) -> None:
    """Atomic write: a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


class _Slots:
    """CPU slots shared by all local jobs of one state directory."""

    def __init__(self, root: Path, total: int) -> None:
        self.root = root
        self.total = total
        self.held: list[int] = []

    def try_acquire(self, n: int) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "alloc.lock", "a+") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            taken: list[int] = []
            for i in range(self.total):
                fd = os.open(self.root / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                taken.append(fd)
                if len(taken) == n:
                    self.held = taken
                    return True
            for fd in taken:
                os.close(fd)  # closing drops the lock
            return False


def hold_run_lock(jobdir: Path, attempts: int = 40) -> int | None:
    """Take the job's run lock (held for the supervisor's whole life; the kernel drops it when the
    process dies, which is how the backend tells a live supervisor from a dead one). Retries
    briefly because the backend probes the lock for a moment; ``None`` when another supervisor
    owns the job."""
    fd = os.open(jobdir / "run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    for _ in range(attempts):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            time.sleep(0.01)
    os.close(fd)
    return None


class _Cancel:
    """A stop asked for: SIGTERM or SIGINT to the supervisor, or a ``cancel`` file in the job folder."""

    def __init__(self, jobdir: Path) -> None:
        self.jobdir = jobdir
        self.signalled = False

    def on_term(self, signum: int, frame: object) -> None:
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or (self.jobdir / "cancel").exists()


def main(jobdir: Path) -> int:
    lock = hold_run_lock(jobdir)
    if lock is None:
        return 0  # another supervisor runs this job
    if (jobdir / "state.json").exists() or (jobdir / "result.json").exists():
        return 0  # a previous supervisor got this far: never start the job a second time
    spec = json.loads((jobdir / "spec.json").read_text())
    cancel = _Cancel(jobdir)
    signal.signal(signal.SIGTERM, cancel.on_term)
    signal.signal(signal.SIGINT, cancel.on_term)
    write_json(jobdir / "state.json", {"state": "pending", "supervisor_pid": os.getpid()})
    if not _wait_for_slots(spec, cancel):
        write_json(jobdir / "result.json", {
            "state": "cancelled", "exit_code": None, "elapsed_s": 0.0, "cpu_s": 0.0,
            "max_rss_bytes": 0, "reason": "cancelled while pending"})
        return 0
    _run(jobdir, spec, cancel)
    return 0


def _wait_for_slots(spec: dict[str, Any], cancel: _Cancel) -> bool:
    """Wait for the job's CPU slots (held until this process exits); False when cancelled first."""
    slots = _Slots(Path(spec["slots_dir"]), int(spec["slots_total"]))
    while cancel.requested() or not slots.try_acquire(int(spec["cpus"])):
        if cancel.requested():
            return False
        time.sleep(0.05)
    return True


def _run(jobdir: Path, spec: dict[str, Any], cancel: _Cancel) -> None:
    """Start the command (once), supervise it to its end and write ``result.json``."""
    workdir = Path(spec["workdir"])
    env = {**os.environ, **spec.get("env", {})}
    env["YUZHI_JOB_TOKEN"] = spec["token"]
    log = open(workdir / "job.log", "ab")  # noqa: SIM115 - held for the job's whole life
    started = time.time()
    try:
        proc = subprocess.Popen(spec["argv"], cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    except OSError as exc:
        log.write(f"yuzhi: cannot start {spec['argv'][0]!r}: {exc}\n".encode())
        log.close()
        write_json(jobdir / "result.json", {
            "state": "failed", "exit_code": 127, "elapsed_s": 0.0, "cpu_s": 0.0, "max_rss_bytes": 0,
            "reason": f"cannot start: {exc}", "started_at": started, "ended_at": time.time()})
        return
    write_json(jobdir / "state.json", {"state": "running", "supervisor_pid": os.getpid(), "pid": proc.pid,
                                        "started_at": started})
    status, rusage, reason = _supervise(proc, started, float(spec["time_limit_s"]), cancel)
    ended = time.time()
    proc.returncode = 0  # reaped by wait4 above; keep Popen from trying again
    _killpg(proc.pid, signal.SIGKILL)  # stragglers left in the job's process group
    log.close()
    code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    write_json(jobdir / "result.json", {
        "state": reason or ("succeeded" if code == 0 else "failed"), "exit_code": code,
        "elapsed_s": ended - started, "cpu_s": rusage.ru_utime + rusage.ru_stime,
        "max_rss_bytes": rusage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
        "reason": reason, "started_at": started, "ended_at": ended,
    })


def _supervise(proc: subprocess.Popen[bytes], started: float, limit: float,
               cancel: _Cancel) -> tuple[int, resource.struct_rusage, str]:
    """Wait for the job, metered by ``wait4``; on cancellation or past the time limit SIGTERM its
    process group, then SIGKILL after the grace period. Returns the wait status, the resource usage
    and the reason it was stopped ("cancelled", "timeout" or "")."""
    reason = ""
    kill_at: float | None = None
    delay = 0.005
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return status, rusage, reason
        now = time.time()
        if kill_at is None:
            if cancel.requested():
                reason = "cancelled"
            elif now - started > limit:
                reason = "timeout"
            if reason:
                _killpg(proc.pid, signal.SIGTERM)
                kill_at = now + GRACE_S
        elif now >= kill_at:
            _killpg(proc.pid, signal.SIGKILL)
            kill_at = float("inf")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
