"""The operator's console: tiles by severity, Beijing time, languages, drill-down, SSE, tenancy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from tests.monitor.conftest import make_tenants
from tests.monitor.test_api import login
from yuzhi.db import transaction
from yuzhi.errors import InvalidInput
from yuzhi.monitor import console as C

AT = "2026-03-01T16:05:30+08:00"  # 90 s after the last sample (stale after 3 periods = 180 s)


def test_formatting_and_severity():
    assert [C.fmt_value(v) for v in (1.2999999999999998, 401.23456, 0.0041666, 12.345, 0, None)] == [
        "1.30", "401", "0.00417", "12.3", "0", "—"]
    assert C.beijing(datetime(2026, 3, 1, 8, 4)) == "2026-03-01 16:04:00"  # naive = UTC, as stored
    assert C.beijing(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == "2026-03-02 04:00:00"
    assert C.state_of(["early_warning", "power_off", "stale"]) == "critical"
    assert C.state_of(["stale", "early_warning"]) == "warning"
    assert C.state_of(["high"]) == "alarm" and C.state_of([]) == "ok"
    with pytest.raises(InvalidInput, match="unknown time range"):
        C.parse_range("3h")
    svg = C.sparkline_svg([(0, 1.0), (30, 2.0), (60, 1.5)], 0, 60, limits=[1.8])
    assert svg.count("<polyline") == 1 and 'class="limit"' in svg
    assert len(C.downsample([(i, float(i % 7)) for i in range(10_000)], 100)) <= 100


def setup_site(client, engine):
    with transaction(engine) as s:
        make_tenants(s)
    a, b = login(client, "op0"), login(client, "op1")
    r = client.post("/api/monitor/sensors", json={"key": "ch4_face", "name": "采煤工作面甲烷", "unit": "%",
                                                  "preset": "methane.coal_face", "period_s": 60}, headers=a)
    assert r.status_code == 201, r.text
    ch4 = r.json()["id"]
    client.post("/api/monitor/sensors", json={"key": "flow", "name": "主通风机风量", "unit": "m³/min",
                                              "period_s": 60}, headers=a)
    samples = [{"sensor": "ch4_face", "ts": f"2026-03-01T08:0{i}:00Z", "value": v}
               for i, v in enumerate([0.5, 0.9, 1.2, 1.6, 1.3])]
    samples += [{"sensor": "flow", "ts": f"2026-03-01T08:0{i}:00Z", "value": 400.123456789 - 20 * i}
                for i in range(5)]
    assert client.post("/api/monitor/samples", json={"samples": samples}, headers=a).status_code == 200
    return a, b, ch4


def tile(html: str, key: str) -> str:
    m = re.search(rf'<a class="mon-tile (st-\w+)"[^>]*data-testid="tile-{key}".*?</a>', html, re.S)
    assert m, key
    return m.group(0)


def test_console_tiles_severity_units_beijing_time_and_languages(client, engine):
    a, b, ch4 = setup_site(client, engine)
    page = client.get("/monitor", params={"range": "1h", "at": AT}, headers=a)
    assert page.status_code == 200, page.text
    html = page.text
    t = tile(html, "ch4_face")
    assert "st-critical" in t  # methane power-off: the loudest state
    assert "采煤工作面甲烷" in t and ">1.30<" in t and ">%<" in t
    assert "断电" in t and "2026-03-01 16:04:00" in t  # level in Chinese, Beijing time
    f = tile(html, "flow")
    assert "st-ok" in f and ">320<" in f and "m³/min" in f  # 400.12 - 80, no 16 decimals
    assert "400.123456789" not in html and "+00:00" not in html
    assert "<polyline" in f  # sparkline
    # the unacknowledged alarms wait in a list with a way to acknowledge them
    assert 'data-testid="unacked"' in html and "/acknowledge" not in html and "/monitor/alarms/" in html
    # no inline JavaScript (the CSP forbids it): scripts come from static files only
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and not re.search(r"\son[a-z]+=", html)
    assert '/static/monitor.js' in html and '/static/monitor.css' in html
    en = client.get("/monitor", params={"range": "1h", "at": AT, "lang": "en"}, headers=a).text
    assert ">critical<" in tile(en, "ch4_face") and "power_off" in tile(en, "ch4_face")
    ja = client.get("/monitor", params={"range": "1h", "at": AT, "lang": "ja"}, headers=a).text
    assert "電源遮断" in tile(ja, "ch4_face")
    # an hour later nothing has reported: flow goes grey; methane stays red (more severe than stale)
    late = client.get("/monitor", params={"range": "1h", "at": "2026-03-01T17:10:00+08:00"}, headers=a).text
    assert "st-stale" in tile(late, "flow") and "st-critical" in tile(late, "ch4_face")
    # the other tenant sees none of it
    other = client.get("/monitor", params={"at": AT}, headers=b).text
    assert "ch4_face" not in other
    assert client.get(f"/monitor/sensors/{ch4}", headers=b).status_code == 404
    bad = client.get("/monitor", params={"range": "3h"}, headers=a)
    assert bad.status_code == 422 and "unknown time range" in bad.text
    bad = client.get("/monitor", params={"at": "yesterday"}, headers=a)
    assert bad.status_code == 422 and "時刻「yesterday」を読み取れません" in bad.text  # a ja page: Japanese (issue 15)


def test_drill_down_chart_alarms_and_acknowledgement(client, engine):
    a, _, ch4 = setup_site(client, engine)
    alarms = client.get("/api/monitor/alarms", headers=a).json()["data"]
    power = next(x for x in alarms if x["level"] == "power_off")
    r = client.post(f"/api/monitor/alarms/{power['id']}/acknowledge", json={"comment": "停电撤人"}, headers=a)
    assert r.status_code == 200, r.text
    page = client.get(f"/monitor/sensors/{ch4}", params={"range": "1h", "at": AT}, headers=a)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'class="chart"' in html and 'class="limit"' in html
    assert "断电 1.50" in html  # the power-off limit drawn and labelled
    assert 'class="span critical"' in html  # the power-off period shaded
    assert "16:00" in html  # time axis in Beijing time
    assert "op0 · 2026-03-01" in html or "op0 · 20" in html  # who acknowledged, and when
    assert "停电撤人" in html
    # the alarm list and the alarm page speak the operator's language too (names, levels, Beijing time)
    lst = client.get("/monitor/alarms", headers=a).text
    assert "采煤工作面甲烷" in lst and ">断电<" in lst and "+00:00" not in lst
    assert "<td>2026-03-01 16:03</td>" in lst and "16:03:00" not in lst  # alarm tables: to the minute (issue 15)
    one = client.get(f"/monitor/alarms/{power['id']}", headers=a).text
    assert "采煤工作面甲烷" in one and "1.60 %" in one and "op0 · " in one and "Beijing time" in one
    # acknowledged just now: the live console shows who; a replay of the morning does not yet
    console = client.get("/monitor", params={"range": "1h"}, headers=a).text
    assert "✓ op0" in tile(console, "ch4_face")
    assert "✓ op0" not in tile(client.get("/monitor", params={"at": AT}, headers=a).text, "ch4_face")


def test_server_sent_events_push_tile_states(client, engine):
    a, _, ch4 = setup_site(client, engine)
    r = client.get("/monitor/stream", params={"once": "true", "range": "7d"}, headers=a)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    event, data = r.text.strip().split("\n", 1)
    assert event == "event: tiles"
    payload = json.loads(data.removeprefix("data: "))
    by_id = {t["id"]: t for t in payload["tiles"]}
    assert by_id[ch4]["state"] == "critical" and by_id[ch4]["value"] == "1.30"
    assert by_id[ch4]["unacked"] >= 1
    assert client.get("/monitor/stream", params={"once": "true"}).status_code == 401
    j = client.get("/monitor/console.json", params={"at": AT}, headers=a).json()
    assert {t["id"] for t in j["tiles"]} == set(by_id)


def test_drill_down_shows_the_learned_score_of_a_live_model(client, engine):
    """The chart's lower panel is the live model's score, recomputed from the stored samples; it
    matches the model's own batch scores on those rows."""
    import numpy as np

    from yuzhi.monitor import service
    from yuzhi.monitor.detectors import MahalanobisDetector

    a, _, _ = setup_site(client, engine)
    rng = np.random.default_rng(0)
    X = np.column_stack([0.5 + 0.02 * rng.normal(size=60), 400 + 2 * rng.normal(size=60)])
    det = MahalanobisDetector().fit(X, ["ch4_face", "flow"])
    with transaction(engine) as s:
        from yuzhi.accounts import service as accounts
        from yuzhi.accounts.models import User

        op0 = s.query(User).filter_by(username="op0").one()
        actor = accounts.actor_for(op0)
        service.register_model(s, actor=actor, name="ventilation", model=det)
        flow = next(x for x in service.list_sensors(s, actor=actor) if x.key == "flow")
        data = service.sensor_series(s, actor=actor, sensor_id=flow.id,
                                     since=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
                                     until=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    rows = np.array([[0.5, 0.9, 1.2, 1.6, 1.3], [400.123456789 - 20 * i for i in range(5)]]).T
    assert [round(v, 9) for _, v in data["score"]] == [round(v, 9) for v in det.score_samples(rows)]
    page = client.get(f"/monitor/sensors/{flow.id}", params={"range": "1h", "at": AT}, headers=a).text
    assert 'class="score"' in page and "学习模型得分" in page


def test_every_label_of_the_monitor_templates_is_translated():
    """A label missing from the tables would show up in English in the Chinese (default) console."""
    from pathlib import Path

    import yuzhi.monitor
    import yuzhi.monitor.pages  # registers the monitoring labels
    from yuzhi.web import i18n

    folder = Path(yuzhi.monitor.__file__).parent / "templates" / "monitor"
    keys = set()
    for f in folder.glob("*.html"):
        text = f.read_text(encoding="utf-8")
        keys |= set(re.findall(r'_\(\s*"([^"]+)"\s*\)', text)) | set(re.findall(r"_\(\s*'([^']+)'\s*\)", text))
    keys |= set(C.LEVEL_STATE) | set(C.STATES)
    assert len(keys) > 30
    for lang in ("zh", "ja"):
        missing = sorted(k for k in keys if i18n.translate(k, lang) == k)
        assert missing == [], lang
