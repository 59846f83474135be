"""``yuzhi inspect train|run|eval`` through the real root CLI (Typer's CliRunner)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from yuzhi.cli import app

from .conftest import texture, with_defect

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(mvtec_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    r = runner.invoke(app, ["inspect", "train", str(mvtec_dir), "--out", str(out), "--image-size", "96",
                            "--coreset-ratio", "0.1", "--quiet"])
    assert r.exit_code == 0, r.output
    # 24 images (<= 50): all in the bank, threshold from their leave-one-out scores
    assert "24 good images (threshold from leave-one-out scores of all 24)" in " ".join(r.output.split())
    return out


def test_train_validate_writes_card(mvtec_dir: Path, tmp_path: Path) -> None:
    """--validate scores the category's labelled test images and stores per-type figures in model.json."""
    out = tmp_path / "m"
    r = runner.invoke(app, ["inspect", "train", str(mvtec_dir), "--out", str(out), "--image-size", "96",
                            "--coreset-ratio", "0.1", "--validate", "--quiet"])
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "model.json").read_text())
    v = meta["validation"]
    assert v["n_images"] == 8 and v["n_defective"] == 4
    assert v["per_type_image_auroc"] == {"hole": 1.0} and v["per_type_caught"]["hole"] == 1.0
    assert len(v["dataset_sha256"]) == 64
    assert meta["threshold"]["rule"] == "leave-one-out"
    assert meta["threshold"]["false_reject_bounds"]["n"] == 24
    assert "validation on 8 labelled test images" in " ".join(r.output.split())
    # the model still loads (model.json was rewritten; the arrays' hash is unchanged)
    r = runner.invoke(app, ["inspect", "eval", str(out), str(mvtec_dir), "--json"])
    assert r.exit_code == 0, r.output


def test_run_writes_report_overlays_and_maps(trained: Path, tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(texture(8000)).save(inp / "a_good.png")
    Image.fromarray(with_defect(texture(8001))[:80]).save(inp / "b_bad.jpg", quality=95)
    (inp / "c_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (inp / "d_notes.txt").write_text("not an image")
    out = tmp_path / "out"
    r = runner.invoke(app, ["inspect", "run", str(trained), str(inp), "--out", str(out), "--save-maps", "-q"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "report.csv").open()))
    assert list(rows[0])[:3] == ["path", "score", "verdict"]
    assert [Path(r["path"]).name for r in rows] == ["a_good.png", "b_bad.jpg", "c_broken.png", "d_notes.txt"]
    assert [r["verdict"] for r in rows] == ["OK", "NG", "ERROR", "ERROR"]
    assert float(rows[0]["score"]) < 0.5 <= float(rows[1]["score"])
    assert "c_broken.png is not a readable image" in rows[2]["error"]
    assert (out / "overlays" / "b_bad.png").is_file()
    assert not (out / "overlays" / "a_good.png").exists()
    m = np.load(out / "maps" / "b_bad.npy")
    assert m.dtype == np.float32 and m.shape == (80, 128)
    assert "2 unreadable" in r.output


def test_threshold_override(trained: Path, tmp_path: Path) -> None:
    img = tmp_path / "g.png"
    Image.fromarray(texture(8100)).save(img)
    r = runner.invoke(app, ["inspect", "run", str(trained), str(img), "--out", str(tmp_path / "o"),
                            "--threshold", "0", "-q"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "o" / "report.csv").open()))
    assert rows[0]["verdict"] == "NG"


def test_eval_json(trained: Path, mvtec_dir: Path) -> None:
    r = runner.invoke(app, ["inspect", "eval", str(trained), str(mvtec_dir), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["image_auroc"] == 1.0
    assert res["pixel_auroc"] > 0.95
    assert res["f1_max"] == 1.0  # separable; with 5 held-out goods the trained threshold may flag one
    assert res["f1"] >= 0.6
    assert {"aupro_30", "images_per_second", "false_reject_rate"} <= set(res)


def test_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "empty").mkdir()
    p = subprocess.run([sys.executable, "-c", "from yuzhi.cli import main; main()", "inspect", "train",
                        str(tmp_path / "empty"), "--out", str(tmp_path / "m")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "contains no images" in " ".join(p.stderr.split())
    assert "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-c", "from yuzhi.cli import main; main()", "inspect", "run",
                        str(tmp_path / "empty"), str(tmp_path), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "model.json is missing" in " ".join(p.stderr.split())


def _error_text(result) -> str:  # type: ignore[no-untyped-def]
    """The user-facing text of a domain error raised through the CLI (the root ``main`` prints it
    and exits 2; see ``test_errors_exit_2_without_traceback``)."""
    from yuzhi.errors import InvalidInput

    assert isinstance(result.exception, InvalidInput), result.output
    return f"{result.exception.message} {result.exception.fix}"


def test_run_recursive_tree(trained: Path, tmp_path: Path) -> None:
    """A folder tree: paths relative to INPUT, maps mirror the tree (equal stems do not collide)."""
    inp = tmp_path / "tree"
    for sub in ("line1", "line2/night"):
        (inp / sub).mkdir(parents=True)
    Image.fromarray(texture(8200)).save(inp / "line1" / "part.png")
    Image.fromarray(with_defect(texture(8201))).save(inp / "line2" / "night" / "part.png")
    (inp / ".cache").mkdir()
    Image.fromarray(texture(8202)).save(inp / ".cache" / "hidden.png")

    # without the flag: a clear error that names --recursive, and nothing written
    out = tmp_path / "out"
    r = runner.invoke(app, ["inspect", "run", str(trained), str(inp), "--out", str(out), "-q"])
    msg = _error_text(r)
    assert "only 2 subfolder(s) (line1, line2)" in msg and "--recursive" in msg
    assert not out.exists()

    r = runner.invoke(app, ["inspect", "run", str(trained), str(inp), "--out", str(out), "--save-maps",
                            "--recursive", "-q"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "report.csv").open()))
    assert [(x["path"], x["verdict"]) for x in rows] == [("line1/part.png", "OK"),
                                                         ("line2/night/part.png", "NG")]
    a, b = np.load(out / "maps" / "line1" / "part.npy"), np.load(out / "maps" / "line2" / "night" / "part.npy")
    assert a.shape == b.shape == (96, 128) and a.dtype == np.float32
    assert b.max() > a.max()
    assert (out / "overlays" / "line2" / "night" / "part.png").is_file()
    assert not (out / "maps" / "part.npy").exists()


def test_device_option(trained: Path, tmp_path: Path) -> None:
    """auto picks the CPU here; cuda without a GPU is a clear error (exit 2); bad names are refused."""
    import torch

    from yuzhi.inspect.backbone import resolve_device

    img = tmp_path / "g.png"
    Image.fromarray(texture(8300)).save(img)
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device(None) == "cpu"
    r = runner.invoke(app, ["inspect", "run", str(trained), str(img), "--out", str(tmp_path / "a"),
                            "--device", "auto", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["inspect", "run", str(trained), str(img), "--out", str(tmp_path / "b"),
                            "--device", "tpu", "-q"])
    assert "--device 'tpu' is not a device" in _error_text(r)
    if not torch.cuda.is_available():
        r = runner.invoke(app, ["inspect", "run", str(trained), str(img), "--out", str(tmp_path / "c"),
                                "--device", "cuda", "-q"])
        msg = _error_text(r)
        assert "sees no CUDA GPU" in msg and "--device cpu" in msg
        assert not (tmp_path / "c").exists()
