"""Metrics against an independent implementation (scikit-learn) and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from yuzhi.inspect.metrics import aupro, auroc, f1, f1_max


def test_auroc_hand_computed() -> None:
    # pairs (pos, neg): (0.35 > 0.1), (0.35 < 0.4), (0.8 > 0.1), (0.8 > 0.4) -> 3/4
    assert auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_auroc_ties_count_half() -> None:
    assert auroc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.normal(size=500) + y, 1)  # rounding creates ties
    assert auroc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_auroc_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        auroc(np.array([1, 1]), np.array([0.1, 0.2]))


def test_f1_hand_computed() -> None:
    # tp=2, fp=1, fn=1 -> 2*2 / (4 + 1 + 1) = 2/3
    assert f1(np.array([1, 1, 1, 0, 0]), np.array([1, 1, 0, 1, 0])) == pytest.approx(2 / 3)
    assert f1(np.array([1, 0]), np.array([0, 0])) == 0.0
    assert f1_max(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4])) == 1.0


def _aupro_bruteforce(masks, maps, limit=0.3):
    """Per-threshold loop over every distinct score (the definition, slowly)."""
    from scipy import ndimage

    regions = []
    for m in masks:
        lab, k = ndimage.label(m, structure=np.ones((3, 3)))
        regions += [(len(regions), lab == i) for i in range(1, k + 1)]
    normal = np.concatenate([~m.ravel() for m in masks])
    allv = np.concatenate([a.ravel() for a in maps])
    pts = [(0.0, 0.0)]
    for t in np.sort(np.unique(allv))[::-1]:
        fpr = float(((allv >= t) & normal).sum() / normal.sum())
        pros = []
        ri = 0
        for m, a in zip(masks, maps, strict=True):
            lab, k = ndimage.label(m, structure=np.ones((3, 3)))
            for i in range(1, k + 1):
                pros.append(float((a[lab == i] >= t).mean()))
                ri += 1
        pts.append((fpr, float(np.mean(pros))))
    f = np.array([p[0] for p in pts])
    p = np.array([p[1] for p in pts])
    keep = f <= limit
    fk, pk = f[keep], p[keep]
    j = int(keep.sum())
    if j < len(f):
        pl = p[j - 1] + (p[j] - p[j - 1]) * (limit - f[j - 1]) / (f[j] - f[j - 1])
        fk, pk = np.r_[fk, limit], np.r_[pk, pl]
    return float(np.trapezoid(pk, fk) / limit)


def test_aupro_matches_definition() -> None:
    rng = np.random.default_rng(3)
    masks, maps = [], []
    for _ in range(3):
        m = np.zeros((12, 12), dtype=bool)
        m[2:5, 2:5] = True
        m[8:10, 7:11] = True
        masks.append(m)
        maps.append(np.round(rng.random((12, 12)) + 0.8 * m, 2))
    masks.append(np.zeros((12, 12), dtype=bool))
    maps.append(np.round(rng.random((12, 12)), 2))
    assert aupro(masks, maps) == pytest.approx(_aupro_bruteforce(masks, maps), abs=1e-9)


def test_aupro_perfect_map_is_one() -> None:
    m = np.zeros((10, 10), dtype=bool)
    m[3:6, 3:6] = True
    assert aupro([m], [m.astype(float)]) == pytest.approx(1.0)


def test_aupro_needs_a_region() -> None:
    with pytest.raises(ValueError, match="at least one defect region"):
        aupro([np.zeros((4, 4), dtype=bool)], [np.zeros((4, 4))])
