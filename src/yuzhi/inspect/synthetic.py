"""Synthetic anomalies planted in good images: an extra *development* signal, never a reported figure.

Why: the real defect types of a line are few and the ones that matter most are often the ones not
yet seen. Planting generic defects in held-back good images (cut-paste, brightness and texture
patches, local blur, random-stroke scratches, a large low-contrast "uneven" region, thin strokes
along the part's edge) lets a validation protocol ask whether a method choice helps on defect
*kinds* it was not chosen on. They are cruder than real defects, so the protocol uses them only to
break ties and to catch a choice that wrecks one kind; reported figures are on real defects.

Pure numpy/scipy (no torch, no I/O), deterministic given the generator.

>>> import numpy as np
>>> img = np.full((64, 80, 3), 128, np.uint8)
>>> out, mask = plant(img, "scratch", np.random.default_rng(0))
>>> out.shape, mask.dtype, bool(mask.any())
((64, 80, 3), dtype('bool'), True)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: The kinds :func:`plant` knows, in a fixed order.
KINDS: tuple[str, ...] = ("cutpaste", "bright", "texture", "blur", "scratch", "uneven", "fray")


def _ellipse(h: int, w: int, rng: np.random.Generator, frac: tuple[float, float]) -> np.ndarray:
    """A random rotated ellipse (bool mask) whose axes are ``frac`` of the shorter side."""
    s = min(h, w)
    a, b = rng.uniform(*frac, size=2) * s / 2
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    t = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    y, x = yy - cy, xx - cx
    u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
    return (u / max(a, 1.0)) ** 2 + (v / max(b, 1.0)) ** 2 <= 1.0


def _stroke(h: int, w: int, rng: np.random.Generator, start: tuple[float, float], heading: float,
            length: float, width: int, wobble: float) -> np.ndarray:
    """A random-walk line (bool mask): ``length`` px from ``start`` along ``heading``, ``width`` px wide."""
    m = np.zeros((h, w), dtype=bool)
    y, x = start
    for _ in range(int(length)):
        heading += rng.normal(0, wobble)
        y, x = y + np.sin(heading), x + np.cos(heading)
        iy, ix = round(float(y)), round(float(x))
        if 0 <= iy < h and 0 <= ix < w:
            m[iy, ix] = True
    if width > 1:
        m = ndimage.binary_dilation(m, iterations=width // 2)
    return m


def _blend(img: np.ndarray, new: np.ndarray, mask: np.ndarray, soft: float = 1.0) -> np.ndarray:
    """``new`` inside ``mask`` (edges feathered by a Gaussian of ``soft`` px), ``img`` outside."""
    a = ndimage.gaussian_filter(mask.astype(np.float64), soft) if soft > 0 else mask.astype(np.float64)
    a = np.maximum(a, mask * 0.9)[:, :, None]
    return np.clip(img * (1 - a) + new * a, 0, 255)


def plant(img: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Plant one synthetic defect of ``kind`` in an RGB ``uint8`` image.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The defective image (``uint8``, same shape) and its ground-truth mask (bool, H x W).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown synthetic anomaly {kind!r}; use one of {KINDS}")
    h, w = img.shape[:2]
    f = img.astype(np.float64)
    sign = rng.choice([-1.0, 1.0])
    spread = max(8.0, float(f.std()))
    if kind == "cutpaste":
        ph, pw = (max(4, int(rng.uniform(0.08, 0.2) * h)), max(4, int(rng.uniform(0.08, 0.2) * w)))
        sy, sx = rng.integers(0, h - ph + 1), rng.integers(0, w - pw + 1)
        ty, tx = rng.integers(0, h - ph + 1), rng.integers(0, w - pw + 1)
        patch = np.rot90(f[sy : sy + ph, sx : sx + pw], k=int(rng.integers(1, 4)))
        patch = np.asarray(ndimage.zoom(patch, (ph / patch.shape[0], pw / patch.shape[1], 1), order=1))
        new = f.copy()
        new[ty : ty + ph, tx : tx + pw] = patch[:ph, :pw] + sign * 0.3 * spread
        mask = np.zeros((h, w), bool)
        mask[ty : ty + ph, tx : tx + pw] = True
        return _blend(f, new, mask, 0).astype(np.uint8), mask
    if kind == "bright":
        mask = _ellipse(h, w, rng, (0.06, 0.18))
        new = f + sign * rng.uniform(0.8, 1.5) * spread
        return _blend(f, new, mask, 1.5).astype(np.uint8), mask
    if kind == "texture":
        mask = _ellipse(h, w, rng, (0.08, 0.2))
        noise = ndimage.gaussian_filter(rng.normal(size=(h, w)), rng.uniform(0.7, 2.0))
        noise = noise / max(noise.std(), 1e-6)
        new = ndimage.gaussian_filter(f, (3, 3, 0)) + noise[:, :, None] * spread
        return _blend(f, new, mask, 1.0).astype(np.uint8), mask
    if kind == "blur":
        mask = _ellipse(h, w, rng, (0.1, 0.25))
        new = ndimage.gaussian_filter(f, (3, 3, 0))
        return _blend(f, new, mask, 1.0).astype(np.uint8), mask
    if kind == "scratch":
        s = min(h, w)
        start = (rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w)
        mask = _stroke(h, w, rng, start, rng.uniform(0, 2 * np.pi), rng.uniform(0.2, 0.5) * s,
                       int(rng.integers(1, 4)), 0.08)
        new = f + sign * rng.uniform(1.5, 2.5) * spread
        return _blend(f, new, mask, 0.5).astype(np.uint8), mask
    if kind == "uneven":
        # a large, soft region whose contrast drops and brightness drifts: no sharp edge anywhere
        mask = _ellipse(h, w, rng, (0.5, 0.9))
        local = ndimage.gaussian_filter(f, (6, 6, 0))
        new = local + (f - local) * rng.uniform(0.3, 0.5) + sign * 0.4 * spread
        return _blend(f, new, mask, 0.08 * min(h, w)).astype(np.uint8), mask
    # fray: a thin, wobbly stroke running along one edge of the part, a few pixels inside it
    side = int(rng.integers(4))
    inset = rng.uniform(2, 8)
    length = rng.uniform(0.3, 0.7) * (w if side in (0, 1) else h)
    if side == 0:
        start, heading = (inset, rng.uniform(0, 0.3) * w), 0.0
    elif side == 1:
        start, heading = (h - 1 - inset, rng.uniform(0, 0.3) * w), 0.0
    elif side == 2:
        start, heading = (rng.uniform(0, 0.3) * h, inset), np.pi / 2
    else:
        start, heading = (rng.uniform(0, 0.3) * h, w - 1 - inset), np.pi / 2
    mask = _stroke(h, w, rng, start, heading, length, int(rng.integers(1, 3)), 0.03)
    new = f + sign * rng.uniform(1.5, 2.5) * spread
    return _blend(f, new, mask, 0.5).astype(np.uint8), mask
