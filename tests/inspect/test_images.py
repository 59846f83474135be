"""Image loading: every format and mode becomes RGB uint8; bad inputs fail with clear messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from yuzhi.errors import InvalidInput
from yuzhi.inspect.images import (
    list_test_set,
    list_training_images,
    load_image,
    load_mask,
    training_folder,
)

from .conftest import texture


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [("L", ".png"), ("RGB", ".jpg"), ("RGBA", ".png"), ("P", ".bmp"), ("L", ".tif"), ("RGB", ".tiff")],
)
def test_modes_and_formats_load_as_rgb(tmp_path: Path, mode: str, suffix: str) -> None:
    im = Image.fromarray(texture(0)).convert(mode)
    path = tmp_path / f"x{suffix}"
    im.save(path)
    arr = load_image(path)
    assert arr.shape == (96, 128, 3)
    assert arr.dtype == np.uint8


def test_16bit_tiff_keeps_contrast(tmp_path: Path) -> None:
    a = np.zeros((20, 30), dtype=np.uint16)
    a[:, 15:] = 65535
    Image.fromarray(a).save(tmp_path / "x.tif")
    arr = load_image(tmp_path / "x.tif")
    assert arr[0, 0, 0] == 0 and arr[0, 29, 0] == 255


def test_corrupt_image_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.png"
    Image.fromarray(texture(0)).save(p)
    p.write_bytes(p.read_bytes()[:200])  # truncated
    with pytest.raises(InvalidInput, match=r"broken\.png is not a readable image") as e:
        load_image(p)
    assert "Re-export" in (e.value.fix or "")


def test_not_an_image(tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("hello")
    with pytest.raises(InvalidInput, match=r"notes\.jpg is not a readable image"):
        load_image(p)


def test_too_small(tmp_path: Path) -> None:
    Image.new("L", (8, 40)).save(tmp_path / "tiny.png")
    with pytest.raises(InvalidInput, match="8x40 pixels; both sides must be at least 16"):
        load_image(tmp_path / "tiny.png")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="contains no images"):
        list_training_images(tmp_path)


def test_fewer_than_ten_training_images(tmp_path: Path) -> None:
    for i in range(9):
        Image.fromarray(texture(i)).save(tmp_path / f"{i}.png")
    with pytest.raises(InvalidInput, match="has 9 good images; at least 10 are needed"):
        list_training_images(tmp_path)


def test_missing_data_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        list_training_images(tmp_path / "nope")


def test_mvtec_layout(mvtec_dir: Path) -> None:
    assert training_folder(mvtec_dir) == mvtec_dir / "train" / "good"
    assert len(list_training_images(mvtec_dir)) == 24
    items = list_test_set(mvtec_dir)
    assert [(i.defect_type, i.label) for i in items] == [("good", 0)] * 4 + [("hole", 1)] * 4
    assert items[0].mask_path is None and items[-1].mask_path is not None
    mask = load_mask(items[-1], (96, 128))
    assert mask.sum() == 113  # pixels of a radius-6 disk


def test_not_an_mvtec_category(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not an MVTec AD category"):
        list_test_set(tmp_path)
