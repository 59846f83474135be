"""The operator's console, pure part: severities, number and time formatting, SVG sparklines/charts.

Why a severity order: a control room must see a statutory methane power-off before a freezer
excursion and both before an early warning, so every alarm level maps to one of five states, each
with one colour: ``critical`` (power-off: red, pulsing), ``alarm`` (other statutory limits: red),
``warning`` (learned early warning: amber), ``stale`` (no data: grey), ``ok`` (green).

Times are shown in Beijing time (UTC+8, no daylight saving) whatever the server's zone; values with
a precision that fits their size (1.23 %, 401 m³/h, 0.0042), never 16 decimals. No database, no
HTTP here: the service gathers rows, this module turns them into strings and SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from html import escape

from yuzhi.errors import InvalidInput

BEIJING = timezone(timedelta(hours=8), "CST")

#: State of a tile, most severe first.
STATES = ("critical", "alarm", "warning", "stale", "ok")

#: Alarm level → tile state.
LEVEL_STATE = {"power_off": "critical", "alarm": "alarm", "high": "alarm", "low": "alarm",
               "freezing": "alarm", "early_warning": "warning", "stale": "stale"}

#: Alarm levels and tile states in Chinese and Japanese (English is the key itself); pages register
#: them with the i18n table, e-mails use them directly.
LEVEL_NAMES: dict[str, dict[str, str]] = {
    "zh": {"power_off": "断电", "alarm": "报警", "high": "超上限", "low": "超下限", "freezing": "冻结",
           "early_warning": "早期预警", "stale": "无数据", "critical": "断电", "warning": "预警", "ok": "正常"},
    "ja": {"power_off": "電源遮断", "alarm": "警報", "high": "上限超過", "low": "下限超過", "freezing": "凍結",
           "early_warning": "早期予兆", "stale": "データなし", "critical": "電源遮断", "warning": "予兆",
           "ok": "正常"},
}

#: Time ranges of the picker (query value → seconds).
RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}


def state_of(levels: Sequence[str]) -> str:
    """Most severe state among active alarm levels (``ok`` when none)."""
    states = [LEVEL_STATE.get(lv, "alarm") for lv in levels]
    return min(states, key=STATES.index) if states else "ok"


def parse_range(value: str | None) -> int:
    """Seconds of a picker value (``1h``, ``6h``, ``24h``, ``7d``; default 6h)."""
    if not value:
        return RANGES["6h"]
    if value not in RANGES:
        raise InvalidInput(f"unknown time range {value!r}", field="range",
                           fix=f"use one of {', '.join(RANGES)}")
    return RANGES[value]


def as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def beijing(ts: datetime | None, *, seconds: bool = True) -> str:
    """``2026-03-01 16:05:00`` in Beijing time (naive datetimes are UTC, as stored)."""
    from yuzhi.fmt import local_time  # one rule for every page: the display zone (YUZHI_TIMEZONE)

    return local_time(ts, seconds=seconds)


def fmt_value(v: float | None) -> str:
    """A reading with precision that fits its size: 3 significant digits, at least the units digit."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


def _scale(lo: float, hi: float) -> tuple[float, float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi - lo < 1e-12:
        pad = max(abs(hi) * 0.05, 1e-6)
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def downsample(points: Sequence[tuple[float, float]], n: int) -> list[tuple[float, float]]:
    """At most ``n`` points, keeping each bucket's min and max (spikes stay visible)."""
    pts = [(t, v) for t, v in points if v is not None and math.isfinite(v)]
    if len(pts) <= n:
        return pts
    size = math.ceil(len(pts) / max(n // 2, 1))
    out: list[tuple[float, float]] = []
    for i in range(0, len(pts), size):
        b = pts[i:i + size]
        lo = min(b, key=lambda p: p[1])
        hi = max(b, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def sparkline_svg(points: Sequence[tuple[float, float]], t0: float, t1: float, *,
                  limits: Sequence[float] = (), width: int = 160, height: int = 36) -> str:
    """A small inline SVG of one sensor over ``[t0, t1]`` (epoch seconds) with its limits dashed."""
    pts = downsample(points, width)
    if not pts:
        return (f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-label="no data">'
                f'<line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" class="nodata"/></svg>')
    vals = [v for _, v in pts] + [x for x in limits if x is not None]
    lo, hi = _scale(min(vals), max(vals))
    span = max(t1 - t0, 1e-9)

    def xy(t: float, v: float) -> str:
        return f"{(t - t0) / span * width:.1f},{height - (v - lo) / (hi - lo) * height:.1f}"

    lines = "".join(f'<line x1="0" x2="{width}" y1="{xy(t0, x).split(",")[1]}" y2="{xy(t0, x).split(",")[1]}" '
                    f'class="limit"/>' for x in limits if x is not None and lo <= x <= hi)
    poly = " ".join(xy(t, v) for t, v in pts)
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
            f'aria-label="trend">{lines}<polyline points="{poly}"/></svg>')


def _ticks(t0: float, t1: float, n: int = 5) -> list[float]:
    steps = [60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400]
    span = t1 - t0
    step = next((s for s in steps if span / s <= n), steps[-1])
    first = math.ceil((t0 + 8 * 3600) / step) * step - 8 * 3600  # whole Beijing-time steps
    return [t for t in _frange(first, t1, step)]


def _frange(a: float, b: float, step: float) -> list[float]:
    out = []
    while a <= b:
        out.append(a)
        a += step
    return out


def chart_svg(points: Sequence[tuple[float, float]], t0: float, t1: float, *, unit: str = "",
              limits: Sequence[tuple[str, float]] = (), spans: Sequence[tuple[float, float, str]] = (),
              score: Sequence[tuple[float, float]] = (), width: int = 760, height: int = 300) -> str:
    """Drill-down chart: the value over ``[t0, t1]`` with limits (dashed, labelled), alarm spans
    (shaded by state) and, when given, the learned score in a lower panel with its limit 1."""
    left, right, top = 56, 10, 10
    has_score = bool(score)
    main_h = height - 40 - (80 if has_score else 0)
    pts = downsample(points, width)
    vals = [v for _, v in pts] + [x for _, x in limits]
    lo, hi = _scale(min(vals), max(vals)) if vals else (0.0, 1.0)
    span = max(t1 - t0, 1e-9)
    pw = width - left - right

    def x(t: float) -> float:
        return left + (t - t0) / span * pw

    def y(v: float) -> float:
        return top + main_h - (v - lo) / (hi - lo) * main_h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="chart">']
    for a, b, state in spans:
        xa, xb = x(max(a, t0)), x(min(b, t1))
        if xb > xa or a >= t0:
            parts.append(f'<rect class="span {escape(state)}" x="{xa:.1f}" y="{top}" '
                         f'width="{max(xb - xa, 2):.1f}" height="{main_h}"/>')
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<text class="ax" x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{fmt_value(v)}</text>')
    for t in _ticks(t0, t1):
        lab = datetime.fromtimestamp(t, BEIJING).strftime("%H:%M" if span <= 2 * 86400 else "%m-%d %H:%M")
        parts.append(f'<line class="grid" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + main_h}"/>'
                     f'<text class="ax" x="{x(t):.1f}" y="{top + main_h + 14}" text-anchor="middle">{lab}</text>')
    for name, v in limits:
        if lo <= v <= hi:
            parts.append(f'<line class="limit" x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                         f'<text class="limlab" x="{left + pw - 2}" y="{y(v) - 3:.1f}" text-anchor="end">'
                         f'{escape(name)} {fmt_value(v)}</text>')
    if pts:
        parts.append('<polyline class="val" points="' + " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts) + '"/>')
    parts.append(f'<text class="ax" x="4" y="{top + 10}">{escape(unit)}</text>')
    if has_score:
        s_top = top + main_h + 26
        s_h = 60
        sp = downsample(score, width)
        s_hi = max([1.5] + [v for _, v in sp])

        def ys(v: float) -> float:
            return s_top + s_h - min(v, s_hi) / s_hi * s_h

        parts.append(f'<line class="limit" x1="{left}" x2="{left + pw}" y1="{ys(1.0):.1f}" y2="{ys(1.0):.1f}"/>')
        parts.append('<polyline class="score" points="'
                     + " ".join(f"{x(t):.1f},{ys(v):.1f}" for t, v in sp) + '"/>')
        parts.append(f'<text class="ax" x="{left - 4}" y="{ys(1.0) + 4:.1f}" text-anchor="end">1</text>')
    parts.append("</svg>")
    return "".join(parts)
