"""The ``yuzhi monitor`` commands end to end on small files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from yuzhi.cli import app
from yuzhi.errors import InvalidInput

from .test_detectors import SENSORS, plant

runner = CliRunner()


def write_csv(path, X, start=0, label=None):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["datetime", *SENSORS] + (["anomaly"] if label is not None else []))
        for i, row in enumerate(X):
            t = np.datetime64("2026-03-01T00:00:00") + np.timedelta64(start + i, "s")
            w.writerow([str(t).replace("T", " "), *(f"{v:.5f}" for v in row)] + (
                [int(label[i])] if label is not None else []))


def test_fit_detect_round_trip(tmp_path):
    X, y = plant()
    write_csv(tmp_path / "normal.csv", X[:1500])
    write_csv(tmp_path / "live.csv", X[1500:], start=1500, label=y[1500:])
    r = runner.invoke(app, ["monitor", "fit", str(tmp_path / "normal.csv"), "--out", str(tmp_path / "model")])
    assert r.exit_code == 0, r.output
    assert "fitted on 1500 rows of 4 sensors" in r.output
    r = runner.invoke(app, ["monitor", "detect", str(tmp_path / "model"), str(tmp_path / "live.csv"),
                            "--out", str(tmp_path / "out.csv")])
    assert isinstance(r.exception, InvalidInput) and "--ignore anomaly" in str(r.exception)
    r = runner.invoke(app, ["monitor", "detect", str(tmp_path / "model"), str(tmp_path / "live.csv"),
                            "--out", str(tmp_path / "out.csv"), "--ignore", "anomaly"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert len(rows) == 1500 and list(rows[0]) == ["timestamp", "score", "anomaly", "top_sensor"]
    assert rows[0]["timestamp"] == "2026-03-01 00:25:00"
    # The fault starts at live row 500; the CV-chosen smoothing (input/score alpha 0.05) raises the
    # alarm within 70 samples and holds it to the end.
    flagged = [r for r in rows[570:] if r["anomaly"] == "1"]
    assert len(flagged) == 930 and {r["top_sensor"] for r in flagged} == {"flow"}
    assert sum(r["anomaly"] == "1" for r in rows[:500]) == 0
    assert "most responsible sensors: flow (" in r.output


def test_detect_missing_sensor_is_an_error_with_exit_2(tmp_path):
    X, _ = plant(n=300)
    write_csv(tmp_path / "normal.csv", X)
    runner.invoke(app, ["monitor", "fit", str(tmp_path / "normal.csv"), "--out", str(tmp_path / "m")])
    (tmp_path / "short.csv").write_text("timestamp,current,flow\n2026-03-01 00:00:00,1,2\n")
    p = subprocess.run([sys.executable, "-c", "from yuzhi.cli import main; main()", "monitor", "detect",
                        str(tmp_path / "m"), str(tmp_path / "short.csv"), "--out", str(tmp_path / "o.csv")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    err = " ".join(p.stderr.split())  # the console wraps long lines
    assert "lacks sensor column(s) the model needs: pressure, vibration" in err
    assert "Traceback" not in p.stderr


def test_rules_cold_chain_file(tmp_path):
    lines = ["timestamp,fridge"] + [f"2026-03-01 0{h}:00:00,{v}" for h, v in enumerate(
        [5, 6, 8.5, 9.0, 7, 4, 1.5, 5, 5])]
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n")
    r = runner.invoke(app, ["monitor", "rules", str(tmp_path / "f.csv"), "--preset", "cold.pharma_2_8",
                            "--sensor", "fridge", "--out", str(tmp_path / "ev.csv"), "--mkt-window", "3h"])
    assert r.exit_code == 0, r.output
    ev = list(csv.DictReader((tmp_path / "ev.csv").open()))
    assert [(e["level"], e["start"], e["end"], e["duration_s"], e["peak"]) for e in ev] == [
        ("high", "2026-03-01 02:00:00", "2026-03-01 04:00:00", "7200", "9"),
        ("low", "2026-03-01 06:00:00", "2026-03-01 07:00:00", "3600", "1.5"),
    ]
    assert "MKT over the whole file: " in r.output and "highest rolling MKT (3h)" in r.output


def test_monitor_models_resolve_their_foreign_keys_in_a_fresh_process():
    # The CLI imports only monitor modules; the organisations/users tables must come along.
    code = ("import yuzhi.monitor.models as m; from sqlalchemy.orm import configure_mappers; "
            "configure_mappers(); "
            "print([f'{c.column.table.name}.{c.column.name}' for c in m.Sensor.__table__.foreign_keys])")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "organisations.id" in p.stdout


def test_watch_univariate_without_training(tmp_path):
    rng = np.random.default_rng(3)
    x = 5 + rng.normal(0, 0.2, 2000)
    x[1500] = 12.0
    stamps = np.datetime64("2026-03-01T00:00") + np.arange(2000) * np.timedelta64(5, "m")
    (tmp_path / "t.csv").write_text("timestamp,temp,label\n" + "".join(
        f"{str(t).replace('T', ' ')},{v:.3f},0\n" for t, v in zip(stamps, x, strict=True)))
    r = runner.invoke(app, ["monitor", "watch", str(tmp_path / "t.csv"), "--out", str(tmp_path / "w.csv"),
                            "--ignore", "label"])
    assert r.exit_code == 0, r.output
    assert "2000 rows × 1 sensors watched (288 samples/day)" in r.output
    rows = list(csv.DictReader((tmp_path / "w.csv").open()))
    assert len(rows) == 2000 and list(rows[0]) == ["timestamp", "sensor", "score", "anomaly"]
    hits = [i for i, row in enumerate(rows) if row["anomaly"] == "1"]
    # The spike is found; on white noise the range keeps widening early on, so a few new extremes
    # are reported too (the detector has no training data to know the noise's reach).
    assert 1500 in hits and len(hits) <= 5


def test_detect_events_explain_each_alarm_and_false_alarm_budget(tmp_path):
    """--events: one row per alarm naming the sensor that drove it and the build-up before it."""
    X, _ = plant()
    write_csv(tmp_path / "normal.csv", X[:1500])
    write_csv(tmp_path / "live.csv", X[1500:], start=1500)
    r = runner.invoke(app, ["monitor", "fit", str(tmp_path / "normal.csv"), "--out", str(tmp_path / "m"),
                            "--false-alarm-rate", "0.05"])
    assert r.exit_code == 0, r.output
    loose = json.loads((tmp_path / "m" / "model.json").read_text())
    assert loose["params"]["threshold_quantile"] == pytest.approx(0.95)
    r = runner.invoke(app, ["monitor", "fit", str(tmp_path / "normal.csv"), "--out", str(tmp_path / "m2")])
    strict = json.loads((tmp_path / "m2" / "model.json").read_text())
    assert strict["threshold"] > loose["threshold"]  # a smaller budget gives a higher limit
    r = runner.invoke(app, ["monitor", "detect", str(tmp_path / "m2"), str(tmp_path / "live.csv"),
                            "--out", str(tmp_path / "o.csv"), "--events", str(tmp_path / "ev.csv")])
    assert r.exit_code == 0, r.output
    ev = list(csv.DictReader((tmp_path / "ev.csv").open()))
    assert list(ev[0]) == ["start", "end", "rows", "onset", "lag_rows", "peak_score", "sensors"]
    first = ev[0]
    assert first["sensors"].startswith("flow:")
    assert float(first["sensors"].split(";")[0].split(":")[1]) > 0.5
    assert int(first["lag_rows"]) >= 0 and first["onset"] <= first["start"]
    assert "rising since" in r.output
    bad = runner.invoke(app, ["monitor", "fit", str(tmp_path / "normal.csv"), "--out", str(tmp_path / "m3"),
                              "--false-alarm-rate", "5"])
    assert isinstance(bad.exception, InvalidInput) and "between 0 and 1" in str(bad.exception)
    assert not (tmp_path / "m3").exists()
