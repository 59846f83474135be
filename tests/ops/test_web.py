"""/healthz, /readyz, /metrics and the request id, on the real app (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import re


def test_healthz_and_readyz_need_no_login(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["status"] == "current"
    assert body["checks"]["dispatcher"]["state"] in ("none running", "unknown", "leader elsewhere")


def test_request_id_is_echoed_and_put_in_error_bodies(client):
    r = client.get("/api/accounts/organisations/7", headers={"X-Request-ID": "trace-abc.123"})
    assert r.status_code == 401
    assert r.headers["x-request-id"] == "trace-abc.123"
    assert r.json()["detail"]["request_id"] == "trace-abc.123"
    assert r.json()["detail"]["code"] == "unauthenticated"
    r = client.get("/api/accounts/organisations/7", headers={"X-Request-ID": "bad id with spaces;" + "x" * 80})
    rid = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # unsafe ids are replaced, not logged
    assert r.json()["detail"]["request_id"] == rid
    ok = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", ok.headers["x-request-id"])


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


def test_metrics_from_localhost_count_requests_and_database_state(client, session):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/accounts/organisations/7")  # 401
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert _value(text, "yuzhi_http_requests_total", route="/healthz", status="200") >= 2
    assert _value(text, "yuzhi_http_requests_total", route="/api/accounts/organisations/{org_id}", status="401") >= 1
    assert _value(text, "yuzhi_http_request_duration_seconds_count", route="/healthz") >= 2
    assert _value(text, "yuzhi_database_up") == 1
    assert _value(text, "yuzhi_audit_events") == 0  # empty database
    assert "yuzhi_bill_group_commit_batch_size_bucket" in text


def test_metrics_through_a_proxy_need_an_office_token(client, session):
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.accounts.service import create_user

    r = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 403
    assert "office" in r.json()["detail"]["message"] and r.json()["detail"]["request_id"]
    for name, role in (("boss", "office_admin"), ("prov", "office_reviewer")):
        create_user(session, actor=SYSTEM, user_in=UserCreate(username=name, password="pw-long-enough-1",
                                                               role=role))
    session.commit()
    tok = client.post("/api/accounts/login", json={"username": "boss", "password": "pw-long-enough-1"})
    assert tok.status_code == 200, tok.text
    token = tok.json()["token"]
    r = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "yuzhi_audit_events" in r.text


def test_json_log_lines_carry_the_request_id():
    import json
    import logging

    from yuzhi.ops.logging import JsonFormatter, RequestIdFilter, request_id_var

    token = request_id_var.set("req-42")
    try:
        rec = logging.LogRecord("yuzhi.web", logging.ERROR, __file__, 1, "bill %s refused", ("INV-1",), None)
        RequestIdFilter().filter(rec)
        line = JsonFormatter().format(rec)
    finally:
        request_id_var.reset(token)
    data = json.loads(line)
    assert data["request_id"] == "req-42" and data["message"] == "bill INV-1 refused"
    assert data["level"] == "error" and data["ts"].endswith("+00:00")


def test_metrics_count_bills_and_group_commit_batches(client, session):
    from tests.factories import PASSWORD, approved_quota, code, make_world

    w = make_world(session, units=1)
    approved_quota(session, w, 0, 10_000_00, contract="C-1")
    session.commit()
    token = client.post("/api/accounts/login", json={"username": "provider", "password": PASSWORD}).json()["token"]
    before = _value(client.get("/metrics").text, "yuzhi_bill_group_commit_bills_total") or 0.0
    for i in range(3):
        r = client.post("/api/vouchers/bills", headers={"Authorization": f"Bearer {token}"}, json={
            "invoice_no": f"M-{i}", "customer_uscc": code(1), "period_start": "2026-03-01",
            "period_end": "2026-03-31", "amount_fen": 1_000_00})
        assert r.status_code == 201, r.text
    text = client.get("/metrics").text
    assert _value(text, "yuzhi_bill_group_commit_bills_total") == before + 3
    assert _value(text, "yuzhi_bill_group_commit_batch_size_count") >= 1
    assert _value(text, "yuzhi_bills_recorded", kind="bill") == 3
    assert _value(text, "yuzhi_audit_events") > 3
