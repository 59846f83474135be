"""Learned early warning on synthetic data with a planted fault."""

from __future__ import annotations

import numpy as np
import pytest

from yuzhi.errors import InvalidInput
from yuzhi.monitor.detectors import MahalanobisDetector, NoveltyStreamDetector, samples_per_day

SENSORS = ("current", "flow", "pressure", "vibration")


def plant(n=3000, fault_at=2000, seed=0):
    """Current drives flow and pressure (flow = 2·current, pressure = 0.5·current, plus noise);
    vibration is independent. From ``fault_at`` the flow drops by 0.6 while current and pressure
    stay: a flow-meter or pipe fault that no range check sees (flow stays inside its normal
    range). Two witnesses of the current (itself and pressure) are what make flow, not current,
    the culprit; with only current and flow the two explanations are symmetric."""
    rng = np.random.default_rng(seed)
    current = 10 + np.sin(np.arange(n) * 2 * np.pi / 200) + rng.normal(0, 0.3, n)
    flow = 2 * current + rng.normal(0, 0.2, n)
    pressure = 0.5 * current + rng.normal(0, 0.05, n)
    vib = rng.normal(1.0, 0.1, n)
    X = np.column_stack([current, flow, pressure, vib])
    X[fault_at:, 1] -= 0.6
    y = np.zeros(n, dtype=int)
    y[fault_at:] = 1
    return X, y


def test_planted_fault_is_found_and_flow_is_blamed():
    X, y = plant()
    det = MahalanobisDetector().fit(X[:1500], SENSORS)
    _, flag, top = det.explain(X)
    assert flag[:2000].mean() < 0.02          # almost no false alarms before the fault
    assert flag[2050:].mean() > 0.95          # the fault is caught within 50 samples and held
    assert {SENSORS[k] for k in top[2050:][flag[2050:] == 1]} == {"flow"}
    # the faulty flow stays inside its usual range: the joint model is what sees it
    lo, hi = np.percentile(X[:1500, 1], [5, 95])
    assert lo < np.median(X[2000:, 1]) < hi
    assert det.score(X, y) > 0.97


def test_stream_equals_batch_and_handles_gaps():
    X, _ = plant(n=600, fault_at=400)
    X[100:103, 3] = np.nan
    det = MahalanobisDetector().fit(X[:300], SENSORS)
    score, flag, top = det.explain(X)
    st = det.stream()
    res = [st.update(row) for row in X]
    np.testing.assert_allclose([r.score for r in res], score, rtol=1e-10, atol=1e-12)
    assert [r.anomaly for r in res] == [bool(f) for f in flag]
    assert [r.top_sensor for r in res] == [SENSORS[k] for k in top]


def test_save_load_round_trip_without_pickle(tmp_path):
    X, _ = plant(n=800, fault_at=700)
    det = MahalanobisDetector(threshold_factor=2.5).fit(X[:500], SENSORS)
    det.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["arrays.npz", "model.json"]
    back = MahalanobisDetector.load(tmp_path / "m")
    assert back.sensors_ == SENSORS and back.threshold_factor == 2.5
    np.testing.assert_array_equal(back.score_samples(X), det.score_samples(X))


def test_bad_inputs():
    X, _ = plant(n=100)
    with pytest.raises(InvalidInput, match="need at least 10 complete rows"):
        MahalanobisDetector().fit(X[:5])
    Y = X.copy()
    Y[:, 2] = np.nan
    with pytest.raises(InvalidInput, match="without any value in the training data: pressure"):
        MahalanobisDetector().fit(Y, SENSORS)
    with pytest.raises(InvalidInput, match="input_alpha must be in"):
        MahalanobisDetector(input_alpha=0).fit(X)
    with pytest.raises(InvalidInput, match="not fitted"):
        MahalanobisDetector().predict(X)
    det = MahalanobisDetector().fit(X, SENSORS)
    with pytest.raises(InvalidInput, match="expected 4 sensor columns"):
        det.predict(X[:, :3])
    with pytest.raises(InvalidInput, match="not a monitor model"):
        MahalanobisDetector.load("/nonexistent")


def test_constant_sensor_in_training_still_detects_change():
    X, _ = plant(n=500)
    X[:, 3] = 1.0
    det = MahalanobisDetector().fit(X[:300], SENSORS)
    X[400:, 3] = 1.5
    _, flag, top = det.explain(X)
    assert flag[:400].sum() == 0 and flag[420:].all() and SENSORS[top[-1]] == "vibration"


def test_novelty_stream_detector():
    x = np.r_[np.sin(np.arange(800) / 10), [5.0], np.sin(np.arange(800, 900) / 10)]
    det = NoveltyStreamDetector()
    s = det.score_samples(x)
    assert s[800] >= 0.99999                       # never-seen value
    assert (s[801:801 + 150] == 0).all()           # rest period after the alarm
    assert s[100:800].max() < 0.99999
    again = NoveltyStreamDetector()
    assert [again.update(v) for v in x] == s.tolist()


def test_seasonal_forecaster_learns_the_daily_pattern_and_flags_a_missing_peak():
    rng = np.random.default_rng(1)
    day = 100
    x = np.tile(np.r_[np.zeros(70), np.full(30, 10.0)], 30) + rng.normal(0, 0.3, 3000)
    x[2570:2600] = rng.normal(0, 0.3, 30)          # day 25: the daily peak never comes
    s = NoveltyStreamDetector(period=day).score_samples(x)
    assert s[1200:2500].max() < 0.99               # learnt peaks are not anomalies
    assert s[2570:2600].max() >= 0.99              # the missing one is
    level_only = NoveltyStreamDetector(period=0).score_samples(x)
    assert level_only[2560:2620].max() < 0.5           # the level forecaster alone cannot see it


def test_samples_per_day():
    t = np.datetime64("2026-01-01T00:00") + np.arange(10) * np.timedelta64(5, "m")
    assert samples_per_day(t) == 288
    assert samples_per_day(np.datetime64("2026-01-01") + np.arange(10) * np.timedelta64(1, "D")) == 0


def test_alarm_events_group_rows_and_measure_the_build_up():
    from yuzhi.monitor.detectors import alarm_events

    score = np.array([0.1, 0.6, 0.8, 1.5, 2.0, 0.9, 0.2, 1.2, 0.1])
    contrib = np.zeros((9, 2))
    contrib[3:5] = [3.0, 1.0]
    contrib[7] = [0.0, 2.0]
    ev = alarm_events(score, contrib, ["fan", "airflow"])
    assert [(e.start, e.end, e.onset, e.lag) for e in ev] == [(3, 4, 1, 2), (7, 7, 7, 0)]
    assert ev[0].peak == 2.0
    assert ev[0].sensors[0] == ("fan", 0.75) and ev[1].sensors[0][0] == "airflow"


def closure(n=3000, seed=1):
    """A valve closes twice (rows 1000–1399 and 2200–2599): a fast sensor (flow) steps at once,
    a slow one (temperature) follows it with a lag of ~150 rows and so stays off long after the
    valve reopens. Labels cover the closures only, as SKAB's do."""
    rng = np.random.default_rng(seed)
    valve = np.zeros(n)
    valve[1000:1400] = valve[2200:2600] = 1.0
    temp = lfilter_lag(valve, 150.0)
    X = np.column_stack([rng.normal(0, 1, n) - 6 * valve, rng.normal(0, 1, n) + 6 * temp,
                         rng.normal(0, 1, n)])
    return X, valve.astype(int)


def lfilter_lag(x, tau):
    out = np.empty_like(x)
    s = 0.0
    for i, v in enumerate(x):
        s += (v - s) / tau
        out[i] = s
    return out


def test_change_point_ends_the_alarm_when_a_collective_anomaly_ends():
    X, y = closure()
    plain = MahalanobisDetector(input_alpha=0.05, score_alpha=0.05).fit(X[:400])
    peak = MahalanobisDetector(input_alpha=0.05, score_alpha=0.05, peak_ratio=0.5,
                               peak_half_life=400).fit(X[:400])
    p0, p1 = plain.predict(X), peak.predict(X)
    after = np.r_[1450:1800, 2650:3000]           # valve open again, temperature still settling
    assert p0[after].mean() > 0.5                  # the plain limit keeps alarming on the slow tail
    assert p1[after].mean() < 0.1                  # the fall of the score ends the alarm
    for a in (1000, 2200):                         # both closures caught within 60 rows and held
        assert p1[a + 60:a + 400].mean() > 0.95
    assert p1[:1000].mean() < 0.01
    assert peak.score(X, y) > plain.score(X, y) + 0.1  # F1 against the closure labels
    # the stream keeps the same running peak as the batch path
    st = peak.stream()
    np.testing.assert_allclose([st.update(r).score for r in X], peak.score_samples(X), rtol=1e-9)


def test_models_saved_before_peak_ratio_load_with_it_off(tmp_path):
    import json

    X, _ = plant(n=800, fault_at=700)
    MahalanobisDetector(peak_ratio=0.5).fit(X[:500], SENSORS).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["params"]["peak_ratio"] == 0.5
    for k in ("peak_ratio", "peak_half_life"):
        del meta["params"][k]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    assert MahalanobisDetector.load(tmp_path / "m").peak_ratio == 0.0
    with pytest.raises(InvalidInput):
        MahalanobisDetector(peak_ratio=1.0).fit(X[:500])
