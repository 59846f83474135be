"""Two ``yuzhi serve`` processes on one PostgreSQL database: bills (with replays) and compute jobs
pushed to both at once; then the books prove that nothing was lost, nothing counted twice, no cap
exceeded, and exactly one process dispatched the jobs.

Bounded: the servers must answer /readyz within 90 s and the jobs finish within 120 s; the
processes are always terminated (then killed) in teardown.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, approved_quota, code, make_world
from tests.ops.conftest import NEEDS_PG, PG_URL, create_pg_database, drop_pg_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.skipif(not PG_URL, reason=NEEDS_PG)]

N_BILLS = 60
N_JOBS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _setup(url: str, tmp_path) -> dict:  # type: ignore[no-untyped-def]
    from yuzhi.compute import service as compute
    from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, RateCardIn
    from yuzhi.db import make_engine, migrate, session_factory

    migrate(url)
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        w = make_world(s, units=2)
        compute.connect(s, actor=w.admin, provider_id=w.provider_id, endpoint_in=EndpointIn(
            kind="local", config={"state_dir": str(tmp_path / "local-jobs")}))
        compute.publish_capacity(s, actor=w.provider, provider_id=w.provider_id, capacity_in=CapacityIn(
            nodes=1, cores=2, memory_gb=8, max_cpus_per_job=1, max_mem_mb_per_job=1024))
        compute.publish_rate_card(s, actor=w.provider, provider_id=w.provider_id, card_in=RateCardIn(
            core_hour_fen=3600, gpu_hour_fen=0, mem_gb_hour_fen=0, valid_from=date(2026, 1, 1)))
        for unit in w.units:
            compute.set_budget(s, actor=unit, org_id=unit.org_id, budget_in=BudgetIn(budget_fen=1_000_000))
        compute.register_app(s, actor=w.admin, app_in=AppIn(name="py", argv=["{python}", "-c"]))
        q0 = approved_quota(s, w, 0, 1_000_00, contract="C-1")  # unit 1: a small quota, soon exhausted
        q1 = approved_quota(s, w, 1, 5_000_000_00, contract="C-2")  # unit 2: room for everything
    engine.dispose()
    return {"quotas": (q0, q1), "orgs": list(w.unit_orgs), "provider_id": w.provider_id}


@pytest.fixture
def cluster(tmp_path):  # type: ignore[no-untyped-def]
    url = create_pg_database()
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        world = _setup(url, tmp_path)
        env = dict(os.environ, YUZHI_DATABASE_URL=url, YUZHI_HOME=str(tmp_path / "home"),
                   YUZHI_PASSWORD_PROFILE="test", YUZHI_LOG_LEVEL="warning")
        ports = [_free_port(), _free_port()]
        for i, port in enumerate(ports):
            log = (tmp_path / f"serve-{i}.log").open("w")
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, "-c", "from yuzhi.cli import main; main()", "serve", "--port", str(port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        deadline = time.monotonic() + 90
        for i, (base, proc) in enumerate(zip(bases, procs, strict=True)):
            while True:
                if proc.poll() is not None:
                    tail = (tmp_path / f"serve-{i}.log").read_text()[-2000:]
                    pytest.fail(f"yuzhi serve exited {proc.returncode}: {tail}")
                try:
                    if _call(base, "GET", "/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("yuzhi serve did not become ready within 90 s")
                time.sleep(0.5)
        yield {"url": url, "bases": bases, **world}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=15)
        for log in logs:
            log.close()
        drop_pg_database(url)


def test_two_servers_keep_the_books(cluster, monkeypatch):
    a, b = cluster["bases"]
    tokens = {}
    for user in ("provider", "unit1", "unit2"):
        status, body = _call(a, "POST", "/api/accounts/login", {"username": user, "password": PASSWORD})
        assert status == 200, body
        tokens[user] = body["token"]

    def bill(i: int) -> dict:
        return {"invoice_no": f"INV-{i}", "customer_uscc": code(1 + i % 2), "period_start": "2026-03-01",
                "period_end": "2026-03-31", "amount_fen": 3_000_00 + i}

    # every bill twice, once to each server, all at once: the replay must return the same bill
    pushes = [(base, i) for i in range(N_BILLS) for base in ((a, b) if i % 2 else (b, a))]

    def push(item: tuple[str, int]) -> tuple[int, int, dict]:
        base, i = item
        status, body = _call(base, "POST", "/api/vouchers/bills", bill(i), tokens["provider"])
        return i, status, body

    job_body = {"kind": "app", "app": "py", "args": ["print(6 * 7)"], "time_limit_s": 60}

    def submit(k: int) -> tuple[int, dict]:
        return _call((a, b)[k % 2], "POST", "/api/compute/jobs", job_body, tokens[("unit1", "unit2")[k % 2]])

    with ThreadPoolExecutor(16) as pool:
        job_futures = [pool.submit(submit, k) for k in range(N_JOBS)]
        results = list(pool.map(push, pushes))
        jobs = [f.result() for f in job_futures]
    assert all(status == 201 for status, _ in jobs), jobs
    by_invoice: dict[int, set[int]] = {}
    for i, status, body in results:
        assert status in (200, 201), (i, status, body)
        by_invoice.setdefault(i, set()).add(body["bill"]["id"] if "bill" in body else body["id"])
    assert all(len(ids) == 1 for ids in by_invoice.values()), "a replay created a second bill"

    # the jobs: dispatched by exactly one of the two processes, each billed once
    deadline = time.monotonic() + 120
    job_ids = [body["id"] for _, body in jobs]
    while True:
        states = [_call(a, "GET", f"/api/compute/jobs/{j}", token=tokens[("unit1", "unit2")[k % 2]])[1]["status"]
                  for k, j in enumerate(job_ids)]
        if all(s in ("succeeded", "failed", "cancelled") for s in states):
            break
        assert time.monotonic() < deadline, f"jobs still {states} after 120 s"
        time.sleep(1)
    assert states == ["succeeded"] * N_JOBS
    here = sorted(_call(base, "GET", "/readyz")[1]["checks"]["dispatcher"]["state"] for base in (a, b))
    assert here == ["leader elsewhere", "leader in this process"], here

    from yuzhi.compute.models import ComputeAccount, ComputeJob
    from yuzhi.db import make_engine, session_factory
    from yuzhi.vouchers.models import Bill, QuotaApplication

    engine = make_engine(cluster["url"])
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count(Bill.id)).where(Bill.invoice_no.like("INV-%"))) == N_BILLS
        assert s.scalar(select(func.count(Bill.id)).where(Bill.invoice_no.like("YZJOB-%"))) == N_JOBS
        charged = s.scalar(select(func.sum(ComputeJob.charge_fen)))
        assert charged == s.scalar(select(func.sum(ComputeAccount.spent_fen))) and charged > 0
        assert s.scalar(select(func.sum(ComputeAccount.held_fen))) == 0
        for qid in cluster["quotas"]:
            q = s.get(QuotaApplication, qid)
            assert 0 <= q.used_fen <= q.approved_fen and q.remaining_fen == q.approved_fen - q.used_fen
        small = s.get(QuotaApplication, cluster["quotas"][0])
        assert small.used_fen == small.approved_fen  # exhausted exactly, never exceeded
        subsidy_unit1 = s.scalar(select(func.sum(Bill.subsidy_fen)).where(Bill.org_id == cluster["orgs"][0]))
        assert subsidy_unit1 == small.approved_fen
    engine.dispose()

    from typer.testing import CliRunner

    from yuzhi import config, db
    from yuzhi.cli import app

    monkeypatch.setenv("YUZHI_DATABASE_URL", cluster["url"])
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        r = CliRunner().invoke(app, ["ledger", "check"])
        assert r.exit_code == 0 and "books balance and reconcile" in r.output, r.output
        r = CliRunner().invoke(app, ["audit", "verify"])
        assert r.exit_code == 0 and "chain intact" in r.output, r.output
    finally:
        db.get_engine.cache_clear()
        config.get_settings.cache_clear()
