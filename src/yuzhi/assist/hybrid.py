"""Fusing the BM25 and dense rankings.

Two methods, both measured in ``bench/assist.py``:

* **RRF** (reciprocal rank fusion, Cormack et al., SIGIR 2009): ``Σ w / (k + rank)``. Needs no
  score calibration, robust when one list is noise.
* **Normalised score fusion**: each list min–max scaled over its own top candidates, then a
  weighted sum. Keeps the *margin* information RRF throws away.

A retriever that found nothing (BM25 on an English question over Chinese text: all zeros)
contributes nothing, so cross-lingual questions fall back to dense retrieval automatically.

>>> rrf([np.array([3.0, 1.0, 0.0]), np.array([0.1, 0.9, 0.5])], k=60).round(5).tolist()
[0.03227, 0.03252, 0.01613]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS = ("rrf", "norm")


def _ranks(scores: np.ndarray, depth: int) -> np.ndarray:
    """1-based rank of each item among the top ``depth`` with a positive score; 0 = not ranked."""
    ranks = np.zeros(len(scores), dtype=np.int64)
    valid = np.flatnonzero(scores > 0)
    if valid.size == 0:
        return ranks
    order = valid[np.argsort(-scores[valid], kind="stable")][:depth]
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def rrf(
    score_lists: Sequence[np.ndarray],
    *,
    weights: Sequence[float] | None = None,
    k: int = 60,
    depth: int = 100,
) -> np.ndarray:
    """Reciprocal rank fusion of several score vectors over the same documents."""
    w = list(weights) if weights is not None else [1.0] * len(score_lists)
    out = np.zeros(len(score_lists[0]), dtype=np.float64)
    for s, wi in zip(score_lists, w, strict=True):
        r = _ranks(np.asarray(s, dtype=np.float64), depth)
        hit = r > 0
        out[hit] += wi / (k + r[hit])
    return out


def norm_fusion(
    score_lists: Sequence[np.ndarray],
    *,
    weights: Sequence[float] | None = None,
    depth: int = 100,
) -> np.ndarray:
    """Weighted sum of min–max normalised scores, each over its own top ``depth`` positive items."""
    w = list(weights) if weights is not None else [1.0] * len(score_lists)
    out = np.zeros(len(score_lists[0]), dtype=np.float64)
    for s, wi in zip(score_lists, w, strict=True):
        s = np.asarray(s, dtype=np.float64)
        r = _ranks(s, depth)
        hit = r > 0
        if not hit.any():
            continue
        lo, hi = s[hit].min(), s[hit].max()
        out[hit] += wi * ((s[hit] - lo) / (hi - lo) if hi > lo else 1.0)
    return out


def fuse(score_lists: Sequence[np.ndarray], *, method: str = "rrf", **kw: object) -> np.ndarray:
    """Dispatch to :func:`rrf` or :func:`norm_fusion`."""
    if method == "rrf":
        return rrf(score_lists, **kw)  # type: ignore[arg-type]
    if method == "norm":
        return norm_fusion(score_lists, **kw)  # type: ignore[arg-type]
    raise ValueError(f"unknown fusion method {method!r}; expected one of {METHODS}")
