"""Learned early warning: multivariate and univariate streaming detectors.

:class:`MahalanobisDetector` (the default; ``yuzhi monitor fit/detect``) learns normal behaviour
from a stretch of normal operation:

1. standardise every sensor with the training mean and standard deviation;
2. smooth each standardised sensor with an EWMA (``input_alpha``): 1 Hz industrial sensors are
   noisy and a failing pump shows up as a *sustained* shift, not a single sample;
3. squared Mahalanobis distance to the training cloud with a shrunk covariance (Ledoit–Wolf-style
   target ``trace/d · I``, weight ``shrinkage``) so correlated sensors are judged together: a
   current that rises without the matching flow is anomalous even when both are in range;
4. smooth the distance again (``score_alpha``) and compare it with an adaptive limit: the
   ``threshold_quantile`` quantile of the training scores times ``threshold_factor``. The output
   ``score`` is that ratio, so ``score > 1`` means anomaly on every model;
5. optionally (``peak_ratio > 0``) end an alarm at a change point: the limit rises to
   ``peak_ratio`` × the recent peak of the score (a running maximum that halves every
   ``peak_half_life`` rows), so when a collective anomaly ends (a valve reopens) the sharp fall of
   the score ends the alarm even though slow sensors (temperatures) take minutes to settle back,
   while a score that rises or holds stays alarmed. A later incident of similar size alarms at
   once; one ten times smaller alarms after the peak has decayed (a few half-lives).

Attribution: reconstruction-based contributions (Alcala & Qin 2009),
``RBC_j = (Σ⁻¹ d)_j² / (Σ⁻¹)_jj``: how much of ``d²`` disappears if sensor ``j`` alone is
assumed faulty and reconstructed from the others. Unlike the plain split ``d_j · (Σ⁻¹ d)_j``,
which smears a broken correlation over every sensor involved, RBC points at the sensor whose
fault explains the deviation best (a flow that drops while its pump current stays blames flow,
not current). The sensor with the largest smoothed RBC is reported.

Everything is causal (EWMA recursions only), so the batch path
and :meth:`MahalanobisDetector.stream` give identical numbers; batch uses ``scipy.signal.lfilter``.

This is the statistical-process-control family of SKAB's MSET and T²+Q baselines (Hotelling
1947; Jackson & Mudholkar 1979), with EWMA filtering as in the MEWMA chart (Lowry et al. 1992).

:class:`NoveltyStreamDetector` is a univariate streaming detector that needs no training data
(the NAB protocol, ``yuzhi monitor watch``): the best of three forecasters (EWMA level, same time
on previous days, same time in previous weeks) gives a normalised surprise, turned into an anomaly
likelihood (short vs long average, Gaussian tail, as in Ahmad et al. 2017); values never seen
before (outside the running min/max by more than ``novelty`` of the range) are certain anomalies;
a rest period after a confident alarm makes one incident one alarm.
"""

from __future__ import annotations

import json
import math
import typing
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter

from yuzhi.errors import InvalidInput

MODEL_FORMAT = "yuzhi.monitor.mahalanobis/1"


def _ewma(z: np.ndarray, alpha: float, init: np.ndarray) -> np.ndarray:
    """Causal EWMA along axis 0: ``s_t = (1-α) s_{t-1} + α z_t``, ``s_{-1} = init``."""
    if alpha >= 1.0:
        return z.copy()
    zi = ((1 - alpha) * np.asarray(init, dtype=np.float64)).reshape((1, *z.shape[1:]))
    out, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], z, axis=0, zi=zi)
    return out


def _ffill(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Carry the last observed value forward over NaN (``first`` before any observation)."""
    if not np.isnan(x).any():
        return x
    x = x.copy()
    mask = np.isnan(x)
    idx = np.where(~mask, np.arange(len(x))[:, None], -1)
    np.maximum.accumulate(idx, axis=0, out=idx)
    cols = np.arange(x.shape[1])[None, :].repeat(len(x), 0)
    filled = np.where(idx >= 0, x[np.clip(idx, 0, None), cols], first[None, :])
    return filled


@dataclass
class StreamResult:
    """One streamed sample's verdict."""

    score: float
    anomaly: bool
    top_sensor: str


class MahalanobisDetector:
    """EWMA-filtered Mahalanobis detector with per-sensor attribution.

    Parameters
    ----------
    input_alpha : float
        EWMA weight of the newest standardised sample (1.0 = no input smoothing).
    score_alpha : float
        EWMA weight of the newest squared distance.
    shrinkage : float
        Covariance shrinkage toward ``trace/d · I`` (0 = sample covariance).
    threshold_quantile, threshold_factor : float
        Alarm limit = quantile of the training scores × factor.
    peak_ratio : float
        Change-point end of alarms: the limit is ``max(1, peak_ratio × recent peak)`` (0 = off).
    peak_half_life : float
        Rows over which the recent peak halves.
    random_state : int
        Unused (the fit is deterministic); kept for the project's estimator conventions.

    Attributes
    ----------
    sensors_ : tuple of str
    mean_, scale_ : ndarray of shape (d,)
    center_ : ndarray of shape (d,)
        Mean of the smoothed standardised training data.
    precision_ : ndarray of shape (d, d)
    threshold_ : float
        Limit on the smoothed squared distance.
    n_train_ : int
    """

    def __init__(self, *, input_alpha: float = 0.1, score_alpha: float = 0.1, shrinkage: float = 0.001,
                 threshold_quantile: float = 0.99, threshold_factor: float = 3.0,
                 peak_ratio: float = 0.0, peak_half_life: float = 200.0,
                 random_state: int = 0) -> None:
        self.input_alpha = input_alpha
        self.score_alpha = score_alpha
        self.shrinkage = shrinkage
        self.threshold_quantile = threshold_quantile
        self.threshold_factor = threshold_factor
        self.peak_ratio = peak_ratio
        self.peak_half_life = peak_half_life
        self.random_state = random_state

    # -------------------------------------------------------------- fitting
    def _validate_params(self) -> None:
        for name in ("input_alpha", "score_alpha"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise InvalidInput(f"{name} must be in (0, 1], got {v}", field=name)
        if not 0.0 <= self.shrinkage <= 1.0:
            raise InvalidInput(f"shrinkage must be in [0, 1], got {self.shrinkage}", field="shrinkage")
        if not 0.0 < self.threshold_quantile <= 1.0 or self.threshold_factor <= 0:
            raise InvalidInput("threshold_quantile must be in (0, 1] and threshold_factor > 0",
                               field="threshold")
        if not 0.0 <= self.peak_ratio < 1.0 or not self.peak_half_life > 0:
            raise InvalidInput(f"peak_ratio must be in [0, 1) and peak_half_life > 0, got {self.peak_ratio} "
                               f"and {self.peak_half_life}", field="peak_ratio")

    def fit(self, X: np.ndarray, sensors: Sequence[str] | None = None) -> MahalanobisDetector:
        """Learn normal behaviour from rows of normal operation (rows with NaN are skipped)."""
        self._validate_params()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise InvalidInput("training data must be a 2-D array (rows × sensors)", field="X")
        names = tuple(sensors) if sensors is not None else tuple(f"s{j}" for j in range(X.shape[1]))
        empty = [names[j] for j in np.flatnonzero(np.isnan(X).all(axis=0))] if len(X) else []
        if empty:
            raise InvalidInput(f"sensor column(s) without any value in the training data: {', '.join(empty)}",
                               field="X", fix="drop them (--ignore) or train on a stretch where they report")
        X = X[~np.isnan(X).any(axis=1)]
        d = X.shape[1]
        if len(X) < max(10, d + 2):
            raise InvalidInput(
                f"need at least {max(10, d + 2)} complete rows of normal operation to fit {d} sensors, "
                f"got {len(X)}", field="X", fix="give a longer stretch of normal operation")
        self.sensors_ = tuple(sensors) if sensors is not None else tuple(f"s{j}" for j in range(d))
        if len(self.sensors_) != d:
            raise InvalidInput("one sensor name per column is needed", field="sensors")
        self.mean_ = X.mean(axis=0)
        sd = X.std(axis=0)
        # A sensor constant during training (a setpoint) gets a unit scale relative to its level so
        # that any later movement shows up without dividing by zero.
        self.scale_ = np.where(sd > 1e-12, sd, np.maximum(np.abs(self.mean_) * 1e-3, 1e-6))
        Z = (X - self.mean_) / self.scale_
        S = _ewma(Z, self.input_alpha, Z[0])
        self.center_ = S.mean(axis=0)
        D = S - self.center_
        C = np.atleast_2d(np.cov(D, rowvar=False))
        target = np.trace(C) / d if np.trace(C) > 0 else 1.0
        C = (1 - self.shrinkage) * C + self.shrinkage * target * np.eye(d)
        C += 1e-9 * np.eye(d)
        self.precision_ = np.linalg.inv(C)
        self.n_train_ = len(X)
        self.threshold_ = 1.0
        raw = self._raw(X, contributions=False)[0]
        q = float(np.quantile(raw, self.threshold_quantile))
        self.threshold_ = max(q, 1e-12) * self.threshold_factor
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "precision_"):
            raise InvalidInput("the detector is not fitted", field="model", fix="call fit() first")

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.sensors_):
            raise InvalidInput(f"expected {len(self.sensors_)} sensor columns ({', '.join(self.sensors_)}), "
                               f"got shape {X.shape}", field="X")
        return _ffill(X, self.mean_)

    def _raw(self, X: np.ndarray, contributions: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Smoothed squared distance and (unsmoothed) per-sensor contributions."""
        X = self._prepare(X)
        Z = (X - self.mean_) / self.scale_
        S = _ewma(Z, self.input_alpha, np.zeros(Z.shape[1]) if len(Z) == 0 else Z[0])
        D = S - self.center_
        PD = D @ self.precision_
        d2 = np.einsum("ij,ij->i", D, PD)
        contrib = PD**2 / np.diag(self.precision_) if contributions else None
        return _ewma(d2, self.score_alpha, d2[:1] if len(d2) else np.zeros(1)), contrib

    def _peak_limit(self, s: np.ndarray) -> np.ndarray:
        """Score divided by the change-point limit ``max(1, peak_ratio × recent peak)``.

        The recent peak ``P_t = max(s_t, γ P_{t-1})`` with ``γ = 2^(-1/half_life)`` is computed in
        closed form, ``log P_t = t log γ + max_{i≤t}(log s_i − i log γ)``, so the batch path needs no
        Python loop and equals :class:`MahalanobisStream` row for row.
        """
        if self.peak_ratio <= 0 or len(s) == 0:
            return s
        lg = -math.log(2.0) / self.peak_half_life
        t = np.arange(len(s), dtype=np.float64) * lg
        logp = t + np.maximum.accumulate(np.log(np.maximum(s, 1e-300)) - t)
        return s / np.maximum(1.0, self.peak_ratio * np.exp(logp))

    # -------------------------------------------------------------- batch
    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per row; ``> 1`` is an anomaly."""
        return self._peak_limit(self._raw(X, contributions=False)[0] / self.threshold_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 per row."""
        return (self.score_samples(X) > 1.0).astype(np.int8)

    def explain(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score, 0/1 anomaly and index of the most contributing sensor, per row."""
        score, contrib = self.contributions(X)
        return score, (score > 1.0).astype(np.int8), np.argmax(contrib, axis=1)

    def contributions(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score per row and the smoothed per-sensor contributions (RBC), shape ``(n, d)``."""
        raw, contrib = self._raw(X)
        assert contrib is not None
        sc = _ewma(contrib, self.score_alpha, contrib[0] if len(contrib) else np.zeros(contrib.shape[1]))
        return self._peak_limit(raw / self.threshold_), sc

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """F1 of :meth:`predict` against 0/1 labels ``y``."""
        p = self.predict(X) == 1
        y = np.asarray(y) == 1
        tp = int((p & y).sum())
        denom = tp + 0.5 * (int((p & ~y).sum()) + int((~p & y).sum()))
        return tp / denom if denom else 1.0

    # -------------------------------------------------------------- streaming
    def stream(self) -> MahalanobisStream:
        """A point-by-point scorer sharing this model (same numbers as the batch path)."""
        self._check_fitted()
        return MahalanobisStream(self)

    # -------------------------------------------------------------- persistence
    def to_parts(self) -> tuple[dict[str, object], bytes]:
        """``(model.json content, arrays.npz bytes)``: what :meth:`save` writes, for a database row."""
        import io

        self._check_fitted()
        buf = io.BytesIO()
        np.savez(buf, mean=self.mean_, scale=self.scale_, center=self.center_, precision=self.precision_)
        return self._meta(), buf.getvalue()

    @classmethod
    def from_parts(cls, meta: dict[str, object], arrays: bytes) -> MahalanobisDetector:
        """Inverse of :meth:`to_parts` (``allow_pickle=False``)."""
        import io

        if meta.get("format") != MODEL_FORMAT:
            raise InvalidInput(f"model format {meta.get('format')!r}, expected {MODEL_FORMAT}", field="model")
        params: dict[str, Any] = {"peak_ratio": 0.0, **typing.cast(dict[str, Any], meta["params"])}
        det = cls(**params)
        with np.load(io.BytesIO(arrays), allow_pickle=False) as arr:
            det.mean_, det.scale_ = arr["mean"], arr["scale"]
            det.center_, det.precision_ = arr["center"], arr["precision"]
        det.sensors_ = tuple(meta["sensors"])  # type: ignore[arg-type]
        det.threshold_ = float(meta["threshold"])  # type: ignore[arg-type]
        det.n_train_ = int(meta["n_train"])  # type: ignore[call-overload]
        return det

    def _meta(self) -> dict[str, object]:
        return {
            "format": MODEL_FORMAT,
            "params": {k: getattr(self, k) for k in ("input_alpha", "score_alpha", "shrinkage",
                                                     "threshold_quantile", "threshold_factor",
                                                     "peak_ratio", "peak_half_life", "random_state")},
            "sensors": list(self.sensors_),
            "threshold": self.threshold_,
            "n_train": self.n_train_,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``model.json`` and ``arrays.npz`` (no pickle) into the folder ``path``."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": MODEL_FORMAT,
            "params": {k: getattr(self, k) for k in ("input_alpha", "score_alpha", "shrinkage",
                                                     "threshold_quantile", "threshold_factor",
                                                     "peak_ratio", "peak_half_life", "random_state")},
            "sensors": list(self.sensors_),
            "threshold": self.threshold_,
            "n_train": self.n_train_,
        }
        (path / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
        np.savez(path / "arrays.npz", mean=self.mean_, scale=self.scale_, center=self.center_,
                 precision=self.precision_)
        return path

    @classmethod
    def load(cls, path: str | Path) -> MahalanobisDetector:
        """Read a model folder written by :meth:`save`."""
        path = Path(path)
        meta_file = path / "model.json"
        if not meta_file.exists():
            raise InvalidInput(f"{path} is not a monitor model (no model.json)", field=str(path),
                               fix="pass the folder written by `yuzhi monitor fit --out`")
        try:
            meta = json.loads(meta_file.read_text())
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{meta_file} is not valid JSON: {exc}", field=str(meta_file)) from None
        if meta.get("format") != MODEL_FORMAT:
            raise InvalidInput(f"{meta_file} has format {meta.get('format')!r}, expected {MODEL_FORMAT}",
                               field=str(meta_file))
        det = cls(**{"peak_ratio": 0.0, **meta["params"]})  # models saved before peak_ratio: off
        with np.load(path / "arrays.npz", allow_pickle=False) as arr:
            det.mean_, det.scale_ = arr["mean"], arr["scale"]
            det.center_, det.precision_ = arr["center"], arr["precision"]
        det.sensors_ = tuple(meta["sensors"])
        det.threshold_ = float(meta["threshold"])
        det.n_train_ = int(meta["n_train"])
        return det


class MahalanobisStream:
    """Point-by-point state of a fitted :class:`MahalanobisDetector`."""

    def __init__(self, model: MahalanobisDetector) -> None:
        self.model = model
        self._last = model.mean_.copy()
        self._s: np.ndarray | None = None
        self._r: float | None = None
        self._c: np.ndarray | None = None
        self._p = 0.0
        self._decay = 0.5 ** (1.0 / model.peak_half_life)
        self._inv_scale = 1.0 / model.scale_
        self._inv_diag = 1.0 / np.diag(model.precision_)

    def state(self) -> dict[str, object]:
        """JSON-serialisable filter state (to resume scoring later with :meth:`restore`)."""
        return {"last": self._last.tolist(), "s": None if self._s is None else self._s.tolist(),
                "r": self._r, "c": None if self._c is None else self._c.tolist(), "p": self._p}

    def restore(self, state: dict[str, object]) -> MahalanobisStream:
        """Continue from a :meth:`state` snapshot (an empty dict is a fresh stream)."""
        if state:
            self._last = np.asarray(state["last"], dtype=np.float64)
            self._s = None if state["s"] is None else np.asarray(state["s"], dtype=np.float64)
            self._r = None if state["r"] is None else float(state["r"])  # type: ignore[arg-type]
            self._c = None if state["c"] is None else np.asarray(state["c"], dtype=np.float64)
            self._p = float(state.get("p", 0.0))  # type: ignore[arg-type]
        return self

    def update(self, x: Sequence[float] | np.ndarray) -> StreamResult:
        m = self.model
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self._last.shape:
            raise InvalidInput(f"expected {len(self._last)} values, got {x.shape}", field="x")
        nan = np.isnan(x)
        if nan.any():
            x = np.where(nan, self._last, x)
        self._last = x
        z = (x - m.mean_) * self._inv_scale
        a = m.input_alpha
        self._s = z if self._s is None else (1 - a) * self._s + a * z
        d = self._s - m.center_
        pd_ = d @ m.precision_
        d2 = float(d @ pd_)
        c = pd_ * pd_ * self._inv_diag
        b = m.score_alpha
        if self._r is None or self._c is None:  # first sample (a restored state always has both)
            self._r, self._c = d2, c
        else:
            self._r = (1 - b) * self._r + b * d2
            self._c = (1 - b) * self._c + b * c
        score = self._r / m.threshold_
        if m.peak_ratio > 0:
            self._p = max(score, self._p * self._decay)
            score /= max(1.0, m.peak_ratio * self._p)
        return StreamResult(score, score > 1.0, m.sensors_[int(np.argmax(self._c))])


@dataclass(frozen=True)
class AlarmEvent:
    """One run of consecutive anomalous rows, with what drove it.

    ``onset`` is the first row of the score's rise that led to the alarm: the score stayed at or
    above ``onset_level`` (half the limit by default) from ``onset`` to ``start``, so
    ``start - onset`` rows is the lag between the deviation becoming visible and the alarm.
    ``sensors`` are the sensors' shares of the contributions summed over the event, largest first.
    """

    start: int
    end: int  # last anomalous row (inclusive)
    onset: int
    peak: float
    sensors: tuple[tuple[str, float], ...]

    @property
    def lag(self) -> int:
        return self.start - self.onset


def alarm_events(score: np.ndarray, contrib: np.ndarray, sensors: Sequence[str], *,
                 onset_level: float = 0.5, top: int = 3) -> list[AlarmEvent]:
    """Group rows with ``score > 1`` into events and explain each (sensors, onset lag)."""
    score = np.asarray(score, dtype=np.float64)
    flag = np.r_[False, score > 1.0, False]
    edges = np.flatnonzero(np.diff(flag.astype(np.int8)))
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        on = a
        while on > 0 and score[on - 1] >= onset_level:
            on -= 1
        c = contrib[a:b].sum(axis=0)
        total = float(c.sum())
        share = c / total if total > 0 else np.full(len(c), 1.0 / max(len(c), 1))
        order = np.argsort(-share)[:top]
        out.append(AlarmEvent(int(a), int(b - 1), int(on), float(score[a:b].max()),
                              tuple((sensors[k], float(share[k])) for k in order)))
    return out


class _Window:
    """Running mean over the last ``n`` entries, ignoring missing (None) entries."""

    __slots__ = ("buf", "count", "n", "total")

    def __init__(self, n: int) -> None:
        self.n = n
        self.buf: deque[float | None] = deque()
        self.total = 0.0
        self.count = 0

    def push(self, v: float | None) -> None:
        self.buf.append(v)
        if v is not None:
            self.total += v
            self.count += 1
        if len(self.buf) > self.n:
            old = self.buf.popleft()
            if old is not None:
                self.total -= old
                self.count -= 1

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


class NoveltyStreamDetector:
    """Univariate streaming detector: best-forecaster error likelihood + novelty + rest period.

    Every sample, three forecasters predict the value: an EWMA (level), the median of the same
    time on the previous ``seasons`` days and the median of the same time in the previous
    ``weeks`` weeks (when ``period``, the samples per day, is known). The forecaster with the
    lowest mean absolute error over the last ``mae_window`` samples is trusted; its error divided
    by that MAE is the raw surprise, so a daily rush hour is not an anomaly once the daily
    forecaster has learnt it, while a missing rush hour is. The raw surprise becomes an anomaly
    likelihood (short vs long average, Gaussian tail), values outside everything seen so far (by
    more than ``novelty`` of the range) are certain anomalies, and after a confident alarm the
    output rests for ``rest`` samples so that one incident is one alarm.

    Parameters
    ----------
    period : int
        Samples per day (0: no seasonal forecasters). The NAB runner derives it from timestamps.
    alpha : float
        EWMA weight of the level forecaster.
    seasons, weeks : int
        Number of past days / weeks whose median forms the seasonal forecasts.
    short, long : int
        Windows (samples) of the short and long averages of the raw surprise. ``short = 25`` was
        chosen by leave-one-category-out cross-validation on NAB (``bench/monitor.py --cv``).
    fast : int
        Window of a second, shorter average of the surprise; the score is the mean of the two
        likelihoods (0 = short window only). 5 was chosen by leave-one-category-out on NAB.
    mae_window : int
        Window over which the forecasters' errors are compared.
    rest_level : float
        Score at or above which an alarm starts a rest period.
    rest : int
        Samples during which the score is forced to 0 after such an alarm.
    novelty : float
        Fraction of the range seen so far by which a value must leave that range to be novel.
    novelty_score : float
        Score given to a novel value.
    mae_floor : float
        Smallest forecaster MAE used, as a fraction of the range seen so far.
    """

    def __init__(self, *, period: int = 0, alpha: float = 0.1, seasons: int = 5, weeks: int = 2,
                 short: int = 25, fast: int = 5, long: int = 1000, mae_window: int = 1000, rest_level: float = 0.99,
                 rest: int = 150, novelty: float = 0.01, novelty_score: float = 0.99999,
                 mae_floor: float = 1e-3) -> None:
        self.period = period
        self.mae_floor = mae_floor
        self.alpha = alpha
        self.seasons = seasons
        self.weeks = weeks
        self.short = short
        self.fast = fast
        self.long = long
        self.mae_window = mae_window
        self.rest_level = rest_level
        self.rest = rest
        self.novelty = novelty
        self.novelty_score = novelty_score
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new stream)."""
        lags: list[list[int]] = [[]]
        if self.period > 0:
            lags.append([self.period * k for k in range(1, self.seasons + 1)])
            if self.weeks > 0:
                lags.append([7 * self.period * k for k in range(1, self.weeks + 1)])
        self._lags = [x for x in lags if x or x is lags[0]]
        self._hist: deque[float] = deque(maxlen=max([1] + [max(x) for x in self._lags if x]))
        self._mae = [_Window(self.mae_window) for _ in self._lags]
        self._m: float | None = None
        self._lo = math.inf
        self._hi = -math.inf
        self._short = _Window(self.short)
        self._fast = _Window(self.fast) if self.fast > 0 else None
        self._long: deque[float] = deque()
        self._long_sum = 0.0
        self._long_sq = 0.0
        self._since_alarm = 10**12
        self._steps = 0

    def _forecasts(self) -> list[float | None]:
        out: list[float | None] = [self._m]
        h = self._hist
        for lags in self._lags[1:]:
            vals = sorted(h[-lag] for lag in lags if lag <= len(h))
            if not vals:
                out.append(None)
                continue
            k = len(vals)
            out.append(vals[k // 2] if k % 2 else 0.5 * (vals[k // 2 - 1] + vals[k // 2]))
        return out

    def update(self, x: float) -> float:
        """Score of the next value in [0, 1)."""
        if x != x:  # NaN: no evidence either way
            return 0.0
        rng = self._hi - self._lo if self._hi >= self._lo else 0.0
        eps = 1e-9 * rng if rng > 0 else 1e-12
        errors = [None if f is None else abs(x - f) for f in self._forecasts()]
        maes = [w.mean() for w in self._mae]
        best, best_mae = 0, math.inf
        for k, m in enumerate(maes):
            if m is not None and m < best_mae:
                best, best_mae = k, m
        if errors[best] is None:
            best = 0
        err = errors[best]
        mae = maes[best]
        # A forecaster that has been exact (MAE 0, e.g. a noiseless periodic signal) must not turn
        # the next tiny deviation into an infinite surprise: floor its MAE at 0.1 % of the range.
        raw = 0.0 if err is None or mae is None else min(err / max(mae, self.mae_floor * rng, eps), 1e3)
        for w, e in zip(self._mae, errors, strict=True):
            w.push(e)
        self._m = x if self._m is None else (1 - self.alpha) * self._m + self.alpha * x
        self._hist.append(x)
        self._short.push(raw)
        means = [self._short.mean() or 0.0]
        if self._fast is not None:
            self._fast.push(raw)
            means.append(self._fast.mean() or 0.0)
        n = len(self._long)
        novel = False
        if rng > 0 or n:
            novel = max(x - self._hi, self._lo - x) / (rng if rng > 0 else 1e-9) > self.novelty
        likes = []
        for ms in means:
            if n >= 1:
                ml = self._long_sum / n
                var = (self._long_sq - n * ml * ml) / (n - 1) if n >= 2 else 1.0
                sl = max(math.sqrt(max(var, 0.0)), 1e-4)
                lk = 1.0 - 0.5 * math.erfc((ms - ml) / sl / math.sqrt(2))
            else:
                lk = 0.5
            likes.append(max(lk, self.novelty_score) if novel else lk)
        # The mean of the short- and fast-window likelihoods: the fast one reacts to a spike within
        # a few samples, the short one confirms sustained changes (chosen by leave-one-category-out).
        like = sum(likes) / len(likes)
        self._long.append(raw)
        self._long_sum += raw
        self._long_sq += raw * raw
        if len(self._long) > self.long:
            old = self._long.popleft()
            self._long_sum -= old
            self._long_sq -= old * old
            self._steps += 1
            if self._steps % self.long == 0:  # re-sum now and then: no drift from running subtraction
                self._long_sum = math.fsum(self._long)
                self._long_sq = math.fsum(v * v for v in self._long)
        self._lo = min(self._lo, x)
        self._hi = max(self._hi, x)
        self._since_alarm += 1
        if self._since_alarm <= self.rest:
            return 0.0
        if like >= self.rest_level:
            self._since_alarm = 0
        return like

    def score_samples(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Scores of a whole series (a fresh state; same numbers as repeated :meth:`update`)."""
        self.reset()
        return np.array([self.update(float(v)) for v in np.asarray(x, dtype=np.float64)])


def samples_per_day(timestamps: Sequence[np.datetime64] | np.ndarray, probe: int = 200) -> int:
    """Samples per day from the first ``probe`` timestamps (0 when sampling is daily or slower)."""
    ts = np.asarray(timestamps[:probe], dtype="datetime64[ns]")
    if len(ts) < 3:
        return 0
    d = np.diff(ts).astype(np.int64) / 1e9
    d = d[d > 0]
    if len(d) == 0:
        return 0
    dt = float(np.median(d))
    return round(86400 / dt) if dt < 86400 / 4 else 0
