"""``kill -9`` of ``yuzhi serve`` while 8 threads push bills, restart, replay everything (issue 13).

Nothing acknowledged may be lost, nothing may be recorded twice, the caps must hold, and the books
(``yuzhi ledger check``) and the audit trail with its anchors (``yuzhi audit verify``) must pass.
Runs on PostgreSQL when ``YUZHI_TEST_DATABASE_URL`` is set, else on the SQLite file of the test run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.browser import free_port
from tests.factories import approved_quota, code, make_world
from yuzhi.accounts import service as accounts
from yuzhi.accounts.models import User
from yuzhi.db import transaction
from yuzhi.vouchers.models import Bill, QuotaApplication

YUZHI = Path(sys.executable).parent / "yuzhi"
THREADS, PER_THREAD, UNITS = 8, 20, 4
UNIT_CAP_FEN = 30_000_00  # small, so that the caps are reached during the run


def _env(engine, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"YUZHI_DATABASE_URL": engine.url.render_as_string(hide_password=False), "YUZHI_HOME": str(home),
                "YUZHI_PASSWORD_PROFILE": "test", "YUZHI_AUDIT_ANCHOR_SECONDS": "2", "YUZHI_DISPATCHER": "false"})
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([str(YUZHI), "serve", "--port", str(port)], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"yuzhi serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"yuzhi serve did not answer within 30 s: {log.read_text()[-2000:]}")


def _bill(t: int, i: int) -> dict[str, object]:
    unit = (t + i) % UNITS
    return {"invoice_no": f"K9-{t}-{i:03d}", "customer_uscc": code(unit + 1), "period_start": "2026-03-01",
            "period_end": "2026-03-31", "amount_fen": 4_000_00 + 1_00 * i + t}


def _push(port: int, token: str, t: int, acked: dict[str, dict], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                      timeout=10) as c:
        for i in range(PER_THREAD):
            if stop.is_set():
                return
            body = _bill(t, i)
            try:
                r = c.post("/api/vouchers/bills", json=body)
            except httpx.HTTPError:
                return  # the server died under us: this bill's fate is unknown until the replay
            if r.status_code in (200, 201):
                acked[str(body["invoice_no"])] = r.json()


def test_kill_9_mid_billing_loses_and_duplicates_nothing(engine, tmp_path):
    if not YUZHI.exists():
        pytest.skip(f"the yuzhi console script is not installed at {YUZHI}")
    with transaction(engine) as s:
        w = make_world(s, units=UNITS, unit_cap_fen=UNIT_CAP_FEN)
        apps = [approved_quota(s, w, u, 200_000_00, contract=f"K9-{u}") for u in range(UNITS)]
        provider = s.scalar(select(User).where(User.username == "provider"))
        _, token = accounts.issue_token(s, user=provider, name="billing", days=30)
    env, port, log = _env(engine, tmp_path), free_port(), tmp_path / "serve.log"
    started = time.monotonic()

    server = _serve(env, port, log)
    acked: dict[str, dict] = {}
    stop = threading.Event()
    threads = [threading.Thread(target=_push, args=(port, token, t, acked, stop)) for t in range(THREADS)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 20
    while len(acked) < THREADS * PER_THREAD // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(server.pid, signal.SIGKILL)  # mid-run: requests in flight, a group commit maybe half done
    server.wait(10)
    stop.set()
    for th in threads:
        th.join(15)
    acked_before = dict(acked)
    assert 0 < len(acked_before) < THREADS * PER_THREAD, "the kill did not land mid-run"

    server = _serve(env, port, log)
    try:
        replies: dict[str, tuple[int, dict]] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as c:
            for t in range(THREADS):
                for i in range(PER_THREAD):
                    body = _bill(t, i)
                    r = c.post("/api/vouchers/bills", json=body)
                    assert r.status_code in (200, 201), r.text
                    replies[str(body["invoice_no"])] = (r.status_code, r.json())
        time.sleep(2.5)  # one anchoring round after the last write
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)

    # nothing acknowledged was lost, and its replay says so with the same figures
    for inv, first in acked_before.items():
        status, again = replies[inv]
        assert status == 200 and again["replay"] is True, inv
        assert (again["id"], again["subsidy_fen"]) == (first["id"], first["subsidy_fen"]), inv
    with transaction(engine) as s:
        # nothing twice: one bill per invoice, every invoice once
        invoices = s.scalars(select(Bill.invoice_no).where(Bill.invoice_no.like("K9-%"))).all()
        assert sorted(invoices) == sorted(replies) and len(set(invoices)) == len(invoices)
        # caps hold: no quota overdrawn, no unit above its cap
        quotas = [s.get(QuotaApplication, app_id) for app_id in apps]
        assert all(0 <= q.used_fen <= q.approved_fen <= UNIT_CAP_FEN for q in quotas)
        assert all(q.used_fen == q.approved_fen for q in quotas)  # the caps were reached, and held
        per_unit = dict(s.execute(select(Bill.org_id, func.sum(Bill.subsidy_fen)).group_by(Bill.org_id)).all())
        assert all(v <= UNIT_CAP_FEN for v in per_unit.values()), per_unit
    for command in (["ledger", "check"], ["audit", "verify"]):
        out = subprocess.run([str(YUZHI), *command], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"yuzhi {' '.join(command)}: {out.stdout[-3000:]} {out.stderr[-2000:]}"
    assert "signed anchors" in out.stdout  # audit verify checked the anchors the server took
    print(f"kill -9 run: {len(acked_before)} acknowledged before the kill, {len(replies)} replayed, "
          f"{time.monotonic() - started:.1f} s")
