"""Statutory threshold rules: coal-mine gas, cold chain, stale sensors, mean kinetic temperature.

Pure functions over numpy arrays: they are what an inspector will audit, so every number is exact,
every preset names its source, and the state machine is the one a mine's monitoring host runs.

Example (coal face methane, 煤矿安全规程: alarm ≥1.0 %, power-off ≥1.5 %, power restored <1.0 %)::

    >>> import numpy as np
    >>> t = np.arange(6) * 60.0                       # seconds
    >>> ch4 = np.array([0.6, 1.0, 1.6, 1.2, 0.9, 0.5])
    >>> [(e.level, e.start_s, e.end_s) for e in evaluate(PRESETS["methane.coal_face"], t, ch4)]
    [('alarm', 60.0, 240.0), ('power_off', 120.0, 240.0)]

The power stays off at 1.2 % because restoration needs < 1.0 %: the statutory hysteresis.

Hysteresis in general: a limit is *raised* when the value crosses ``on`` and *cleared* only when
it is back on the safe side of ``off``; ``off`` defaults to ``on`` shifted by a dead band, so a
reading dithering around a limit produces one alarm, not hundreds.

Sources and differences
-----------------------
- Methane and CO limits: 《煤矿安全规程》(2016, amended 2022) 第四百九十八条 table of methane
  sensor alarm / power-off / power-restore concentrations, and 第一百三十五条 (CO ≤ 0.0024 % =
  24 ppm). The regulation text is not in the project's shared corpus (which holds
  《煤矿安全生产条例》(2024): it requires a monitoring system (第二十七条) and forbids 瓦斯超限作业
  (第三十七条) but sets no numbers); the values were checked against a published copy of the
  规程 sensor-setting table. They agree with the issue, with one note: the table also lists the
  dedicated gas-drainage roadway (专用排瓦斯巷, 2.5 %) and the shearer (采煤机, 1.0/1.5/<1.0),
  added here as presets. The upper-corner (上隅角) restore value differs between copies of the
  table (<1.0 % in some mine-internal copies, <1.5 % in the issue and the copy checked), so it is
  the user-adjustable ``off`` of that preset.
- Cold chain: 《药品经营质量管理规范》(GSP, 2016) and WHO TRS 961 Annex 9 for 2–8 °C medicines;
  GB 31605-2020 《食品冷链物流卫生规范》 for frozen (≤ −18 °C) and chilled food. Freezing of
  refrigerated medicines is checked separately (≤ 0 °C), because a frozen vaccine is destroyed
  even when the average looks fine.
- MKT: USP <1079.2>, WHO TRS 961 Annex 9 Supplement 10, ΔH/R = 10,000 K (ΔH ≈ 83.144 kJ/mol).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

import numpy as np

from yuzhi.errors import InvalidInput

#: Readings or their times: a plain list (tests, the docs' examples) or a numpy array (the CLI, the service).
Series: TypeAlias = Sequence[float] | np.ndarray

KELVIN = 273.15
MKT_DH_R = 10_000.0


@dataclass(frozen=True)
class Limit:
    """One threshold with hysteresis.

    Attributes
    ----------
    level : str
        Name of the state it raises ("alarm", "power_off", "high", "low", "freezing").
    direction : {"high", "low"}
        "high": violation when the value is above ``on``; "low": below.
    on : float
        Raise threshold.
    off : float
        Clear threshold: a high limit clears once the value is below ``off`` (a low one, above).
    inclusive : bool
        Whether a value exactly at ``on`` violates (≥ rather than >). The clear test is the exact
        complement at ``off``: for an inclusive high limit, clear when value < off.
    """

    level: str
    direction: str
    on: float
    off: float
    inclusive: bool = True

    def violates_on(self, x: float) -> bool:
        if self.direction == "high":
            return x >= self.on if self.inclusive else x > self.on
        return x <= self.on if self.inclusive else x < self.on

    def still_violates(self, x: float) -> bool:
        """True while an active limit must stay active (not yet back past ``off``)."""
        if self.direction == "high":
            return x >= self.off if self.inclusive else x > self.off
        return x <= self.off if self.inclusive else x < self.off


@dataclass(frozen=True)
class Preset:
    """A named set of limits with its source."""

    key: str
    title: str
    unit: str
    limits: tuple[Limit, ...]
    source: str
    mkt: bool = False

    def with_deadband(self, deadband: float) -> Preset:
        """Copy whose limits clear ``deadband`` units inside the raise threshold."""
        if deadband < 0:
            raise InvalidInput("deadband must be ≥ 0", field="deadband")
        lims = []
        for lim in self.limits:
            off = lim.on - deadband if lim.direction == "high" else lim.on + deadband
            off = min(off, lim.off) if lim.direction == "high" else max(off, lim.off)
            lims.append(replace(lim, off=off))
        return replace(self, limits=tuple(lims))

    def with_limit(self, level: str, *, on: float | None = None, off: float | None = None) -> Preset:
        """Copy with one limit's thresholds adjusted (a site may be stricter than the statute).

        Giving only ``on`` moves ``off`` with it (clear at the new limit); add a dead band with
        :meth:`with_deadband` afterwards.
        """
        found = False
        lims = []
        for lim in self.limits:
            if lim.level == level:
                found = True
                new_on = lim.on if on is None else on
                new_off = off if off is not None else (lim.off if on is None else new_on)
                lim = replace(lim, on=new_on, off=new_off)
            lims.append(lim)
        if not found:
            raise InvalidInput(f"preset {self.key} has no limit {level!r}", field="level",
                               fix=f"levels: {', '.join(x.level for x in self.limits)}")
        return replace(self, limits=tuple(lims))


_RULE = "《煤矿安全规程》(2016/2022) 第四百九十八条 甲烷传感器报警、断电、复电浓度"


def _ch4(key: str, title: str, alarm: float, trip: float, restore: float, where: str) -> Preset:
    return Preset(
        key=key, title=title, unit="% CH4",
        limits=(Limit("alarm", "high", alarm, min(alarm, restore)),
                Limit("power_off", "high", trip, restore)),
        source=f"{_RULE}: {where}",
    )


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        _ch4("methane.coal_face", "采煤工作面 coal face", 1.0, 1.5, 1.0, "采煤工作面 ≥1.0/≥1.5/<1.0"),
        _ch4("methane.heading_face", "掘进工作面 heading face", 1.0, 1.5, 1.0, "掘进工作面 ≥1.0/≥1.5/<1.0"),
        _ch4("methane.upper_corner", "上隅角 upper corner", 1.0, 1.5, 1.5, "采煤工作面上隅角 ≥1.0/≥1.5/<1.5"),
        _ch4("methane.return_airway", "回风巷 return airway", 1.0, 1.0, 1.0, "回风巷 ≥1.0/≥1.0/<1.0"),
        _ch4("methane.intake_airway", "高瓦斯矿井进风巷 intake airway (high-gas mine)", 0.5, 0.5, 0.5,
             "高瓦斯、突出矿井采煤工作面进风巷 ≥0.5/≥0.5/<0.5"),
        _ch4("methane.shearer", "采煤机 shearer", 1.0, 1.5, 1.0, "采煤机 ≥1.0/≥1.5/<1.0"),
        _ch4("methane.drainage_roadway", "专用排瓦斯巷 gas drainage roadway", 2.5, 2.5, 2.5,
             "专用排瓦斯巷 ≥2.5/≥2.5/<2.5"),
        Preset(key="co.mine", title="一氧化碳 CO (underground air)", unit="ppm",
               limits=(Limit("alarm", "high", 24.0, 24.0),),
               source="《煤矿安全规程》第一百三十五条: CO 最高允许浓度 0.0024% (24 ppm)"),
        Preset(key="cold.pharma_2_8", title="冷藏药品 refrigerated medicines 2–8 °C", unit="°C",
               limits=(Limit("high", "high", 8.0, 8.0, inclusive=False),
                       Limit("low", "low", 2.0, 2.0, inclusive=False),
                       Limit("freezing", "low", 0.0, 0.0, inclusive=True)),
               source="《药品经营质量管理规范》(GSP 2016) 冷藏 2–8 °C; WHO TRS 961 Annex 9; "
                      "freezing (≤0 °C) flagged separately", mkt=True),
        Preset(key="cold.frozen", title="冷冻食品 frozen food ≤ −18 °C", unit="°C",
               limits=(Limit("high", "high", -18.0, -18.0, inclusive=False),),
               source="GB 31605-2020 《食品安全国家标准 食品冷链物流卫生规范》: 冷冻 ≤ −18 °C", mkt=True),
        Preset(key="cold.chilled", title="冷藏食品 chilled food, above 0 °C and below 8 °C", unit="°C",
               limits=(Limit("high", "high", 8.0, 8.0, inclusive=True),
                       Limit("freezing", "low", 0.0, 0.0, inclusive=True)),
               source="GB 31605-2020 冷藏 (above freezing, below 8 °C); freezing flagged separately",
               mkt=True),
    )
}


@dataclass(frozen=True)
class Event:
    """One raised-then-cleared (or still open) limit state.

    ``start_s`` is the time of the first violating sample; ``end_s`` the time of the sample that
    cleared it (so ``duration_s = end_s - start_s``) or, while still open, of the last sample.
    ``peak`` is the most extreme value seen while raised (max for high limits, min for low).
    """

    level: str
    start_s: float
    end_s: float
    peak: float
    open: bool = False
    start_index: int = 0
    end_index: int = 0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _check(t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if t.shape != x.shape or t.ndim != 1:
        raise InvalidInput("time and values must be 1-D arrays of the same length", field="values")
    if len(t) and np.any(np.diff(t) < 0):
        i = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
        raise InvalidInput(f"time goes backwards at row {i + 1}", field=f"row {i + 1}",
                           fix="sort samples by time first")
    return t, x


def evaluate_limit(limit: Limit, t: Series, x: Series) -> list[Event]:
    """Run one limit's hysteresis state machine over a series (NaN samples hold the state)."""
    t, x = _check(np.asarray(t), np.asarray(x))
    events: list[Event] = []
    active = False
    start = peak = 0.0
    i0 = 0
    hi = limit.direction == "high"
    for i in range(len(x)):
        v = x[i]
        if v != v:  # NaN: no information, keep state
            continue
        if not active:
            if limit.violates_on(v):
                active, start, peak, i0 = True, t[i], v, i
        elif limit.still_violates(v):
            peak = max(peak, v) if hi else min(peak, v)
        else:
            events.append(Event(limit.level, float(start), float(t[i]), float(peak), False, i0, i))
            active = False
    if active:
        events.append(Event(limit.level, float(start), float(t[-1]), float(peak), True, i0, len(x) - 1))
    return events


def evaluate(preset: Preset, t: Series, x: Series) -> list[Event]:
    """All events of a preset, ordered by start time then by the preset's limit order."""
    order = {lim.level: k for k, lim in enumerate(preset.limits)}
    events = [e for lim in preset.limits for e in evaluate_limit(lim, t, x)]
    return sorted(events, key=lambda e: (e.start_s, order[e.level]))


def mkt(temps_c: Series, dh_r: float = MKT_DH_R) -> float:
    """Mean kinetic temperature in °C of equally spaced readings.

    ``MKT = (ΔH/R) / −ln((1/n) Σ exp(−ΔH/(R·Tᵢ)))`` with Tᵢ in kelvin. Computed with a
    log-sum-exp so that it stays exact for long series.
    """
    temps = np.asarray(temps_c, dtype=np.float64)
    temps = temps[~np.isnan(temps)]
    if len(temps) == 0:
        raise InvalidInput("MKT needs at least one temperature reading", field="temperature")
    if np.any(temps <= -KELVIN):
        raise InvalidInput("temperature below absolute zero", field="temperature")
    a = -dh_r / (temps + KELVIN)
    m = a.max()
    log_mean = m + np.log(np.mean(np.exp(a - m)))
    return float(dh_r / -log_mean - KELVIN)


def rolling_mkt(t: Series, temps_c: Series, window_s: float,
                dh_r: float = MKT_DH_R) -> np.ndarray:
    """MKT over the trailing window ``(t - window_s, t]`` at every sample.

    Half-open so that a 24 h window of hourly readings holds exactly 24 of them.
    """
    t, x = _check(np.asarray(t), np.asarray(temps_c))
    if window_s <= 0:
        raise InvalidInput("MKT window must be positive", field="window")
    a = np.exp(-dh_r / (np.nan_to_num(x, nan=0.0) + KELVIN)) * ~np.isnan(x)
    cs = np.concatenate([[0.0], np.cumsum(a)])
    cn = np.concatenate([[0.0], np.cumsum(~np.isnan(x))])
    lo = np.searchsorted(t, t - window_s, side="right")
    hi = np.arange(1, len(t) + 1)
    n = cn[hi] - cn[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (cs[hi] - cs[lo]) / n
        out = dh_r / -np.log(mean) - KELVIN
    out[n == 0] = np.nan
    return out


def stale_events(t: Series, x: Series, *, period_s: float, periods: int = 3,
                 now_s: float | None = None) -> list[Event]:
    """A sensor that sent nothing (or only empty values) for more than ``periods`` periods.

    The alarm starts ``periods × period_s`` after the last good sample and ends at the next good
    sample; with ``now_s`` a silence running to "now" is an open event.
    """
    t, x = _check(np.asarray(t), np.asarray(x))
    if period_s <= 0 or periods < 1:
        raise InvalidInput("period must be > 0 and periods ≥ 1", field="period")
    good = np.flatnonzero(~np.isnan(x))
    limit = periods * period_s
    events = []
    if len(good) == 0:
        if len(t):
            events.append(Event("stale", float(t[0]), float(now_s if now_s is not None else t[-1]),
                                float("nan"), True, 0, len(t) - 1))
        return events
    tg = t[good]
    for k in np.flatnonzero(np.diff(tg) > limit + 1e-9):
        events.append(Event("stale", float(tg[k] + limit), float(tg[k + 1]), float("nan"), False,
                            int(good[k]), int(good[k + 1])))
    end = now_s if now_s is not None else float(t[-1])
    if end - tg[-1] > limit + 1e-9:
        events.append(Event("stale", float(tg[-1] + limit), float(end), float("nan"), True,
                            int(good[-1]), len(t) - 1))
    return events


def get_preset(key: str) -> Preset:
    """Look a preset up by key, with the list of keys in the error."""
    try:
        return PRESETS[key]
    except KeyError:
        raise InvalidInput(f"unknown preset {key!r}", field="preset",
                           fix=f"choose one of: {', '.join(PRESETS)}") from None
