"""Demo inspection model: a new user can try the inspection page within a minute.

Why synthetic: the real image sets in ``../shared/data`` carry non-commercial or unpublished terms
and must not ship with the platform, and a demo must work offline on a fresh install. So the demo
trains a small model (a few seconds on a CPU) on generated brushed-metal textures and writes a few
sample images beside it, good ones and ones with a planted dark spot or scratch, to upload on
``/inspect``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Name of the demo model in the shared model folder (visible to every organisation).
DEMO_MODEL = "demo-brushed-metal"

SHAPE = (96, 128)


def texture(seed: int, shape: tuple[int, int] = SHAPE) -> np.ndarray:
    """A brushed-metal-like grey texture: smoothed noise plus fine vertical stripes (RGB uint8)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    h, w = shape
    noise = ndimage.gaussian_filter(rng.normal(size=(h, w)), 1.5)
    noise = noise / noise.std()
    x = np.arange(w)[None, :]
    stripes = np.sin(2 * np.pi * x / 6.0 + rng.uniform(0, 2 * np.pi))
    g = 128 + 12 * noise + 10 * stripes
    return np.repeat(np.clip(g, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def _spot(img: np.ndarray) -> np.ndarray:
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    out = img.astype(np.int16)
    out[(yy - 60) ** 2 + (xx - 90) ** 2 <= 36] -= 70
    return np.clip(out, 0, 255).astype(np.uint8)


def _scratch(img: np.ndarray) -> np.ndarray:
    out = img.astype(np.int16)
    for i in range(40):
        out[20 + i // 2, 20 + i : 22 + i] += 60
    return np.clip(out, 0, 255).astype(np.uint8)


def ensure_demo_model(home: Path) -> Path | None:
    """Train the demo model into ``home/models/inspect/shared`` unless it is already there.

    Returns the model folder, or ``None`` when the inspection extras (torch) are not installed.
    Sample images go to ``home/demo/inspect`` (``good_*.png``, ``ng_*.png``).
    """
    from PIL import Image

    from . import service

    out = home / "models" / "inspect" / "shared" / DEMO_MODEL
    samples = home / "demo" / "inspect"
    samples.mkdir(parents=True, exist_ok=True)
    for name, arr in (("good_1.png", texture(7001)), ("good_2.png", texture(7002)),
                      ("ng_spot.png", _spot(texture(7003))), ("ng_scratch.png", _scratch(texture(7004)))):
        if not (samples / name).exists():
            Image.fromarray(arr).save(samples / name)
    if (out / "model.json").is_file():
        return out
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    train = home / "demo" / "inspect-train"
    train.mkdir(parents=True, exist_ok=True)
    for i in range(24):
        p = train / f"good_{i:03d}.png"
        if not p.exists():
            Image.fromarray(texture(i)).save(p)
    service.train(data=train, out=out, params={"image_size": 96, "coreset_ratio": 0.1, "random_state": 0})
    return out
