"""Scale figures for an office: zero to first bill, bills/s and p99 with 1, 2 and 4 app processes on one
PostgreSQL beside raw pgbench, and the dashboard's and statement's response time on a big year.

Usage::

    .venv/bin/python bench/scale.py                       # every phase, defaults below
    .venv/bin/python bench/scale.py --phases first-bill   # one phase
    .venv/bin/python bench/scale.py --units 1000 --bills 1000000   # the issue's full size (long)
    .venv/bin/python bench/scale.py --quick   # <= 6 min on 2 CPUs: paced single bills beside pgbench
                                              # (1, 2 processes), dashboard/statement at 100,000 bills

Needs PostgreSQL: ``YUZHI_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/yuzhi_scale``). Scratch databases ``<name>_first``,
``<name>`` and ``<name>_pgbench`` are dropped and re-created on every run: never point it at real data.

Phases, all in one run on one machine:

1. **first-bill**: the commands an office runs from an empty database to its first bill, each timed:
   ``yuzhi init --admin``, ``yuzhi serve`` until ``/readyz`` answers, then the API calls the web UI
   makes (log in, programme year, provider's organisation approved and whitelisted, provider user
   and token, a unit registered and approved, its application reviewed, the first bill pushed).
2. **procs**: ``yuzhi serve`` processes (1, 2, 4; one worker each, separate ports, as separate hosts
   behind a load balancer would be), N closed-loop HTTP clients pushing single bills spread over
   the processes for ``--seconds`` each; bills/s, p50, p99. Beside it, in the same run:
   ``pgbench`` TPC-B with the same number of clients (the ceiling of this PostgreSQL on this box).
3. **big-year**: ``--units`` units and ``--bills`` bills generated through the real batch path
   (``record_bills``, 1,000 per transaction: ledger postings and audit events included), then the
   office dashboard (``GET /api/vouchers/dashboard/{year}``, ``GET /vouchers/dashboard``) and a
   unit's statement (``GET /vouchers/statement``) timed ``--repeat`` times each: p50 and p95. The
   baseline beside it: the same requests on the small year of phase 1.

Every figure printed is measured in this run; nothing is carried over.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]  # bench/inspect.py shadows inspect
sys.path.insert(0, os.path.dirname(_HERE))  # the repository root: `bench.vouchers` is importable

import argparse  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.vouchers import Bills, Http, closed_loop, ensure_database, fmt, fresh_schema, raw_postgres  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/yuzhi_scale"
STRONG = "granite-lantern-orchard-41"
YZ = [sys.executable, "-c", "from yuzhi.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drop_create(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


class Client:
    """JSON over one keep-alive connection (standard library: the load generator shares the CPUs)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        import http.client
        from urllib.parse import urlsplit

        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=120)
        self.token = token

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object, float]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        ms = (time.perf_counter() - t0) * 1000
        try:
            data: object = json.loads(raw) if raw and r.getheader("content-type", "").startswith("application/json") \
                else raw
        except ValueError:
            data = raw
        return r.status, data, ms


def start_serve(url: str, home: Path, port: int, log: Path, dispatcher: bool = True) -> subprocess.Popen[bytes]:
    env = {**os.environ, "YUZHI_DATABASE_URL": url, "YUZHI_HOME": str(home), "YUZHI_LOG_LEVEL": "warning",
           "YUZHI_DISPATCHER": "true" if dispatcher else "false"}
    return subprocess.Popen([*YZ, "serve", "--port", str(port)], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen[bytes], limit_s: float = 120) -> float:
    import urllib.request

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        if proc.poll() is not None:
            raise SystemExit(f"yuzhi serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"yuzhi serve did not become ready within {limit_s} s")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=20)


# --- phase 1: zero to first bill ----------------------------------------------------------------


def first_bill(url: str, tmp: Path) -> list[tuple[str, float]]:
    from yuzhi.accounts import uscc

    def code(n: int) -> str:
        return uscc.make(f"91410100{f'{n:08d}'.replace('0', 'A')}0")

    db = url.replace("/yuzhi_scale", "/yuzhi_scale_first") if url.endswith("/yuzhi_scale") else url + "_first"
    _drop_create(db)
    home = tmp / "first-home"
    env = {**os.environ, "YUZHI_DATABASE_URL": db, "YUZHI_HOME": str(home)}
    env.pop("YUZHI_PASSWORD_PROFILE", None)  # production password hashing
    pw = tmp / "admin.pw"
    pw.write_text(STRONG)
    steps: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    subprocess.run([*YZ, "init", "--admin", "office.admin", "--password-file", str(pw)], env=env, check=True,
                   capture_output=True)
    steps.append(("yuzhi init --admin office.admin --password-file FILE (schema + admin)", time.perf_counter() - t0))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.pop("YUZHI_PASSWORD_PROFILE", None)
    proc = start_serve(db, home, port, tmp / "first-serve.log")
    try:
        steps.append(("yuzhi serve until GET /readyz answers 200", wait_ready(base, proc)))
        anon = Client(base)

        def timed(label: str, client: Client, method: str, path: str, body: object = None, ok=(200, 201)) -> object:
            status, data, ms = client.call(method, path, body)
            if status not in ok:
                raise SystemExit(f"{label}: HTTP {status} {data!r:.300}")
            steps.append((f"{method} {path}  ({label})", ms / 1000))
            return data

        tok = timed("office admin logs in", anon, "POST", "/api/accounts/login",
                    {"username": "office.admin", "password": STRONG})["token"]  # type: ignore[index]
        office = Client(base, tok)
        timed("programme year 2026", office, "POST", "/api/vouchers/programmes",
              {"year": 2026, "name": "2026 河南算力券", "disclosure_days": 0})
        porg = timed("provider's organisation registers", anon, "POST", "/api/accounts/organisations",
                     {"uscc": code(99_999), "name": "国家超算郑州中心运营单位", "kind": "university"})
        timed("office approves it", office, "POST", f"/api/accounts/organisations/{porg['id']}/decision",  # type: ignore[index]
              {"approve": True})
        prov = timed("office whitelists the provider", office, "POST", "/api/vouchers/providers",
                     {"org_id": porg["id"], "name": "国家超算郑州中心", "criterion": "national_supercomputing",  # type: ignore[index]
                      "valid_from": "2026-01-01", "valid_to": "2027-12-31"})
        timed("provider operator account", office, "POST", "/api/accounts/users",
              {"username": "sc-zhengzhou", "password": "provider-pass-long-2026", "role": "provider",
               "provider_id": prov["id"]})  # type: ignore[index]
        ptok = timed("provider logs in", anon, "POST", "/api/accounts/login",
                     {"username": "sc-zhengzhou", "password": "provider-pass-long-2026"})["token"]  # type: ignore[index]
        api_tok = timed("provider's billing token", Client(base, ptok), "POST", "/api/accounts/tokens",
                        {"name": "billing", "days": 365})["token"]  # type: ignore[index]
        uorg = timed("a unit registers", anon, "POST", "/api/accounts/organisations",
                     {"uscc": code(1), "name": "郑州新材料股份有限公司", "kind": "enterprise", "industry": "新材料"})
        timed("office approves the unit", office, "POST", f"/api/accounts/organisations/{uorg['id']}/decision",  # type: ignore[index]
              {"approve": True})
        timed("unit member account", office, "POST", "/api/accounts/users",
              {"username": "unit1", "password": "unit-pass-long-2026", "role": "member", "org_id": uorg["id"]})  # type: ignore[index]
        utok = timed("unit member logs in", anon, "POST", "/api/accounts/login",
                     {"username": "unit1", "password": "unit-pass-long-2026"})["token"]  # type: ignore[index]
        app = timed("unit applies for a quota", Client(base, utok), "POST", "/api/vouchers/applications",
                    {"year": 2026, "provider_id": prov["id"], "contract_no": "HT-2026-001",  # type: ignore[index]
                     "planned_spend_fen": 500_000_00})
        timed("office approves the quota", office, "POST", f"/api/vouchers/applications/{app['id']}/review",  # type: ignore[index]
              {"approve": True})
        bill = timed("provider pushes the first bill", Client(base, api_tok), "POST", "/api/vouchers/bills",
                     {"invoice_no": "INV-2026-0001", "customer_uscc": code(1), "period_start": "2026-03-01",
                      "period_end": "2026-03-31", "amount_fen": 12_345_67})
        print(f"  first bill: {bill['amount_fen']} fen billed, subsidy {bill['subsidy_fen']} fen")  # type: ignore[index]
        for label, path in (("office dashboard, small year", "/api/vouchers/dashboard/2026"),
                            ("unit statement page, small year", f"/vouchers/statement?year=2026&org_id={uorg['id']}")):  # type: ignore[index]
            timed(label, office, "GET", path)
    finally:
        stop([proc])
    return steps


# --- phase 2: 1, 2, 4 processes ---------------------------------------------------------------


def _pusher(ports: list[int], world, bills: Bills):  # type: ignore[no-untyped-def]
    """One closed-loop client step: its own keep-alive connection, clients spread round-robin over ports."""
    counter = {"i": 0}

    def one(state: dict[str, object]) -> None:
        if "client" not in state:
            counter["i"] += 1
            c = Http(f"http://127.0.0.1:{ports[counter['i'] % len(ports)]}", world.token)
            state["client"], state["close"] = c, c.close
        status, body = state["client"].post("/api/vouchers/bills", bills.next())  # type: ignore[attr-defined]
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")

    return one


def _paced(ports: list[int], world, rate: float, seconds: float, n: int):  # type: ignore[no-untyped-def]
    """Single bills on a fixed schedule of ``rate``/s, senders spread over the processes; latency from
    each bill's due time (bench.vouchers.open_loop: no coordinated omission)."""
    from bench.vouchers import _post, open_loop

    counter = {"i": 0}

    def connect() -> Http:
        counter["i"] += 1
        return Http(f"http://127.0.0.1:{ports[counter['i'] % len(ports)]}", world.token)

    return open_loop(f"HTTP paced {rate:.0f}/s, {n} process(es)", Bills(world, f"paced{n}"), rate, seconds,
                     16, connect, _post)


def bench_procs(url: str, tmp: Path, counts: list[int], clients: int, seconds: float, units: int,
                paced_rate: float = 0.0, paced_seconds: float | None = None) -> dict[str, object]:
    from yuzhi.db import make_engine

    ensure_database(url)
    fresh_schema(url)
    engine = make_engine(url)
    world = setup_year(engine, units)
    engine.dispose()
    print(f"\n## bills over HTTP, N `yuzhi serve` processes on one PostgreSQL ({clients} clients, "
          f"{seconds:.0f} s each, {units} units)")
    base_r = raw_postgres(url, clients, seconds)
    print(fmt(base_r))
    out: dict[str, object] = {"pgbench": base_r}
    for n in counts:
        ports = [_free_port() for _ in range(n)]
        procs = [start_serve(url, tmp / f"home-{n}", p, tmp / f"serve-{n}-{i}.log", dispatcher=(i == 0))
                 for i, p in enumerate(ports)]
        try:
            for p, proc in zip(ports, procs, strict=True):
                wait_ready(f"http://127.0.0.1:{p}", proc)
            one = _pusher(ports, world, Bills(world, f"p{n}"))
            r = closed_loop(f"HTTP single bills, {n} process(es)", clients, seconds, one)
            print(fmt(r) + f"   ratio to pgbench {r.rate / base_r.rate:.3f}")
            out[f"closed {n}"] = r
            if paced_rate > 0:
                rr = _paced(ports, world, paced_rate, paced_seconds or seconds, n)
                print(fmt(rr))
                out[f"paced {n}"] = rr
        finally:
            stop(procs)
    return out


# --- phase 3: a big year ----------------------------------------------------------------------


def setup_year(engine, units: int):  # type: ignore[no-untyped-def]
    """bench.vouchers' world, sized so that every unit gets a quota within the plan's 50-million-yuan pool:
    one provider, ``units`` units planning 200,000 yuan each (a 40,000-yuan quota; 1,000 units = 40 M)."""
    from bench.vouchers import setup_world

    return setup_world(engine, units, planned_spend_fen=200_000_00, name="2026 scale", password=STRONG)


def generate_year(url: str, units: int, bills: int, real: int, batch: int = 1000) -> tuple[float, float]:
    """``units`` units with quota; the first ``real`` bills through ``record_bills`` (the real batch path:
    ledger postings, audit events and the dashboard's monthly totals in the same transaction), the rest
    copied from them in SQL (:func:`fill_bills`). Returns the seconds each part took."""
    from concurrent.futures import ThreadPoolExecutor

    from yuzhi.accounts.actor import Actor, Role
    from yuzhi.db import make_engine, session_factory
    from yuzhi.vouchers.schemas import BillIn
    from yuzhi.vouchers.service import record_bills  # (service first: bills and service import each other)

    ensure_database(url)
    fresh_schema(url)
    engine = make_engine(url, pool_size=4)
    t0 = time.perf_counter()
    world = setup_year(engine, units)
    meter = Actor(user_id=None, username="bench-provider", role=Role.PROVIDER, provider_id=world.provider_id)
    sm = session_factory(engine)
    real = min(real, bills)

    def chunk(k: int) -> None:
        rows = []
        for i in range(k * batch, min(real, (k + 1) * batch)):
            month = 1 + (i // max(1, real // 12)) % 12
            rows.append(BillIn(invoice_no=f"Y-{i:09d}", customer_uscc=world.unit_codes[(i * 7919) % units],
                               period_start=date(2026, month, 1), period_end=date(2026, month, 28),
                               amount_fen=10_000 + (i * 104_729) % 2_000_000))
        with sm() as s, s.begin():
            record_bills(s, actor=meter, bills_in=rows, source="bench")

    n_chunks = (real + batch - 1) // batch
    done = 0
    with ThreadPoolExecutor(2) as pool:
        for _ in pool.map(chunk, range(n_chunks)):
            done += 1
            if done % 50 == 0:
                print(f"  recorded {done * batch:,} bills ({time.perf_counter() - t0:.0f} s)", flush=True)
    t_real = time.perf_counter() - t0
    t1 = time.perf_counter()
    if bills > real:
        fill_bills(engine, bills - real)
    from sqlalchemy import text

    with engine.connect() as conn:  # the planner's statistics, as autovacuum keeps them on a live system
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return t_real, time.perf_counter() - t1


def fill_bills(engine, extra: int) -> None:  # type: ignore[no-untyped-def]
    """``extra`` more bills as copies of the recorded ones (new invoice numbers, usage months spread over
    the year), in SQL: a read-side load only. They carry no ledger postings or audit events, so books
    checks are not meaningful on this database; the dashboard's totals are recomputed from all bills
    with the same function the migration uses (``yuzhi.vouchers.summary.rebuild``)."""
    from sqlalchemy import text

    from yuzhi.vouchers import summary

    cols = ("created_at, updated_at, provider_id, org_id, programme_id, kind, original_bill_id, amount_fen, "
            "eligible_fen, subsidy_fen, owed_fen, credited_fen, net_subsidy_fen, ineligible_reason, settlement_mode, "
            "payload_hash, source")
    with engine.begin() as conn:
        n_real = conn.execute(text("SELECT count(*) FROM voucher_bills")).scalar()
        copies = -(-extra // n_real)
        conn.execute(text(
            f"INSERT INTO voucher_bills (invoice_no, period_start, period_end, {cols}) "
            f"SELECT 'F' || g || '-' || b.invoice_no, make_date(2026, 1 + (b.id + g) % 12, 1), "
            f"make_date(2026, 1 + (b.id + g) % 12, 28), {', '.join('b.' + c.strip() for c in cols.split(','))} "
            "FROM generate_series(1, :copies) AS g CROSS JOIN voucher_bills AS b "
            "WHERE b.kind = 'bill' ORDER BY g, b.id LIMIT :extra"), {"copies": copies, "extra": extra})
        summary.rebuild(conn)


def bench_big_year(url: str, tmp: Path, units: int, bills: int, repeat: int, skip_generate: bool,
                   real: int = 100_000) -> dict[str, tuple[float, float]]:
    from sqlalchemy import func, select

    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.models import Organisation, User
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.db import make_engine, session_factory
    from yuzhi.vouchers.models import Bill

    if not skip_generate:
        t_real, t_fill = generate_year(url, units, bills, real)
        n_real = min(real, bills)
        print(f"  generated {units:,} units and {n_real:,} bills through record_bills in {t_real:.0f} s "
              f"({n_real / t_real:.0f} bills/s, batches of 1,000)"
              + (f"; {bills - n_real:,} more copied in SQL in {t_fill:.0f} s (no ledger/audit rows)"
                 if bills > n_real else ""))
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        n = s.scalar(select(func.count(Bill.id)))
        org_id = s.scalar(select(Organisation.id).where(Organisation.name == "基准企业1"))
        if s.scalar(select(User.id).where(User.username == "bench-office")) is None:
            accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(username="bench-office", password=STRONG,
                                                                     role=Role.OFFICE_ADMIN.value))
    engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_serve(url, tmp / "big-home", port, tmp / "big-serve.log", dispatcher=False)
    try:
        wait_ready(base, proc)
        status, data, _ = Client(base).call("POST", "/api/accounts/login", {"username": "bench-office",
                                                                             "password": STRONG})
        assert status == 200, data
        office = Client(base, data["token"])  # type: ignore[index]
        print(f"\n## a big year: {n:,} bills in the database ({units:,} units)")
        out: dict[str, tuple[float, float]] = {}
        for label, path in (("office dashboard API", "/api/vouchers/dashboard/2026"),
                            ("office dashboard page", "/vouchers/dashboard?year=2026"),
                            ("unit statement API", f"/api/vouchers/statement/2026?org_id={org_id}"),
                            ("unit statement page", f"/vouchers/statement?year=2026&org_id={org_id}")):
            times = []
            for _ in range(repeat):
                status, body, ms = office.call("GET", path)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status} {body!r:.300}")
                times.append(ms)
            print(f"  {label:<24} {_pcts(times)}   first {times[0]:8.1f} ms   ({repeat} requests, aim p95 < 300 ms)")
            t = sorted(times)
            out[label] = (t[len(t) // 2], t[min(len(t) - 1, int(0.95 * len(t)))])
    finally:
        stop([proc])
    sql_baselines(url, repeat)
    return out


def _pcts(times: list[float]) -> str:
    t = sorted(times)
    return f"p50 {t[len(t) // 2]:8.1f} ms   p95 {t[min(len(t) - 1, int(0.95 * len(t)))]:8.1f} ms"


def sql_baselines(url: str, repeat: int) -> None:
    """The dashboard's bill totals read two ways in the same run: the textbook way (sum the year's bills
    in the database, what the dashboard did before the summary table) and from the summary table; and
    the ledger prefix sums the dashboard adds (settled, owed back, repaid)."""
    from sqlalchemy import text

    from yuzhi.db import make_engine

    engine = make_engine(url)
    queries = (
        ("baseline: bills summed per month/kind/provider", "SELECT period_end, kind, provider_id, sum(subsidy_fen), "
         "count(*) FROM voucher_bills WHERE programme_id = :p GROUP BY period_end, kind, provider_id"),
        ("now: summary table read", "SELECT month, kind, provider_id, sum(subsidy_fen), sum(bills) FROM "
         "voucher_bill_months WHERE programme_id = :p GROUP BY month, kind, provider_id"),
        ("ledger prefix sum paid:2026:", "SELECT account, sum(amount) FROM ledger_entries WHERE account LIKE "
         "'paid:2026:%' GROUP BY account"),
    )
    print("\n## the same figures in SQL (one connection, no HTTP)")
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT id FROM voucher_programmes WHERE year = 2026")).scalar()
        sizes = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                 for t in ("voucher_bills", "voucher_bill_months", "ledger_entries", "audit_events")}
        print("  rows: " + ", ".join(f"{t} {k:,}" for t, k in sizes.items()))
        base = None
        for label, sql in queries:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                conn.execute(text(sql), {"p": pid}).all()
                times.append((time.perf_counter() - t0) * 1000)
            p95 = sorted(times)[min(len(times) - 1, int(0.95 * len(times)))]
            base = base or p95
            print(f"  {label:<48} {_pcts(times)}   p95 ratio to baseline {p95 / base:.3f}")
        conn.rollback()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phases", default="first-bill,procs,big-year")
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--bills", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--paced-rate", type=float, default=20.0,
                    help="bills/s of the paced single-bill run after each closed-loop run (0: none)")
    ap.add_argument("--real-bills", type=int, default=100_000,
                    help="bills recorded through record_bills; the rest of --bills are SQL copies of them")
    ap.add_argument("--skip-generate", action="store_true", help="reuse the big year already in the database")
    ap.add_argument("--paced-seconds", type=float, default=None, help="length of each paced run (default --seconds)")
    ap.add_argument("--quick", action="store_true", help="the re-run for a quiet machine, <= 6 min on 2 CPUs: "
                    + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items()) + " (flags given win)")
    if argv is None:
        argv = sys.argv[1:]
    if "--quick" in argv:
        ap.set_defaults(**QUICK)
    args = ap.parse_args(argv)
    t_run = time.perf_counter()
    url = os.environ.get("YUZHI_BENCH_DATABASE_URL", DEFAULT_URL)
    phases = set(args.phases.split(","))
    print(f"# bench/scale.py on {os.cpu_count()} CPUs, PostgreSQL at {url.rsplit('@', 1)[-1]}")
    with tempfile.TemporaryDirectory(prefix="yuzhi-scale-") as td:
        tmp = Path(td)
        if "first-bill" in phases:
            print("\n## zero to first bill (production password hashing)")
            total = 0.0
            for label, secs in first_bill(url, tmp):
                total += secs
                print(f"  {secs * 1000:9.1f} ms  {label}")
            print(f"  {total:9.2f} s   in all")
        procs: dict[str, object] = {}
        big: dict[str, tuple[float, float]] = {}
        if "procs" in phases:
            procs = bench_procs(url, tmp, [int(x) for x in args.procs.split(",")], args.clients, args.seconds,
                                min(args.units, 200), args.paced_rate, args.paced_seconds)
        if "big-year" in phases:
            big = bench_big_year(url, tmp, args.units, args.bills, args.repeat, args.skip_generate, args.real_bills)
    summary(procs, big, args, time.perf_counter() - t_run)
    return 0


#: ``--quick``: single-bill paced latency beside pgbench with 1 and 2 processes, then the dashboard and
#: statement on a generated year of 1,000 units and 100,000 bills (20,000 through the real batch path,
#: the rest SQL copies of them). About 4–5 minutes on the 2-CPU development box.
QUICK: dict[str, object] = {"phases": "procs,big-year", "procs": "1,2", "clients": 8, "seconds": 5.0,
                            "paced_seconds": 15.0, "paced_rate": 20.0, "units": 1000, "bills": 100_000,
                            "real_bills": 20_000, "repeat": 30}


def summary(procs: dict[str, object], big: dict[str, tuple[float, float]], args: argparse.Namespace,
            seconds: float) -> None:
    """The figures the issue sets aims for, on a few lines, each beside its aim or baseline."""
    print(f"\n## summary ({seconds / 60:.1f} min, load average {os.getloadavg()[0]:.1f} at the end)")
    base = procs.get("pgbench")
    if base is not None:
        print(f"  pgbench TPC-B, {args.clients} clients: {base.rate:.1f} tx/s (baseline)")  # type: ignore[attr-defined]
    for key, r in procs.items():
        if key.startswith("paced"):
            print(f"  single bill over HTTP, paced {args.paced_rate:.0f}/s, {key.split()[1]} process(es): "
                  f"p50 {r.pct(0.5):.1f} ms, p99 {r.pct(0.99):.1f} ms (aim p99 < 50 ms)")  # type: ignore[attr-defined]
        elif key.startswith("closed") and base is not None:
            print(f"  closed loop, {key.split()[1]} process(es): {r.rate:.1f} bills/s = "  # type: ignore[attr-defined]
                  f"{r.rate / base.rate:.3f} of pgbench")  # type: ignore[attr-defined]
    for label, (p50, p95) in big.items():
        print(f"  {label} at {args.bills:,} bills: p50 {p50:.0f} ms, p95 {p95:.0f} ms (aim p95 < 300 ms)")


if __name__ == "__main__":
    raise SystemExit(main())
