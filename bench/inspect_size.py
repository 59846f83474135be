"""Working size for fine structure: ours at several ``image_size`` vs textbook PatchCore and naive kNN,
one category, development or locked half (splits of ``bench/inspect.py``), all in the same run.

Run::

    .venv/bin/python bench/inspect_size.py deeppcb --split dev --methods ours256,ours512
    .venv/bin/python bench/inspect_size.py deeppcb --split locked --methods ours512,textbook,knn,ours256,knn512

Prints one JSON line per method: image AUROC, share caught and goods rejected at the stored
threshold, pixel AUROC (every 2nd pixel), training seconds. Training images: every k-th image so at
most ``--max-train`` (default 100, a bounded run on a shared machine).
"""

from __future__ import annotations

import os
import sys

# bench/ holds a file named like the standard library's ``inspect``: drop the folder from the path
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("category")
    ap.add_argument("--split", choices=("dev", "locked"), default="dev")
    ap.add_argument("--methods", default="ours256,ours512")
    ap.add_argument("--max-train", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    spec = importlib.util.spec_from_file_location("inspect_bench", ROOT / "bench" / "inspect.py")
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    from yuzhi.config import shared_data_dir
    from yuzhi.inspect.detector import PatchCoreDetector
    from yuzhi.inspect.images import list_test_set, list_training_images, load_image, load_mask
    from yuzhi.inspect.metrics import auroc

    root = shared_data_dir() / "vision" / bench.CATEGORIES[args.category]
    paths = list_training_images(root)
    if len(paths) > args.max_train:
        paths = paths[:: -(-len(paths) // args.max_train)]
    train = [load_image(p) for p in paths]
    dev, locked = bench._split_items(args.category, list_test_set(root))
    items = dev if args.split == "dev" else locked
    imgs = [load_image(i.path) for i in items]
    masks = [load_mask(i, a.shape[:2]) for i, a in zip(items, imgs, strict=True)]
    y = np.array([i.label for i in items])
    for name in args.methods.split(","):
        if name.startswith("ours"):
            det, prep = PatchCoreDetector(image_size=int(name[4:]), random_state=0), None
        elif name.startswith("knn") and name[3:].isdigit():  # naive kNN at the same working size
            det, prep = bench._method("knn")
            det.image_size = int(name[3:])
        else:
            det, prep = bench._method(name)
        t0 = time.perf_counter()
        det.fit([prep(a) for a in train] if prep else train)
        fit_s = time.perf_counter() - t0
        if name.startswith("knn"):
            bench._random_bank(det, train, int(det.bank_.shape[0]))
        preds = det.predict_maps([prep(a) for a in imgs] if prep else imgs)
        s = np.array([p.score for p in preds])
        maps = [p.anomaly_map if not prep else bench._unsquash(p.anomaly_map, a.shape[:2])
                for p, a in zip(preds, imgs, strict=True)]
        out = {"category": args.category, "split": args.split, "method": name, "n_train": len(train),
               "n_test": len(items), "n_defective": int(y.sum()), "fit_s": round(fit_s, 1),
               "image_auroc": round(auroc(y, s), 4), "caught": round(float((s[y == 1] >= 0.5).mean()), 3),
               "goods_rejected": round(float((s[y == 0] >= 0.5).mean()), 3)}
        if any(m.any() for m in masks):
            out["pixel_auroc"] = round(auroc(np.concatenate([m[::2, ::2].ravel() for m in masks]),
                                             np.concatenate([m[::2, ::2].ravel() for m in maps])), 4)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
