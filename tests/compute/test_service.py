"""Jobs through the platform: quote → hold → run on a real engine → charge → bill with subsidy.

Prices are chosen so the arithmetic is visible: 3,600 fen per core-hour = 1 fen per core-second,
so a 1-CPU job that ran for ``s`` seconds costs exactly ``ceil(s)`` fen.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import approved_quota, make_world
from yuzhi.audit.models import AuditEvent
from yuzhi.compute import service
from yuzhi.compute.backends import JobState
from yuzhi.compute.models import ComputeAccount, ComputeJob
from yuzhi.compute.pricing import CST
from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, JobIn, RateCardIn
from yuzhi.compute.store import ArtifactStore
from yuzhi.db import transaction
from yuzhi.errors import DomainError, Forbidden, InvalidInput, NotFound
from yuzhi.vouchers.models import Bill
from yuzhi.workflows import compute_billing as flows

PY = sys.executable
# ~0.5 s of CPU, then a pause so the job lasts well over a second: Slurm's ElapsedRaw is whole seconds,
# and a job metered at 0 s costs 0 fen and (rightly) produces no bill, which made the bill test flaky.
BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\ntime.sleep(1.0)\nprint('done')"


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


def setup_world(engine, tmp_path, *, kind="local", policy="charged", budget=100_000, config=None):
    with transaction(engine) as s:
        w = make_world(s, units=2)
        prov = w.provider
        if config is None:
            config = {"state_dir": str(tmp_path / "local-jobs")} if kind == "local" else {}
        service.connect(s, actor=w.admin, provider_id=w.provider_id, endpoint_in=EndpointIn(kind=kind, config=config))
        service.publish_capacity(s, actor=prov, provider_id=w.provider_id, capacity_in=CapacityIn(
            nodes=1, cores=2, memory_gb=8, max_cpus_per_job=2, max_mem_mb_per_job=4096))
        service.publish_rate_card(s, actor=prov, provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=3600, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1),
            failed_policy=policy))
        for unit in w.units:
            service.set_budget(s, actor=unit, org_id=unit.org_id, budget_in=BudgetIn(budget_fen=budget))
        service.register_app(s, actor=w.admin, app_in=AppIn(name="py", argv=["{python}", "-c"]))
        approved_quota(s, w, 0, 1_000_00, contract="C-1")  # quota 200.00 yuan with this provider
    return w


def submit(engine, w, store, code, unit=0, **kw):
    with transaction(engine) as s:
        job = service.submit_job(s, actor=w.units[unit], job_in=JobIn(kind="app", app="py", args=[code], **kw),
                                 store=store, estimate_subsidy=flows.estimate_subsidy)
        return job.id


def run_until_done(engine, store, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.tick(engine, store=store, biller=flows.bill_job)
        with transaction(engine) as s:
            job = s.get(ComputeJob, job_id)
            if job.status in ("succeeded", "failed", "cancelled"):
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status}")


def account(engine, org_id):
    with transaction(engine) as s:
        a = s.scalar(select(ComputeAccount).where(ComputeAccount.org_id == org_id))
        return a.budget_fen, a.held_fen, a.spent_fen


@pytest.mark.parametrize("kind", ["local", "slurm"])
def test_job_runs_meters_charges_and_bills(engine, tmp_path, store, kind, slurm_skip_reason):
    if kind == "slurm" and slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    w = setup_world(engine, tmp_path, kind=kind)
    job_id = submit(engine, w, store, BURN, mem_mb=512, time_limit_s=120)
    # quote: (2 min + 1) × 60 s × 1 CPU × 1 fen/s = 180 fen, held at once
    assert account(engine, w.unit_orgs[0]) == (100_000, 180, 0)
    job = run_until_done(engine, store, job_id)
    metered = {k: getattr(job, k) for k in ("status", "reason", "backend_state", "exit_code", "elapsed_s", "cpu_s",
                                            "alloc_cpus", "alloc_mem_bytes", "price_fen", "charge_fen")}
    assert job.status == "succeeded" and job.exit_code == 0, metered
    assert job.alloc_cpus == 1 and job.alloc_mem_bytes == 512 * 2**20, metered
    assert job.cpu_s >= 0.45, metered
    seconds = -(-job.elapsed_s // 1)  # whole seconds, rounded up
    assert job.price_fen == job.charge_fen == int(seconds), metered
    assert account(engine, w.unit_orgs[0]) == (100_000, 0, job.charge_fen)  # hold released, charge spent
    if kind == "slurm":  # the metered figures are Slurm's own accounting, verbatim
        import subprocess

        out = subprocess.run(["sacct", "-j", job.external_id, "-X", "-n", "-P", "-o", "ElapsedRaw,AllocTRES"],
                             capture_output=True, text=True, check=True).stdout.strip()
        elapsed_raw, tres = out.split("|")
        assert job.elapsed_s == float(elapsed_raw), (out, metered)
        assert "cpu=1" in tres.split(",") and "mem=512M" in tres.split(","), (out, metered)
    with transaction(engine) as s:
        bill = s.get(Bill, job.bill_id)
        assert bill.invoice_no == f"YZJOB-{job_id}" and bill.source == "compute-job"
        assert bill.amount_fen == job.charge_fen
        assert bill.subsidy_fen == job.charge_fen * 2000 // 10000 == job.subsidy_fen
        assert job.expected_subsidy_fen == 180 * 2000 // 10000  # 36 fen expected on the quote
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(job_id))))
        assert {"compute.job.submit", "compute.job.dispatch", "compute.job.finish"} <= actions
        log = service.job_log(s, actor=w.units[0], job_id=job_id, store=store)
    assert "done" in log


@pytest.fixture(params=["local", "slurm"])
def kind(request, slurm_skip_reason):
    if request.param == "slurm" and slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    return request.param


def test_failed_job_is_free_under_free_policy(engine, tmp_path, store, kind):
    """Hold released on failure: nothing charged, nothing billed."""
    w = setup_world(engine, tmp_path, policy="free", kind=kind)
    job = run_until_done(engine, store, submit(engine, w, store, "import sys, time; time.sleep(1.2); sys.exit(4)"))
    assert (job.status, job.exit_code, job.reason) == ("failed", 4, "exit code 4")
    assert job.charge_fen == 0 and job.price_fen >= 1 and job.bill_id is None
    assert account(engine, w.unit_orgs[0]) == (100_000, 0, 0)


def test_failed_job_is_charged_under_charged_policy(engine, tmp_path, store):
    w = setup_world(engine, tmp_path, policy="charged")
    job = run_until_done(engine, store, submit(engine, w, store, "import sys, time; time.sleep(1.2); sys.exit(4)"))
    assert job.status == "failed" and job.charge_fen == job.price_fen >= 1 and job.bill_id is not None


def test_timeout_is_failed_with_reason(engine, tmp_path, store):
    w = setup_world(engine, tmp_path)
    job = run_until_done(engine, store, submit(engine, w, store, "import time; time.sleep(30)", time_limit_s=1))
    assert (job.status, job.backend_state, job.reason) == ("failed", "timeout", "time limit of 1 s reached")


def test_cancel_queued_releases_hold(engine, tmp_path, store):
    w = setup_world(engine, tmp_path)
    job_id = submit(engine, w, store, "print(1)")
    with transaction(engine) as s:
        job = service.cancel_job(s, actor=w.units[0], job_id=job_id)
        assert job.status == "cancelled"
    assert account(engine, w.unit_orgs[0]) == (100_000, 0, 0)


def test_cancel_running_charges_time_used(engine, tmp_path, store, kind):
    w = setup_world(engine, tmp_path, kind=kind)
    job_id = submit(engine, w, store, "import time; time.sleep(60)")
    deadline = time.monotonic() + 30
    while True:
        service.tick(engine, store=store)
        with transaction(engine) as s:
            if s.get(ComputeJob, job_id).status == "running":
                break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with transaction(engine) as s:
        service.cancel_job(s, actor=w.units[0], job_id=job_id)
    job = run_until_done(engine, store, job_id)
    assert job.status == "cancelled" and job.elapsed_s < 30
    assert job.charge_fen == -(-job.elapsed_s // 1)


def test_budget_is_never_exceeded_by_concurrent_submissions(engine, tmp_path, store):
    # each quote: (1 + 1) min × 60 s × 1 fen/s = 120 fen; budget 600 fen fits exactly 5
    w = setup_world(engine, tmp_path, budget=600)

    def one(i):
        try:
            return submit(engine, w, store, f"print({i})", time_limit_s=60) and "ok"
        except DomainError as exc:
            return exc.field

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(one, range(16)))
    assert outcomes.count("ok") == 5 and outcomes.count("budget") == 11
    assert account(engine, w.unit_orgs[0]) == (600, 600, 0)


def test_restart_between_submit_and_commit_does_not_run_twice(engine, tmp_path, store, kind):
    """The engine accepted the job but the platform died before recording it."""
    w = setup_world(engine, tmp_path, kind=kind)
    job_id = submit(engine, w, store, "print('ran once')")
    with transaction(engine) as s:
        job = s.get(ComputeJob, job_id)
        backend = service.backend_for(service.get_endpoint(s, provider_id=job.provider_id))
        early = backend.submit(service._spec(job, store))  # ... and the commit never happens
    job = run_until_done(engine, store, job_id)  # a fresh worker pass
    assert job.external_id == early
    with transaction(engine) as s:
        assert service.job_log(s, actor=w.units[0], job_id=job_id, store=store).count("ran once") == 1


def test_backend_down_queues_with_reason_then_recovers(engine, tmp_path, store):
    w = setup_world(engine, tmp_path, kind="slurm", config={"bin_dir": str(tmp_path / "no-slurm")})
    job_id = submit(engine, w, store, "print('later')")
    report = service.tick(engine, store=store)
    assert report.unavailable == {w.provider_id: "Slurm command 'sinfo' not found"}
    with transaction(engine) as s:
        job = s.get(ComputeJob, job_id)
        assert job.status == "queued"
        assert job.reason == "waiting: provider unavailable (Slurm command 'sinfo' not found)"
        service.connect(s, actor=w.admin, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="local", config={"state_dir": str(tmp_path / "lj")}))
    assert run_until_done(engine, store, job_id).status == "succeeded"


def test_outputs_are_collected_into_the_store(engine, tmp_path, store):
    w = setup_world(engine, tmp_path)
    data = store.put_bytes(b"3\n4\n", name="nums.txt", owner=service.owner_key(w.units[0]))
    code = ("s = sum(int(x) for x in open('inputs/nums.txt'));"
            "open('outputs/sum.txt', 'w').write(str(s))")
    job = run_until_done(engine, store, submit(engine, w, store, code, inputs={"nums.txt": data.sha256}))
    outs = json.loads(job.outputs_json)
    assert [(o["name"], o["size"]) for o in outs] == [("sum.txt", 1)]
    assert store.read_bytes(outs[0]["sha256"]) == b"7"


def test_cheapest_eligible_provider_and_explicit_choice(session, tmp_path):
    w = make_world(session, units=1)
    from tests.factories import code as uscc
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate
    from yuzhi.providers import service as registry
    from yuzhi.providers.models import Criterion
    from yuzhi.providers.schemas import ProviderCreate

    org2 = accounts.register_org(session, actor=SYSTEM, org_in=OrgCreate(uscc=uscc(998), name="智算中心",
                                                                         kind=OrgKind.ENTERPRISE))
    p2 = registry.whitelist(session, actor=w.admin, provider_in=ProviderCreate(
        org_id=org2.id, name="郑州智算中心", criterion=Criterion.AI_COMPUTING_100PF,
        valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
    for pid, price in ((w.provider_id, 100), (p2.id, 80)):
        service.connect(session, actor=w.admin, provider_id=pid,
                        endpoint_in=EndpointIn(kind="local", config={"state_dir": str(tmp_path)}))
        service.publish_capacity(session, actor=w.admin, provider_id=pid, capacity_in=CapacityIn(
            nodes=1, cores=8, memory_gb=8, max_cpus_per_job=8 if pid == w.provider_id else 4,
            max_mem_mb_per_job=4096))
        service.publish_rate_card(session, actor=w.admin, provider_id=pid, card_in=RateCardIn(
            core_hour_fen=price, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1)))
    day = date(2026, 5, 1)
    # 4 CPUs, 1 h limit → (60 + 1) min: 4 × 61/60 × 80 = 325.33 → 325 fen at the cheaper centre
    c = service.choose(session, job_in=JobIn(kind="app", cpus=4, time_limit_s=3600), day=day)
    assert (c.provider.id, c.quote_fen) == (p2.id, 325)
    # 8 CPUs only fit the dearer centre: 8 × 61/60 × 100 = 813.33 → 813
    c = service.choose(session, job_in=JobIn(kind="app", cpus=8, time_limit_s=3600), day=day)
    assert (c.provider.id, c.quote_fen) == (w.provider_id, 813)
    with pytest.raises(InvalidInput, match=r"郑州智算中心 allows at most 4 CPUs per job \(8 requested\)"):
        service.choose(session, job_in=JobIn(kind="app", cpus=8, provider_id=p2.id), day=day)
    with pytest.raises(InvalidInput, match="no provider can run this job"):
        service.choose(session, job_in=JobIn(kind="app", cpus=16), day=day)
    with pytest.raises(NotFound, match="provider 999 not found"):
        service.choose(session, job_in=JobIn(kind="app", provider_id=999), day=day)
    with pytest.raises(NotFound, match="no rate card valid on 2025-06-01"):
        service.choose(session, job_in=JobIn(kind="app", provider_id=p2.id), day=date(2025, 6, 1))


def test_bad_submissions_write_nothing(engine, tmp_path, store):
    w = setup_world(engine, tmp_path, budget=100)

    def attempt(**kw):
        with transaction(engine) as s:
            service.submit_job(s, actor=w.units[0], job_in=JobIn(**kw), store=store)

    with pytest.raises(InvalidInput, match="quote of 180 fen exceeds the 100 fen left"):
        attempt(kind="app", app="py", args=["1"], time_limit_s=120)
    with pytest.raises(NotFound, match=r"input 'data\.csv' refers to artifact"):
        attempt(kind="app", app="py", args=["1"], time_limit_s=1, inputs={"data.csv": "a" * 64})
    with pytest.raises(NotFound, match="no registered app 'nope'"):
        attempt(kind="app", app="nope")
    with pytest.raises(InvalidInput, match=r"job kind 'crypto\.mine' is not available"):
        attempt(kind="crypto.mine")
    with pytest.raises(InvalidInput, match="allows at most 2 CPUs per job"):
        attempt(kind="app", app="py", cpus=3)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(ComputeJob)) == 0
        with pytest.raises(Forbidden):
            service.submit_job(s, actor=w.provider, job_in=JobIn(kind="app", app="py"), store=store)
    assert account(engine, w.unit_orgs[0]) == (100, 0, 0)
    assert not (store.root / "jobs").exists() or not any((store.root / "jobs").iterdir())


def test_rate_card_gap_is_refused(session):
    w = make_world(session, units=1)
    service.publish_rate_card(session, actor=w.provider, provider_id=w.provider_id, card_in=RateCardIn(
        core_hour_fen=1, gpu_hour_fen=1, mem_gb_hour_fen=1, valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30)))
    with pytest.raises(InvalidInput, match=r"gap: no card covers 2026-07-01\.\.2026-07-31"):
        service.publish_rate_card(session, actor=w.provider, provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=1, gpu_hour_fen=1, mem_gb_hour_fen=1, valid_from=date(2026, 8, 1)))
    with pytest.raises(Forbidden):
        service.publish_rate_card(session, actor=w.units[0], provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=1, gpu_hour_fen=1, mem_gb_hour_fen=1, valid_from=date(2026, 7, 1)))


def test_tenants_see_only_their_jobs(engine, tmp_path, store):
    w = setup_world(engine, tmp_path)
    job_id = submit(engine, w, store, "print(1)")
    with transaction(engine) as s:
        with pytest.raises(NotFound):
            service.get_job(s, actor=w.units[1], job_id=job_id)
        assert service.list_jobs(s, actor=w.units[1])[1] == 0
        assert service.list_jobs(s, actor=w.provider)[1] == 1
        assert service.get_job(s, actor=w.admin, job_id=job_id).id == job_id
        with pytest.raises(NotFound):
            service.get_account(s, actor=w.units[1], org_id=w.unit_orgs[0])


def test_worker_killed_mid_job_is_reconciled(engine, db_url, tmp_path, store, kind):
    """A worker process dispatches a job and is killed (SIGKILL) while it runs; a new worker
    finds the job's true outcome: one run, metered, charged and billed once."""
    import subprocess

    w = setup_world(engine, tmp_path, kind=kind)
    job_id = submit(engine, w, store, "import time; time.sleep(5); print('finished once')")
    code = (
        "import time\n"
        "from yuzhi.compute import service\n"
        "from yuzhi.workflows import compute_billing as flows\n"
        "from yuzhi.compute.store import ArtifactStore\n"
        "from yuzhi.db import make_engine\n"
        f"engine = make_engine({db_url!r})\n"
        f"store = ArtifactStore({str(store.root)!r})\n"
        "while True:\n"
        "    service.tick(engine, store=store, biller=flows.bill_job)\n"
        "    time.sleep(0.1)\n"
    )
    worker = subprocess.Popen([PY, "-c", code])
    try:
        # Kill the worker once it has dispatched the job and before the job ends.
        deadline = time.monotonic() + 60
        while True:
            with transaction(engine) as s:
                job = s.get(ComputeJob, job_id)
                status, eid = job.status, job.external_id
                backend = service.backend_for(service.get_endpoint(s, provider_id=job.provider_id))
            if eid is not None and backend.status(eid) in (JobState.PENDING, JobState.RUNNING):
                break  # dispatched, not finished: the engine has it, the platform has not seen it end
            assert status in ("queued", "submitted", "running"), f"job {status} before the worker was killed"
            assert worker.poll() is None, "the worker died on its own"
            assert time.monotonic() < deadline, f"job still {status} after 60 s"
            time.sleep(0.1)
    finally:
        worker.kill()
        worker.wait()
    job = run_until_done(engine, store, job_id)
    assert job.status == "succeeded" and job.bill_id is not None
    assert job.charge_fen == job.price_fen == -(-job.elapsed_s // 1) >= 2
    with transaction(engine) as s:
        assert service.job_log(s, actor=w.units[0], job_id=job_id, store=store).count("finished once") == 1
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.invoice_no == f"YZJOB-{job_id}")) == 1
    assert account(engine, w.unit_orgs[0]) == (100_000, 0, job.charge_fen)


def test_demo_seed_is_idempotent_and_ready_to_run(engine, tmp_path, store):
    from yuzhi.compute import demo

    with transaction(engine) as s:
        w = make_world(s, units=1)
        assert demo.seed(s, home=tmp_path, year=2026) == 1
        assert demo.seed(s, home=tmp_path, year=2026) == 0  # second run changes nothing
        assert [c.core_hour_fen for c in service.rate_cards(s, provider_id=w.provider_id)] == [10]
        job = service.submit_job(s, actor=w.units[0], store=store, job_in=JobIn(
            kind="app", app="python", args=["print('demo')"], time_limit_s=60))
        job_id = job.id
    assert run_until_done(engine, store, job_id).status == "succeeded"


def test_expected_subsidy_never_exceeds_the_quota_under_concurrency(engine, tmp_path, store):
    """Quota holds: the subsidy that active jobs expect never adds up past the unit's quota."""
    with transaction(engine) as s:
        w = make_world(s, units=1)
        service.connect(s, actor=w.admin, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="local", config={"state_dir": str(tmp_path / "lj")}))
        service.publish_capacity(s, actor=w.provider, provider_id=w.provider_id, capacity_in=CapacityIn(
            nodes=1, cores=2, memory_gb=8, max_cpus_per_job=2, max_mem_mb_per_job=4096))
        service.publish_rate_card(s, actor=w.provider, provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=3600, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1)))
        service.set_budget(s, actor=w.units[0], org_id=w.unit_orgs[0], budget_in=BudgetIn(budget_fen=100_000))
        service.register_app(s, actor=w.admin, app_in=AppIn(name="py", argv=["{python}", "-c"]))
        approved_quota(s, w, 0, 1_000_00, contract="C-1", amount_fen=50)  # quota: 50 fen

    # each quote 120 fen expects 24 fen: 24 + 24 + 2 + 0 + ... = 50 whatever the interleaving
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: submit(engine, w, store, "1", time_limit_s=60), range(8)))
    with transaction(engine) as s:
        expected = sorted(s.get(ComputeJob, i).expected_subsidy_fen for i in ids)
    assert expected == [0, 0, 0, 0, 0, 2, 24, 24]


def test_worker_thread_runs_jobs_until_stopped(engine, tmp_path, store):
    from yuzhi.compute import worker

    w = setup_world(engine, tmp_path)
    job_id = submit(engine, w, store, "print('threaded')")
    thread, stop = worker.start_in_thread(engine, interval=0.1, store=store)
    try:
        deadline = time.monotonic() + 30
        while True:
            with transaction(engine) as s:
                if s.get(ComputeJob, job_id).status == "succeeded":
                    break
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_typed_jobs_chain_monitor_fit_then_detect(engine, tmp_path, store):
    """A typed AI job (monitor.fit) trains a model; its model.zip output feeds monitor.detect."""
    w = setup_world(engine, tmp_path)
    rows = ["timestamp,temp,pressure"] + [
        f"2026-01-01T00:{i // 60:02d}:{i % 60:02d},{20 + (i * 7919 % 13) / 13:.3f},{5 + (i * 104729 % 7) / 70:.3f}"
        for i in range(120)]
    normal = store.put_bytes(("\n".join(rows) + "\n").encode(), owner=service.owner_key(w.units[0]))
    with transaction(engine) as s:
        fit_id = service.submit_job(s, actor=w.units[0], store=store, job_in=JobIn(
            kind="monitor.fit", inputs={"normal.csv": normal.sha256}, time_limit_s=300)).id
    fit = run_until_done(engine, store, fit_id, timeout=120)
    assert fit.status == "succeeded", fit.reason
    outs = {o["name"]: o["sha256"] for o in json.loads(fit.outputs_json)}
    assert "model.zip" in outs and "model/model.json" in outs
    data = store.put_bytes(("\n".join(rows[:1] + [r.replace(",20.", ",90.") for r in rows[1:30]]) + "\n").encode(),
                           owner=service.owner_key(w.units[0]))
    with transaction(engine) as s:
        det_id = service.submit_job(s, actor=w.units[0], store=store, job_in=JobIn(
            kind="monitor.detect", inputs={"model.zip": outs["model.zip"], "data.csv": data.sha256},
            time_limit_s=300)).id
    det = run_until_done(engine, store, det_id, timeout=120)
    assert det.status == "succeeded", det.reason
    scores = {o["name"]: o["sha256"] for o in json.loads(det.outputs_json)}["scores.csv"]
    lines = store.read_bytes(scores).decode().splitlines()
    assert lines[0] == "timestamp,score,anomaly,top_sensor" and len(lines) == 30
    with transaction(engine) as s, pytest.raises(InvalidInput, match="input 'normal' is required"):
        service.submit_job(s, actor=w.units[0], store=store, job_in=JobIn(kind="monitor.fit"))


def test_provider_operators_cannot_point_the_platform_at_arbitrary_paths(session, tmp_path):
    w = make_world(session, units=1)
    ok = service.connect(session, actor=w.provider, provider_id=w.provider_id,
                         endpoint_in=EndpointIn(kind="slurm", config={"partition": "gpu", "account": "a"}))
    assert ok.kind == "slurm"
    with pytest.raises(Forbidden, match="config keys bin_dir are set by an office administrator"):
        service.connect(session, actor=w.provider, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="slurm", config={"bin_dir": str(tmp_path)}))
    with pytest.raises(Forbidden, match="connects the platform's own machine"):
        service.connect(session, actor=w.provider, provider_id=w.provider_id, endpoint_in=EndpointIn(kind="local"))
    with pytest.raises(InvalidInput, match="bad slurm configuration"):
        service.connect(session, actor=w.admin, provider_id=w.provider_id,
                        endpoint_in=EndpointIn(kind="slurm", config={"colour": "red"}))


def test_job_billed_later_when_the_programme_year_opens(engine, tmp_path, store):
    """No programme for the job's year: the charge stands, the bill waits; re-billing posts it once."""
    w = setup_world(engine, tmp_path)
    with transaction(engine) as s:  # pretend the job ran in a year without a programme
        from yuzhi.vouchers.models import Programme

        s.get(Programme, 1).year = 2031
    job = run_until_done(engine, store, submit(engine, w, store, "import time; time.sleep(1.1)"))
    assert job.charge_fen >= 2 and job.bill_id is None and job.bill_status.startswith("not billed: there is no")
    with transaction(engine) as s:
        assert service.unbilled(s) == [job.id]
        s.get(Programme, 1).year = job.started_at.astimezone(CST).year
    with transaction(engine) as s:
        flows.bill_job(s, s.get(ComputeJob, job.id))
    with transaction(engine) as s:
        again = s.get(ComputeJob, job.id)
        assert again.bill_id is not None and again.bill_status.startswith("billed")
        assert service.unbilled(s) == []


def test_new_rate_card_supersedes_the_open_one_and_past_jobs_keep_their_price(engine, tmp_path, store):
    """Issue 20 item 1: a card from a date ends the open card; history is never re-priced."""
    w = setup_world(engine, tmp_path)
    done = run_until_done(engine, store, submit(engine, w, store, "print(1)"))
    assert done.status == "succeeded"
    today = service._today()
    card = {"core_hour_fen": 7200, "gpu_hour_fen": 0, "mem_gb_hour_fen": 0}
    with transaction(engine) as s, pytest.raises(InvalidInput, match=rf"job {done.id} started on {today}") as err:
        service.publish_rate_card(s, actor=w.provider, provider_id=w.provider_id,
                                  card_in=RateCardIn(**card, valid_from=today))
    assert str(today + timedelta(days=1)) in err.value.fix
    with transaction(engine) as s:
        service.publish_rate_card(s, actor=w.provider, provider_id=w.provider_id,
                                  card_in=RateCardIn(**card, valid_from=today + timedelta(days=1)))
    with transaction(engine) as s:
        cards = service.rate_cards(s, provider_id=w.provider_id)
        assert [(c.valid_from, c.valid_to, c.core_hour_fen) for c in cards] == [
            (date(2026, 1, 1), today, 3600), (today + timedelta(days=1), None, 7200)]
        job = s.get(ComputeJob, done.id)
        assert (job.rate_card_id, job.charge_fen) == (cards[0].id, done.charge_fen)
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("compute.rate_card%"))))
        assert actions.count("compute.rate_card.end") == 1 and actions.count("compute.rate_card") == 2


def test_monthly_invoice_bills_a_units_jobs_once_with_one_subsidy(engine, tmp_path, store):
    """Issue 20 item 2: small jobs on one invoice; minimum charge and increment from the rate card."""
    from yuzhi.compute import invoices
    from yuzhi.compute.models import RateCardRow

    w = setup_world(engine, tmp_path)
    with transaction(engine) as s:
        card = s.scalar(select(RateCardRow).where(RateCardRow.provider_id == w.provider_id))
        card.billing_period, card.min_charge_fen, card.min_increment_s = "month", 3, 60
    ids = [submit(engine, w, store, "print(1)") for _ in range(3)]
    jobs = [run_until_done(engine, store, i) for i in ids]
    # 1 CPU at 3600 fen/core-h: a sub-second job is billed one 60 s increment = 60 fen (≥ the 3 fen floor)
    assert [(j.status, j.charge_fen, j.bill_id) for j in jobs] == [("succeeded", 60, None)] * 3
    assert all("monthly billing" in j.bill_status for j in jobs)
    month = jobs[0].started_at.astimezone(CST).strftime("%Y-%m")
    with transaction(engine) as s:
        assert service.unbilled(s) == []  # monthly jobs are not re-billed one by one
        res = invoices.invoice_month(s, actor=w.admin, provider_id=w.provider_id, month=month,
                                     record_bill=flows.record_usage_bill)
    assert len(res) == 1 and res[0].job_ids == ids and res[0].amount_fen == 180 and not res[0].problem
    with transaction(engine) as s:
        bill = s.get(Bill, res[0].bill_id)
        assert bill.amount_fen == 180 and bill.subsidy_fen == res[0].subsidy_fen and len(bill.lines) == 3
        done = [s.get(ComputeJob, i) for i in ids]
        assert {j.bill_id for j in done} == {bill.id}
        assert sum(j.subsidy_fen for j in done) == bill.subsidy_fen
        # replay: nothing pending any more, nothing billed twice
        assert invoices.invoice_month(s, actor=w.admin, provider_id=w.provider_id, month=month,
                                      record_bill=flows.record_usage_bill) == []
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.invoice_no.like("YZCM-%"))) == 1
        with pytest.raises(Forbidden):
            invoices.invoice_month(s, actor=w.units[0], provider_id=w.provider_id, month=month,
                                   record_bill=flows.record_usage_bill)
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            invoices.invoice_month(s, actor=w.admin, provider_id=w.provider_id, month="11/2026",
                                   record_bill=flows.record_usage_bill)


def test_slurm_jobs_run_under_a_per_unit_account(engine, tmp_path, store, slurm_skip_reason):
    """Issue 20 item 3: a Slurm account (association) per unit, created with sacctmgr, jobs under it."""
    import subprocess

    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    prefix = f"yzt{int(time.time()) % 100000}_"
    w = setup_world(engine, tmp_path, kind="slurm", config={"unit_accounts": True, "account_prefix": prefix})
    job = run_until_done(engine, store, submit(engine, w, store, "print(1)", unit=1))
    assert job.status == "succeeded", job.reason
    account = f"{prefix}u{w.units[1].org_id}"
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job.external_id, "-o", "Account"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == account
    with transaction(engine) as s:
        backend = service.backend_for(service.get_endpoint(s, provider_id=w.provider_id))
    assert account in backend.accounts()
    subprocess.run(["sacctmgr", "-i", "delete", "account", account], capture_output=True, check=False)


def test_reconcile_with_sacct_finds_every_difference(engine, tmp_path, store, slurm_skip_reason):
    """Issue 20 item 6: platform jobs vs the centre's sacct for a month, priced by Slurm Start."""
    import subprocess

    from yuzhi.compute import reconcile

    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    w = setup_world(engine, tmp_path, kind="slurm")
    job = run_until_done(engine, store, submit(engine, w, store, "print(1)"))
    assert job.status == "succeeded"
    month = job.started_at.astimezone(CST).strftime("%Y-%m")
    stray = subprocess.run(["sbatch", "--parsable", "--job-name=yz-not-ours", f"--chdir={tmp_path}",
                            "--output=/dev/null", "--wrap", "true"], capture_output=True, text=True, check=True)
    stray_id = stray.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 30
    with transaction(engine) as s:
        backend = service.backend_for(service.get_endpoint(s, provider_id=w.provider_id))
    window = (job.started_at - timedelta(days=1), job.started_at + timedelta(days=1))
    while stray_id not in backend.accounting(*window) and time.monotonic() < deadline:
        time.sleep(0.5)  # a time-window sacct lists a job a moment after `sacct -j` does
    with transaction(engine) as s:
        rep = reconcile.reconcile(s, actor=w.admin, provider_id=w.provider_id, month=month, backend=backend)
        mine = [d for d in rep.differences if d.job_id == job.id]
        assert mine == [], mine  # the platform matches sacct to the fen
        assert ("missing on platform", stray_id) in {(d.kind, d.external_id) for d in rep.differences}
        s.get(ComputeJob, job.id).price_fen += 1  # a platform that priced wrong is caught
        s.flush()
        rep = reconcile.reconcile(s, actor=w.admin, provider_id=w.provider_id, month=month, backend=backend)
        assert ("price differs", job.id, "price_fen") in {(d.kind, d.job_id, d.field) for d in rep.differences}
        assert reconcile.to_xlsx(rep)[:2] == b"PK"
        s.rollback()
        with pytest.raises(NotFound):
            reconcile.reconcile(s, actor=w.units[0], provider_id=w.provider_id, month=month, backend=backend)


def test_mpi_job_is_quoted_and_priced_on_its_whole_allocation(engine, tmp_path, store, slurm_skip_reason):
    """Issue 20 item 4 (one node here): ntasks × cpus-per-task under srun, quote and price on the total."""
    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    w = setup_world(engine, tmp_path, kind="slurm")
    with transaction(engine) as s, pytest.raises(InvalidInput, match=r"at most 2 CPUs per job \(3 requested\)"):
        service.submit_job(s, actor=w.units[0], job_in=JobIn(kind="app", app="py", args=["print(1)"], ntasks=3),
                           store=store)
    with transaction(engine) as s, pytest.raises(InvalidInput, match=r"has 1 node\(s\) \(2 requested\)"):
        service.submit_job(s, actor=w.units[0], job_in=JobIn(kind="app", app="py", args=["print(1)"], nodes=2),
                           store=store)
    one = submit(engine, w, store, "print(1)", mem_mb=256, time_limit_s=60)
    two = submit(engine, w, store, "import os; print(os.environ['SLURM_PROCID'])", mem_mb=256, time_limit_s=60,
                 ntasks=2, launcher="srun")
    with transaction(engine) as s:
        q1, q2 = s.get(ComputeJob, one).quote_fen, s.get(ComputeJob, two).quote_fen
    assert q2 == 2 * q1  # 2 tasks × 1 CPU, memory per node unchanged (priced at 0 here)
    job = run_until_done(engine, store, two)
    assert job.status == "succeeded" and job.alloc_cpus == 2, job.reason
    assert job.price_fen == job.elapsed_s * 2  # 3600 fen per core-hour = 1 fen per core-second
    with transaction(engine) as s:
        log = service.job_log(s, actor=w.units[0], job_id=two, store=store)
    assert sorted(log.split()) == ["0", "1"]
