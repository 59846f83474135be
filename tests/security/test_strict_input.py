"""Strict money and dates, sane bounds, workbook limits (issue 13, items 3 and 4)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.factories import code
from tests.kpi.builders import workbook
from yuzhi.errors import InvalidInput
from yuzhi.kpi.cli import app as kpi_cli

BILL = {"invoice_no": "INV-S1", "customer_uscc": code(1), "period_start": "2026-03-01",
        "period_end": "2026-03-31", "amount_fen": 123_45}


def test_money_must_be_a_json_integer(client, callers) -> None:
    prov = callers.headers["provider"]
    for bad in (True, "100", 100.0, 1e17, 10**16):
        r = client.post("/api/vouchers/bills", json={**BILL, "amount_fen": bad}, headers=prov)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"]["field"] == "amount_fen" and r.json()["detail"]["fix"]
    assert client.get("/api/vouchers/bills", headers=callers.headers["office"]).json()["count"] == 0


def test_dates_refuse_datetimes(client, callers) -> None:
    prov = callers.headers["provider"]
    for bad in ("2026-03-01T00:00:00", "2026-03-01T10:30:00Z", "2026-03-01 00:00", 1772323200):
        r = client.post("/api/vouchers/bills", json={**BILL, "period_start": bad}, headers=prov)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"]["field"] == "period_start"
    assert client.post("/api/vouchers/bills", json=BILL, headers=prov).status_code == 201


def test_negative_paging_is_refused_not_unbounded(client, callers) -> None:
    office = callers.headers["office"]
    for url in ("/api/vouchers/bills", "/api/vouchers/applications", "/api/compute/jobs", "/api/kpi/reports",
                "/api/awards/applications", "/api/monitor/alarms", "/api/accounts/organisations"):
        r = client.get(url, params={"limit": -1, "offset": -5}, headers=office)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail"]["field"] in ("limit", "offset")
        assert client.get(url, params={"limit": 1001}, headers=office).status_code == 422


def test_programme_unit_cap_above_pool_is_refused(client, callers) -> None:
    r = client.post("/api/vouchers/programmes", headers=callers.headers["office"], json={
        "year": 2027, "name": "2027", "pool_fen": 100_00, "unit_cap_fen": 200_00})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == "unit_cap_fen"
    assert [p["year"] for p in client.get("/api/vouchers/programmes").json()] == [2026]


def test_workbook_revenue_beyond_range_is_a_4xx_and_check_file_agrees(client, callers, tmp_path) -> None:
    data = workbook([[code(1), 2026, 1, 1e17, 1, 1, 1]])
    r = client.post("/api/kpi/reports/upload", headers=callers.headers["member_a"], files={"file": ("q.xlsx", data)})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == "季度报表!D2" and "largest amount" in r.json()["detail"]["message"]
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)
    res = CliRunner().invoke(kpi_cli, ["check-file", str(path)])
    assert isinstance(res.exception, InvalidInput) and res.exception.field == "季度报表!D2"
    counts = workbook([[code(1), 2026, 1, 1, 1, 10**12, 1]])
    r = client.post("/api/kpi/reports/upload", headers=callers.headers["member_a"], files={"file": ("q.xlsx", counts)})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "季度报表!F2"


def test_webhooks_to_loopback_link_local_or_metadata_are_refused(client, callers, monkeypatch) -> None:
    from yuzhi.config import get_settings
    from yuzhi.monitor.service import webhook_target_problem

    a = callers.headers["member_a"]
    for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8000/api/accounts/users",
                "http://localhost/x", "http://[::1]/x", "http://metadata.google.internal/x", "http://0.0.0.0/x",
                "http://100.100.100.200/latest/meta-data", "http://[::1/x"):
        r = client.post("/api/monitor/webhooks", json={"url": url}, headers=a)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail"]["field"] == "url" and "YUZHI_WEBHOOK_ALLOW" in r.json()["detail"]["fix"]
    assert client.post("/api/monitor/webhooks", json={"url": "http://10.8.0.5/hook"}, headers=a).status_code == 201
    monkeypatch.setenv("YUZHI_WEBHOOK_ALLOW", "127.0.0.1, 169.254.10.0/24")
    get_settings.cache_clear()
    try:
        assert client.post("/api/monitor/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=a).status_code == 201
        assert client.post("/api/monitor/webhooks", json={"url": "http://169.254.10.7/h"},
                           headers=a).status_code == 201
        assert client.post("/api/monitor/webhooks", json={"url": "http://169.254.169.254/h"},
                           headers=a).status_code == 422
    finally:
        get_settings.cache_clear()
    assert webhook_target_problem("http://localhost:8000/x", "", resolve=True)  # a name resolving inwards


def test_error_messages_do_not_reveal_server_paths(client, callers) -> None:
    """Domain errors name fields, not the server's folders (e.g. the artifact store or the data dir)."""
    a = callers.headers["member_a"]
    probes = [client.get("/api/compute/artifacts/" + "0" * 64, headers=a),
              client.post("/api/compute/jobs", json={"kind": "app", "app": "nope", "inputs": {"x": "0" * 64}},
                          headers=a),
              client.post("/api/kpi/reports/upload", headers=a, files={"file": ("q.xlsx", b"not a workbook")}),
              client.post("/api/schedule/plans", headers=a, files={"file": ("p.json", b"{")}),
              client.post("/api/assist/kbs/1/documents", headers=a, files={"files": ("x.exe", b"MZ")}),
              client.post("/api/monitor/samples/file", headers=a, files={"file": ("s.csv", b"")})]
    for r in probes:
        assert 400 <= r.status_code < 500, r.text
        assert "/work/" not in r.text and "/tmp/" not in r.text and "site-packages" not in r.text, r.text
