"""The demo's inspection model: trained offline in seconds, its sample images judged correctly."""

from __future__ import annotations

from pathlib import Path


def test_demo_model_and_samples(tmp_path: Path) -> None:
    import torch

    from yuzhi.inspect import service
    from yuzhi.inspect.demo import DEMO_MODEL, ensure_demo_model

    torch.set_num_threads(2)
    model = ensure_demo_model(tmp_path)
    assert model == tmp_path / "models" / "inspect" / "shared" / DEMO_MODEL
    stamp = (model / "model.json").stat().st_mtime_ns
    samples = tmp_path / "demo" / "inspect"
    s = service.run(model=model, input_path=samples, out=tmp_path / "out")
    verdicts = {Path(r["path"]).name: r["verdict"] for r in s.rows}
    assert verdicts == {"good_1.png": "OK", "good_2.png": "OK", "ng_scratch.png": "NG", "ng_spot.png": "NG"}
    # idempotent: a second start keeps the trained model
    assert ensure_demo_model(tmp_path) == model
    assert (model / "model.json").stat().st_mtime_ns == stamp
