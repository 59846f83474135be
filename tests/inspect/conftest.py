"""Synthetic textures with planted defects, and a small MVTec-layout folder built from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from yuzhi.inspect.demo import SHAPE, texture  # the demo's brushed-metal texture, one definition

#: Planted defect: a dark disk of this radius centred here (row, col) in a 96 x 128 texture.
DEFECT_CENTRE = (60, 90)
DEFECT_RADIUS = 6


def defect_mask(shape: tuple[int, int] = SHAPE) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - DEFECT_CENTRE[0]) ** 2 + (xx - DEFECT_CENTRE[1]) ** 2 <= DEFECT_RADIUS**2


def with_defect(img: np.ndarray) -> np.ndarray:
    out = img.astype(np.int16)
    out[defect_mask(img.shape[:2])] -= 70
    return np.clip(out, 0, 255).astype(np.uint8)


def write_mvtec(root: Path, *, n_train: int = 24, n_good: int = 4, n_bad: int = 4) -> Path:
    """An MVTec AD layout: train/good, test/good, test/hole, ground_truth/hole/<stem>_mask.png."""
    for sub in ("train/good", "test/good", "test/hole", "ground_truth/hole"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n_train):
        Image.fromarray(texture(i)).save(root / "train" / "good" / f"{i:03d}.png")
    for i in range(n_good):
        Image.fromarray(texture(1000 + i)).save(root / "test" / "good" / f"{i:03d}.png")
    for i in range(n_bad):
        Image.fromarray(with_defect(texture(2000 + i))).save(root / "test" / "hole" / f"{i:03d}.png")
        Image.fromarray(defect_mask().astype(np.uint8) * 255).save(
            root / "ground_truth" / "hole" / f"{i:03d}_mask.png"
        )
    return root


#: Small, fast detector settings for synthetic tests (whole images fit one tile).
FAST = {"image_size": 96, "coreset_ratio": 0.1, "random_state": 0}


@pytest.fixture(scope="session")
def mvtec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mvtec(tmp_path_factory.mktemp("synthetic") / "tile")


@pytest.fixture(scope="session")
def fitted(mvtec_dir: Path):
    """A detector fitted on the synthetic good images (shared: fitting is the slow part)."""
    import torch

    from yuzhi.inspect.detector import PatchCoreDetector
    from yuzhi.inspect.images import list_training_images, load_image

    torch.set_num_threads(2)
    imgs = [load_image(p) for p in list_training_images(mvtec_dir)]
    return PatchCoreDetector(**FAST).fit(imgs)


@pytest.fixture(scope="session")
def model_dir(fitted, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from yuzhi.inspect.model_io import save_model

    return save_model(fitted, tmp_path_factory.mktemp("model") / "m", training_hash="synthetic")
