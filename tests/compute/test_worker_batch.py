"""Jobs that finish together are closed in one transaction (issue 20 item 7), money unchanged.

Runs on ``local`` and the real Slurm (``kind`` fixture of test_service), SQLite or PostgreSQL.
"""

from __future__ import annotations

import time

from sqlalchemy import event, func, select

from tests.compute.test_service import account, kind, setup_world, store, submit  # noqa: F401 (fixtures)
from yuzhi.audit.models import AuditEvent
from yuzhi.compute import service
from yuzhi.compute.models import ComputeJob
from yuzhi.db import transaction
from yuzhi.workflows import compute_billing as flows

CODE = "import time; time.sleep(1.2); print('ok')"


def _wait_engine_done(engine, backend_of, ids, timeout=60):  # type: ignore[no-untyped-def]
    """Dispatch, then wait (without closing anything) until the engine reports every job final."""
    deadline = time.monotonic() + timeout
    service.tick(engine, store=backend_of["store"], biller=flows.bill_job)  # submits them
    with transaction(engine) as s:
        jobs = [s.get(ComputeJob, i) for i in ids]
        backend = service.backend_for(service.get_endpoint(s, provider_id=jobs[0].provider_id))
        eids = [j.external_id for j in jobs]
    assert all(eids), "not dispatched"
    while time.monotonic() < deadline:
        got = backend.usage_many(eids)
        if all(e in got and got[e].state.is_terminal for e in eids):
            return
        time.sleep(0.2)
    raise AssertionError("engine did not finish the jobs")


def test_jobs_finished_in_one_poll_close_in_one_pass(engine, tmp_path, store, kind):  # noqa: F811
    w = setup_world(engine, tmp_path, kind=kind)
    ids = [submit(engine, w, store, CODE, unit=u) for u in (0, 1, 0)]
    _wait_engine_done(engine, {"store": store}, ids)
    commits: list[int] = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        report = service.tick(engine, store=store, biller=flows.bill_job)
    finally:
        event.remove(engine, "commit", listener)
    assert report.finished == 3 and not report.errors, report
    assert len(commits) == 2  # the pass's read, then ONE transaction closing all three (was 1 + 3)
    with transaction(engine) as s:
        jobs = [s.get(ComputeJob, i) for i in ids]
        assert all(j.status == "succeeded" and j.hold_fen == 0 and j.bill_id is not None for j in jobs)
        assert all(j.charge_fen == j.price_fen == -(-j.elapsed_s // 1) for j in jobs)  # 1 fen per core-s
        finish_events = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "compute.job.finish", AuditEvent.entity_id.in_([str(i) for i in ids])))
        assert finish_events == 3
        spent = {org: sum(j.charge_fen for j in jobs if j.org_id == org) for org in w.unit_orgs}
    for org in w.unit_orgs:
        assert account(engine, org) == (100_000, 0, spent[org])
    assert service.tick(engine, store=store, biller=flows.bill_job).finished == 0  # nothing closed twice


def test_a_failing_job_rolls_the_batch_back_and_the_others_close_alone(engine, tmp_path, store, kind):  # noqa: F811
    """One bad job must neither block the others nor leave half a batch committed."""
    w = setup_world(engine, tmp_path, kind=kind)
    ids = [submit(engine, w, store, CODE) for _ in range(3)]
    _wait_engine_done(engine, {"store": store}, ids)
    calls: list[int] = []

    def biller(session, job):  # type: ignore[no-untyped-def]
        calls.append(job.id)
        if job.id == ids[1]:
            raise RuntimeError("bill service down for this one")
        flows.bill_job(session, job)

    report = service.tick(engine, store=store, biller=biller)
    assert report.finished == 2 and set(report.errors or {}) == {ids[1]}, report
    with transaction(engine) as s:
        bad = s.get(ComputeJob, ids[1])
        assert bad.status == "running" or bad.status == "submitted"  # untouched: its hold still held
        assert bad.hold_fen > 0 and bad.charge_fen == 0
        assert all(s.get(ComputeJob, i).bill_id is not None for i in (ids[0], ids[2]))
    report = service.tick(engine, store=store, biller=flows.bill_job)  # the service is back
    assert report.finished == 1
    with transaction(engine) as s:
        assert s.get(ComputeJob, ids[1]).bill_id is not None
        assert s.scalar(select(func.count()).select_from(ComputeJob).where(
            ComputeJob.id.in_(ids), ComputeJob.bill_id.is_not(None))) == 3
    assert account(engine, w.unit_orgs[0])[1] == 0  # every hold released, once


def test_a_pass_over_unchanged_jobs_opens_no_transaction_per_job(engine, tmp_path, store, kind):  # noqa: F811
    w = setup_world(engine, tmp_path, kind=kind)
    ids = [submit(engine, w, store, "import time; time.sleep(30)") for _ in range(2)]  # both fit the 2 CPUs
    deadline = time.monotonic() + 30
    while True:  # dispatch, then until all three are recorded running
        service.tick(engine, store=store, biller=flows.bill_job)
        with transaction(engine) as s:
            if all(s.get(ComputeJob, i).status == "running" for i in ids):
                break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # The pass's read only (was 1 + one per running job), also while sacct still reads PENDING for
    # a job squeue showed running (slurmdbd's start record lags: seen here).
    passes = [_commits_of_one_tick(engine, store) for _ in range(3)]
    assert [(r.changed, r.active, n) for r, n in passes] == [(0, 2, 1)] * 3, passes
    with transaction(engine) as s:
        for i in ids:
            service.cancel_job(s, actor=w.units[0], job_id=i)
    service.tick(engine, store=store, biller=flows.bill_job)  # a cancellation is never skipped
    with transaction(engine) as s:
        assert all(s.get(ComputeJob, i).cancel_requested for i in ids)
    deadline = time.monotonic() + 60
    while service.tick(engine, store=store, biller=flows.bill_job).active:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with transaction(engine) as s:
        assert {s.get(ComputeJob, i).status for i in ids} == {"cancelled"}
    assert account(engine, w.unit_orgs[0])[1] == 0


def _commits_of_one_tick(engine, artifacts):  # type: ignore[no-untyped-def]
    commits: list[int] = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        report = service.tick(engine, store=artifacts, biller=flows.bill_job)
    finally:
        event.remove(engine, "commit", listener)
    return report, len(commits)


def test_queued_jobs_are_dispatched_in_one_transaction(engine, tmp_path, store, kind):  # noqa: F811
    w = setup_world(engine, tmp_path, kind=kind)
    ids = [submit(engine, w, store, "print(1)", unit=u) for u in (0, 1, 0)]
    report, commits = _commits_of_one_tick(engine, store)
    assert report.dispatched == 3 and commits == 2, (report, commits)  # the read, then one for all three
    with transaction(engine) as s:
        jobs = [s.get(ComputeJob, i) for i in ids]
        assert all(j.status in ("submitted", "running") and j.external_id for j in jobs)
        assert len({j.external_id for j in jobs}) == 3
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "compute.job.dispatch", AuditEvent.entity_id.in_([str(i) for i in ids]))) == 3
    deadline = time.monotonic() + 60
    while service.tick(engine, store=store, biller=flows.bill_job).active:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with transaction(engine) as s:
        assert {s.get(ComputeJob, i).status for i in ids} == {"succeeded"}


def test_a_refused_job_ends_the_dispatch_batch_and_is_reported_alone(engine, tmp_path, store):  # noqa: F811
    """local refuses multi-task jobs at submission: the batch keeps what it submitted, the rest go alone."""
    w = setup_world(engine, tmp_path, kind="local")
    ok1 = submit(engine, w, store, "print(1)")
    bad = submit(engine, w, store, "print(2)", ntasks=2)
    ok2 = submit(engine, w, store, "print(3)")
    report, _ = _commits_of_one_tick(engine, store)
    assert report.dispatched == 2 and set(report.errors or {}) == {bad}, report
    assert "single-task" in report.errors[bad]
    with transaction(engine) as s:
        assert s.get(ComputeJob, bad).status == "queued" and s.get(ComputeJob, bad).hold_fen > 0
        assert s.get(ComputeJob, ok1).external_id and s.get(ComputeJob, ok2).external_id


def test_dispatch_batch_rolled_back_after_sbatch_never_runs_a_job_twice(engine, tmp_path, store, monkeypatch,  # noqa: F811
                                                                        slurm_skip_reason):
    """The batch's commit is lost after real sbatch calls (as with kill -9): the next tries find the
    jobs by their token; Slurm runs each job exactly once."""
    import subprocess

    import pytest

    if slurm_skip_reason:
        pytest.skip(slurm_skip_reason)
    w = setup_world(engine, tmp_path, kind="slurm")
    ids = [submit(engine, w, store, "print('once')") for _ in range(3)]
    real_record, calls = service.record, []

    def failing_record(*args, **kw):  # type: ignore[no-untyped-def]
        calls.append(kw.get("action"))
        if calls.count("compute.job.dispatch") == 2 and kw.get("action") == "compute.job.dispatch":
            raise RuntimeError("the worker dies here")  # after two sbatch calls, before the commit
        return real_record(*args, **kw)

    monkeypatch.setattr(service, "record", failing_record)
    report = service.tick(engine, store=store, biller=flows.bill_job)
    # the batch was rolled back (two jobs already in Slurm), then all three went one by one
    assert report.dispatched == 3 and not report.errors, report
    assert calls.count("compute.job.dispatch") == 5
    monkeypatch.setattr(service, "record", real_record)
    deadline = time.monotonic() + 60
    while service.tick(engine, store=store, biller=flows.bill_job).active:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with transaction(engine) as s:
        jobs = [s.get(ComputeJob, i) for i in ids]
        assert {j.status for j in jobs} == {"succeeded"}
        tokens = [j.token for j in jobs]
    for token in tokens:
        # the controller keeps finished jobs for MinJobAge (300 s): a duplicate would be listed too
        out = subprocess.run(["squeue", "-h", "-t", "all", f"--name={token}", "-o", "%i"],
                             capture_output=True, text=True, check=True).stdout.split()
        assert len(out) == 1, (token, out)
    assert account(engine, w.unit_orgs[0])[1] == 0
