"""PatchCore detector on synthetic textures: planted defects are found and localised."""

from __future__ import annotations

import numpy as np
import pytest

from yuzhi.errors import InvalidInput
from yuzhi.inspect.detector import PatchCoreDetector, greedy_coreset, nearest_distance

from .conftest import DEFECT_CENTRE, FAST, defect_mask, texture, with_defect


def test_planted_defect_found_and_localised(fitted: PatchCoreDetector) -> None:
    goods = [texture(3000 + i) for i in range(4)]
    bads = [with_defect(texture(4000 + i)) for i in range(4)]
    preds = fitted.predict_maps(goods + bads)
    good_scores = [p.score for p in preds[:4]]
    bad_scores = [p.score for p in preds[4:]]
    assert [p.verdict for p in preds[4:]] == ["NG"] * 4
    assert max(good_scores) < min(bad_scores)
    mask = defect_mask()
    for p in preds[4:]:
        assert p.anomaly_map.shape == (96, 128)
        assert p.anomaly_map.dtype == np.float32
        y, x = np.unravel_index(np.argmax(p.anomaly_map), p.anomaly_map.shape)
        # the hottest pixel lies within 4 px of the planted disk (radius 6 at (60, 90))
        assert abs(y - DEFECT_CENTRE[0]) <= 10 and abs(x - DEFECT_CENTRE[1]) <= 10
        # and the map is hotter inside the defect than outside it
        assert p.anomaly_map[mask].mean() > 2 * p.anomaly_map[~mask].mean()


def test_threshold_normalisation(fitted: PatchCoreDetector) -> None:
    # the median held-out good image scores exactly 0.25 and the raw threshold maps to 0.5
    assert float(fitted.normalise(fitted.good_median_)) == pytest.approx(0.25)
    assert float(fitted.normalise(fitted.threshold_)) == pytest.approx(0.5)
    # 24 images (<= loo_max_images): all of them calibrate the threshold by leave-one-out scores
    assert fitted.n_holdout_ == 24 and fitted.threshold_rule_ == "leave-one-out"
    assert fitted.bank_.shape[1] == 152  # 40 + 112 channels


def test_hold_out_rule_above_loo_max(mvtec_dir) -> None:
    from yuzhi.inspect.images import list_training_images, load_image

    imgs = [load_image(p) for p in list_training_images(mvtec_dir)]
    det = PatchCoreDetector(**FAST, loo_max_images=10).fit(imgs)
    assert det.threshold_rule_ == "hold-out" and det.n_holdout_ == 5  # 20% of 24


def test_leave_one_out_scores_are_out_of_sample(fitted: PatchCoreDetector, mvtec_dir) -> None:
    """A training image scored against the full bank (its own patches in it) looks better than its
    leave-one-out score; the threshold rests on the honest (higher) ones."""
    from yuzhi.inspect.images import list_training_images, load_image

    imgs = [load_image(p) for p in list_training_images(mvtec_dir)]
    in_sample = np.array([r.local for r in fitted._raw_scores(imgs)])
    loo = fitted.holdout_raw_[:, 0]
    assert loo.shape == (24,)
    assert np.mean(loo > in_sample) >= 0.9


def test_conformal_threshold_and_bounds() -> None:
    from yuzhi.inspect.detector import conformal_threshold, false_reject_bounds

    s = np.arange(1, 120)  # 119 scores
    assert conformal_threshold(s, 0.05) == 114  # ceil(120 * 0.95) = 114th smallest
    b = false_reject_bounds(119, 0.05)
    assert b["order_statistic"] == 114 and b["guaranteed_max"] == pytest.approx(6 / 120, abs=1e-4)
    assert b["enough_goods_for_rate"]
    # too few goods for 1%: the largest score, and the card says the promise is weaker
    assert conformal_threshold(np.arange(10.0), 0.01) == 9.0
    b = false_reject_bounds(10, 0.01)
    assert not b["enough_goods_for_rate"] and b["guaranteed_max"] == pytest.approx(1 / 11, abs=1e-4)


def test_any_size_and_aspect(fitted: PatchCoreDetector) -> None:
    wide = np.concatenate([texture(5000), texture(5001), texture(5002)], axis=1)  # 96 x 384
    tall = np.concatenate([texture(5003), texture(5004)], axis=0)[:, :40]  # 192 x 40
    p_wide, p_tall = fitted.predict_maps([wide, tall])
    assert p_wide.anomaly_map.shape == (96, 384)
    assert p_tall.anomaly_map.shape == (192, 40)


def test_large_image_is_tiled_not_squashed() -> None:
    """A 5x-scaled scene exceeds tile_size and is tiled; the defect is still localised."""
    from PIL import Image

    goods = [np.asarray(Image.fromarray(texture(i)).resize((512, 384))) for i in range(12)]
    det = PatchCoreDetector(image_size=384, tile_size=256, coreset_ratio=0.05, random_state=0).fit(goods)
    bad = np.asarray(Image.fromarray(with_defect(texture(99))).resize((512, 384)))
    pred = det.predict_one(bad)
    y, x = np.unravel_index(np.argmax(pred.anomaly_map), pred.anomaly_map.shape)
    assert pred.anomaly_map.shape == (384, 512)
    assert abs(y - 60 * 4) <= 40 and abs(x - 90 * 4) <= 40
    assert pred.verdict == "NG"


def test_deterministic_for_a_seed(mvtec_dir) -> None:
    from yuzhi.inspect.images import list_training_images, load_image

    imgs = [load_image(p) for p in list_training_images(mvtec_dir)][:12]
    a = PatchCoreDetector(**FAST).fit(imgs)
    b = PatchCoreDetector(**FAST).fit(imgs)
    assert np.array_equal(a.bank_.numpy(), b.bank_.numpy())
    assert a.threshold_ == b.threshold_


def test_fewer_than_ten_images_refused() -> None:
    with pytest.raises(InvalidInput, match="9 training images given; at least 10"):
        PatchCoreDetector().fit([texture(i) for i in range(9)])


def test_bad_array_refused(fitted: PatchCoreDetector) -> None:
    with pytest.raises(InvalidInput, match="must be an RGB uint8 array"):
        fitted.predict_maps([np.zeros((32, 32), dtype=np.uint8)])


def test_bad_param_refused() -> None:
    with pytest.raises(InvalidInput, match=r"holdout_fraction=1\.5 is invalid"):
        PatchCoreDetector(holdout_fraction=1.5).fit([texture(i) for i in range(10)])


def test_unfitted_refused() -> None:
    with pytest.raises(InvalidInput, match="not trained yet"):
        PatchCoreDetector().predict_maps([texture(0)])


def test_greedy_coreset_picks_far_points() -> None:
    import torch

    # two tight clusters and one outlier: 3 centres must cover all three groups
    pts = torch.tensor([[0.0, 0], [0.1, 0], [0, 0.1], [10, 10], [10.1, 10], [-20, 5]])
    sel = greedy_coreset(pts, 3, generator=torch.Generator().manual_seed(0))
    groups = {0 if i < 3 else 1 if i < 5 else 2 for i in sel.tolist()}
    assert groups == {0, 1, 2}


def test_nearest_distance_exact() -> None:
    import torch

    bank = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    q = torch.tensor([[3.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    d = nearest_distance(q, bank, (bank * bank).sum(1), chunk_elems=2)
    assert d.tolist() == pytest.approx([3.0, 0.0, 5.0])


def test_greedy_coreset_matches_brute_force() -> None:
    """The matrix-vector update selects exactly what explicit farthest-point sampling selects."""
    import torch

    x = torch.randn(500, 16, generator=torch.Generator().manual_seed(1))
    sel = greedy_coreset(x, 40, generator=torch.Generator().manual_seed(0)).tolist()
    start = int(torch.randint(500, (1,), generator=torch.Generator().manual_seed(0)).item())
    ref = [start]
    d = ((x - x[start]) ** 2).sum(1)
    for _ in range(39):
        i = int(torch.argmax(d))
        ref.append(i)
        d = torch.minimum(d, ((x - x[i]) ** 2).sum(1))
    assert sel == ref


def test_tiles_match_the_whole_image() -> None:
    """Tile seams leave the features essentially unchanged (the convolutions' edge effects are trimmed)."""
    import torch

    wide = np.concatenate([texture(6000 + i) for i in range(8)], axis=1)  # 96 x 1024
    det = PatchCoreDetector(image_size=96, tile_size=512)
    det.scale_ = 1.0
    det.layer_scale_ = np.ones(2, dtype=np.float32)
    batch = det._prepare(wide)[None]
    with torch.inference_mode():
        tiled = det._grid_features(batch)
        det.tile_size = 2048
        whole = det._grid_features(batch)
    rel = (tiled - whole).norm(dim=1) / whole.norm(dim=1)
    assert float(rel.max()) < 0.05


def test_global_term_flags_uneven_texture(fitted: PatchCoreDetector) -> None:
    """Texture contrast halved over the whole part (no local edge): the global z-score rises far
    above that of good parts (measured: z about 14 vs at most 2.3 for good parts)."""
    goods = [texture(8100 + i) for i in range(3)]
    uneven = [(128 + (g.astype(np.float64) - 128) * 0.5).astype(np.uint8) for g in goods]
    raw = fitted._raw_scores(goods + uneven)
    stats = fitted.score_stats_
    z_global = [(r.glob - stats[2]) / stats[3] for r in raw]
    assert min(z_global[3:]) > max(z_global[:3]) + 5
    assert [p.verdict for p in fitted.predict_maps(uneven)] == ["NG"] * 3


def test_matrix_blur_equals_convolution_blur() -> None:
    """The banded-matrix blur is the separable convolution with mirror borders, to float rounding."""
    import torch

    from yuzhi.inspect import maps as d

    g = torch.Generator().manual_seed(0)
    for h, w in ((273, 300), (40, 17), (33, 33)):
        m = torch.randn(1, 1, h, w, generator=g)
        k = d._gaussian_kernel(4.0)
        r = (k.numel() - 1) // 2
        ref = torch.nn.functional.conv2d(torch.nn.functional.pad(m, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
        ref = torch.nn.functional.conv2d(torch.nn.functional.pad(ref, (0, 0, r, r), mode="reflect"),
                                         k.view(1, 1, -1, 1))
        assert torch.allclose(d._blur(m, 4.0), ref, atol=1e-5)


def test_backbone_rearrangement_is_exact() -> None:
    """Folded pads, in-place ReLU6 and channels-last give the package network's own outputs."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    from yuzhi.inspect import backbone as bb

    ref = EfficientNet.from_name(bb.BACKBONE_NAME)
    ref.load_state_dict(torch.load(bb.weights_path(), map_location="cpu", weights_only=True))
    ref.eval()
    x = torch.rand(2, 3, 96, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.inference_mode():
        y = ref._swish(ref._bn0(ref._conv_stem(x)))
        expected = []
        for i, blk in enumerate(ref._blocks[:11]):
            y = blk(y)
            if i in (4, 10):
                expected.append(y)
        got = bb.LiteFeatures((4, 10))(x)
    for a, b in zip(expected, got, strict=True):
        assert a.shape == b.shape
        assert float((a - b).abs().max()) < 1e-3 * float(a.abs().max())


def test_contrast_term_flags_a_thin_scratch(fitted: PatchCoreDetector) -> None:
    """A thin scratch across the stripes: the contrast z-score (the map's peak against the image's
    own background) rises above every good part's, and the combined score with it."""
    goods = [texture(8200 + i) for i in range(4)]
    lined = []
    for g in goods:
        a = g.astype(np.int16)
        a[40:42, 30:86] -= 60  # a 2-px dark line, 56 px long, across the vertical stripes
        lined.append(np.clip(a, 0, 255).astype(np.uint8))
    raw = fitted._raw_scores(goods + lined)
    st = fitted.score_stats_
    z_contrast = [(r.contrast - st[4]) / st[5] for r in raw]
    assert min(z_contrast[4:]) > max(z_contrast[:4])
    scores = [p.score for p in fitted.predict_maps(goods + lined)]
    assert min(scores[4:]) > max(scores[:4])
    # without the term the sum has one term fewer: the scores differ
    assert fitted._combine(raw[4].local, raw[4].glob, raw[4].contrast) != fitted._combine(raw[4].local, raw[4].glob)


def test_cuda_scores_equal_cpu(request: pytest.FixtureRequest) -> None:
    """A model scored on CUDA gives the CPU's scores and maps to 1e-4 (issue 16 item 6).

    Runs only where torch sees a GPU; CPU stays the default and the CI path.
    """
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device visible to torch on this machine")
    from yuzhi.inspect.model_io import load_model

    model_dir = request.getfixturevalue("model_dir")  # fitted only where the test runs
    imgs = [texture(1000), with_defect(texture(2000)), np.ascontiguousarray(texture(7)[:, :100])]
    cpu, _ = load_model(model_dir, device="cpu")
    gpu, _ = load_model(model_dir, device="cuda")
    a, b = cpu.predict_maps(imgs), gpu.predict_maps(imgs)
    for p, q in zip(a, b, strict=True):
        assert abs(p.score - q.score) <= 1e-4 and p.verdict == q.verdict
        assert np.abs(p.anomaly_map - q.anomaly_map).max() <= 1e-4


def test_native_size_rule() -> None:
    from yuzhi.inspect.detector import NATIVE_MAX, working_scale

    # image_size=0: small parts keep their own resolution (never upscaled) ...
    assert working_scale([(96, 128, 3)] * 3, 0) == 1.0
    # ... large ones are brought down to NATIVE_MAX on their median shorter side
    assert working_scale([(640, 640, 3), (600, 800, 3), (700, 640, 3)], 0) == pytest.approx(NATIVE_MAX / 640)
    # a fixed working size still scales the median shorter side to it
    assert working_scale([(128, 256, 3)] * 2, 256) == 2.0
    PatchCoreDetector(image_size=0)._validate_params()
    with pytest.raises(InvalidInput, match="image_size"):
        PatchCoreDetector(image_size=16)._validate_params()
