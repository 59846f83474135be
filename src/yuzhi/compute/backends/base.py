"""The one interface every compute backend implements, and the values it speaks in.

A backend turns a :class:`JobSpec` into an external job on some engine (worker processes on this
machine, a Slurm cluster, ...) and reports back what that engine measured, as a :class:`Usage`.
The platform stores the external id and the spec's ``token`` in its database (the system of
record) and never keeps backend state in memory, so a platform restart reconciles by simply asking
the backend again: ``find(token)`` recovers a submission that happened just before a crash (so a job
is never submitted twice) and ``usage(external_id)`` reports jobs that finished while the platform
was down (so none is lost).

Example
-------
>>> spec = JobSpec(token="yz-1-abc", name="demo", argv=("python", "-c", "print(1)"),
...                workdir="/tmp/yz-1", cpus=1, mem_mb=256, time_limit_s=60)
>>> spec.log_path.name
'job.log'
"""

from __future__ import annotations

import contextlib
import enum
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from yuzhi.errors import DomainError, InvalidInput, NotFound

_TOKEN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class BackendUnavailable(DomainError):
    """The backend cannot be reached (controller down, binaries missing): 503, try again later."""

    status_code = 503
    code = "backend_unavailable"


class JobState(enum.StrEnum):
    """Backend-neutral job state. ``LOST`` means the engine lost the job (node failure, reboot)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    LOST = "lost"

    @property
    def is_terminal(self) -> bool:
        return self not in (JobState.PENDING, JobState.RUNNING)


@dataclass(frozen=True)
class JobSpec:
    """What to run and with which resources.

    Parameters
    ----------
    token : str
        Idempotency key chosen by the platform before submitting (letters, digits, ``_.-``; ≤ 64).
        A backend names the external job after it, so :meth:`Backend.find` can recover a submission
        whose external id never reached the database.
    name : str
        Human-readable name (shown in ``squeue``).
    argv : tuple of str
        The command, without a shell.
    workdir : str or Path
        Working directory; it must exist on the execution hosts (for Slurm: a shared filesystem).
        The job's combined stdout/stderr goes to ``workdir/job.log``.
    cpus, gpus, mem_mb : int
        Resources requested (and allocated; pricing uses the allocation).
    time_limit_s : int
        Wall-clock limit. Slurm enforces it in whole minutes (rounded up).
    env : dict
        Extra environment variables.
    nodes, ntasks : int
        Multi-node / MPI shape (issue 20 item 4): ``cpus`` is then CPUs per task, ``gpus`` GPUs per
        node (``gpu_type`` picks a GRES type, e.g. ``a800``), ``mem_mb`` memory per node.
    launcher : str
        ``""`` runs the command once in the batch step; ``"srun"`` launches it as ``ntasks`` tasks.
    unit : str, optional
        The submitting unit's account key (``u<org id>``) and ``unit_name`` its name: a Slurm
        backend with ``unit_accounts`` submits under a per-unit Slurm account (issue 20 item 3).
    """

    token: str
    name: str
    argv: tuple[str, ...]
    workdir: str | Path
    cpus: int = 1
    gpus: int = 0
    mem_mb: int = 256
    time_limit_s: int = 3600
    env: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    unit_name: str = ""
    nodes: int = 1
    ntasks: int = 1
    gpu_type: str = ""
    launcher: str = ""

    def __post_init__(self) -> None:
        if not _TOKEN_RE.match(self.token):
            raise InvalidInput(
                f"job token {self.token!r} is not a valid identifier",
                field="token",
                fix="use 1-64 characters from A-Z a-z 0-9 _ . - starting with a letter or digit",
            )
        if not self.argv or not all(isinstance(a, str) and a for a in self.argv):
            raise InvalidInput("the command is empty", field="argv", fix="give the program and its arguments")
        object.__setattr__(self, "argv", tuple(self.argv))
        if self.launcher not in ("", "srun"):
            raise InvalidInput(f"launcher {self.launcher!r} is unknown", field="launcher", fix="use '' or 'srun'")
        if self.gpu_type and not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", self.gpu_type):
            raise InvalidInput(f"GPU type {self.gpu_type!r} is not a GRES type name", field="gpu_type",
                               fix="use the type from the centre's gres.conf, e.g. a800")
        for name, low in (("cpus", 1), ("gpus", 0), ("mem_mb", 1), ("time_limit_s", 1), ("nodes", 1),
                          ("ntasks", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidInput(
                    f"{name} must be an integer ≥ {low}, got {value!r}", field=name, fix=f"set {name} ≥ {low}",
                    key="compute_at_least", params={"name": name, "low": low, "value": value}
                )

    @property
    def log_path(self) -> Path:
        return Path(self.workdir) / "job.log"


@dataclass(frozen=True)
class Usage:
    """What the engine measured for one job (final once ``state.is_terminal``).

    ``alloc_*`` are what the job held (and is priced on); ``cpu_s`` and ``max_rss_bytes`` are what it
    actually used. ``exit_code`` follows the shell convention (128 + N when killed by signal N) and
    is ``None`` while the job has not finished.
    """

    state: JobState
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    alloc_cpus: int = 0
    alloc_gpus: int = 0
    alloc_mem_bytes: int = 0
    max_rss_bytes: int = 0
    exit_code: int | None = None
    reason: str = ""
    #: When the engine started the job (aware), if it says: Slurm's ``Start``. The rate card in
    #: force on this date prices the job, not when the platform first saw it running.
    started_at: datetime | None = None


class Backend(ABC):
    """A compute engine behind one interface (see module docstring)."""

    #: Short name stored on providers: ``local`` or ``slurm``.
    kind: str = ""

    @abstractmethod
    def submit(self, spec: JobSpec) -> str:
        """Start (or queue) the job and return the engine's external id. Idempotent per token."""

    @abstractmethod
    def find(self, token: str) -> str | None:
        """The external id of a job submitted with this token, or ``None``."""

    @abstractmethod
    def status(self, external_id: str) -> JobState:
        """The job's current state."""

    @abstractmethod
    def cancel(self, external_id: str) -> None:
        """Ask the engine to stop the job (no-op when it already ended)."""

    @abstractmethod
    def usage(self, external_id: str) -> Usage:
        """Measured usage; final once ``usage.state.is_terminal``."""

    def usage_many(self, external_ids: list[str]) -> dict[str, Usage]:
        """Usage of several jobs at once (engines override it with one query); ids the engine
        does not know are left out."""
        out: dict[str, Usage] = {}
        for eid in external_ids:
            with contextlib.suppress(NotFound):
                out[eid] = self.usage(eid)
        return out

    @abstractmethod
    def check(self) -> str | None:
        """``None`` when the engine accepts jobs, else the reason it does not."""

    def available(self) -> bool:
        """Whether the engine accepts jobs now."""
        return self.check() is None
