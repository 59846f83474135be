"""Anomaly-detection metrics: AUROC, AUPRO (Bergmann et al. 2021) and F1, in plain NumPy.

Why our own code: pixel metrics run over tens of millions of pixels, and AUPRO has no
scikit-learn equivalent. The tests check :func:`auroc` against ``sklearn.metrics.roc_auc_score``
(an independent implementation) and :func:`aupro` against a brute-force per-threshold loop.

>>> auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
0.75
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from scipy.stats import rankdata


def auroc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic (ties count one half).

    Raises
    ------
    ValueError
        When ``y_true`` holds only one class.
    """
    y = np.asarray(y_true).ravel().astype(bool)
    s = np.asarray(scores, dtype=np.float64).ravel()
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUROC needs both positive and negative samples.")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of the positive (defective) class; 0 when there are no true positives."""
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    tp = int((y & p).sum())
    fp = int((~y & p).sum())
    fn = int((y & ~p).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def f1_max(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Best F1 over all thresholds (reported for reference; the line uses the trained one)."""
    y = np.asarray(y_true).astype(bool)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    s = np.asarray(scores, dtype=np.float64)[order]
    tp = np.cumsum(y[order])
    fp = np.cumsum(~y[order])
    last = np.r_[s[1:] != s[:-1], True]
    tp, fp = tp[last], fp[last]
    fn = y.sum() - tp
    f = 2 * tp / np.maximum(1, 2 * tp + fp + fn)
    return float(f.max()) if f.size else 0.0


def aupro(masks: Sequence[np.ndarray], maps: Sequence[np.ndarray], *, fpr_limit: float = 0.3) -> float:
    """Normalised area under the per-region-overlap curve up to ``fpr_limit`` false-positive rate.

    Each connected defect region (8-connectivity) counts equally whatever its size, so a small
    blowhole matters as much as a long crack. PRO(t) is the mean over regions of the fraction of
    the region's pixels with score >= t; FPR(t) the fraction of defect-free pixels with
    score >= t. The curve is integrated from FPR 0 to ``fpr_limit`` (interpolating the end point)
    and divided by ``fpr_limit``, so a perfect map scores 1.

    Parameters
    ----------
    masks : sequence of numpy.ndarray
        Boolean ground-truth masks (H, W), one per image (all False for good images).
    maps : sequence of numpy.ndarray
        Anomaly maps of the same shapes.
    fpr_limit : float
        Upper FPR integration limit (0.3 in the MVTec AD protocol).
    """
    scores = []
    weights = []
    normal = []
    n_regions = 0
    structure = np.ones((3, 3), dtype=bool)
    region_sizes: list[np.ndarray] = []
    labels_all = []
    for mk, mp in zip(masks, maps, strict=True):
        mk = np.asarray(mk, dtype=bool)
        if mk.shape != np.asarray(mp).shape:
            raise ValueError(f"mask shape {mk.shape} differs from map shape {np.asarray(mp).shape}.")
        lab, k = ndimage.label(mk, structure=structure)
        sizes = np.bincount(lab.ravel(), minlength=k + 1)
        labels_all.append((lab, sizes, k))
        n_regions += k
        region_sizes.append(sizes[1:])
    if n_regions == 0:
        raise ValueError("AUPRO needs at least one defect region.")
    for (lab, sizes, _k), mp in zip(labels_all, maps, strict=True):
        flat = lab.ravel()
        scores.append(np.asarray(mp, dtype=np.float32).ravel())
        w = np.zeros(flat.size, dtype=np.float64)
        inside = flat > 0
        w[inside] = 1.0 / (sizes[flat[inside]] * n_regions)
        weights.append(w)
        normal.append(~inside)
    s = np.concatenate(scores)
    w = np.concatenate(weights)
    nm = np.concatenate(normal)
    del scores, weights, normal
    order = np.argsort(-s, kind="stable")
    s = s[order]
    pro = np.cumsum(w[order])
    fpr = np.cumsum(nm[order]) / max(1, int(nm.sum()))
    last = np.r_[s[1:] != s[:-1], True]
    fpr = np.r_[0.0, fpr[last]]
    pro = np.r_[0.0, pro[last]]
    # stop at fpr_limit, interpolating the final point
    k = int(np.searchsorted(fpr, fpr_limit, side="right"))
    if k < fpr.size:
        f0, f1_, p0, p1 = fpr[k - 1], fpr[k], pro[k - 1], pro[k]
        p_lim = p0 + (p1 - p0) * (fpr_limit - f0) / (f1_ - f0) if f1_ > f0 else p1
        fpr = np.r_[fpr[:k], fpr_limit]
        pro = np.r_[pro[:k], p_lim]
    return float(np.trapezoid(pro, fpr) / fpr_limit)
