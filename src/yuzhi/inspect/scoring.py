"""From distance maps to scores: border calibration, smoothing, the three score terms, their
z-score combination and the normalised scales of scores and maps.

:class:`ScoreTerms` is a mixin of :class:`~yuzhi.inspect.detector.PatchCoreDetector`; it reads the
constructor parameters ``sigma``, ``score_margin``, ``contrast_score``, ``combine`` and the fitted
``ring_stats_``, ``global_mean_``/``global_precision_``, ``score_stats_``, ``threshold_``,
``good_median_`` and ``map_levels_``. Kept apart from the memory bank because this is where a
scoring variant (a new term, another combination) is added without touching training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from yuzhi.errors import InvalidInput

from .features import _pool
from .maps import _blur, ring_index


@dataclass(frozen=True)
class RawScore:
    """One image's raw evidence, before the z-scores of ``PatchCoreDetector._combine``.

    ``local``: the local map's maximum away from the border; ``contrast``: that maximum against
    the image's own background, ``(max - median) / MAD`` of the same region; ``glob``: Mahalanobis
    distance of the pooled features (0 without ``global_score``); ``map``: the local map at the
    input size.
    """

    local: float
    contrast: float
    map: np.ndarray
    glob: float


@dataclass(frozen=True)
class Prediction:
    """Result for one image.

    Attributes
    ----------
    score : float
        Normalised anomaly score; the decision threshold is 0.5.
    verdict : str
        ``"NG"`` when ``score >= threshold`` (default 0.5) else ``"OK"``.
    anomaly_map : numpy.ndarray
        float32 (H, W) map at the input image's size, on the maps' own normalised scale
        (0.25 typical good part's peak, 0.5 the local threshold; see ``normalise_map``).
    """

    score: float
    verdict: str
    anomaly_map: np.ndarray


#: The border calibration's per-pixel maps, cached per (h, w, device) for the ring statistics they came from.
_RingCache = tuple[np.ndarray | None, dict[tuple[int, int, str], tuple[torch.Tensor, torch.Tensor]]]


class ScoreTerms:
    """Score terms and normalisation (mixin of the detector; see the module docstring)."""

    sigma: float
    score_margin: int
    contrast_score: bool
    # fitted state, set by the detector's fit() or load (declared here for the methods below)
    ring_stats_: np.ndarray | None
    global_precision_: np.ndarray | None
    threshold_: float
    good_median_: float
    map_levels_: np.ndarray
    _ring_cache: _RingCache

    def _check_fitted(self) -> None:
        if not hasattr(self, "bank_"):
            raise InvalidInput("the detector is not trained yet.", fix="Call fit() or load a model first.")

    def _finish(self, m: torch.Tensor, h: int, w: int) -> tuple[float, float, np.ndarray]:
        """Border calibration, smoothing, scores and resizing of a (1, 1, sh, sw) distance map.

        Returns ``(local, contrast, map)``, the first three fields of :class:`RawScore`.
        """
        sh, sw = m.shape[-2:]
        if getattr(self, "ring_stats_", None) is not None:
            mean, inv_std = self._ring_maps(sh, sw, m.device)
            m = (m - mean) * inv_std
        m = _blur(m, self.sigma)
        k = self.score_margin
        inner = m[0, 0, k : sh - k, k : sw - k] if min(sh, sw) > 4 * k else m[0, 0]
        peak = inner.max()
        # the background's median and MAD from every 4th pixel each way: the map is smooth
        # (Gaussian sigma 4), and 1/16 of the pixels estimate both as well at 1/16 of the sort
        bg = inner[::4, ::4].flatten()
        med = bg.median()
        mad = (bg - med).abs().median().clamp_min(1e-6)
        contrast = float((peak - med) / mad)
        if (sh, sw) != (h, w):
            m = F.interpolate(m, size=(h, w), mode="bilinear", align_corners=False)
        return float(peak), contrast, m[0, 0].float().cpu().numpy()

    def _ring_maps(self, h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-pixel mean and 1/sd of the border calibration for an h x w map (cached per shape)."""
        stats = self.ring_stats_
        cache: _RingCache | None = getattr(self, "_ring_cache", None)
        if cache is None or cache[0] is not stats:
            cache = (stats, {})
            self._ring_cache = cache
        key = (h, w, str(device))
        if key not in cache[1]:
            ring = torch.from_numpy(ring_index(h, w)).to(device)
            st = torch.as_tensor(stats, dtype=torch.float32, device=device)
            cache[1][key] = (st[ring, 0][None, None].contiguous(), (1.0 / st[ring, 1])[None, None].contiguous())
            if len(cache[1]) > 8:  # bounded: two float maps per shape
                cache[1].pop(next(iter(cache[1])))
        return cache[1][key]

    def _global_distance(self, cells: torch.Tensor) -> float:
        """Mahalanobis distance of an image's pooled features (cells: D, h, w) to the good-image Gaussian."""
        mean = getattr(self, "global_mean_", None)
        if mean is None:
            return 0.0
        cache = getattr(self, "_precision_cache", None)
        if cache is None or cache[0] is not self.global_precision_:
            cache = (self.global_precision_, np.asarray(self.global_precision_, dtype=np.float64))
            self._precision_cache = cache
        d = _pool(cells.reshape(cells.shape[0], -1)) - mean
        return float(np.sqrt(max(0.0, float(d @ cache[1] @ d))))

    def _combine(self, local: np.ndarray | float, glob: float | None = None,
                 contrast: float | None = None) -> np.ndarray | float:
        """Combined raw score: the sum of the z-scores of the terms in use (held-out good images:
        mean 0, sd 1 each).

        ``None`` stands for a term at its held-out mean (z = 0): maps pass only ``local``.
        """
        stats = getattr(self, "score_stats_", None)
        if stats is None:
            return local
        terms = [(np.asarray(local, dtype=np.float64) - stats[0]) / stats[1]]
        if glob is not None and getattr(self, "global_mean_", None) is not None:
            terms.append((glob - stats[2]) / stats[3])
        if contrast is not None and self.contrast_score:
            terms.append((contrast - stats[4]) / stats[5])
        if getattr(self, "combine", "sum") == "max":
            out = terms[0]
            for t in terms[1:]:
                out = np.maximum(out, t)
            return out
        z = terms[0]
        for t in terms[1:]:
            z = z + t
        return z

    def normalise(self, raw: np.ndarray | float) -> np.ndarray | float:
        """Map raw values to the normalised scale: median good image 0.25, threshold 0.5.

        The map is linear and unclipped (maps go below 0 where a pixel is more normal than
        the typical good image's worst pixel); clipping would tie most pixels at 0 and destroy
        the pixel ranking. Image scores are clipped at 0 by :meth:`predict_maps`.
        """
        self._check_fitted()
        span = self.threshold_ - self.good_median_
        return 0.25 + 0.25 * (np.asarray(raw, dtype=np.float64) - self.good_median_) / span

    def normalise_map(self, local_map: np.ndarray) -> np.ndarray:
        """A local map on the maps' own scale: 0.25 where a typical good part peaks, 0.5 where a
        good part peaks at the trained false-reject rate (float32, unclipped).

        Why not the image-score scale: the image score adds the global and contrast terms, so
        its threshold sits higher than any local value alone reaches; on that scale most NG
        parts showed no pixel above 0.5 and the overlay outlined nothing. The map shows where
        (the local term only: a per-image constant would not localise anything); pixel metrics
        are unchanged, as every map gets the same linear map.
        """
        self._check_fitted()
        lo, hi = (float(v) for v in self.map_levels_)
        gain = np.float32(0.25 / (hi - lo))
        return (np.asarray(local_map, dtype=np.float32) - np.float32(lo)) * gain + np.float32(0.25)
