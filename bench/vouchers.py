"""Bills per second through the voucher service and the HTTP API, beside raw PostgreSQL.

Usage::

    .venv/bin/python bench/vouchers.py            # 10 s per phase, 16 concurrent clients
    .venv/bin/python bench/vouchers.py --quick    # 3 s per phase
    .venv/bin/python bench/vouchers.py --clients 32 --profile
    .venv/bin/python bench/vouchers.py --http-only --seconds 5   # single bills over HTTP only (A/B runs)

Needs PostgreSQL: ``YUZHI_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/yuzhi_bench``; the database is created when missing
and its schema is dropped and re-migrated on every run, so never point it at real data).

What is measured, in one run on one machine:

1. **raw PostgreSQL**: ``pgbench -i -s 1`` then ``pgbench -T <d> -c <N> -j 2`` (TPC-B: five
   statements per transaction) on a scratch database ``<name>_pgbench``. Without ``pgbench`` a
   Python TPC-B-like loop on the same tables is used and the output says so.
2. **service**, three ways a provider's bills reach ``yuzhi.vouchers``:

   - *one bill per transaction*: ``record_bill`` in its own transaction (the plain way; 1 thread,
     N threads in one process, and N threads over one process per CPU);
   - *group commit*: N threads each push single bills through ``BillDesk.submit`` (what
     ``POST /bills`` does): bills that arrive while a transaction is written share the next one;
   - *batches*: ``record_bills`` with ``--batch`` bills per call (a billing run, ``POST /bills/batch``).

   Each includes pydantic validation, eligibility, quota lock, subsidy, ledger postings, a
   hash-chained audit event per bill and the commit.
3. **HTTP**: the real app under uvicorn (one worker per CPU) in a subprocess, N concurrent
   keep-alive clients posting ``/api/vouchers/bills`` with a provider's bearer token, then one
   client per worker posting ``/api/vouchers/bills/batch``; p50/p99 latency per call.
4. **HTTP paced**: an open-loop schedule of 200 single bills/s; latency is measured from each bill's
   *scheduled* send time, so queueing behind a slow request counts (no coordinated omission); the
   latency from the actual send is printed beside it.

Bills go to many units (``--units``, each with its own effective quota), the realistic case: one
provider billing its customers. Rates count bills, not calls. A bill is 13 statements (4 reads,
a locked quota read, 5 writes, the audit chain's lock, head and append) against TPC-B's 5.
"""

from __future__ import annotations

import os
import sys

# `python bench/<name>.py` puts bench/ first on sys.path, where bench/inspect.py (the inspection
# benchmark, named by its issue) would shadow the standard library's inspect module; drop that entry.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/yuzhi_bench"
PASSWORD = "bench-pass-2026"


# --- database ---------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` when it does not exist (connects to ``postgres``)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def fresh_schema(url: str) -> None:
    from sqlalchemy import create_engine

    from yuzhi.db import migrate

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    eng.dispose()
    migrate(url)


# --- the programme ----------------------------------------------------------------------------


@dataclass
class World:
    provider_id: int
    provider_username: str
    token: str
    unit_codes: list[str] = field(default_factory=list)


def setup_world(engine, units: int, *, planned_spend_fen: int = 2_000_000_00, name: str = "2026 bench",  # type: ignore[no-untyped-def]
                password: str = PASSWORD) -> World:
    """A 2026 programme (disclosure 0 days), one whitelisted provider, ``units`` units with quota
    (each applies for ``planned_spend_fen`` of compute; bench/scale.py sizes it to fit the pool)."""
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts import uscc
    from yuzhi.accounts.actor import SYSTEM, Actor, Role
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate, UserCreate
    from yuzhi.db import transaction
    from yuzhi.providers import service as registry
    from yuzhi.providers.models import Criterion
    from yuzhi.providers.schemas import ProviderCreate
    from yuzhi.vouchers import service as vouchers
    from yuzhi.vouchers.schemas import ApplicationCreate, ProgrammeCreate, Review

    def code(n: int) -> str:
        body = f"{n:08d}".replace("0", "A")
        return uscc.make(f"91410100{body}0")

    with transaction(engine) as s:
        vouchers.create_programme(s, actor=SYSTEM, prog_in=ProgrammeCreate(
            year=2026, name=name, disclosure_days=0))
        porg = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
            uscc=code(99_999), name="国家超算郑州中心运营单位", kind=OrgKind.UNIVERSITY))
        accounts.decide_org(s, actor=SYSTEM, org_id=porg.id, approve=True)
        prov = registry.whitelist(s, actor=SYSTEM, provider_in=ProviderCreate(
            org_id=porg.id, name="国家超算郑州中心", criterion=Criterion.NATIONAL_SUPERCOMPUTING,
            valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)))
        user = accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="bench-provider", password=password, role=Role.PROVIDER.value, provider_id=prov.id))
        _row, token = accounts.issue_token(s, user=user, name="bench")
        world = World(provider_id=prov.id, provider_username=user.username, token=token)
        for i in range(units):
            org = accounts.register_org(s, actor=SYSTEM, org_in=OrgCreate(
                uscc=code(i + 1), name=f"基准企业{i + 1}", kind=OrgKind.ENTERPRISE, industry="新材料"))
            accounts.decide_org(s, actor=SYSTEM, org_id=org.id, approve=True)
            member = Actor(user_id=None, username=f"unit{i + 1}", role=Role.MEMBER, org_id=org.id)
            a = vouchers.apply(s, actor=member, app_in=ApplicationCreate(
                year=2026, provider_id=prov.id, contract_no=f"BENCH-{i + 1}", planned_spend_fen=planned_spend_fen))
            vouchers.review(s, actor=SYSTEM, app_id=a.id, decision=Review(approve=True))
            world.unit_codes.append(org.uscc)
    return world


class Bills:
    """Distinct, valid bill payloads, spread over the units (thread-safe counter)."""

    def __init__(self, world: World, phase: str) -> None:
        self.world, self.phase = world, phase
        self._n = itertools.count()
        self._rng = random.Random(hash(phase) & 0xFFFF)

    def next(self) -> dict[str, object]:
        i = next(self._n)
        return {"invoice_no": f"{self.phase}-{i:08d}",
                "customer_uscc": self.world.unit_codes[i % len(self.world.unit_codes)],
                "period_start": "2026-03-01", "period_end": "2026-03-31",
                "amount_fen": 10_000 + (i * 7919) % 500_000}


# --- measurements -----------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    errors: int = 0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))]


def closed_loop(name: str, clients: int, seconds: float, one) -> Result:  # type: ignore[no-untyped-def]
    """``clients`` threads call ``one(worker_state)`` back to back until the time is up."""
    lat: list[list[float]] = [[] for _ in range(clients)]
    errs = [0] * clients
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        state: dict[str, object] = {}
        start_gate.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline[0]:
                break
            try:
                one(state)
            except Exception as exc:
                errs[k] += 1
                if errs[k] == 1:
                    print(f"  [{name}] error: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
                continue
            lat[k].append((time.perf_counter() - t0) * 1000)
        closer = state.get("close")
        if callable(closer):
            closer()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    t_start = time.perf_counter()
    deadline[0] = t_start + seconds
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    flat = [x for xs in lat for x in xs]
    return Result(name, len(flat), elapsed, flat, sum(errs))


def _bill_caller(engine, world: World, phase: str, mode: str):  # type: ignore[no-untyped-def]
    """``(one, bills_per_call)``: a closed-loop step recording bills through the service layer.

    ``mode`` is ``txn`` (``record_bill``, one transaction per bill: the plain way), ``desk``
    (``BillDesk.submit``, one bill per call; concurrent calls are group-committed) or ``batch:<B>``
    (``record_bills`` with B bills per call and transaction, as a provider's billing run).
    """
    from yuzhi.accounts.actor import Actor, Role
    from yuzhi.db import session_factory, transaction
    from yuzhi.vouchers import service as vouchers
    from yuzhi.vouchers.desk import BillDesk
    from yuzhi.vouchers.schemas import BillIn

    provider = Actor(user_id=None, username="bench-provider", role=Role.PROVIDER, provider_id=world.provider_id)
    bills = Bills(world, phase)
    if mode == "txn":
        def one(_state: dict[str, object]) -> None:
            with transaction(engine) as s:
                vouchers.record_bill(s, actor=provider, bill_in=BillIn(**bills.next()))
        return one, 1
    if mode == "desk":
        desk = BillDesk(session_factory(engine), max_inflight=int(os.environ.get("YUZHI_BENCH_WRITERS", "1")))

        def one(_state: dict[str, object]) -> None:
            desk.submit(actor=provider, bill_in=BillIn(**bills.next()))
        one.desk = desk  # type: ignore[attr-defined]
        return one, 1
    size = int(mode.split(":")[1])

    def one(_state: dict[str, object]) -> None:
        with transaction(engine) as s:
            vouchers.record_bills(s, actor=provider, bills_in=[BillIn(**bills.next()) for _ in range(size)])
    return one, size


MODE_LABEL = {"txn": "one bill per transaction", "desk": "group commit"}


def _label(mode: str) -> str:
    return MODE_LABEL.get(mode, f"batches of {mode.split(':')[-1]}")


def bench_service(engine, world: World, clients: int, seconds: float, mode: str = "txn") -> Result:  # type: ignore[no-untyped-def]
    one, per_call = _bill_caller(engine, world, f"svc-{mode.replace(':', '')}-{clients}", mode)
    with WaitSampler(engine) as waits:
        r = closed_loop(f"service, {clients} threads, {_label(mode)}", clients, seconds, one)
    r.note = waits.summary()
    desk = getattr(one, "desk", None)
    if desk is not None and desk.batches:
        r.note = f"{desk.bills / desk.batches:.1f} bills per transaction; " + r.note
    r.count *= per_call  # bills, not calls; latencies stay per call
    if per_call > 1:
        r.note = f"latency per call of {per_call} bills; " + r.note
    return r


class WaitSampler:
    """Samples ``pg_stat_activity`` every 50 ms: how many sessions run, and how many wait on a lock.

    Tells whether concurrent bills queue on a lock (the audit chain's advisory lock, a quota row)
    rather than on CPU or I/O.
    """

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine, self.samples = engine, []  # type: ignore[var-annotated]
        self._stop = threading.Event()

    def _run(self) -> None:
        q = ("SELECT count(*) FILTER (WHERE state = 'active'), "
             "count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'), "
             "count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event <> 'advisory') "
             "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with self.engine.connect() as conn:
            while not self._stop.wait(0.05):
                self.samples.append(tuple(conn.exec_driver_sql(q).one()))
                conn.rollback()

    def __enter__(self) -> WaitSampler:
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join(5)

    def summary(self) -> str:
        if not self.samples:
            return ""
        n = len(self.samples)
        act, adv, row = (sum(s[i] for s in self.samples) / n for i in range(3))
        return f"sessions active {act:.1f}, waiting on audit advisory lock {adv:.1f}, on row locks {row:.1f}"


#: What ``yuzhi serve --workers N`` runs in each worker: the app, its start-up heap frozen out of the
#: garbage collector's full passes (``yuzhi.ops.runtime``). ``yuzhi.web.app:create_app`` is the bare app.
SERVED_APP = "yuzhi.ops.runtime:create_served_app"


def start_server(url: str, port: int, workers: int, app: str = SERVED_APP) -> subprocess.Popen[bytes]:
    env = {**os.environ, "YUZHI_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/vouchers/programmes", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("uvicorn did not answer within 60 s")


class Http:
    """One keep-alive HTTP/1.1 connection from the standard library.

    The load generator shares the 2 cores with the server and PostgreSQL, so it must cost as
    little CPU per request as possible: ``http.client`` spends a fraction of what httpx does.
    """

    def __init__(self, base: str, token: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, payload: object) -> tuple[int, bytes]:
        import json

        self.conn.request("POST", path, body=json.dumps(payload).encode(), headers=self.headers)
        r = self.conn.getresponse()
        return r.status, r.read()

    def get(self, path: str) -> int:
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        r.read()
        return r.status

    def close(self) -> None:
        self.conn.close()


def _post(client: Http, payload: dict[str, object]) -> None:
    status, body = client.post("/api/vouchers/bills", payload)
    if status != 201:
        raise RuntimeError(f"HTTP {status}: {body[:200]!r}")


def bench_http(base: str, world: World, clients: int, seconds: float) -> Result:
    bills = Bills(world, "http")

    def one(state: dict[str, object]) -> None:
        if "client" not in state:
            c = Http(base, world.token)
            state["client"], state["close"] = c, c.close
        _post(state["client"], bills.next())  # type: ignore[arg-type]

    return closed_loop(f"HTTP, {clients} clients", clients, seconds, one)


def bench_http_batch(base: str, world: World, clients: int, seconds: float, size: int) -> Result:
    bills = Bills(world, "httpb")

    def one(state: dict[str, object]) -> None:
        if "client" not in state:
            c = Http(base, world.token)
            state["client"], state["close"] = c, c.close
        status, body = state["client"].post("/api/vouchers/bills/batch",  # type: ignore[attr-defined]
                                            {"bills": [bills.next() for _ in range(size)]})
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")

    r = closed_loop(f"HTTP, {clients} clients, batches of {size}", clients, seconds, one)
    r.count *= size
    r.note = f"latency per call of {size} bills"
    return r


def open_loop(name: str, bills: Bills, rate: float, seconds: float, senders: int, connect, push) -> Result:  # type: ignore[no-untyped-def]
    """Open loop: bill i is due at t0 + i/rate; latency counts from the due time, so queueing behind
    a slow call counts (no coordinated omission). ``connect()`` makes a sender's client,
    ``push(client, payload)`` sends one bill."""
    total = int(rate * seconds)
    lat: list[float] = []
    service_time: list[float] = []  # from the actual send, for comparison
    errors = [0]
    lock = threading.Lock()
    ready = threading.Barrier(senders + 1)
    start = [0.0]

    def sender(k: int) -> None:
        c = connect()  # connect before the clock starts
        ready.wait()
        t0 = start[0]
        for i in range(k, total, senders):
            due = t0 + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            try:
                push(c, bills.next())
            except Exception as exc:
                with lock:
                    errors[0] += 1
                    if errors[0] == 1:
                        print(f"  [{name}] error: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
                if hasattr(c, "close"):
                    c.close()
                c = connect()
                continue
            end = time.perf_counter()
            with lock:
                lat.append((end - due) * 1000)
                service_time.append((end - sent) * 1000)
        if hasattr(c, "close"):
            c.close()

    threads = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(senders)]
    for t in threads:
        t.start()
    start[0] = time.perf_counter() + 0.5
    ready.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start[0]
    r = Result(name, len(lat), elapsed, lat, errors[0])
    sent = Result("", len(service_time), elapsed, service_time)
    r.note = f"from the actual send: p50 {sent.pct(0.5):.1f} ms, p99 {sent.pct(0.99):.1f} ms"
    return r


def bench_paced(base: str, world: World, rate: float, seconds: float, senders: int = 32) -> Result:
    """HTTP, single bills on a fixed schedule of ``rate`` per second."""

    def connect() -> Http:
        c = Http(base, world.token)
        c.get("/api/vouchers/programmes")
        return c

    return open_loop(f"HTTP paced {rate:.0f}/s, single bills", Bills(world, f"paced{int(rate)}"), rate, seconds,
                     senders, connect, _post)


def bench_service_paced(engine, world: World, rate: float, seconds: float, senders: int = 32) -> Result:  # type: ignore[no-untyped-def]
    """The service layer, single bills through the group-commit desk on a fixed schedule."""
    one, _ = _bill_caller(engine, world, f"svc-paced{int(rate)}", "desk")
    r = open_loop(f"service paced {rate:.0f}/s, single bills, group commit", Bills(world, "unused"), rate, seconds,
                  senders, lambda: None, lambda _c, _payload: one({}))
    desk = one.desk  # type: ignore[attr-defined]
    if desk.batches:
        r.note = f"{desk.bills / desk.batches:.1f} bills per transaction; " + r.note
    return r


def raw_postgres(url: str, clients: int, seconds: float) -> Result:
    """pgbench TPC-B on a scratch database, or a Python TPC-B-like loop when pgbench is absent."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    scratch = f"{u.database}_pgbench"
    ensure_database(str(u.set(database=scratch)))
    pgbench = shutil.which("pgbench")
    conn = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    if pgbench:
        subprocess.run([pgbench, "-i", "-s", "1", "-q", *conn, scratch], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run([pgbench, "-T", str(int(seconds)), "-c", str(clients), "-j", "2", "-r", *conn, scratch],
                             check=True, env=env, capture_output=True, text=True).stdout
        tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))  # type: ignore[union-attr]
        lat = re.search(r"latency average = ([\d.]+) ms", out)
        n = re.search(r"number of transactions actually processed: (\d+)", out)
        count = int(n.group(1)) if n else int(tps * seconds)
        r = Result(f"pgbench TPC-B, {clients} clients", count, count / tps if tps else seconds, [])
        r.note = f"latency avg {lat.group(1)} ms" if lat else ""
        return r
    return _python_tpcb(str(u.set(database=scratch)), clients, seconds)


def _python_tpcb(url: str, clients: int, seconds: float) -> Result:
    """TPC-B-like transactions from Python (used only when pgbench is absent)."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS pgbench_history, pgbench_accounts, pgbench_tellers, pgbench_branches")
        c.execute("CREATE TABLE pgbench_branches (bid int primary key, bbalance int)")
        c.execute("CREATE TABLE pgbench_tellers (tid int primary key, bid int, tbalance int)")
        c.execute("CREATE TABLE pgbench_accounts (aid int primary key, bid int, abalance int)")
        c.execute("CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp)")
        c.execute("INSERT INTO pgbench_branches VALUES (1, 0)")
        c.execute("INSERT INTO pgbench_tellers SELECT g, 1, 0 FROM generate_series(1, 10) g")
        c.execute("INSERT INTO pgbench_accounts SELECT g, 1, 0 FROM generate_series(1, 100000) g")

    def one(state: dict[str, object]) -> None:
        if "conn" not in state:
            conn = psycopg.connect(dsn)
            state["conn"], state["close"] = conn, conn.close
        conn = state["conn"]
        aid, tid, delta = random.randint(1, 100000), random.randint(1, 10), random.randint(-5000, 5000)
        with conn.transaction():  # type: ignore[attr-defined]
            conn.execute("UPDATE pgbench_accounts SET abalance = abalance + %s WHERE aid = %s", (delta, aid))  # type: ignore[attr-defined]
            conn.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", (aid,)).fetchone()  # type: ignore[attr-defined]
            conn.execute("UPDATE pgbench_tellers SET tbalance = tbalance + %s WHERE tid = %s", (delta, tid))  # type: ignore[attr-defined]
            conn.execute("UPDATE pgbench_branches SET bbalance = bbalance + %s WHERE bid = 1", (delta,))  # type: ignore[attr-defined]
            conn.execute("INSERT INTO pgbench_history VALUES (%s, 1, %s, %s, now())", (tid, aid, delta))  # type: ignore[attr-defined]

    r = closed_loop(f"Python TPC-B-like loop, {clients} clients (pgbench absent)", clients, seconds, one)
    r.note = "pgbench not found: Python fallback"
    return r


def profile_service(engine, world: World, n: int = 300) -> str:  # type: ignore[no-untyped-def]
    """cProfile of ``n`` bills on one thread: where a bill's time goes."""
    from collections import Counter

    from sqlalchemy import event

    from yuzhi.accounts.actor import Actor, Role
    from yuzhi.db import transaction
    from yuzhi.vouchers import service as vouchers
    from yuzhi.vouchers.schemas import BillIn

    provider = Actor(user_id=None, username="bench-provider", role=Role.PROVIDER, provider_id=world.provider_id)
    bills = Bills(world, "prof")
    statements: Counter[str] = Counter()

    def _count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        m = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement)
        target = m.group(1) if m else ("advisory lock" if "pg_advisory" in statement else "")
        statements[f"{statement.split()[0]} {target}".strip()] += 1

    event.listen(engine, "before_cursor_execute", _count)
    with transaction(engine) as s:  # one bill outside the profile, to count its statements
        vouchers.record_bill(s, actor=provider, bill_in=BillIn(**bills.next()))
    event.remove(engine, "before_cursor_execute", _count)
    per = ", ".join(f"{k} x{v}" for k, v in statements.most_common())
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n):
        with transaction(engine) as s:
            vouchers.record_bill(s, actor=provider, bill_in=BillIn(**bills.next()))
    prof.disable()
    per_bill = (time.perf_counter() - t0) / n * 1000
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf).sort_stats("cumulative")
    st.print_stats(r"yuzhi|sqlalchemy/orm/session.py:\d+\(commit\)|execute\b", 25)
    return (f"SQL statements in one bill ({sum(statements.values())} + BEGIN/COMMIT): {per}\n"
            f"one thread, {n} bills: {per_bill:.2f} ms per bill (under the profiler)\n" + buf.getvalue())


# --- report -----------------------------------------------------------------------------------


def fmt(r: Result) -> str:
    lat = (f"p50 {r.pct(0.50):7.2f} ms  p99 {r.pct(0.99):7.2f} ms" if r.latencies_ms else " " * 34)
    err = f"  errors {r.errors}" if r.errors else ""
    note = f"  ({r.note})" if r.note else ""
    return f"  {r.name:<54} {r.rate:8.1f} /s  {lat}  n={r.count}{err}{note}"


def _service_process(args: tuple[str, World, int, int, float, str]) -> tuple[int, float, list[float], int, str]:
    """One OS process of a multi-process service phase: its own engine, ``clients`` threads."""
    url, world, k, clients, seconds, mode = args
    from yuzhi.db import make_engine

    engine = make_engine(url, pool_size=clients + 2, max_overflow=2)
    one, per_call = _bill_caller(engine, world, f"svcp-{mode.replace(':', '')}-{k}", mode)
    r = closed_loop(f"proc {k}", clients, seconds, one)
    desk = getattr(one, "desk", None)
    engine.dispose()
    return r.count * per_call, r.seconds, r.latencies_ms, r.errors, f"{desk.bills},{desk.batches}" if desk else ""


def bench_service_procs(url: str, world: World, procs: int, clients: int, seconds: float,
                        mode: str = "txn") -> Result:
    """The service layer in ``procs`` processes (as ``yuzhi serve`` runs with several workers), so
    Python's GIL does not cap it at one core; ``clients`` threads in all."""
    import multiprocessing

    per = max(1, clients // procs)
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        parts = pool.map(_service_process, [(url, world, k, per, seconds, mode) for k in range(procs)])
    lat = [x for _c, _s, xs, _e, _d in parts for x in xs]
    r = Result(f"service, {procs} procs x {per} threads, {_label(mode)}", sum(p[0] for p in parts),
               max(p[1] for p in parts), lat, sum(p[3] for p in parts))
    desks = [tuple(map(int, p[4].split(","))) for p in parts if p[4]]
    if desks and sum(b for _, b in desks):
        r.note = f"{sum(n for n, _ in desks) / sum(b for _, b in desks):.1f} bills per transaction"
    if mode.startswith("batch"):
        r.note = f"latency per call of {mode.split(':')[1]} bills"
    return r


def http_phases(args: argparse.Namespace, url: str, world: World, seconds: float,
                batch: bool = True) -> tuple[Result, Result | None, Result]:
    """The HTTP phases against ``args.workers`` uvicorn workers serving ``args.app``: closed loop,
    batches (unless ``batch`` is false), then the paced schedule."""
    port = 8700 + os.getpid() % 200
    proc = start_server(url, port, args.workers, args.app)
    httpb = None
    try:
        base = f"http://127.0.0.1:{port}"
        http = bench_http(base, world, args.clients, seconds)
        http.name += f", {args.workers} workers"
        print(fmt(http))
        if batch:
            httpb = bench_http_batch(base, world, args.workers, seconds, args.batch)
            print(fmt(httpb))
        paced = bench_paced(base, world, args.rate, seconds)
        print(fmt(paced))
    finally:
        proc.terminate()
        proc.wait(10)
    return http, httpb, paced


def _summary(engine, args: argparse.Namespace, raw: Result, svc: Result, svcp: Result, desk: Result,  # type: ignore[no-untyped-def]
             deskp: Result, batchp: Result, svc_paced: Result) -> None:
    with engine.connect() as conn:
        bills = conn.exec_driver_sql("SELECT count(*), coalesce(sum(subsidy_fen), 0) FROM voucher_bills").one()
    print(f"  recorded {bills[0]} bills, subsidy {bills[1] / 100:,.2f} yuan")
    print("ratios to raw PostgreSQL TPC-B (same run, same machine; aim >= 0.333):")
    print(f"  service, one bill per transaction        {svcp.rate / raw.rate:6.3f}  ({args.procs} processes; "
          f"one process: {svc.rate / raw.rate:.3f})")
    print(f"  service, single bills, group commit      {deskp.rate / raw.rate:6.3f}  ({args.procs} processes; "
          f"one process: {desk.rate / raw.rate:.3f})")
    label = f"service, batches of {args.batch}"
    print(f"  {label:<40} {batchp.rate / raw.rate:6.3f}  ({args.procs} processes)")
    print(f"  p99 at {args.rate:.0f} bills/s, service layer (group commit)  {svc_paced.pct(0.99):6.1f} ms  "
          f"(aim < 50 ms; {svc_paced.rate:.0f} bills/s achieved)")


def http_only(args: argparse.Namespace, url: str, engine, world: World, seconds: float) -> int:  # type: ignore[no-untyped-def]
    """``--http-only``: the single-bill HTTP phases alone (closed loop, paced), for comparing
    server-side changes back to back; no baseline, so no ratios."""
    http, _, paced = http_phases(args, url, world, seconds, batch=False)
    load = os.getloadavg()
    print(f"  p99 at {args.rate:.0f} bills/s over HTTP, single bills  {paced.pct(0.99):6.1f} ms  (aim < 50 ms; "
          f"{paced.rate:.0f} bills/s achieved); closed loop {http.rate:.0f} bills/s; load {load[0]:.1f}")
    engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 s per phase instead of 10 s")
    ap.add_argument("--clients", type=int, default=16, help="concurrent threads / HTTP clients (default 16)")
    ap.add_argument("--seconds", type=float, default=None, help="duration of each phase")
    ap.add_argument("--units", type=int, default=100, help="units holding quota (default 100)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="uvicorn worker processes")
    ap.add_argument("--rate", type=float, default=200.0, help="paced bills per second (default 200)")
    ap.add_argument("--profile", action="store_true", help="also profile 300 bills on one thread")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--http-only", action="store_true", help="only the single-bill HTTP phases (closed loop, "
                    "paced): server-side changes compared back to back")
    ap.add_argument("--app", default=SERVED_APP, help=f"uvicorn app factory to serve (default {SERVED_APP}, "
                    "what yuzhi serve --workers N runs; yuzhi.web.app:create_app is the bare app)")
    ap.add_argument("--batch", type=int, default=100, help="bills per call in the batch phases (default 100)")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="processes for the multi-process "
                    "service phase (default: one per CPU)")
    args = ap.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)

    from yuzhi.db import make_engine, normalise_url

    url = normalise_url(os.environ.get("YUZHI_BENCH_DATABASE_URL", DEFAULT_URL))
    if not url.startswith("postgresql"):
        raise SystemExit("bench/vouchers.py needs PostgreSQL (YUZHI_BENCH_DATABASE_URL=postgresql://...)")
    print(f"yuzhi voucher bench · {os.cpu_count()} CPUs · {seconds:.0f} s per phase · {args.clients} clients · "
          f"{args.units} units")
    ensure_database(url)
    fresh_schema(url)
    engine = make_engine(url, pool_size=args.clients + 4, max_overflow=4)
    t = time.perf_counter()
    world = setup_world(engine, args.units)
    print(f"  setup: programme, provider, {args.units} units with effective quota ({time.perf_counter() - t:.1f} s)")

    if args.http_only:
        return http_only(args, url, engine, world, seconds)
    raw = raw_postgres(url, args.clients, seconds)
    print(fmt(raw))
    svc1 = bench_service(engine, world, 1, seconds / 2)
    print(fmt(svc1))
    svc = bench_service(engine, world, args.clients, seconds)
    print(fmt(svc))
    svcp = bench_service_procs(url, world, args.procs, args.clients, seconds)
    print(fmt(svcp))
    desk = bench_service(engine, world, args.clients, seconds, "desk")
    print(fmt(desk))
    deskp = bench_service_procs(url, world, args.procs, args.clients, seconds, "desk")
    print(fmt(deskp))
    batch = f"batch:{args.batch}"
    batchp = bench_service_procs(url, world, args.procs, args.procs, seconds, batch)
    print(fmt(batchp))
    svc_paced = bench_service_paced(engine, world, args.rate, seconds)
    print(fmt(svc_paced))
    http, httpb, paced = (None, None, None) if args.skip_http else http_phases(args, url, world, seconds)
    _summary(engine, args, raw, svc, svcp, desk, deskp, batchp, svc_paced)
    if http and httpb and paced:
        print(f"  HTTP, single bills                       {http.rate / raw.rate:6.3f}")
        print(f"  HTTP, batches of {args.batch:<4}                    {httpb.rate / raw.rate:6.3f}")
        print(f"  p99 at {args.rate:.0f} bills/s over HTTP, single bills  {paced.pct(0.99):6.1f} ms  (aim < 50 ms; "
              f"{paced.rate:.0f} bills/s achieved)")
    if args.profile:
        print(profile_service(engine, world))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
