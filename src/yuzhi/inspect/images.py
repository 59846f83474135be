"""Image loading and dataset layout: anything a camera line produces becomes RGB ``uint8``.

Why a module of its own: a plant's archive mixes 8-bit grey JPEGs, 16-bit TIFFs, palette PNGs
and BMPs with alpha. Every path into the detector goes through :func:`load_image`, so every
format is handled once and every failure names the file and says how to fix it.

>>> import numpy as np, PIL.Image, tempfile, pathlib                 # doctest: +SKIP
>>> load_image("part_001.tif").shape                                  # doctest: +SKIP
(2048, 2448, 3)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from yuzhi.errors import InvalidInput

#: File suffixes treated as images (case-insensitive).
IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})

#: Smallest side accepted: below this the backbone's receptive field sees only padding.
MIN_SIDE = 16

#: Refuse absurd images before decoding them (decompression bombs, wrong files).
MAX_PIXELS = 200_000_000


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    """Map any numeric array to ``uint8`` keeping contrast (16-bit sensors are common)."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    a = arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.integer) and a.min() >= 0 and a.max() <= 65535 and a.max() > 255:
        a = a / 257.0  # 16-bit full range -> 8-bit full range
    elif a.max() > 255 or a.min() < 0 or not np.issubdtype(arr.dtype, np.integer):
        lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
        a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
    return np.clip(np.rint(np.nan_to_num(a)), 0, 255).astype(np.uint8)


def pil_to_rgb(im: Image.Image) -> np.ndarray:
    """Convert an opened PIL image of any mode to an RGB ``uint8`` array of shape (H, W, 3)."""
    im = ImageOps.exif_transpose(im) or im
    if im.mode in ("RGB",):
        arr = np.asarray(im)
    elif im.mode in ("L", "1"):
        arr = np.asarray(im.convert("L"))
    elif im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = _to_uint8(np.asarray(im))
    elif im.mode == "LA":
        arr = np.asarray(im.convert("L"))
    else:  # P, PA, RGBA, CMYK, YCbCr, LAB, HSV ...
        arr = np.asarray(im.convert("RGB"))
    arr = _to_uint8(arr)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as RGB ``uint8`` (H, W, 3).

    Parameters
    ----------
    path : str or Path
        A PNG, JPEG, BMP or TIFF file, any bit depth or mode (grey images are replicated to
        three channels because the backbone was trained on colour).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape (H, W, 3).

    Raises
    ------
    InvalidInput
        The file is missing, not an image, truncated, or smaller than ``MIN_SIDE`` pixels.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"image file {p} does not exist.", field=str(p), fix="Check the path.")
    try:
        with Image.open(p) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InvalidInput(
                    f"{p} has {im.width}x{im.height} pixels, more than {MAX_PIXELS}.",
                    field=str(p),
                    fix="Crop the image to the part before inspecting it.",
                )
            im.load()
            arr = pil_to_rgb(im)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            f"{p} is not a readable image ({exc.__class__.__name__}: {exc}).",
            field=str(p),
            fix="Re-export the file as PNG/JPEG/BMP/TIFF or remove it from the folder.",
        ) from exc
    if min(arr.shape[:2]) < MIN_SIDE:
        raise InvalidInput(
            f"{p} is {arr.shape[1]}x{arr.shape[0]} pixels; both sides must be at least {MIN_SIDE}.",
            field=str(p),
            fix="Use the full-resolution image of the part.",
        )
    return arr


def image_from_bytes(data: bytes, *, name: str = "upload") -> np.ndarray:
    """Decode an uploaded image (same rules as :func:`load_image`)."""
    import io

    if not data:
        raise InvalidInput(f"{name} is empty.", field=name, fix="Upload a PNG/JPEG/BMP/TIFF image.",
                           key="image_empty", params={"name": name})
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InvalidInput(f"{name} is too large.", field=name, fix="Crop the image to the part.",
                                   key="image_too_large", params={"name": name})
            im.load()
            arr = pil_to_rgb(im)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            f"{name} is not a readable image ({exc.__class__.__name__}).",
            field=name,
            fix="Upload a PNG/JPEG/BMP/TIFF image.",
            key="image_unreadable",
            params={"name": name},
        ) from exc
    if min(arr.shape[:2]) < MIN_SIDE:
        raise InvalidInput(f"{name} is smaller than {MIN_SIDE} px.", field=name, fix="Upload the full image.",
                           key="image_too_small", params={"name": name, "min_side": MIN_SIDE})
    return arr


def is_image_file(path: Path) -> bool:
    """True for a regular file with an image suffix (hidden files are skipped)."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name (deterministic order)."""
    d = Path(folder)
    if not d.is_dir():
        raise InvalidInput(f"{d} is not a folder.", field=str(d), fix="Pass a folder of images.")
    return sorted((p for p in d.iterdir() if is_image_file(p)), key=lambda p: p.name)


def training_folder(data: str | Path) -> Path:
    """The folder of good images: ``DATA/train/good`` for an MVTec category, else ``DATA``."""
    d = Path(data)
    if not d.exists():
        raise InvalidInput(f"{d} does not exist.", field="DATA", fix="Pass a folder of good images.")
    if not d.is_dir():
        raise InvalidInput(
            f"{d} is a file; training needs a folder of good images.",
            field="DATA",
            fix="Pass a folder of good images or an MVTec AD category folder.",
        )
    mvtec = d / "train" / "good"
    return mvtec if mvtec.is_dir() else d


def list_training_images(data: str | Path, *, min_images: int = 10) -> list[Path]:
    """Training image paths, refusing a folder with fewer than ``min_images`` good images."""
    folder = training_folder(data)
    paths = list_images(folder)
    if not paths:
        raise InvalidInput(
            f"{folder} contains no images ({', '.join(sorted(IMAGE_SUFFIXES))}).",
            field="DATA",
            fix="Put good images of the part in the folder (or use the MVTec layout train/good).",
        )
    if len(paths) < min_images:
        raise InvalidInput(
            f"{folder} has {len(paths)} good images; at least {min_images} are needed "
            "(some are held out to set the threshold).",
            field="DATA",
            fix=f"Add more good images (>= {min_images}; 200 or more recommended).",
        )
    return paths


def hash_files(paths: Iterable[Path]) -> str:
    """SHA-256 over names and contents, so a model records exactly which images trained it."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode("utf-8"))
        h.update(b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class TestItem:
    """One test image of an MVTec-layout category."""

    path: Path
    defect_type: str
    label: int  # 0 good, 1 defective
    mask_path: Path | None


def list_test_set(dataset: str | Path) -> list[TestItem]:
    """Enumerate ``DATASET/test/<type>/*`` with ``ground_truth/<type>/<stem>_mask.png`` masks.

    Raises
    ------
    InvalidInput
        The folder has no ``test`` sub-folder or it has no images.
    """
    root = Path(dataset)
    test = root / "test"
    if not test.is_dir():
        raise InvalidInput(
            f"{root} is not an MVTec AD category: {test} is missing.",
            field="DATASET",
            fix="Use a folder with test/<type>/ images and ground_truth/<type>/<name>_mask.png masks.",
        )
    items: list[TestItem] = []
    for tdir in sorted(p for p in test.iterdir() if p.is_dir()):
        good = tdir.name == "good"
        for img in list_images(tdir):
            mask = None
            if not good:
                cand = root / "ground_truth" / tdir.name / f"{img.stem}_mask.png"
                mask = cand if cand.is_file() else None
            items.append(TestItem(img, tdir.name, 0 if good else 1, mask))
    if not items:
        raise InvalidInput(f"{test} has no images.", field="DATASET", fix="Add test images.")
    return items


def load_mask(item: TestItem, shape: tuple[int, int]) -> np.ndarray:
    """Binary ground-truth mask (H, W) for a test item; all zeros for good images."""
    if item.mask_path is None:
        return np.zeros(shape, dtype=bool)
    with Image.open(item.mask_path) as m:
        arr = np.asarray(m.convert("L")) > 127
    if arr.shape != shape:
        mask = Image.fromarray(arr.astype(np.uint8) * 255)
        arr = np.asarray(mask.resize(shape[::-1], Image.Resampling.NEAREST)) > 127
    return arr
