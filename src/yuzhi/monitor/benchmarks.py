"""The SKAB and NAB benchmark protocols and scorers, reimplemented from their published rules.

SKAB (Skoltech Anomaly Benchmark, Katser & Kozitsin 2020, github.com/waico/SKAB), outlier task:
for every experiment file the detector is fitted on the first 400 rows (as in SKAB's notebooks,
``train_stop = 400``) and then labels every row of the file, training rows included. Confusion
counts are summed over all files and ``F1 = TP / (TP + (FN + FP)/2)``, ``FAR = FP/(FP+TN)``,
``MAR = FN/(FN+TP)`` (SKAB's ``chp_score(..., metric="binary")``).

NAB (Numenta Anomaly Benchmark v1.1, Lavin & Ahmad 2015, github.com/numenta/NAB): every file is a
univariate stream; the detector emits a score per row without seeing the future. Scoring follows
``nab/sweeper.py``: the first ``min(floor(0.15·n), 750)`` rows are probationary and not scored;
a detection inside a labelled window earns ``scaledSigmoid(-(right - i + 1)/width)/scaledSigmoid(-1)``
× tpWeight for the *earliest* detection only, a missed window costs ``fnWeight``, a detection
outside windows costs ``fpWeight × scaledSigmoid(distance past the previous window)`` (−fpWeight
before any window). One threshold per profile is chosen for the whole corpus by sweeping all
distinct scores (NAB's optimiser), and the total is normalised
``100 × (S − S_null)/(S_perfect − S_null)`` where the null detector never fires and the perfect
detector fires on every window.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yuzhi.errors import InvalidInput
from yuzhi.monitor.io import read_table

SKAB_TRAIN_ROWS = 400

#: Published SKAB outlier-task leaderboard (F1, FAR %, MAR %), from SKAB's README.
SKAB_LEADERBOARD: tuple[tuple[str, float, float | None, float | None], ...] = (
    ("Conv-AE", 0.78, 13.6, 28.0),
    ("MSET", 0.78, 39.7, 14.1),
    ("T²+Q (PCA)", 0.76, 26.6, 24.9),
    ("LSTM-AE", 0.74, None, None),
    ("Isolation Forest", 0.29, None, None),
)

#: Published NAB v1.1 standard-profile scores.
NAB_LEADERBOARD: tuple[tuple[str, float], ...] = (
    ("ARTime", 74.9),
    ("Numenta HTM", 70.1),
    ("CAD OSE", 69.9),
    ("KNN CAD", 58.0),
    ("Random Cut Forest", 51.7),
    ("Windowed Gaussian", 39.6),
)

NAB_PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11},
}


# ----------------------------------------------------------------------------- SKAB


@dataclass(frozen=True)
class SkabFile:
    name: str
    values: np.ndarray
    sensors: tuple[str, ...]
    anomaly: np.ndarray


def load_skab(root: str | Path) -> list[SkabFile]:
    """All labelled SKAB experiment files under ``root`` (``anomaly-free`` is skipped)."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a directory", field="dir", fix="point at the SKAB data folder")
    files = sorted(p for p in root.rglob("*.csv") if "anomaly-free" not in p.parts)
    if not files:
        raise InvalidInput(f"no CSV files under {root}", field="dir")

    def key(p: Path) -> tuple[str, int, str]:
        return (p.parent.name, int(p.stem) if p.stem.isdigit() else 10**9, p.stem)

    out = []
    for p in sorted(files, key=key):
        t = read_table(p, ignore=["anomaly", "changepoint"], order="sort")
        out.append(SkabFile(f"{p.parent.name}/{p.name}", t.values, t.sensors,
                            t.extra["anomaly"].astype(float).astype(int)))
    return out


def skab_binary(trues: Iterable[np.ndarray], preds: Iterable[np.ndarray]) -> dict[str, float]:
    """SKAB's binary outlier metrics, confusion counts summed over files (not rounded)."""
    tp = tn = fp = fn = 0
    for y, p in zip(trues, preds, strict=True):
        y = np.asarray(y) == 1
        p = np.asarray(p) == 1
        tp += int((y & p).sum())
        tn += int((~y & ~p).sum())
        fp += int((~y & p).sum())
        fn += int((y & ~p).sum())
    return {
        "f1": tp / (tp + (fn + fp) / 2) if tp + fn + fp else 0.0,
        "far": 100.0 * fp / (fp + tn) if fp + tn else 0.0,
        "mar": 100.0 * fn / (fn + tp) if fn + tp else 0.0,
        "tp": tp, "tn": tn, "fp": fp, "fn": fn,
    }


def evaluate_skab(files: list[SkabFile], make_detector: Callable[[], object],
                  train_rows: int = SKAB_TRAIN_ROWS) -> dict[str, float]:
    """Fit a fresh detector on each file's first ``train_rows`` rows and label the whole file."""
    preds = []
    for f in files:
        det = make_detector()
        det.fit(f.values[:train_rows])  # type: ignore[attr-defined]
        preds.append(det.predict(f.values))  # type: ignore[attr-defined]
    return skab_binary([f.anomaly for f in files], preds)


# ----------------------------------------------------------------------------- NAB


@dataclass(frozen=True)
class NabFile:
    name: str
    timestamps: tuple[str, ...]
    values: np.ndarray
    windows: tuple[tuple[int, int], ...]  # inclusive row index ranges


def _norm_ts(s: str) -> str:
    s = s.strip()
    return s[:19]


def load_nab(root: str | Path) -> list[NabFile]:
    """The NAB corpus under ``root`` (``data/``, ``labels/combined_windows.json``)."""
    root = Path(root)
    labels = root / "labels" / "combined_windows.json"
    if not labels.exists():
        raise InvalidInput(f"{labels} not found", field="dir",
                           fix="point at the NAB folder holding data/ and labels/")
    windows = json.loads(labels.read_text())
    out = []
    for rel in sorted(windows):
        path = root / "data" / rel
        if not path.exists():
            continue
        t = read_table(path, order="keep")
        ts = tuple(_norm_ts(x) for x in t.raw_time)
        index = {s: i for i, s in enumerate(ts)}
        wins = []
        for a, b in windows[rel]:
            try:
                wins.append((index[_norm_ts(a)], index[_norm_ts(b)]))
            except KeyError as exc:
                raise InvalidInput(f"window bound {exc} of {rel} is not a timestamp of the file",
                                   field=rel) from None
        out.append(NabFile(rel, ts, t.values[:, 0], tuple(wins)))
    if not out:
        raise InvalidInput(f"no NAB data files found under {root / 'data'}", field="dir")
    return out


def scaled_sigmoid(x: float) -> float:
    """NAB's scoring curve: ≈0.987 at a window's left edge, 0 at its right edge, −1 far after."""
    if x >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def probationary_length(n: int, percent: float = 0.15) -> int:
    return int(min(math.floor(percent * n), percent * 5000))


@dataclass(frozen=True)
class _Points:
    """Per scorable row: which window (−1 = none) and the unweighted sweep score."""

    window: np.ndarray
    tp_part: np.ndarray
    fp_part: np.ndarray
    n_windows: int


def _sweep_points(f: NabFile) -> _Points:
    n = len(f.values)
    win = np.full(n, -1, dtype=np.int64)
    tp_part = np.zeros(n)
    fp_part = np.zeros(n)
    max_tp = scaled_sigmoid(-1.0)
    prev_right: int | None = None
    prev_width = 0.0
    wins = list(f.windows)
    k = 0
    i = 0
    while i < n:
        if k < len(wins) and i == wins[k][0]:
            a, b = wins[k]
            width = float(b - a + 1)
            for j in range(a, b + 1):
                win[j] = k
                tp_part[j] = scaled_sigmoid(-(b - j + 1) / width) / max_tp
            prev_right, prev_width = b, width
            k += 1
            i = b + 1
            continue
        if prev_right is None:
            fp_part[i] = -1.0
        else:
            fp_part[i] = scaled_sigmoid(abs(prev_right - i) / (prev_width - 1)) if prev_width > 1 else -1.0
        i += 1
    start = probationary_length(n)
    return _Points(win[start:], tp_part[start:], fp_part[start:], len(wins))


def nab_score(files: list[NabFile], scores: list[np.ndarray],
              profiles: dict[str, dict[str, float]] | None = None,
              thresholds: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Normalised NAB scores per profile, with the corpus-wide optimal threshold.

    ``thresholds`` (profile → threshold) scores at a threshold fixed in advance instead (a row is
    a detection when its score is ≥ the threshold), e.g. one chosen on other files in
    cross-validation.

    Windows that lie wholly in the probationary period still count as windows to be found (as in
    NAB, which lists them in ``scoreParts``) only if they have a scorable row; NAB builds the
    window list from scorable rows, so a window entirely inside probation is ignored here too.
    """
    profiles = profiles or NAB_PROFILES
    pts = [_sweep_points(f) for f in files]
    all_scores, all_file, all_win, all_tp, all_fp = [], [], [], [], []
    win_offset = 0
    win_ids = []
    for k, (p, s) in enumerate(zip(pts, scores, strict=True)):
        s = np.asarray(s, dtype=np.float64)
        if len(s) != len(files[k].values):
            raise InvalidInput(f"{files[k].name}: {len(s)} scores for {len(files[k].values)} rows",
                               field="scores")
        s = s[len(s) - len(p.window):]
        all_scores.append(s)
        all_file.append(np.full(len(s), k))
        w = np.where(p.window >= 0, p.window + win_offset, -1)
        all_win.append(w)
        win_ids.extend(sorted(set(w[w >= 0].tolist())))
        all_tp.append(p.tp_part)
        all_fp.append(p.fp_part)
        win_offset += p.n_windows
    s = np.concatenate(all_scores)
    w = np.concatenate(all_win)
    tp = np.concatenate(all_tp)
    fp = np.concatenate(all_fp)
    n_windows = len(win_ids)
    order = np.argsort(-s, kind="stable")
    # The perfect detector fires on every window row; only its earliest scorable row counts.
    first_tp = np.zeros(win_offset)
    inwin = w >= 0
    np.maximum.at(first_tp, w[inwin], tp[inwin])
    out: dict[str, dict[str, float]] = {}
    for name, cm in profiles.items():
        tpw, fnw, fpw = cm["tpWeight"], cm["fnWeight"], cm["fpWeight"]
        null = -fnw * n_windows
        perfect = tpw * float(first_tp.sum())
        best_score, best_thr = null, float("inf")
        best_win = np.full(win_offset, -fnw)
        total = null
        fp_total = 0.0
        seen = np.zeros(win_offset, dtype=bool)
        j = 0
        n = len(order)
        fixed = None if thresholds is None else thresholds[name]
        while j < n:
            thr = s[order[j]]
            if fixed is not None and thr < fixed:
                break
            while j < n and s[order[j]] == thr:
                i = order[j]
                if w[i] >= 0:
                    if not seen[w[i]]:
                        seen[w[i]] = True
                        total += tpw * tp[i] + fnw
                        best_win[w[i]] = tpw * tp[i]
                    elif tpw * tp[i] > best_win[w[i]]:
                        total += tpw * tp[i] - best_win[w[i]]
                        best_win[w[i]] = tpw * tp[i]
                else:
                    fp_total += fpw * fp[i]
                    total += fpw * fp[i]
                j += 1
            if fixed is not None or total > best_score:
                best_score, best_thr = total, float(thr)
        if fixed is not None:
            best_thr = fixed
        # Files without any window (NAB's artificialNoAnomaly) alone: no normalised score exists,
        # only the raw cost of false positives ("raw").
        norm = float(100.0 * (best_score - null) / (perfect - null)) if perfect != null else float("nan")
        out[name] = {"score": norm, "threshold": best_thr,
                     "raw": float(best_score)}
    return out


# ----------------------------------------------------------------------------- baselines


class IsolationForestBaseline:
    """Textbook baseline: scikit-learn's Isolation Forest on raw rows (default contamination)."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> IsolationForestBaseline:
        from sklearn.ensemble import IsolationForest

        self.model_ = IsolationForest(random_state=self.random_state).fit(X)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.model_.predict(X) == -1).astype(np.int8)


class PcaT2QBaseline:
    """Textbook baseline: PCA (90 % variance) Hotelling T² + Q, each limit the training 99th
    percentile, no smoothing; a row is anomalous when either statistic exceeds its limit."""

    def fit(self, X: np.ndarray) -> PcaT2QBaseline:
        self.mean_, self.sd_ = X.mean(0), X.std(0) + 1e-12
        Z = (X - self.mean_) / self.sd_
        w, V = np.linalg.eigh(np.cov(Z, rowvar=False))
        o = np.argsort(w)[::-1]
        w, V = w[o], V[:, o]
        k = int(np.searchsorted(np.cumsum(w) / w.sum(), 0.9) + 1)
        self.V_, self.ev_ = V[:, :k], w[:k]
        t2, q = self._stats(X)
        self.t2_lim_, self.q_lim_ = np.quantile(t2, 0.99), np.quantile(q, 0.99)
        return self

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Z = (X - self.mean_) / self.sd_
        T = Z @ self.V_
        return (T**2 / self.ev_).sum(1), ((Z - T @ self.V_.T) ** 2).sum(1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        t2, q = self._stats(X)
        return ((t2 > self.t2_lim_) | (q > self.q_lim_)).astype(np.int8)


def windowed_gaussian(x: np.ndarray, window: int = 1000) -> np.ndarray:
    """NAB's windowed-Gaussian baseline: tail score of each value against the previous ``window``
    values (expanding at the start), reported as ``1 − Q(|z|)``."""
    import pandas as pd
    from scipy.special import erfc

    s = pd.Series(np.asarray(x, dtype=np.float64))
    m = s.rolling(window, min_periods=1).mean().shift(1)
    sd = s.rolling(window, min_periods=1).std(ddof=0).shift(1).replace(0, 1e-6)
    z = ((s - m).abs() / sd).fillna(0).to_numpy()
    out = 1.0 - 0.5 * erfc(z / np.sqrt(2))
    out[0] = 0.0
    return out


def nab_run(files: list[NabFile], **params: float) -> list[np.ndarray]:
    """Our NAB detector on every file: a fresh streaming detector per file, its daily period
    taken from the file's own timestamps (NAB gives detectors the timestamps)."""
    from yuzhi.monitor.detectors import NoveltyStreamDetector, samples_per_day

    out = []
    for f in files:
        period = samples_per_day(np.array(f.timestamps, dtype="datetime64[ns]"))
        out.append(NoveltyStreamDetector(period=period, **params).score_samples(f.values))  # type: ignore[arg-type]
    return out
