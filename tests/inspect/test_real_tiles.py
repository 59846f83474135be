"""Real data: the magnetic-tile category (MVTec layout), metrics by scikit-learn (independent code).

The issue's own configuration: all 600 good training images, all 417 test images (160 good, 115
blowhole, 85 break, 57 crack), default detector settings, and the issue's floors. About a minute
on the 2-core machine (training ~35 s, scoring ~20 s). ``bench/inspect.py`` prints the same
figures with the baseline and speed.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

#: The issue's floors on the magnetic-tile test set. Measured 0.9631 / 0.9600 (2026-11-25,
#: ``bench/inspect.py``, 256 px); 0.9695 / 0.9719 with the native working size (265 px, the
#: default since 2026-12-04; this whole test set is not held out, see docs/inspect.md).
IMAGE_AUROC_FLOOR = 0.95
PIXEL_AUROC_FLOOR = 0.93


@pytest.mark.slow
def test_magnetic_tile_quality(shared_data) -> None:
    import torch

    from yuzhi.inspect.detector import PatchCoreDetector
    from yuzhi.inspect.images import list_test_set, list_training_images, load_image, load_mask

    root = shared_data / "vision" / "magnetic_tile"
    if not (root / "test").is_dir():
        pytest.skip(f"{root} is absent")
    torch.set_num_threads(2)
    train = [load_image(p) for p in list_training_images(root)]
    items = list_test_set(root)
    test = [load_image(i.path) for i in items]
    assert (len(train), len(test)) == (600, 417)
    det = PatchCoreDetector(random_state=0).fit(train)
    preds = det.predict_maps(test)

    y = np.array([i.label for i in items])
    scores = np.array([p.score for p in preds])
    assert sorted({i.defect_type for i in items}) == ["blowhole", "break", "crack", "good"]
    image_auroc = roc_auc_score(y, scores)
    masks = [load_mask(i, a.shape[:2]) for i, a in zip(items, test, strict=True)]
    for p, a in zip(preds, test, strict=True):
        assert p.anomaly_map.shape == a.shape[:2]
    pixel_auroc = roc_auc_score(np.concatenate([m.ravel() for m in masks]).astype(int),
                                np.concatenate([p.anomaly_map.ravel() for p in preds]))
    print(f"magnetic_tile: image AUROC {image_auroc:.4f}, pixel AUROC {pixel_auroc:.4f}")
    assert image_auroc >= IMAGE_AUROC_FLOOR
    assert pixel_auroc >= PIXEL_AUROC_FLOOR
    # the trained threshold is meaningful: good parts pass at about the promised rate (5% of
    # held-out goods; these test goods are easier), most defective ones are caught
    assert (scores[y == 0] < 0.5).mean() >= 0.9
    assert (scores[y == 1] >= 0.5).mean() >= 0.6
