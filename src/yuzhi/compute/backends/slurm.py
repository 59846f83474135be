"""``slurm``: a real Slurm cluster, the scheduler China's national supercomputing centres run.

Submission is ``sbatch --parsable`` of a small batch script written into the job's working
directory (which must be on the cluster's shared filesystem). State comes from ``squeue`` while
the controller remembers the job and from ``sacct`` afterwards; usage is **Slurm's own
accounting** (slurmdbd), never our estimate:

=================  ===========================================================
Usage field        sacct source
=================  ===========================================================
elapsed_s          ``ElapsedRaw`` (whole seconds)
alloc_cpus/gpus    ``AllocTRES`` ``cpu=`` and ``gres/gpu=``
alloc_mem_bytes    ``AllocTRES`` ``mem=`` (binary units: ``256M`` = 256 MiB)
cpu_s              ``TotalCPU`` (user + system of all steps)
max_rss_bytes      max ``MaxRSS`` over the job's steps
exit_code          ``ExitCode`` ``code:signal`` → code, or 128 + signal
=================  ===========================================================

Time limits go to ``--time`` in whole minutes, rounded up (Slurm's granularity), so a job may
run up to a minute past a limit that is not a whole number of minutes (plus the controller's
check interval). The job is named after its token, so :meth:`SlurmBackend.find` recovers a
submission whose id never reached the platform's database.
"""

from __future__ import annotations

import dataclasses
import getpass
import math
import os
import re
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from yuzhi.compute.backends.base import Backend, BackendUnavailable, JobSpec, JobState, Usage
from yuzhi.errors import InvalidInput, NotFound

_STATES = {
    "PENDING": JobState.PENDING, "CONFIGURING": JobState.PENDING, "REQUEUED": JobState.PENDING,
    "REQUEUE_HOLD": JobState.PENDING, "REQUEUE_FED": JobState.PENDING, "RESV_DEL_HOLD": JobState.PENDING,
    "SUSPENDED": JobState.RUNNING, "RUNNING": JobState.RUNNING, "COMPLETING": JobState.RUNNING,
    "STAGE_OUT": JobState.RUNNING, "SIGNALING": JobState.RUNNING, "RESIZING": JobState.RUNNING,
    "STOPPED": JobState.RUNNING,
    "COMPLETED": JobState.SUCCEEDED,
    "FAILED": JobState.FAILED, "OUT_OF_MEMORY": JobState.FAILED, "DEADLINE": JobState.FAILED,
    "BOOT_FAIL": JobState.LOST, "NODE_FAIL": JobState.LOST, "PREEMPTED": JobState.LOST,
    "REVOKED": JobState.LOST, "SPECIAL_EXIT": JobState.FAILED,
    "CANCELLED": JobState.CANCELLED,
    "TIMEOUT": JobState.TIMEOUT,
}
_ENSURED: set[tuple[str | None, str]] = set()  # (bin_dir, account) created or confirmed by this process
_UNIT = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


def parse_state(text: str) -> JobState:
    """``CANCELLED by 0`` → CANCELLED; unknown states are an error, never silently "timeout"."""
    word = text.strip().split(" ")[0].rstrip("+")
    try:
        return _STATES[word]
    except KeyError:
        raise ValueError(f"unknown Slurm job state {text!r}") from None


def parse_size(text: str, default_unit: str = "") -> int:
    """``66024K`` → 67608576 bytes; ``256M`` → 268435456; empty → 0."""
    text = text.strip()
    if not text:
        return 0
    m = re.fullmatch(r"([0-9.]+)([KMGTP]?)", text)
    if not m:
        raise ValueError(f"cannot parse Slurm size {text!r}")
    return int(float(m.group(1)) * _UNIT[m.group(2) or default_unit])


def parse_duration(text: str) -> float:
    """Slurm ``[DD-[HH:]]MM:SS[.mmm]`` → seconds (``00:01.077`` → 1.077, ``1-02:00:00`` → 93600)."""
    text = text.strip()
    if not text or text in ("INVALID", "UNLIMITED"):
        return 0.0
    days = 0
    if "-" in text:
        d, text = text.split("-", 1)
        days = int(d)
    parts = [float(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    h, m, s = parts
    return days * 86400 + h * 3600 + m * 60 + s


def parse_tres(text: str) -> dict[str, str]:
    """``billing=1,cpu=1,mem=256M,node=1`` → ``{"billing": "1", "cpu": "1", ...}``."""
    out: dict[str, str] = {}
    for item in filter(None, text.strip().split(",")):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def parse_exit(text: str) -> int | None:
    """``0:0`` → 0, ``3:0`` → 3, ``0:15`` → 143 (shell convention for signal 15)."""
    if not text.strip():
        return None
    code, _, sig = text.strip().partition(":")
    return 128 + int(sig) if sig and int(sig) else int(code)


class SlurmBackend(Backend):
    """Submit to a Slurm cluster through its command-line tools.

    Parameters
    ----------
    partition, account : str, optional
        Passed to ``sbatch`` when set.
    bin_dir : str, optional
        Where ``sbatch``/``squeue``/``sacct``/``scancel``/``sinfo`` live (default: ``PATH``).
    extra_args : tuple of str
        More ``sbatch`` options (e.g. ``("--qos=normal",)``).
    timeout_s : float
        Limit for each Slurm command; a controller that does not answer is "unavailable".
    unit_accounts : bool
        Submit each unit's jobs under its own Slurm account ``<account_prefix><org id>`` (created
        with ``sacctmgr`` under ``account`` as parent, the submitting Unix user added to it), so the
        centre's ``sacct``/``sreport`` and fair-share/QoS see units; needs Slurm operator rights.
    account_prefix : str
        Prefix of those account names (default ``yz_``).
    """

    kind = "slurm"

    def __init__(self, *, partition: str | None = None, account: str | None = None,
                 bin_dir: str | None = None, extra_args: tuple[str, ...] = (),
                 timeout_s: float = 20.0, unit_accounts: bool = False, account_prefix: str = "yz_") -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", account_prefix):
            raise InvalidInput(f"account_prefix {account_prefix!r} is not a Slurm account name", field="config",
                               fix="use lower-case letters, digits and _ (≤ 16 characters)")
        self.unit_accounts = unit_accounts
        self.account_prefix = account_prefix
        self.partition = partition
        self.account = account
        self.bin_dir = bin_dir
        self.extra_args = tuple(extra_args)
        self.timeout_s = timeout_s

    def _bin(self, name: str) -> str:
        if self.bin_dir:
            return str(Path(self.bin_dir) / name)
        return shutil.which(name) or name

    def _run(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([self._bin(name), *args], capture_output=True, text=True,
                                  timeout=self.timeout_s, check=False)
        except FileNotFoundError:
            raise BackendUnavailable(f"Slurm command {name!r} not found", field="backend",
                                     fix="install the Slurm client (slurm-client) or set bin_dir") from None
        except subprocess.TimeoutExpired:
            raise BackendUnavailable(f"{name} did not answer within {self.timeout_s:.0f} s", field="backend",
                                     fix="check that slurmctld is running (scontrol ping)") from None

    # -- interface ----------------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> str:
        workdir = Path(spec.workdir).resolve()
        if not workdir.is_dir():
            raise InvalidInput(f"working directory {workdir} does not exist", field="workdir",
                               fix="put it on the cluster's shared filesystem and create it first")
        script = workdir / "job.sbatch"
        # The script is written before every sbatch, so its absence proves no earlier attempt for this
        # token (the workdir is the job's own): only a retry pays for the squeue/sacct look-up that
        # keeps a crash between sbatch and commit from running the job twice (issue 20 item 7).
        if script.exists():
            existing = self.find(spec.token)
            if existing is not None:
                return existing
        lines = ["#!/bin/sh", f"# yuzhi job {spec.token}: {spec.name}"]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(spec.env.items())]
        launch = f"exec {self._bin('srun')} " if spec.launcher == "srun" else "exec "
        lines += [f"export YUZHI_JOB_TOKEN={shlex.quote(spec.token)}", launch + shlex.join(spec.argv), ""]
        script.write_text("\n".join(lines))
        args = ["--parsable", f"--job-name={spec.token}", f"--chdir={workdir}",
                f"--output={workdir / 'job.log'}", "--open-mode=append", f"--nodes={spec.nodes}",
                f"--ntasks={spec.ntasks}", f"--cpus-per-task={spec.cpus}", f"--mem={spec.mem_mb}M",
                f"--time={max(1, math.ceil(spec.time_limit_s / 60))}", f"--comment=yuzhi:{spec.name}"[:250]]
        if spec.gpus:  # per node, as Slurm's --gres is; AllocTRES gres/gpu reports the job's total
            args.append(f"--gres=gpu:{spec.gpu_type}:{spec.gpus}" if spec.gpu_type else f"--gres=gpu:{spec.gpus}")
        if self.partition:
            args.append(f"--partition={self.partition}")
        account = self.unit_account(spec.unit, spec.unit_name) if self.unit_accounts and spec.unit else self.account
        if account:
            args.append(f"--account={account}")
        args += [*self.extra_args, str(script)]
        proc = self._run("sbatch", *args)
        if proc.returncode != 0:
            msg = proc.stderr.strip() or proc.stdout.strip()
            if "Unable to contact" in msg or "Connection refused" in msg or "Socket timed out" in msg:
                raise BackendUnavailable(f"sbatch cannot reach the controller: {msg}", field="backend",
                                         fix="start slurmctld or check the cluster's network")
            raise InvalidInput(f"Slurm refused the job: {msg}", field="resources",
                               fix="request resources the partition can satisfy")
        return proc.stdout.strip().split(";")[0]

    def account_name(self, unit: str) -> str:
        """The Slurm account of a unit (``yz_u12``)."""
        return f"{self.account_prefix}{unit}".lower()[:32]

    def unit_account(self, unit: str, description: str = "", *, force: bool = False) -> str:
        """The unit's Slurm account, created (with the association for this Unix user) on first use.

        Idempotent: ``sacctmgr`` answers "Nothing new added" for what exists; what this process has
        ensured is remembered, so only the first job of a unit pays for the two ``sacctmgr`` calls.
        ``force`` asks ``sacctmgr`` again even so (``yuzhi compute accounts sync``: an account the
        centre deleted is re-created).
        """
        name = self.account_name(unit)
        key = (self.bin_dir, name)
        if key in _ENSURED and not force:
            return name
        desc = re.sub(r"[^\w .()-]", "", description)[:60] or name
        args = ["-i", "add", "account", name, f"Description={desc}", "Organization=yuzhi"]
        if self.account:
            args.append(f"Parent={self.account}")
        self._sacctmgr(*args)
        self._sacctmgr("-i", "add", "user", getpass.getuser(), f"Account={name}")
        _ENSURED.add(key)
        return name

    def _sacctmgr(self, *args: str) -> None:
        proc = self._run("sacctmgr", *args)
        out = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0 and "Nothing new added" not in out and "already exists" not in out:
            raise BackendUnavailable(f"sacctmgr {' '.join(args[:3])} failed: {out[:300]}", field="backend",
                                     fix="run the worker as a Slurm operator (sacctmgr add user … "
                                         "AdminLevel=Operator) or turn unit_accounts off")

    def accounts(self) -> dict[str, str]:
        """The per-unit accounts Slurm knows: name → description (for ``yuzhi compute accounts``)."""
        proc = self._run("sacctmgr", "-n", "-P", "show", "account", "format=Account,Description")
        out: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            name, _, desc = line.partition("|")
            if name.startswith(self.account_prefix):
                out[name] = desc
        return out

    def accounting(self, start: datetime, end: datetime) -> dict[str, tuple[str, Usage]]:
        """Every job ``sacct`` has in [start, end) (all users): external id → (job name, usage)."""
        fmt = "%Y-%m-%dT%H:%M:%S"
        proc = self._run("sacct", "-n", "-P", "-a", "-S", start.astimezone().strftime(fmt),
                         "-E", end.astimezone().strftime(fmt), "-o",
                         "JobID,State,ExitCode,ElapsedRaw,AllocTRES,TotalCPU,MaxRSS,End,Start,JobName")
        if proc.returncode != 0:
            raise BackendUnavailable(f"sacct failed: {proc.stderr.strip()}", field="backend",
                                     fix="check slurmdbd (sacctmgr show cluster)")
        by_job: dict[str, list[list[str]]] = {}
        names: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            r = line.split("|")
            if len(r) < 10:
                continue
            eid = r[0].split(".", 1)[0]
            by_job.setdefault(eid, []).append(r[:9])
            if r[0] == eid:
                names[eid] = r[9]
        return {eid: (names[eid], _usage_from_rows(eid, rows)) for eid, rows in by_job.items() if eid in names}

    def find(self, token: str) -> str | None:
        proc = self._run("squeue", "-h", "-t", "all", f"--name={token}", "-o", "%i")
        ids = proc.stdout.split() if proc.returncode == 0 else []
        if not ids:
            proc = self._run("sacct", "-n", "-X", "-P", f"--name={token}", "-S", "now-30days", "-o", "JobID")
            ids = proc.stdout.split() if proc.returncode == 0 else []
        return ids[0] if ids else None

    def _squeue_state(self, external_id: str) -> JobState | None:
        proc = self._run("squeue", "-h", "-t", "all", "-j", external_id, "-o", "%T")
        text = proc.stdout.strip()
        if proc.returncode != 0 or not text:
            return None
        return parse_state(text.splitlines()[0])

    def _sacct(self, external_id: str) -> list[list[str]]:
        proc = self._run("sacct", "-n", "-P", "-j", external_id, "-o",
                         "JobID,State,ExitCode,ElapsedRaw,AllocTRES,TotalCPU,MaxRSS,End,Start")
        if proc.returncode != 0:
            msg = proc.stderr.strip()
            raise BackendUnavailable(f"sacct failed: {msg}", field="backend",
                                     fix="check slurmdbd (sacctmgr show cluster)")
        return [line.split("|") for line in proc.stdout.splitlines() if line.strip()]

    def status(self, external_id: str) -> JobState:
        state = self._squeue_state(external_id)
        if state is not None:
            return state
        rows = self._sacct(external_id)
        job = [r for r in rows if r[0] == external_id]
        if not job:
            raise NotFound(f"Slurm knows no job {external_id}", field="external_id",
                           fix="check the id with sacct -j")
        return parse_state(job[0][1])

    def cancel(self, external_id: str) -> None:
        proc = self._run("scancel", external_id)
        if proc.returncode != 0 and "Invalid job id" not in proc.stderr:
            raise BackendUnavailable(f"scancel failed: {proc.stderr.strip()}", field="backend")

    def usage(self, external_id: str) -> Usage:
        rows = self._sacct(external_id)
        job = [r for r in rows if r[0] == external_id]
        if not job:
            # Accounting lags submission by a moment: fall back on the controller's view.
            state = self._squeue_state(external_id)
            if state is None:
                raise NotFound(f"Slurm knows no job {external_id}", field="external_id")
            return _not_yet_accounted(state)
        return _usage_from_rows(external_id, rows)

    def usage_many(self, external_ids: list[str]) -> dict[str, Usage]:
        """One ``sacct`` (and at most one ``squeue``) for all of them, instead of one per job."""
        if not external_ids:
            return {}
        rows = self._sacct(",".join(external_ids))
        by_job: dict[str, list[list[str]]] = {}
        for r in rows:
            by_job.setdefault(r[0].split(".", 1)[0], []).append(r)
        out = {eid: _usage_from_rows(eid, by_job[eid]) for eid in external_ids
               if any(r[0] == eid for r in by_job.get(eid, []))}
        missing = [eid for eid in external_ids if eid not in out]
        if missing:
            proc = self._run("squeue", "-h", "-t", "all", "-j", ",".join(missing), "-o", "%i %T")
            if proc.returncode == 0:
                for line in proc.stdout.splitlines():
                    eid, _, state_text = line.strip().partition(" ")
                    if eid in missing and state_text:
                        out[eid] = _not_yet_accounted(parse_state(state_text))
        return out  # ids absent here are asked one by one (and may be NotFound)

    def check(self) -> str | None:
        try:
            proc = self._run("sinfo", "-h", "-o", "%a %t")
        except BackendUnavailable as exc:
            return exc.message
        if proc.returncode != 0:
            return f"sinfo failed: {proc.stderr.strip() or 'no answer from slurmctld'}"
        up = [line for line in proc.stdout.splitlines()
              if line.startswith("up ") and not line.split()[1].startswith(("down", "drain", "fail"))]
        if not up:
            return "no partition is up with a usable node (sinfo)"
        return None


def _not_yet_accounted(state: JobState) -> Usage:
    return Usage(state=JobState.RUNNING if state.is_terminal else state, reason="waiting for Slurm accounting")


#: How long after a job's End time we keep waiting for its steps' accounting records. A step
#: record that never arrives (its slurmd died) must not keep the job open for ever.
STEP_RECORD_GRACE_S = 60.0


def _steps_pending(external_id: str, rows: list[list[str]], now: datetime | None = None) -> bool:
    """Whether a finished job's step records (batch, extern) are still on their way.

    slurmctld writes the job's terminal line as soon as it is cancelled; each step's end record
    (with ``TotalCPU`` and ``MaxRSS``) comes from slurmd a moment later. Reading the job before
    then gives ``cpu_s=0, max_rss=0`` (issue 20 item 5). A job that ran (``ElapsedRaw > 0``) but
    shows no step, a step still ``RUNNING``/``PENDING`` or a cancelled step still without signal and
    ``MaxRSS``, is not
    yet accounted — unless its End is more than :data:`STEP_RECORD_GRACE_S` ago (a cluster with
    ``JobAcctGatherType=jobacct_gather/none`` never reports MaxRSS: its cancelled jobs close after
    that grace).
    """
    job = next(r for r in rows if r[0] == external_id)
    if not parse_state(job[1]).is_terminal:
        return False
    steps = [r for r in rows if r[0] != external_id and not r[0].endswith(".extern")]
    ran = int(job[3] or 0) > 0
    # A cancelled step first appears as CANCELLED with ExitCode 0:0 and an empty MaxRSS (slurmctld's
    # guess); slurmd's record with the measured TotalCPU/MaxRSS replaces it a moment later
    # (seen on Slurm 22.05: the empty reading lasted ~0.5 s after scancel).
    # (A completed step may have no MaxRSS at all when it ran under a second: only cancelled ones wait.)
    waiting = (ran and not steps) or any(
        not _step_state(r[1]).is_terminal
        or (ran and r[1].startswith("CANCELLED") and r[2].strip() == "0:0" and not r[6].strip()) for r in steps)
    if not waiting:
        return False
    end = _parse_end(job[7]) if len(job) > 7 else None
    if end is None:
        return True
    return ((now or datetime.now()) - end).total_seconds() < STEP_RECORD_GRACE_S


def _step_state(text: str) -> JobState:
    try:
        return parse_state(text)
    except ValueError:
        return JobState.RUNNING


def _parse_end(text: str) -> datetime | None:
    """sacct's ``End`` (local time of the cluster, ``2026-11-03T10:00:00``), or None if unknown."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None  # "Unknown" while running


def _aware(when: datetime | None) -> datetime | None:
    """sacct prints the cluster's local time without a zone: read it as this host's local time."""
    return when.astimezone().astimezone(UTC) if when is not None else None


def _usage_from_rows(external_id: str, rows: list[list[str]]) -> Usage:
    """Usage from a job's ``sacct`` rows (the job line plus its steps)."""
    job = [r for r in rows if r[0] == external_id]
    _, state_text, exit_text, elapsed, tres_text, total_cpu = job[0][:6]
    state = parse_state(state_text)
    if _steps_pending(external_id, rows):
        return dataclasses.replace(_not_yet_accounted(state),
                                   started_at=_aware(_parse_end(job[0][8])) if len(job[0]) > 8 else None)
    tres = parse_tres(tres_text)
    rss = max((parse_size(r[6]) for r in rows if r[0] != external_id), default=0)
    return Usage(
        state=state, elapsed_s=float(elapsed or 0), cpu_s=parse_duration(total_cpu),
        alloc_cpus=int(tres.get("cpu", 0) or 0), alloc_gpus=int(tres.get("gres/gpu", 0) or 0),
        alloc_mem_bytes=parse_size(tres.get("mem", ""), "M"), max_rss_bytes=rss,
        exit_code=parse_exit(exit_text) if state.is_terminal else None,
        started_at=_aware(_parse_end(job[0][8])) if len(job[0]) > 8 else None,
        # Only states that say more than our JobState (OUT_OF_MEMORY, NODE_FAIL, "CANCELLED by 0" ...).
        reason="" if state_text in ("COMPLETED", "RUNNING", "PENDING", "FAILED", "TIMEOUT") else state_text,
    )


def slurm_present() -> bool:
    """Whether Slurm's client tools are installed here (tests skip the Slurm backend otherwise)."""
    return shutil.which("sinfo") is not None and os.access(shutil.which("sinfo") or "", os.X_OK)
