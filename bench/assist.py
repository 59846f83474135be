"""Benchmark the knowledge assistant's retrieval on the work-safety law corpus.

Prints, measured in the same run: indexing time (from scratch, and a no-change re-index),
recall@1, recall@5 and MRR for BM25 alone, dense alone and the hybrids (overall and per
language), BM25 tokenizer variants, and search latency p50/p95, each with a ratio against
BM25 alone (the baseline).

    .venv/bin/python bench/assist.py            # full: fresh index build + all variants
    .venv/bin/python bench/assist.py --quick    # reuse the cached index in var/assist-bench-index

Data: ``../shared/data/assist/cn-safety-law``; gold questions: ``bench/data/assist_gold.jsonl``.
"""

from __future__ import annotations

import os
import sys

# `python bench/assist.py` puts bench/ first on sys.path, where bench/inspect.py (the inspection
# benchmark) would shadow the standard library's inspect module; drop that entry.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from yuzhi.assist.bm25 import BM25  # noqa: E402
from yuzhi.assist.evaluate import first_hit_rank, load_gold, retrieval_metrics  # noqa: E402
from yuzhi.assist.glossary import expand_query  # noqa: E402
from yuzhi.assist.hybrid import fuse  # noqa: E402
from yuzhi.assist.index import KnowledgeIndex, build_index  # noqa: E402
from yuzhi.assist.tokenize import MODES, tokenize  # noqa: E402
from yuzhi.config import shared_data_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = "hybrid norm (1:1)"
GOLD = ROOT / "bench" / "data" / "assist_gold.jsonl"
OFFTOPIC = ROOT / "bench" / "data" / "assist_offtopic.txt"


def ranked_keys(ix: KnowledgeIndex, scores: np.ndarray, k: int = 10) -> list[tuple[str, str]]:
    top = np.argsort(-scores, kind="stable")[:k]
    return [(ix.passages[i].source, ix.passages[i].article) for i in top if scores[i] > 0 or True]


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reuse a cached index; skip the fresh build")
    ap.add_argument("--data", default=str(shared_data_dir() / "assist" / "cn-safety-law"))
    ap.add_argument("--gold", default=str(GOLD))
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        print(f"skip: {data} not found (the shared data folder is absent)")
        return 0
    gold_rows = load_gold(args.gold)
    gold = [{(a["source"], a["article"]) for a in r["answers"]} for r in gold_rows]
    langs = sorted({r.get("lang", "?") for r in gold_rows})
    print(f"corpus: {data}  gold: {len(gold_rows)} questions ({', '.join(langs)})")

    # ---- indexing
    if args.quick:
        folder = ROOT / "var" / "assist-bench-index"
        t = time.perf_counter()
        rep = build_index([data], folder)
        print(
            f"index (cached, {len(rep.unchanged)} unchanged / {len(rep.added) + len(rep.updated)} built): "
            f"{time.perf_counter() - t:.1f} s, {rep.n_passages} passages"
        )
        tmp = None
    else:
        tmp = Path(tempfile.mkdtemp(prefix="assist-bench-"))
        folder = tmp / "index"
        t, c = time.perf_counter(), time.process_time()
        rep = build_index([data], folder)
        full, full_cpu = time.perf_counter() - t, time.process_time() - c
        t = time.perf_counter()
        rep2 = build_index([data], folder)
        again = time.perf_counter() - t
        print(
            f"index from scratch: {full:.1f} s wall, {full_cpu:.1f} s CPU (all threads) for {rep.n_files} files, "
            f"{rep.n_passages} passages (floor < 120 s); load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            f"re-index, nothing changed: {again:.2f} s ({len(rep2.unchanged)} files reused) "
            f"= {again / full:.3f}x the full build"
        )

    ix = KnowledgeIndex(folder)
    questions = [r["question"] for r in gold_rows]

    # ---- scores once per question (dense query embedding is the slow part)
    bm25_raw, bm25_s, dense_s = [], [], []
    for q in questions:
        bm25_raw.append(ix.bm25_scores(q, expand=False))
        bm25_s.append(ix.bm25_scores(q))
        dense_s.append(ix.dense_scores(q))

    variants: dict[str, list[np.ndarray]] = {
        "bm25": bm25_raw,
        "bm25 + glossary": bm25_s,
        "dense": dense_s,
        "hybrid rrf (1:1)": [fuse([b, d], method="rrf") for b, d in zip(bm25_s, dense_s, strict=True)],
        "hybrid rrf (1:2)": [fuse([b, d], method="rrf", weights=[1, 2]) for b, d in zip(bm25_s, dense_s, strict=True)],
        "hybrid norm (1:1)": [fuse([b, d], method="norm") for b, d in zip(bm25_s, dense_s, strict=True)],
        "hybrid norm (1:2)": [
            fuse([b, d], method="norm", weights=[1, 2]) for b, d in zip(bm25_s, dense_s, strict=True)
        ],
        "hybrid norm (2:1)": [
            fuse([b, d], method="norm", weights=[2, 1]) for b, d in zip(bm25_s, dense_s, strict=True)
        ],
    }
    print("\nretrieval (all questions; ratio vs BM25 alone)")
    print(
        f"{'method':22s} {'R@1':>6s} {'R@5':>6s} {'MRR':>6s}  {'xR@5':>5s} {'xMRR':>5s}  "
        + "  ".join(f"{lg}:R@5/MRR" for lg in langs)
    )
    base = None
    for name, scores in variants.items():
        ranked = [ranked_keys(ix, s) for s in scores]
        m = retrieval_metrics(ranked, gold)
        if base is None:
            base = m
        per = []
        for lg in langs:
            idx = [i for i, r in enumerate(gold_rows) if r.get("lang") == lg]
            ml = retrieval_metrics([ranked[i] for i in idx], [gold[i] for i in idx])
            per.append(f"{ml['recall@5']:.2f}/{ml['mrr']:.2f}".rjust(len(lg) + 9))
        print(
            f"{name:22s} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['mrr']:6.3f}  "
            f"{m['recall@5'] / max(base['recall@5'], 1e-9):5.2f} {m['mrr'] / max(base['mrr'], 1e-9):5.2f}  "
            + "  ".join(per)
        )

    # ---- BM25 tokenizer variants (BM25 alone, Chinese questions and all)
    print("\nBM25 + glossary, tokenizer variants (R@5 / MRR)")
    texts = [f"{p.title}\n{p.text}" for p in ix.passages]
    for mode in MODES:
        bm = BM25().fit([tokenize(t, mode=mode) for t in texts])
        ranked = [ranked_keys(ix, bm.score(tokenize(expand_query(q), mode=mode))) for q in questions]
        m = retrieval_metrics(ranked, gold)
        per = []
        for lg in langs:
            idx = [i for i, r in enumerate(gold_rows) if r.get("lang") == lg]
            ml = retrieval_metrics([ranked[i] for i in idx], [gold[i] for i in idx])
            per.append(f"{lg} {ml['recall@5']:.2f}/{ml['mrr']:.2f}")
        print(f"  {mode:16s} all {m['recall@5']:.3f}/{m['mrr']:.3f}   " + "   ".join(per))

    # ---- misses of the default hybrid, for error analysis
    hyb = variants[DEFAULT]
    misses = [
        (r["id"], r["question"])
        for r, s, g in zip(gold_rows, hyb, gold, strict=True)
        if first_hit_rank(ranked_keys(ix, s, 5), g) == 0
    ]
    print(f"\nhybrid misses at 5: {len(misses)}")
    for qid, q in misses[:15]:
        print(f"  {qid} {q}")

    # ---- "not covered" decisions of the extractive answer (coverage threshold on BM25)
    from yuzhi.assist.answer import is_covered, min_bm25_for

    thr = min_bm25_for(len(ix))
    off = [ln.strip() for ln in OFFTOPIC.read_text(encoding="utf-8").splitlines() if ln.strip()]
    g_cov = sum(is_covered(ix.search(q, k=5), min_bm25=thr) for q in questions)
    o_cov = sum(is_covered(ix.search(q, k=5), min_bm25=thr) for q in off)
    print(f"\ncoverage (threshold {thr:.1f}): gold answered {g_cov}/{len(questions)}, "
          f"off-topic refused {len(off) - o_cov}/{len(off)}")

    # ---- latency of the full search call (tokenise + BM25 + embed query + fuse + top-k)
    print("\nsearch latency per question, k=5 (ms)")
    lat: dict[str, list[float]] = {}
    for mode in ("bm25", "dense", "hybrid"):
        ix.search(questions[0], k=5, mode=mode)  # warm-up
        xs = []
        for q in questions:
            t = time.perf_counter()
            ix.search(q, k=5, mode=mode)
            xs.append(time.perf_counter() - t)
        lat[mode] = xs
    b50 = pct(lat["bm25"], 50)
    for mode, xs in lat.items():
        print(
            f"  {mode:7s} p50 {pct(xs, 50):7.1f}  p95 {pct(xs, 95):7.1f}  max {max(xs) * 1000:7.1f}  "
            f"(p50 {pct(xs, 50) / b50:5.1f}x BM25)"
        )
    print("floors: recall@5 >= 0.90, MRR >= 0.75, search p95 < 300 ms, index < 120 s")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
