"""The model folder: round trip, and clear refusals for wrong, tampered or foreign models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from yuzhi.errors import InvalidInput, NotFound
from yuzhi.inspect.model_io import ARRAYS_FILE, META_FILE, load_model

from .conftest import texture, with_defect


def test_round_trip_gives_identical_predictions(fitted, model_dir: Path) -> None:
    det, meta = load_model(model_dir)
    imgs = [texture(7000), with_defect(texture(7001))]
    a = fitted.predict_maps(imgs)
    b = det.predict_maps(imgs)
    assert [p.score for p in a] == [p.score for p in b]
    assert np.array_equal(a[1].anomaly_map, b[1].anomaly_map)
    assert meta["backbone"]["name"] == "efficientnet-lite0"
    assert len(meta["backbone"]["weights_sha256"]) == 64
    assert meta["threshold"]["normalised"] == 0.5
    assert meta["training"]["sha256"] == "synthetic"
    assert meta["image_size"] == 96
    assert not any(p.suffix in (".pkl", ".pt", ".pth") for p in model_dir.iterdir())


def _copy(model_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "copy"
    shutil.copytree(model_dir, d)
    return d


def test_tampered_arrays_refused(model_dir: Path, tmp_path: Path) -> None:
    d = _copy(model_dir, tmp_path)
    raw = bytearray((d / ARRAYS_FILE).read_bytes())
    raw[-1] ^= 0xFF
    (d / ARRAYS_FILE).write_bytes(bytes(raw))
    with pytest.raises(InvalidInput, match="modified after training"):
        load_model(d)


def test_other_version_refused(model_dir: Path, tmp_path: Path) -> None:
    d = _copy(model_dir, tmp_path)
    meta = json.loads((d / META_FILE).read_text())
    meta["library_version"] = "0.0.1"
    (d / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(InvalidInput, match=r"written by yuzhi 0\.0\.1") as e:
        load_model(d)
    assert "Retrain" in (e.value.fix or "")


def test_other_backbone_refused(model_dir: Path, tmp_path: Path) -> None:
    d = _copy(model_dir, tmp_path)
    meta = json.loads((d / META_FILE).read_text())
    meta["backbone"]["weights_sha256"] = "0" * 64
    (d / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(InvalidInput, match="trained with backbone"):
        load_model(d)


def test_wrong_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        load_model(tmp_path / "nope")
    with pytest.raises(InvalidInput, match=r"model\.json is missing"):
        load_model(tmp_path)
    (tmp_path / META_FILE).write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        load_model(tmp_path)


def test_old_format_refused(model_dir: Path, tmp_path: Path) -> None:
    """A format-1 model (no global term, no z-score statistics) fails with a clear message."""
    d = _copy(model_dir, tmp_path)
    meta = json.loads((d / META_FILE).read_text())
    meta["format_version"] = 1
    (d / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(InvalidInput, match=r"\(format 1\)") as e:
        load_model(d)
    assert "Retrain" in (e.value.fix or "")


def test_global_arrays_stored(model_dir: Path) -> None:
    from safetensors.numpy import load_file

    arrays = load_file(str(model_dir / ARRAYS_FILE))
    assert arrays["global_mean"].shape == (304,)
    assert arrays["global_precision"].shape == (304, 304)
    assert arrays["score_stats"].shape == (6,)


def test_service_reuses_a_loaded_model_until_its_files_change(model_dir: Path, tmp_path: Path) -> None:
    """The service loads a model folder once per process; a file edited afterwards is loaded and
    verified again, so a tampered model is still refused."""
    import os

    from yuzhi.inspect import service

    d = _copy(model_dir, tmp_path)
    first = service._load(d)
    assert service._load(d) is first
    assert service._load(str(d)) is first  # same folder, other spelling
    raw = bytearray((d / ARRAYS_FILE).read_bytes())
    raw[-1] ^= 0xFF
    (d / ARRAYS_FILE).write_bytes(bytes(raw))
    st = (d / ARRAYS_FILE).stat()
    os.utime(d / ARRAYS_FILE, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a later write
    with pytest.raises(InvalidInput, match="modified after training"):
        service._load(d)
