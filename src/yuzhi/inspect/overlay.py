"""Heat-map overlays: what an engineer looks at to see *where* the defect is.

The normalised map is drawn with a perceptual colour ramp from 0.25 (a typical good part,
transparent) to 1.0 (red-white), blended over the grey image, with the region at or above the
threshold outlined, so an overlay is readable on a monochrome line monitor as well.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

# inferno-like anchors (value, r, g, b)
_ANCHORS = np.array(
    [
        [0.00, 0, 0, 4],
        [0.25, 87, 16, 110],
        [0.50, 188, 55, 84],
        [0.75, 249, 142, 9],
        [1.00, 252, 255, 164],
    ],
    dtype=np.float64,
)


def colormap(v: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB ``uint8`` (inferno-like ramp)."""
    v = np.clip(np.asarray(v, dtype=np.float64), 0, 1)
    rgb = [np.interp(v, _ANCHORS[:, 0], _ANCHORS[:, c]) for c in (1, 2, 3)]
    return np.stack(rgb, axis=-1).astype(np.uint8)


def overlay(image: np.ndarray, amap: np.ndarray, *, threshold: float = 0.5) -> np.ndarray:
    """Blend a normalised anomaly map over an RGB image; outline pixels above ``threshold``.

    Parameters
    ----------
    image : numpy.ndarray
        RGB ``uint8`` (H, W, 3).
    amap : numpy.ndarray
        Normalised anomaly map (H, W) (0.25 typical good, 0.5 threshold).
    threshold : float
        Level whose contour is drawn in white.

    Returns
    -------
    numpy.ndarray
        RGB ``uint8`` (H, W, 3).
    """
    if amap.shape != image.shape[:2]:
        raise ValueError(f"map shape {amap.shape} differs from image shape {image.shape[:2]}")
    v = np.clip((amap - 0.25) / 0.75, 0, 1)
    heat = colormap(v).astype(np.float64)
    alpha = (0.15 + 0.6 * v)[..., None]
    out = image.astype(np.float64) * (1 - alpha) + heat * alpha
    above = amap >= threshold
    if above.any():
        edge = above & ~ndimage.binary_erosion(above, iterations=max(1, min(image.shape[:2]) // 200))
        out[edge] = (255, 255, 255)
    return np.clip(out, 0, 255).astype(np.uint8)


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an RGB ``uint8`` array as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
