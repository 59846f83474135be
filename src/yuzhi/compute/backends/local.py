"""``local``: jobs in worker processes on the platform's own machine, metered by the OS.

Each job gets a directory ``state_dir/<token>/`` holding ``spec.json``, the supervisor's
``state.json`` and, once it ends, ``result.json``. The supervisor
(:mod:`yuzhi.compute.backends._runner`) runs in its own session, so stopping the platform does
not stop jobs; everything the backend knows is on disk, so a restarted platform reconciles:

* ``result.json`` present → the job ended; its usage is final.
* supervisor alive (it holds ``run.lock``; the kernel drops the lock when it dies, so neither
  pid reuse nor zombies can fool the check) → pending or running.
* supervisor gone without a result (the machine rebooted, someone killed it) → ``LOST``; the
  job's remaining processes are killed and it is never silently re-run.

The external id is the token itself. :meth:`LocalBackend.submit` is idempotent: a second call
for the same token returns the same id, and a supervisor started twice for one job runs it once
(the run lock plus ``state.json``, written before the job starts).
CPU slots (``flock``-ed files) keep the machine from being over-committed: a job waits (pending)
until ``cpus`` slots are free. Memory is priced on the request but not enforced locally.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from yuzhi.compute.backends._runner import write_json
from yuzhi.compute.backends.base import Backend, JobSpec, JobState, Usage
from yuzhi.errors import InvalidInput, NotFound

#: How long a freshly submitted job may wait for its supervisor to take over before it is lost.
STARTUP_S = 60.0


class LocalBackend(Backend):
    """Run jobs as detached worker processes on this machine.

    Parameters
    ----------
    state_dir : str or Path
        Where job records live (keep it across restarts).
    cpus : int, optional
        CPU slots shared by all jobs of this ``state_dir`` (default: ``os.cpu_count()``).
    gpus : int
        GPUs this machine offers (requests above it are refused).
    python : str, optional
        Interpreter for the supervisor (default: the current one).
    """

    kind = "local"

    def __init__(self, state_dir: str | Path, *, cpus: int | None = None, gpus: int = 0,
                 python: str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.cpus = cpus or os.cpu_count() or 1
        self.gpus = gpus
        self.python = python or sys.executable
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def _dir(self, external_id: str) -> Path:
        d = self.state_dir / external_id
        if "/" in external_id or external_id.startswith(".") or not (d / "spec.json").exists():
            raise NotFound(f"no local job {external_id!r}", field="external_id",
                           fix=f"check the id; local jobs live in {self.state_dir}")
        return d

    @staticmethod
    def _read(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _reap(self) -> None:
        for key, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[key]

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:  # a zombie is dead for our purposes
            stat = Path(f"/proc/{pid}/stat").read_text()
            return stat.rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, IndexError):
            return True

    @staticmethod
    def _supervised(d: Path) -> bool:
        """Whether a live supervisor holds the job's run lock (probed with a shared lock)."""
        try:
            fd = os.open(d / "run.lock", os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops our probe lock at once
        return False

    def _starting(self, d: Path) -> bool:
        """Submitted moments ago and its supervisor has not taken over yet."""
        spec = self._read(d / "spec.json") or {}
        return not (d / "state.json").exists() and time.time() - float(spec.get("submitted_at", 0)) < STARTUP_S

    def _reconcile(self, d: Path) -> dict | None:
        """Return the result record, writing a ``lost`` one when the supervisor vanished."""
        result = self._read(d / "result.json")
        if result is not None:
            return result
        self._reap()
        if self._supervised(d) or self._starting(d):
            return None
        result = self._read(d / "result.json")  # it may have finished between the two reads
        if result is not None:
            return result
        state = self._read(d / "state.json") or {}
        if "pid" in state:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(state["pid"]), 9)
        started = state.get("started_at")
        lost = {"state": "lost", "exit_code": None, "cpu_s": 0.0, "max_rss_bytes": 0,
                "elapsed_s": (time.time() - started) if started else 0.0,
                "reason": "the job's supervisor process disappeared (machine restart?)" if state
                else "the job's supervisor never started"}
        write_json(d / "result.json", lost)
        return lost

    # -- interface ----------------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> str:
        if spec.nodes > 1 or spec.ntasks > 1 or spec.launcher:
            raise InvalidInput("the local engine runs single-task jobs only", field="nodes",
                               fix="run multi-node or MPI jobs on a Slurm provider")
        if spec.cpus > self.cpus:
            raise InvalidInput(f"{spec.cpus} CPUs requested but this machine has {self.cpus}",
                               field="cpus", fix=f"request at most {self.cpus} CPUs",
                               key="compute_too_many_cpus", params={"asked": spec.cpus, "most": self.cpus})
        if spec.gpus > self.gpus:
            raise InvalidInput(f"{spec.gpus} GPUs requested but this machine has {self.gpus}",
                               field="gpus", fix=f"request at most {self.gpus} GPUs",
                               key="compute_too_many_gpus", params={"asked": spec.gpus, "most": self.gpus})
        workdir = Path(spec.workdir)
        if not workdir.is_dir():
            raise InvalidInput(f"working directory {workdir} does not exist", field="workdir",
                               fix="create it (the artifact store does) before submitting")
        d = self.state_dir / spec.token
        if (d / "spec.json").exists() and ((d / "state.json").exists() or (d / "result.json").exists()
                                           or self._supervised(d)):
            return spec.token  # already submitted under this token: never start it twice
        d.mkdir(parents=True, exist_ok=True)
        # (Re)spawning is safe even if an earlier supervisor is still starting: only one of them
        # gets the run lock before state.json exists, and the other exits without running anything.
        write_json(d / "spec.json", {
            "token": spec.token, "name": spec.name, "argv": list(spec.argv),
            "workdir": str(workdir.resolve()),
            "cpus": spec.cpus, "gpus": spec.gpus, "mem_mb": spec.mem_mb, "time_limit_s": spec.time_limit_s,
            "env": dict(spec.env), "slots_dir": str(self.state_dir / ".slots"), "slots_total": self.cpus,
            "submitted_at": time.time(),
        })
        with open(d / "supervisor.log", "ab") as errlog:
            child = subprocess.Popen(
                [self.python, "-m", "yuzhi.compute.backends._runner", str(d)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog,
                start_new_session=True, close_fds=True,
            )
        self._children[spec.token] = child
        return spec.token

    def find(self, token: str) -> str | None:
        d = self.state_dir / token
        return token if (d / "spec.json").exists() else None

    def status(self, external_id: str) -> JobState:
        d = self._dir(external_id)
        result = self._reconcile(d)
        if result is not None:
            return JobState(result["state"])
        state = self._read(d / "state.json") or {}
        return JobState.RUNNING if state.get("state") == "running" else JobState.PENDING

    def cancel(self, external_id: str) -> None:
        d = self._dir(external_id)
        if self._read(d / "result.json") is not None:
            return
        (d / "cancel").touch()  # the supervisor polls for this file
        state = self._read(d / "state.json")
        if state is None:
            # Not started (its signal handler may not be installed yet): the file suffices; if the
            # supervisor is gone, reconciliation records the job as lost.
            self._reconcile(d)
            return
        if self._supervised(d):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(state["supervisor_pid"]), 15)
        else:
            self._reconcile(d)

    def usage(self, external_id: str) -> Usage:
        d = self._dir(external_id)
        spec = self._read(d / "spec.json") or {}
        alloc: dict[str, Any] = {"alloc_cpus": int(spec.get("cpus", 0)), "alloc_gpus": int(spec.get("gpus", 0)),
                 "alloc_mem_bytes": int(spec.get("mem_mb", 0)) * 1024 * 1024}
        result = self._reconcile(d)
        if result is not None:
            ran = result.get("started_at") is not None or result["elapsed_s"] > 0
            return Usage(state=JobState(result["state"]), elapsed_s=float(result["elapsed_s"]),
                         cpu_s=float(result["cpu_s"]), max_rss_bytes=int(result["max_rss_bytes"]),
                         exit_code=result["exit_code"], reason=result.get("reason", ""),
                         **(alloc if ran else {"alloc_cpus": 0, "alloc_gpus": 0, "alloc_mem_bytes": 0}))
        state = self._read(d / "state.json") or {}
        if state.get("state") != "running":
            return Usage(state=JobState.PENDING)
        cpu_s, rss = _proc_usage(int(state["pid"]))
        return Usage(state=JobState.RUNNING, elapsed_s=time.time() - float(state["started_at"]), cpu_s=cpu_s,
                     max_rss_bytes=rss, **alloc)

    def check(self) -> str | None:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot write the local job directory {self.state_dir}: {exc}"
        if not os.access(self.state_dir, os.W_OK):
            return f"the local job directory {self.state_dir} is not writable"
        return None


def _proc_usage(pid: int) -> tuple[float, int]:
    """CPU seconds and current RSS of a running process (Linux ``/proc``; zeros elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return 0.0, 0
