"""HTTP API and pages: push samples, alarms list/ack/clear, traces, tenancy, errors."""

from __future__ import annotations

import time

from tests.factories import PASSWORD
from tests.monitor.conftest import make_tenants
from yuzhi.db import transaction


def login(client, username):
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def setup(client, engine):
    with transaction(engine) as s:
        make_tenants(s)
    a, b = login(client, "op0"), login(client, "op1")
    r = client.post("/api/monitor/sensors", json={"key": "ch4_face", "unit": "%", "preset": "methane.coal_face",
                                                  "period_s": 60}, headers=a)
    assert r.status_code == 201, r.text
    client.post("/api/monitor/sensors", json={"key": "flow", "unit": "m3/h", "period_s": 60}, headers=a)
    return a, b


SAMPLES = [{"sensor": "ch4_face", "ts": f"2026-03-01T08:0{i}:00Z", "value": v}
           for i, v in enumerate([0.5, 0.9, 1.2, 1.6, 1.1, 0.8])] + [
    {"sensor": "flow", "ts": f"2026-03-01T08:0{i}:00Z", "value": 400 - 20 * i} for i in range(6)]


def test_push_samples_alarm_lifecycle_and_traces(client, engine, receiver):
    a, b = setup(client, engine)
    assert client.post("/api/monitor/webhooks", json={"url": receiver.url}, headers=a).status_code == 201
    r = client.post("/api/monitor/samples", json={"samples": SAMPLES}, headers=a)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], len(body["alarms_raised"]), len(body["alarms_normal"])) == (
        12, 0, 2, 2)
    r = client.post("/api/monitor/samples", json={"samples": SAMPLES[:2]}, headers=a)
    assert (r.json()["accepted"], r.json()["duplicates"]) == (0, 2)

    alarms = client.get("/api/monitor/alarms", headers=a).json()
    assert alarms["count"] == 2
    power = next(x for x in alarms["data"] if x["level"] == "power_off")
    assert (power["status"], power["active"], power["peak"], power["threshold"]) == ("raised", False, 1.6, 1.5)
    assert power["raised_at"].startswith("2026-03-01T08:03:00") and power["normal_at"].startswith("2026-03-01T08:05")

    # other tenant: 404, empty list
    assert client.get(f"/api/monitor/alarms/{power['id']}", headers=b).status_code == 404
    assert client.get("/api/monitor/alarms", headers=b).json() == {"data": [], "count": 0}
    r = client.post(f"/api/monitor/alarms/{power['id']}/acknowledge", json={"comment": "x"}, headers=b)
    assert r.status_code == 404

    r = client.post(f"/api/monitor/alarms/{power['id']}/acknowledge", json={"comment": ""}, headers=a)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "comment"
    r = client.post(f"/api/monitor/alarms/{power['id']}/acknowledge", json={"comment": "fan restarted"}, headers=a)
    assert r.status_code == 200 and r.json()["status"] == "cleared"      # condition already normal
    r = client.post(f"/api/monitor/alarms/{power['id']}/clear", json={"comment": "again"}, headers=a)
    assert r.status_code == 409 and "already cleared" in r.json()["detail"]["message"]

    tr = client.get(f"/api/monitor/alarms/{power['id']}/traces", params={"before_s": 120, "after_s": 0},
                    headers=a).json()
    assert [v for _, v in tr["traces"]["ch4_face"]] == [0.9, 1.2, 1.6, 1.1, 0.8]
    assert [v for _, v in tr["traces"]["flow"]] == [380, 360, 340, 320, 300]

    deadline = time.monotonic() + 5          # webhooks go out after the response (background task)
    while time.monotonic() < deadline and len(receiver.received) < 5:
        time.sleep(0.05)
    assert sorted(r["header"] for r in receiver.received) == sorted(
        ["monitor.alarm.raised"] * 2 + ["monitor.alarm.normal"] * 2 + ["monitor.alarm.cleared"])

    page = client.get(f"/monitor/alarms/{power['id']}", headers=a)
    assert page.status_code == 200 and "<svg" in page.text and "ch4_face" in page.text and "flow" in page.text
    lst = client.get("/monitor/alarms", headers=a)
    assert lst.status_code == 200 and f'alarm-row-{power["id"]}' in lst.text
    assert client.get(f"/monitor/alarms/{power['id']}", headers=b).status_code == 404


def test_bad_pushes(client, engine):
    a, _ = setup(client, engine)
    r = client.post("/api/monitor/samples", json={"samples": [{"sensor": "nope", "ts": "2026-03-01T08:00:00Z",
                                                               "value": 1}]}, headers=a)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "sensor"
    assert "unknown sensor(s): nope" in r.json()["detail"]["message"]
    r = client.post("/api/monitor/samples", json={"samples": [{"sensor": "flow", "ts": "yesterday", "value": 1}]},
                    headers=a)
    assert r.status_code == 422
    r = client.post("/api/monitor/sensors", json={"key": "a b"}, headers=a)
    assert r.status_code == 422
    r = client.post("/api/monitor/sensors", json={"key": "x", "preset": "methane.face"}, headers=a)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "preset"
    assert client.get("/api/monitor/alarms").status_code == 401


def test_upload_file_and_page_forms(client, engine):
    a, _ = setup(client, engine)
    csv = "timestamp;ch4_face;flow\n2026-03-01 08:00:00;0.5;400\n2026-03-01 08:01:00;1.1;390\n"
    r = client.post("/api/monitor/samples/file", files={"file": ("m.csv", csv.encode())}, headers=a)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], len(r.json()["alarms_raised"])) == (4, 1)
    bad = "timestamp;ch4_face;flow\n2026-03-01 08:02:00;0,7%;400\n"
    r = client.post("/api/monitor/samples/file", files={"file": ("bad.csv", bad.encode())}, headers=a)
    assert r.status_code == 422 and "row 1 (line 2), column 'ch4_face'" in r.json()["detail"]["message"]
    alarm_id = client.get("/api/monitor/alarms", headers=a).json()["data"][0]["id"]
    r = client.post(f"/monitor/alarms/{alarm_id}/clear", data={"comment": "no"}, headers=a)
    assert r.status_code == 409 and f"告警 {alarm_id} 须先确认" in r.text  # in the page language (issue 15)
    r = client.post(f"/monitor/alarms/{alarm_id}/acknowledge", data={"comment": "checked"}, headers=a,
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/monitor/alarms/{alarm_id}", headers=a).json()["status"] == "acknowledged"
