"""Anomaly-map maths shared by training, scoring and the bench: Gaussian smoothing with mirror
borders and the border rings of the per-ring calibration.

Pure tensor/array functions (no model state), so the bench can re-finish stored distance maps with
exactly the smoothing the detector uses.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(4 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


@lru_cache(maxsize=16)  # at most 16 x 4 MB (sides up to _MATRIX_BLUR_MAX)
def _blur_matrix(n: int, sigma: float) -> torch.Tensor:
    """(n, n) matrix of a 1-D Gaussian blur with mirror borders: ``B @ v`` blurs a column ``v``."""
    k = _gaussian_kernel(sigma).double().numpy()
    r = (k.size - 1) // 2
    rows = np.repeat(np.arange(n), k.size)
    src = (np.arange(n)[:, None] + np.arange(-r, r + 1)[None, :]).ravel()
    if n > 1:  # mirror at the borders (edge not repeated, as F.pad "reflect"), as often as needed
        period = 2 * (n - 1)
        src = np.mod(src, period)
        src = np.where(src > n - 1, period - src, src)
    else:
        src = np.zeros_like(src)
    out = np.zeros((n, n))
    np.add.at(out, (rows, src), np.tile(k, n))
    return torch.from_numpy(out.astype(np.float32))


#: Maps up to this side are blurred by two matrix products (BLAS), larger ones by convolution.
_MATRIX_BLUR_MAX = 1024


def _blur(m: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a (N, 1, H, W) tensor with mirror borders.

    Why matrices: a one-channel ``conv2d`` with a 33-tap kernel is a slow path in oneDNN (1.7 ms
    for a 273 x 273 map on the 2-core machine); ``B_h @ m @ B_w.T`` with the borders folded into
    the banded matrices is the same blur in 0.34 ms (max difference 1e-7).
    """
    if sigma <= 0:
        return m
    h, w = m.shape[-2:]
    if max(h, w) <= _MATRIX_BLUR_MAX:
        bh = _blur_matrix(h, float(sigma)).to(m.device)
        bw = _blur_matrix(w, float(sigma)).to(m.device)
        return torch.matmul(torch.matmul(bh, m), bw.T)
    k = _gaussian_kernel(sigma).to(m.device)
    r = (k.numel() - 1) // 2
    mode = "reflect" if min(m.shape[-2:]) > r else "replicate"
    m = F.conv2d(F.pad(m, (r, r, 0, 0), mode=mode), k.view(1, 1, 1, -1))
    m = F.conv2d(F.pad(m, (0, 0, r, r), mode=mode), k.view(1, 1, -1, 1))
    return m


#: Border calibration: distance to the image edge in 8-px rings (0 = outermost, N_RINGS-1 = interior).
N_RINGS = 5


@lru_cache(maxsize=8)  # few entries: a 5-megapixel map's ring index is 40 MB
def ring_index(h: int, w: int) -> np.ndarray:
    """Ring of every pixel of an h x w image: min distance to the border // 8, capped.

    Cached per shape (a batch of one part type has a handful of shapes); do not modify the result.
    """
    yy = np.arange(h)[:, None]
    xx = np.arange(w)[None, :]
    d = np.minimum(np.minimum(yy, h - 1 - yy), np.minimum(xx, w - 1 - xx))
    return np.minimum(d // 8, N_RINGS - 1).astype(np.int64)
