"""Statutory rules against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from yuzhi.errors import InvalidInput
from yuzhi.monitor.rules import PRESETS, evaluate, get_preset, mkt, rolling_mkt, stale_events

MIN = 60.0


def spans(events):
    return [(e.level, e.start_s, e.end_s, e.peak, e.open) for e in events]


def test_coal_face_power_stays_off_until_below_one_percent():
    t = np.arange(6) * MIN
    ch4 = [0.6, 1.0, 1.6, 1.2, 0.9, 0.5]
    # alarm at 1.0 % (≥), power-off at 1.6 % (≥1.5); 1.2 % keeps both (restore needs <1.0 %).
    assert spans(evaluate(PRESETS["methane.coal_face"], t, ch4)) == [
        ("alarm", 60.0, 240.0, 1.6, False),
        ("power_off", 120.0, 240.0, 1.6, False),
    ]


def test_upper_corner_restores_below_one_and_a_half():
    t = np.arange(6) * MIN
    ch4 = [0.9, 1.0, 1.5, 1.4, 1.2, 0.95]
    assert spans(evaluate(PRESETS["methane.upper_corner"], t, ch4)) == [
        ("alarm", 60.0, 300.0, 1.5, False),
        ("power_off", 120.0, 180.0, 1.5, False),
    ]


def test_return_airway_alarm_and_power_off_together_and_open_at_end():
    t = np.arange(3) * MIN
    ev = evaluate(PRESETS["methane.return_airway"], t, [0.99, 1.0, 1.1])
    assert spans(ev) == [("alarm", 60.0, 120.0, 1.1, True), ("power_off", 60.0, 120.0, 1.1, True)]
    assert ev[0].duration_s == 60.0


def test_intake_airway_and_co():
    t = np.arange(3) * MIN
    assert spans(evaluate(PRESETS["methane.intake_airway"], t, [0.4, 0.5, 0.49]))[0] == (
        "alarm", 60.0, 120.0, 0.5, False)
    assert spans(evaluate(PRESETS["co.mine"], t, [23.9, 24.0, 10])) == [("alarm", 60.0, 120.0, 24.0, False)]


def test_pharma_excursions_duration_peak_and_freezing():
    t = np.arange(10) * MIN
    temp = [5, 7, 8, 8.5, 9.2, 8.0, 6, 1.5, 0, 3]
    assert spans(evaluate(PRESETS["cold.pharma_2_8"], t, temp)) == [
        ("high", 180.0, 300.0, 9.2, False),   # 8.0 is in range (limit is > 8)
        ("low", 420.0, 540.0, 0.0, False),
        ("freezing", 480.0, 540.0, 0.0, False),
    ]


def test_frozen_food_minus_18_is_compliant():
    t = np.arange(4) * MIN
    assert spans(evaluate(PRESETS["cold.frozen"], t, [-20, -18, -17.9, -18.5])) == [
        ("high", 120.0, 180.0, -17.9, False)]


def test_deadband_stops_flapping():
    t = np.arange(4) * MIN
    temp = [8.1, 7.9, 8.2, 7.4]
    p = PRESETS["cold.pharma_2_8"]
    assert len(evaluate(p, t, temp)) == 2
    assert spans(evaluate(p.with_deadband(0.5), t, temp)) == [("high", 0.0, 180.0, 8.2, False)]


def test_adjusted_limit_and_unknown_names():
    p = PRESETS["methane.coal_face"].with_limit("alarm", on=0.8, off=0.8)
    assert spans(evaluate(p, [0, 60], [0.8, 0.7])) == [("alarm", 0.0, 60.0, 0.8, False)]
    with pytest.raises(InvalidInput, match="no limit 'trip'"):
        p.with_limit("trip", on=1)
    with pytest.raises(InvalidInput, match=r"choose one of: methane\.coal_face"):
        get_preset("methane.face")


def test_nan_holds_state():
    t = np.arange(4) * MIN
    assert spans(evaluate(PRESETS["co.mine"], t, [30, float("nan"), 25, 5])) == [
        ("alarm", 0.0, 180.0, 30.0, False)]


def test_time_backwards_is_refused():
    with pytest.raises(InvalidInput, match="time goes backwards at row 3"):
        evaluate(PRESETS["co.mine"], [0, 60, 30], [1, 2, 3])


def test_mkt_hand_computed():
    # 20 °C and 30 °C, ΔH/R = 10,000 K:
    # mean(exp(-10000/293.15), exp(-10000/303.15)) → -ln(...) = 33.4240... → 10000/33.424 - 273.15 = 26.26
    a = math.exp(-10000 / 293.15)
    b = math.exp(-10000 / 303.15)
    direct = 10000 / -math.log((a + b) / 2) - 273.15
    assert round(direct, 2) == 26.26
    assert round(mkt([20, 30]), 2) == 26.26
    assert round(mkt([5.0] * 7), 2) == 5.00
    # MKT weights warm spells: a day at 25 °C among six at 5 °C gives 12.11 °C, not the 7.86 °C mean.
    # exp(-10000/298.15)/exp(-10000/278.15) = e^2.4117 = 11.153; mean factor (6 + 11.153)/7 = 2.4504;
    # 10000/(10000/278.15 - ln 2.4504) - 273.15 = 12.11
    assert round(mkt([5, 5, 5, 5, 5, 5, 25]), 2) == 12.11


def test_rolling_mkt_window():
    t = np.arange(4) * 3600.0
    # The window is (t - w, t]: with w = 2 h it holds this and the previous hourly sample.
    out = rolling_mkt(t, [20, 30, 30, 30], window_s=7200)
    assert [round(v, 2) for v in out] == [20.0, 26.26, 30.0, 30.0]
    assert rolling_mkt(t, [20, 30, 30, 30], window_s=3600).tolist() == [20.0, 30.0, 30.0, 30.0]


def test_stale_sensor():
    ev = stale_events([0, 1, 2, 3, 10, 11], [1, 1, 1, 1, 1, 1], period_s=1, periods=3)
    assert spans(ev) == [("stale", 6.0, 10.0, ev[0].peak, False)]
    x = [1, np.nan, np.nan, np.nan, np.nan, 1]
    ev = stale_events(np.arange(6.0), x, period_s=1, periods=3, now_s=20)
    assert [(e.start_s, e.end_s, e.open) for e in ev] == [(3.0, 5.0, False), (8.0, 20.0, True)]
