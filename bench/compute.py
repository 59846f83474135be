"""Compute network benchmark: jobs per minute through the platform on ``local`` and on Slurm, and
the platform's own overhead per job beside the bare engine measured in the same run.

    .venv/bin/python bench/compute.py [--quick] [--jobs N] [--no-slurm]

For each engine it measures, with trivial jobs so the engine and the platform are what is timed
(``/bin/sleep 1`` for round trips, so every platform job runs ≥ 1 s and is billed ≥ 1 fen;
``/bin/true`` for throughput):

* **bare round trip**: submit straight to the engine and poll until its accounting has the final
  record (for Slurm: ``sbatch --parsable`` then ``sacct`` until COMPLETED — the baseline the
  issue asks for; measured with the Slurm CLI itself, no yuzhi code involved);
* **platform round trip**: ``submit_job`` (quote, hold, audit) → worker dispatch → engine →
  worker meters, prices, charges and bills through the voucher bill service; with the split
  *submission → start* (until the engine reports the job running or done) and *end → bill*
  (from the engine's end to the committed bill);
* **throughput**: N jobs submitted at once, worker passes back to back, jobs/min, beside the bare
  engine's jobs/min for the same N (submit all, poll all). On Slurm the baseline is the bare
  ``sbatch``/``sacct`` CLI loop run just before the bare backend and again just after the
  platform (both printed), their mean the baseline, so load drift does not pick a winner.

Every figure is printed with its ratio against the bare engine in the same run.
"""

from __future__ import annotations

import os
import sys

# `python bench/compute.py` puts bench/ first on sys.path, where bench/inspect.py (another
# benchmark) would shadow the standard library's `inspect`; drop that entry before anything else.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

#: Every loop in this file — the bare baselines and the observer of the platform — polls at this
#: period, so the baselines and the platform are measured the same way in the same run.
POLL_S = 0.05


class _Worker:
    """The platform's real dispatcher (:func:`yuzhi.compute.worker.run`, adaptive polling) in a thread."""

    def __init__(self, engine, store) -> None:  # type: ignore[no-untyped-def]
        self.engine, self.store = engine, store

    def __enter__(self) -> _Worker:
        from yuzhi.compute import worker

        self.thread, self.stop = worker.start_in_thread(self.engine, store=self.store)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def _setup(url: str, home: Path, kinds: list[str]):  # type: ignore[no-untyped-def]
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts import uscc
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate, UserCreate
    from yuzhi.compute import service
    from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, RateCardIn
    from yuzhi.db import make_engine, migrate, transaction
    from yuzhi.providers import service as registry
    from yuzhi.providers.models import Criterion
    from yuzhi.providers.schemas import ProviderCreate
    from yuzhi.vouchers import service as vouchers
    from yuzhi.vouchers.schemas import ApplicationCreate, ProgrammeCreate, Review

    migrate(url)
    engine = make_engine(url)
    year = date.today().year
    providers: dict[str, int] = {}
    with transaction(engine) as s:
        admin = accounts.actor_for(accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="admin", password="bench-pass-1", role=Role.OFFICE_ADMIN.value)))
        vouchers.create_programme(s, actor=admin, prog_in=ProgrammeCreate(
            year=year, name="bench", pool_fen=50_000_000_00, unit_cap_fen=1_000_000_00, disclosure_days=0))
        unit_org = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=uscc.make("91410100AAAAAAA10"), name="基准企业", kind=OrgKind.ENTERPRISE))
        accounts.decide_org(s, actor=admin, org_id=unit_org.id, approve=True)
        unit = accounts.actor_for(accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="unit", password="bench-pass-1", role=Role.MEMBER.value, org_id=unit_org.id)))
        service.set_budget(s, actor=unit, org_id=unit_org.id, budget_in=BudgetIn(budget_fen=10**12))
        service.register_app(s, actor=admin, app_in=AppIn(name="true", argv=["/bin/true"]))
        service.register_app(s, actor=admin, app_in=AppIn(name="sleep1", argv=["/bin/sleep", "1"]))
        for i, kind in enumerate(kinds):
            porg = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
                uscc=uscc.make(f"91410100AAAAAAB{i}0"), name=f"算力中心{i}", kind=OrgKind.ENTERPRISE))
            accounts.decide_org(s, actor=admin, org_id=porg.id, approve=True)
            p = registry.whitelist(s, actor=admin, provider_in=ProviderCreate(
                org_id=porg.id, name=f"bench-{kind}", criterion=Criterion.NATIONAL_SUPERCOMPUTING,
                valid_from=date(year - 1, 1, 1), valid_to=date(year + 1, 12, 31)))
            config = {"state_dir": str(home / "local-jobs")} if kind == "local" else {}
            service.connect(s, actor=admin, provider_id=p.id, endpoint_in=EndpointIn(kind=kind, config=config))
            service.publish_capacity(s, actor=admin, provider_id=p.id, capacity_in=CapacityIn(
                nodes=1, cores=64, memory_gb=64, max_cpus_per_job=64, max_mem_mb_per_job=65536))
            service.publish_rate_card(s, actor=admin, provider_id=p.id, card_in=RateCardIn(
                core_hour_fen=3600, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(year - 1, 1, 1)))
            a = vouchers.apply(s, actor=unit, app_in=ApplicationCreate(
                year=year, provider_id=p.id, contract_no=f"B-{i}", planned_spend_fen=10_000_000))
            vouchers.review(s, actor=admin, app_id=a.id, decision=Review(approve=True))
            providers[kind] = p.id
    return engine, unit, providers


def _bare_backend_roundtrip(backend, workdir: Path, token: str) -> float:  # type: ignore[no-untyped-def]
    from yuzhi.compute.backends import JobSpec

    t0 = time.perf_counter()
    eid = backend.submit(JobSpec(token=token, name="bare", argv=("/bin/sleep", "1"), workdir=workdir, mem_mb=64))
    while not backend.usage(eid).state.is_terminal:
        time.sleep(POLL_S)
    return time.perf_counter() - t0


def _bare_sbatch_roundtrip(workdir: Path) -> tuple[float, float]:
    """sbatch call alone, and sbatch → sacct COMPLETED, with the Slurm CLI only."""
    t0 = time.perf_counter()
    out = subprocess.run(["sbatch", "--parsable", "--mem=64M", f"--chdir={workdir}", "--output=/dev/null",
                          "--wrap", "/bin/sleep 1"], capture_output=True, text=True, check=True)
    t_submit = time.perf_counter() - t0
    jid = out.stdout.strip().split(";")[0]
    while True:
        st = subprocess.run(["sacct", "-n", "-X", "-P", "-j", jid, "-o", "State"], capture_output=True,
                            text=True).stdout.strip()
        if st and st not in ("PENDING", "RUNNING", "COMPLETING"):
            break
        time.sleep(POLL_S)
    return t_submit, time.perf_counter() - t0


def _platform_roundtrip(engine, store, unit, provider_id: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from yuzhi.compute import service
    from yuzhi.compute.models import ComputeJob
    from yuzhi.compute.schemas import JobIn
    from yuzhi.db import transaction
    from yuzhi.workflows import compute_billing as flows

    t0 = time.perf_counter()
    with transaction(engine) as s:
        job_id = service.submit_job(s, actor=unit, job_in=JobIn(kind="app", app="sleep1", provider_id=provider_id,
                                                                 mem_mb=64, time_limit_s=60), store=store,
                                    estimate_subsidy=flows.estimate_subsidy).id
    t_submitted = time.perf_counter()
    t_started = t_end_seen = None
    while True:  # the real worker loop (adaptive polling) runs in a thread; we only watch the row
        with transaction(engine) as s:
            job = s.get(ComputeJob, job_id)
            status = job.status
        now = time.perf_counter()
        if t_started is None and status in ("running", "succeeded", "failed", "cancelled"):
            t_started = now
        if status in ("succeeded", "failed", "cancelled"):
            t_end_seen = now
            break
        time.sleep(POLL_S)
    assert status == "succeeded" and job.bill_id, (job_id, status, job.reason, job.bill_status)
    return {"total": t_end_seen - t0, "submit_call": t_submitted - t0, "to_start": t_started - t0,
            "bill_id": float(job.bill_id or 0)}


def _end_to_bill(engine, store, unit, provider_id: int, backend) -> float:  # type: ignore[no-untyped-def]
    """Engine-reported end → committed bill: run a job, then time only the worker's final pass."""
    from yuzhi.compute import service
    from yuzhi.compute.models import ComputeJob
    from yuzhi.compute.schemas import JobIn
    from yuzhi.db import transaction
    from yuzhi.workflows import compute_billing as flows

    with transaction(engine) as s:
        job_id = service.submit_job(s, actor=unit, job_in=JobIn(kind="app", app="sleep1", provider_id=provider_id,
                                                                 mem_mb=64, time_limit_s=60), store=store).id
    service.tick(engine, store=store, check_every_s=3600)  # dispatch
    with transaction(engine) as s:
        eid = s.get(ComputeJob, job_id).external_id
    while not backend.usage(eid).state.is_terminal:  # wait until the engine has the final record
        time.sleep(POLL_S)
    t0 = time.perf_counter()
    service.tick(engine, store=store, biller=flows.bill_job, check_every_s=3600)
    dt = time.perf_counter() - t0
    with transaction(engine) as s:
        assert s.get(ComputeJob, job_id).bill_id is not None
    return dt


def _throughput_platform(engine, store, unit, provider_id: int, n: int) -> float:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from yuzhi.compute import service
    from yuzhi.compute.models import ComputeJob
    from yuzhi.compute.schemas import JobIn
    from yuzhi.db import transaction

    t0 = time.perf_counter()
    ids = []
    for _ in range(n):
        with transaction(engine) as s:
            ids.append(service.submit_job(s, actor=unit, job_in=JobIn(
                kind="app", app="true", provider_id=provider_id, mem_mb=64, time_limit_s=60), store=store).id)
    while True:  # settled by the worker thread
        with transaction(engine) as s:
            left = s.scalar(select(func.count()).select_from(ComputeJob).where(
                ComputeJob.id.in_(ids), ComputeJob.status.in_(["queued", "submitted", "running"])))
        if not left:
            break
        time.sleep(POLL_S)
    return n / (time.perf_counter() - t0) * 60


def _throughput_bare(backend, workdir: Path, n: int, prefix: str) -> float:  # type: ignore[no-untyped-def]
    from yuzhi.compute.backends import JobSpec

    t0 = time.perf_counter()
    eids = [backend.submit(JobSpec(token=f"{prefix}-{i}", name="bare", argv=("/bin/true",), workdir=workdir,
                                   mem_mb=64)) for i in range(n)]
    pending = set(eids)
    while pending:
        done = backend.usage_many(sorted(pending))  # one query per poll, as the worker does
        pending = {e for e in pending if not (e in done and done[e].state.is_terminal)}
        time.sleep(POLL_S)
    return n / (time.perf_counter() - t0) * 60


def _throughput_sbatch_cli(workdir: Path, n: int) -> float:
    """N × ``sbatch --wrap /bin/true``, then one ``sacct -X`` per poll until all are COMPLETED."""
    t0 = time.perf_counter()
    ids = [subprocess.run(["sbatch", "--parsable", "--mem=64M", f"--chdir={workdir}", "--output=/dev/null",
                           "--wrap", "/bin/true"], capture_output=True, text=True, check=True).stdout.strip()
           for _ in range(n)]
    while True:
        out = subprocess.run(["sacct", "-n", "-X", "-P", "-j", ",".join(ids), "-o", "JobID,State"],
                             capture_output=True, text=True).stdout.split()
        states = dict(line.split("|", 1) for line in out)
        if len(states) == n and all(v not in ("PENDING", "RUNNING", "COMPLETING") for v in states.values()):
            break
        time.sleep(POLL_S)
    return n / (time.perf_counter() - t0) * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke run)")
    ap.add_argument("--jobs", type=int, default=None, help="jobs for the throughput test (default 40, quick 10)")
    ap.add_argument("--no-slurm", action="store_true")
    args = ap.parse_args()
    reps = 3 if args.quick else 10
    n = args.jobs or (10 if args.quick else 40)

    from yuzhi.compute.backends import make_backend
    from yuzhi.compute.backends.slurm import slurm_present
    from yuzhi.compute.store import ArtifactStore

    kinds = ["local"]
    if not args.no_slurm:
        reason = None if slurm_present() else "sinfo not found"
        reason = reason or make_backend("slurm", {"timeout_s": 5}).check()
        if reason:
            print(f"slurm: skipped ({reason}; run .ci/setup-slurm.sh as root)")
        else:
            kinds.append("slurm")
    home = Path(tempfile.mkdtemp(prefix="yuzhi-bench-compute-"))
    home.chmod(0o755)
    try:
        engine, unit, providers = _setup(f"sqlite:///{home / 'bench.db'}", home, kinds)
        store = ArtifactStore(home / "artifacts")
        bare_dir = home / "bare"
        bare_dir.mkdir()
        results: dict[str, dict[str, float]] = {}
        print(f"compute bench: {reps} sequential jobs and {n} concurrent jobs per engine "
              f"(round trips: /bin/sleep 1, throughput: /bin/true; SQLite; {'quick' if args.quick else 'full'})")
        for kind in kinds:
            cfg = {"state_dir": str(home / "local-jobs")} if kind == "local" else {}
            backend = make_backend(kind, cfg)
            stamp = f"b{int(time.time())}"
            bare = [_bare_backend_roundtrip(backend, bare_dir, f"{stamp}-{kind}-rt{i}") for i in range(reps)]
            with _Worker(engine, store):
                plat = [_platform_roundtrip(engine, store, unit, providers[kind]) for _ in range(reps)]
            e2b = [_end_to_bill(engine, store, unit, providers[kind], backend) for _ in range(reps)]
            # The CLI baseline runs right before the bare backend and again right after the platform;
            # their mean is the baseline, so drift in a shared machine's load during the three
            # throughput runs does not favour or penalise whichever loop happens to run last.
            cli_before = _throughput_sbatch_cli(bare_dir, n) if kind == "slurm" else 0.0
            tp_bare = _throughput_bare(backend, bare_dir, n, f"{stamp}-{kind}-tp")
            with _Worker(engine, store):
                tp_plat = _throughput_platform(engine, store, unit, providers[kind], n)
            cli_after = _throughput_sbatch_cli(bare_dir, n) if kind == "slurm" else 0.0
            r = {
                "bare_roundtrip_s": statistics.median(bare),
                "platform_roundtrip_s": statistics.median(p["total"] for p in plat),
                "submit_call_s": statistics.median(p["submit_call"] for p in plat),
                "submission_to_start_s": statistics.median(p["to_start"] for p in plat),
                "end_to_bill_s": statistics.median(e2b),
                "jobs_per_min_bare": tp_bare,
                "jobs_per_min_platform": tp_plat,
            }
            if kind == "slurm":
                sb = [_bare_sbatch_roundtrip(bare_dir) for _ in range(reps)]
                r["sbatch_call_s"] = statistics.median(x[0] for x in sb)
                r["sbatch_to_sacct_s"] = statistics.median(x[1] for x in sb)
                r["jobs_per_min_sbatch_cli_before"], r["jobs_per_min_sbatch_cli_after"] = cli_before, cli_after
                r["jobs_per_min_sbatch_cli"] = (cli_before + cli_after) / 2
            results[kind] = r
            base = r.get("sbatch_to_sacct_s", r["bare_roundtrip_s"])
            base_name = "bare sbatch→sacct" if kind == "slurm" else "bare local backend"
            print(f"\n[{kind}]")
            if kind == "slurm":
                print(f"  bare sbatch call (CLI only)          {r['sbatch_call_s'] * 1000:8.1f} ms")
                print(f"  bare sbatch → sacct COMPLETED        {r['sbatch_to_sacct_s']:8.3f} s   (baseline)")
            print(f"  bare backend round trip              {r['bare_roundtrip_s']:8.3f} s   "
                  f"{r['bare_roundtrip_s'] / base:5.2f}× {base_name}")
            print(f"  platform round trip (submit → bill)  {r['platform_roundtrip_s']:8.3f} s   "
                  f"{r['platform_roundtrip_s'] / base:5.2f}× {base_name}")
            print(f"    submit call (quote, hold, audit)   {r['submit_call_s'] * 1000:8.1f} ms")
            print(f"    submission → start seen            {r['submission_to_start_s']:8.3f} s   "
                  f"{r['submission_to_start_s'] / base:5.2f}× {base_name}")
            print(f"    engine end → bill committed        {r['end_to_bill_s'] * 1000:8.1f} ms  "
                  f"{r['end_to_bill_s'] / base:5.3f}× {base_name}")
            tp_base = r.get("jobs_per_min_sbatch_cli", r["jobs_per_min_bare"])
            tp_name = "bare sbatch/sacct CLI" if kind == "slurm" else "bare local backend"
            if kind == "slurm":
                print(f"  throughput, bare sbatch + sacct CLI  {r['jobs_per_min_sbatch_cli']:8.1f} jobs/min"
                      f"  (baseline: mean of {cli_before:.1f} before and {cli_after:.1f} after)")
            print(f"  throughput, bare backend             {r['jobs_per_min_bare']:8.1f} jobs/min  "
                  f"{r['jobs_per_min_bare'] / tp_base:5.2f}× {tp_name}")
            print(f"  throughput, platform                 {r['jobs_per_min_platform']:8.1f} jobs/min  "
                  f"{r['jobs_per_min_platform'] / tp_base:5.2f}× {tp_name}")
        print("\n" + json.dumps({k: {m: round(v, 4) for m, v in r.items()} for k, r in results.items()}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
