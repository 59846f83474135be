"""Multi-node and GPU jobs on the real test cluster of several slurmd (issue 20 item 4).

``.ci/setup-slurm.sh`` starts, beside the machine's own node, two more ``slurmd`` (``yzn1``,
``yzn2``: their own ports) in partition ``multi``, each with two configured ``a100`` GPUs from a
``gres.conf``. These tests skip (with the reason) where that partition is absent. Every price is
recomputed here from ``sacct``'s own AllocTRES and ElapsedRaw, not from what the platform stored.
"""

from __future__ import annotations

import math
import subprocess
import time
import uuid
from datetime import date
from fractions import Fraction

import pytest

from tests.factories import approved_quota, make_world
from yuzhi.compute import service
from yuzhi.compute.backends import JobSpec, JobState, make_backend
from yuzhi.compute.backends.slurm import parse_size, parse_tres
from yuzhi.compute.models import ComputeJob
from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, JobIn, RateCardIn
from yuzhi.compute.store import ArtifactStore
from yuzhi.db import transaction
from yuzhi.errors import InvalidInput
from yuzhi.workflows import compute_billing as flows

PARTITION = "multi"
CORE_H, GPU_H, MEM_GBH = 3600, 7200, 360  # fen per hour: 1 fen per core-s, 2 per GPU-s, 0.1 per GiB-s


@pytest.fixture(scope="module")
def multi(slurm_skip_reason: str | None) -> None:
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    out = subprocess.run(["sinfo", "-h", "-p", PARTITION, "-N", "-o", "%N %t %G"], capture_output=True, text=True,
                         check=False).stdout.split("\n")
    nodes = [line.split() for line in out if line.strip()]
    if len(nodes) < 2 or not all(n[1] in ("idle", "mix", "alloc") and "gpu" in n[2] for n in nodes):
        pytest.skip(f"no partition {PARTITION!r} with ≥ 2 usable GPU nodes; run .ci/setup-slurm.sh")


def _sacct_job(eid: str) -> tuple[int, dict[str, str]]:
    """ElapsedRaw and AllocTRES of the job line, read with the Slurm CLI itself."""
    line = subprocess.run(["sacct", "-n", "-X", "-P", "-j", eid, "-o", "ElapsedRaw,AllocTRES"], capture_output=True,
                          text=True, check=True).stdout.strip().splitlines()[0]
    elapsed, tres = line.split("|")
    return int(elapsed), parse_tres(tres)


def _price_from_sacct(eid: str) -> int:
    elapsed, tres = _sacct_job(eid)
    exact = Fraction(elapsed, 3600) * (int(tres["cpu"]) * CORE_H + int(tres.get("gres/gpu", 0)) * GPU_H
                                       + Fraction(parse_size(tres["mem"], "M"), 2**30) * MEM_GBH)
    return math.floor(exact)


def _wait_final(backend, eid: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        usage = backend.usage(eid)
        if usage.state.is_terminal:
            return usage
        time.sleep(0.2)
    raise AssertionError(f"job {eid} did not finish: {backend.usage(eid)}")


def test_two_node_srun_job_runs_on_both_nodes_and_is_metered(multi, tmp_path):
    tmp_path.chmod(0o755)
    backend = make_backend("slurm", {"partition": PARTITION})
    spec = JobSpec(token=f"t-{uuid.uuid4().hex[:16]}", name="mpi", workdir=tmp_path, nodes=2, ntasks=2, cpus=1,
                   mem_mb=300, launcher="srun", argv=("/bin/sh", "-c", "echo $SLURM_PROCID $SLURMD_NODENAME"))
    eid = backend.submit(spec)
    usage = _wait_final(backend, eid)
    assert usage.state == JobState.SUCCEEDED, usage
    _, tres = _sacct_job(eid)
    assert tres["node"] == "2"
    assert (usage.alloc_cpus, usage.alloc_mem_bytes) == (2, 2 * 300 * 2**20)  # memory is per node
    lines = sorted(spec.log_path.read_text().split("\n")[:2])
    assert lines == ["0 yzn1", "1 yzn2"]


def test_gpu_job_is_metered_from_alloc_tres(multi, tmp_path):
    tmp_path.chmod(0o755)
    backend = make_backend("slurm", {"partition": PARTITION})
    spec = JobSpec(token=f"t-{uuid.uuid4().hex[:16]}", name="gpu", workdir=tmp_path, gpus=2, gpu_type="a100",
                   mem_mb=128, argv=("/bin/sh", "-c", "echo gpus=$SLURM_JOB_GPUS"))
    eid = backend.submit(spec)
    usage = _wait_final(backend, eid)
    assert usage.state == JobState.SUCCEEDED, usage
    assert usage.alloc_gpus == 2 and _sacct_job(eid)[1]["gres/gpu"] == "2"
    with pytest.raises(InvalidInput, match="Slurm refused"):  # no node has an h100: refused, not pending
        backend.submit(JobSpec(token=f"t-{uuid.uuid4().hex[:16]}", name="gpu", workdir=tmp_path, gpus=1,
                               gpu_type="h100", argv=("true",)))


def _world(engine, tmp_path):  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        w = make_world(s, units=1)
        service.connect(s, actor=w.admin, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="slurm", config={"partition": PARTITION}))
        service.publish_capacity(s, actor=w.provider, provider_id=w.provider_id, capacity_in=CapacityIn(
            nodes=2, cores=4, gpus=4, memory_gb=4, max_cpus_per_job=4, max_gpus_per_job=4, max_mem_mb_per_job=4096))
        service.publish_rate_card(s, actor=w.provider, provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=CORE_H, gpu_hour_fen=GPU_H, mem_gb_hour_fen=MEM_GBH, valid_from=date(2026, 1, 1)))
        service.set_budget(s, actor=w.units[0], org_id=w.units[0].org_id, budget_in=BudgetIn(budget_fen=100_000))
        service.register_app(s, actor=w.admin, app_in=AppIn(name="py", argv=["{python}", "-c"]))
        approved_quota(s, w, 0, 1_000_00, contract="C-1")
    return w


def _run(engine, store, w, **kw) -> ComputeJob:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        job_id = service.submit_job(s, actor=w.units[0], job_in=JobIn(kind="app", app="py", time_limit_s=120, **kw),
                                    store=store, estimate_subsidy=flows.estimate_subsidy).id
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        service.tick(engine, store=store, biller=flows.bill_job)
        with transaction(engine) as s:
            job = s.get(ComputeJob, job_id)
            if job.status in ("succeeded", "failed", "cancelled"):
                s.expunge(job)
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.parametrize("shape", [
    {"nodes": 2, "ntasks": 2, "cpus": 1, "mem_mb": 256, "launcher": "srun"},  # MPI-style, one task per node
    {"gpus": 1, "gpu_type": "a100", "nodes": 2, "ntasks": 2, "mem_mb": 256, "launcher": "srun"},  # GPUs per node
    {"gpus": 2, "gpu_type": "a100", "cpus": 2, "mem_mb": 512},  # one node, both its GPUs
])
def test_platform_prices_multi_node_and_gpu_jobs_from_sacct(multi, engine, tmp_path, shape):
    """Quote on the whole request, price = sacct's AllocTRES × ElapsedRaw at the card, to the fen."""
    store = ArtifactStore(tmp_path / "artifacts")
    w = _world(engine, tmp_path)
    burn = "import time; time.sleep(1.5); print('ok')"
    job = _run(engine, store, w, args=[burn], **shape)
    assert job.status == "succeeded", job.reason
    nodes = shape.get("nodes", 1)
    gpus = shape.get("gpus", 0) * nodes
    cpus = shape.get("cpus", 1) * shape.get("ntasks", 1)
    assert (job.alloc_cpus, job.alloc_gpus, job.alloc_mem_bytes) == (cpus, gpus, shape["mem_mb"] * nodes * 2**20)
    assert job.elapsed_s >= 1
    assert job.price_fen == job.charge_fen == _price_from_sacct(job.external_id)
    # the quote covers the limit in whole minutes plus one (Slurm's granularity): 120 s → 180 s
    assert job.quote_fen == math.floor(Fraction(180, 3600) * (cpus * CORE_H + gpus * GPU_H
                                                             + Fraction(shape["mem_mb"] * nodes, 1024) * MEM_GBH))
    assert job.bill_id is not None  # per-job billing: the voucher bill path got it
