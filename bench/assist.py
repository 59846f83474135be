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

from yuzhi.assist import dense, structure  # noqa: E402
from yuzhi.assist.evaluate import first_hit_rank, load_gold, retrieval_metrics  # noqa: E402
from yuzhi.assist.glossary import expand_query  # noqa: E402
from yuzhi.assist.hybrid import fuse  # noqa: E402
from yuzhi.assist.index import KnowledgeIndex, build_index  # noqa: E402
from yuzhi.config import shared_data_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = "default: +segments, links, PRF"
GOLD = ROOT / "bench" / "data" / "assist_gold.jsonl"
#: the held-out set of issue 18's first round: a development split, and the split that was locked
#: then (scored twice, so development data since round 3)
HELDOUT_DEV = ROOT / "bench" / "data" / "assist_heldout_dev.jsonl"
DEV_ROUND1 = ROOT / "bench" / "data" / "assist_dev_round1.jsonl"
#: round 3's locked set (65 q: zh 38, en 17, ja 10), written before any round-3 tuning; scored
#: here, never looked at per question (a file named *locked* prints no misses)
LOCKED = ROOT / "bench" / "data" / "assist_locked2.jsonl"
#: 26 more development questions written for the second round (zh 9, en 9, ja 8; plain wording,
#: definitions and penalties), used with the development split for cross-validated choices
DEV_NEW = ROOT / "bench" / "data" / "assist_dev_new.jsonl"
OFFTOPIC = ROOT / "bench" / "data" / "assist_offtopic.txt"


def ranked_keys(ix: KnowledgeIndex, scores: np.ndarray, k: int = 10) -> list[tuple[str, str]]:
    top = np.argsort(-scores, kind="stable")[:k]
    return [(ix.passages[i].source, ix.passages[i].article) for i in top if scores[i] > 0 or True]


def variants_for(ix: KnowledgeIndex, q: str) -> dict[str, np.ndarray]:
    """Every method's score vector for one question, all measured in the same run."""
    b_raw = ix.bm25_scores(q, expand=False)
    b = ix.bm25_scores(q)
    d_v1 = ix.vectors @ dense.encode_query(expand_query(q))  # head vectors only (previous recipe)
    d = ix.dense_scores(q)
    n = len(ix)
    zero = np.zeros(n)
    prev = fuse([b, d_v1], method="norm", weights=[0.7, 1])
    prev = prev + (0.2 * ix.penalty if structure.penalty_question(q) else -0.1 * ix.penalty)
    prev = prev + (0.3 * ix.definition if structure.definition_question(q) else 0)
    return {
        "bm25 (baseline)": b_raw,
        "bm25 + glossary": b,
        "dense (plain query, head vectors)": ix.vectors @ dense.encode_query(q.strip()),
        "dense (glossary query, head vectors)": d_v1,
        "dense (+segments +plain query)": d,
        "hybrid v1: norm 1:1, plain dense": fuse([b, ix.vectors @ dense.encode_query(q.strip())], method="norm"),
        "previous: norm 0.7:1 + structure": prev,
        "hybrid rrf 0.7:1": fuse([b, d], method="rrf", weights=[0.7, 1]),
        DEFAULT: ix_scores(ix, q, zero),
    }


def ix_scores(ix: KnowledgeIndex, q: str, zero: np.ndarray) -> np.ndarray:
    """The shipped ranking (``KnowledgeIndex.search``) as a score vector (rank → descending score)."""
    hits = ix.search(q, k=10)
    s = zero.copy()
    pos = {(p.source, p.article): i for i, p in enumerate(ix.passages)}
    for h in hits:
        s[pos[(h.source, h.article)]] = 100.0 - h.rank
    return s


def report_set(ix: KnowledgeIndex, name: str, rows: list[dict]) -> None:
    """R@1, R@5, MRR overall and per language for every method, ratio vs the BM25 baseline."""
    gold = [{(a["source"], a["article"]) for a in r["answers"]} for r in rows]
    langs = sorted({r.get("lang", "?") for r in rows})
    per_q = [variants_for(ix, r["question"]) for r in rows]
    print(f"\n== {name}: {len(rows)} questions (" + ", ".join(
        f"{lg} {sum(1 for r in rows if r.get('lang') == lg)}" for lg in langs) + "); ratio vs BM25 baseline")
    print(f"{'method':34s} {'R@1':>6s} {'R@5':>6s} {'MRR':>6s}  {'xR@5':>5s}  "
          + "  ".join(f"{lg}:R@5/MRR" for lg in langs))
    base = None
    for method in per_q[0]:
        ranked = [ranked_keys(ix, v[method]) for v in per_q]
        m = retrieval_metrics(ranked, gold)
        base = base or m
        per = []
        for lg in langs:
            idx = [i for i, r in enumerate(rows) if r.get("lang") == lg]
            ml = retrieval_metrics([ranked[i] for i in idx], [gold[i] for i in idx])
            per.append(f"{ml['recall@5']:.3f}/{ml['mrr']:.3f}".rjust(len(lg) + 9))
        print(f"{method:34s} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['mrr']:6.3f}  "
              f"{m['recall@5'] / max(base['recall@5'], 1e-9):5.2f}  " + "  ".join(per))
    if "locked" in name:
        return  # locked split: figures only, never per-question results
    misses = [(r["id"], r["question"]) for r, v, g in zip(rows, per_q, gold, strict=True)
              if first_hit_rank(ranked_keys(ix, v[DEFAULT], 5), g) == 0]
    print(f"default misses at 5: {len(misses)}")
    for qid, q in misses[:15]:
        print(f"  {qid} {q}")


def web_latency(index_folder: Path, questions: list[str]) -> None:
    """p50/p95 of ``POST /api/assist/search`` on the real app (SQLite, one public knowledge base
    holding the bench index), for questions asked the first time and asked again; baseline in the
    same run: ``KnowledgeIndex.search`` called in-process (no web layer), and BM25 alone."""
    from fastapi.testclient import TestClient

    from yuzhi import config
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM, Role
    from yuzhi.accounts.schemas import UserCreate
    from yuzhi.assist import dense
    from yuzhi.assist import service as assist
    from yuzhi.assist.schemas import KnowledgeBaseCreate
    from yuzhi.db import make_engine, migrate, transaction
    from yuzhi.web.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="assist-web-"))
    os.environ["YUZHI_HOME"] = str(tmp)
    config.get_settings.cache_clear()
    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate(url)
    engine = make_engine(url)
    with transaction(engine) as s:
        admin = accounts.actor_for(accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="admin", password="bench-pass-123", role=Role.OFFICE_ADMIN.value)))
        kb = assist.create_kb(s, actor=admin, kb_in=KnowledgeBaseCreate(name="法规", scope="public"))
        shutil.copytree(index_folder, assist.kb_dir(kb.id) / "index")
        kb.n_passages = len(KnowledgeIndex(index_folder))
    dense.encode_query.cache_clear()
    ix = KnowledgeIndex(index_folder)
    base = {"in-process search (baseline)": [], "in-process BM25 only": []}
    for q in questions:
        dense.encode_query.cache_clear()
        t = time.perf_counter()
        ix.search(q, k=5)
        base["in-process search (baseline)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ix.search(q, k=5, mode="bm25")
        base["in-process BM25 only"].append(time.perf_counter() - t)
    dense.encode_query.cache_clear()
    rows = dict(base)
    with TestClient(create_app(engine)) as c:
        tok = c.post("/api/accounts/login", json={"username": "admin", "password": "bench-pass-123"}).json()["token"]
        h = {"Authorization": f"Bearer {tok}"}
        c.post("/api/assist/search", json={"query": "warm-up 预热", "k": 5}, headers=h)  # loads the index once
        for label in ("web API, first time asked", "web API, asked again"):
            xs = []
            for q in questions:
                t = time.perf_counter()
                r = c.post("/api/assist/search", json={"query": q, "k": 5}, headers=h)
                xs.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            rows[label] = xs
    ref = pct(rows["in-process search (baseline)"], 95)
    print(f"\nsearch latency, k=5, {len(questions)} questions (ms; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    for label, xs in rows.items():
        print(f"  {label:30s} p50 {pct(xs, 50):7.1f}  p95 {pct(xs, 95):7.1f}  max {max(xs) * 1000:7.1f}  "
              f"(p95 {pct(xs, 95) / ref:4.2f}x in-process)")
    shutil.rmtree(tmp, ignore_errors=True)


_OMP_PROBE = """
import sys, time
from yuzhi.assist import dense
from yuzhi.assist.parsing import iter_source_files, parse_file
ps = [p for path, rel in iter_source_files([sys.argv[1]]) for p in parse_file(path, rel_path=rel)]
texts = [dense.passage_text(p.title, p.text) for p in ps[:96]]
dense._model(); dense.set_threads(2)
t, c = time.perf_counter(), time.process_time()
dense.encode_passages(texts)
print(time.perf_counter() - t, time.process_time() - c)
"""


def embedding_speed(data: Path, ix: KnowledgeIndex) -> None:
    """Round-3 speed levers, each with its baseline in the same run: tokens embedded by the index
    recipe (paragraph vectors of penalty/definition articles only) against the previous recipe
    (every long article), and the engine's OpenMP threads waiting passively against spinning
    (two processes embedding the same 96 articles with 2 threads)."""
    import subprocess

    from yuzhi.assist.index import _segment_texts

    m = dense._model()
    heads = sum(m.token_count(dense.passage_text(p.title, p.text)) for p in ix.passages)
    segs_new = sum(m.token_count(t) for p in ix.passages for t in _segment_texts(p))
    segs_old = sum(m.token_count(t) for p in ix.passages for t in dense.segment_texts(p.title, p.text))
    print(f"\ntokens embedded from scratch: {heads + segs_new} (heads {heads} + paragraphs {segs_new}); previous "
          f"recipe {heads + segs_old} (paragraphs {segs_old}) = {(heads + segs_new) / (heads + segs_old):.2f}x")
    res = {}
    for policy in ("ACTIVE", "PASSIVE"):
        env = dict(os.environ, OMP_WAIT_POLICY=policy)
        out = subprocess.run([sys.executable, "-c", _OMP_PROBE, str(data / "laws")], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        res[policy] = (float(out[-2]), float(out[-1]))
    a, p = res["ACTIVE"], res["PASSIVE"]
    print(f"96 articles, 2 threads: spinning (previous) {a[0]:.1f} s wall {a[1]:.1f} s CPU; passive {p[0]:.1f} s "
          f"wall {p[1]:.1f} s CPU = {p[0] / a[0]:.2f}x wall, {p[1] / a[1]:.2f}x CPU "
          f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reuse a cached index; skip the fresh build")
    ap.add_argument("--data", default=str(shared_data_dir() / "assist" / "cn-safety-law"))
    ap.add_argument("--gold", nargs="+",
                    default=[str(g) for g in (GOLD, HELDOUT_DEV, DEV_NEW, DEV_ROUND1, LOCKED)],
                    help="gold sets, each reported separately (a file named *locked* prints no misses)")
    args = ap.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        print(f"skip: {data} not found (the shared data folder is absent)")
        return 0
    sets = {Path(g).stem: load_gold(g) for g in args.gold}
    print(f"corpus: {data}  gold sets: " + ", ".join(f"{k} ({len(v)} q)" for k, v in sets.items()))

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
        rep = build_index([data], folder, embed_cache=tmp / "cache")  # from scratch: the cache starts empty
        full, full_cpu = time.perf_counter() - t, time.process_time() - c
        t = time.perf_counter()
        rep2 = build_index([data], folder)
        again = time.perf_counter() - t
        print(
            f"index from scratch: {full:.1f} s wall, {full_cpu:.1f} s CPU (all threads) for {rep.n_files} files, "
            f"{rep.n_passages} passages (target <= 60 s); load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            f"re-index, nothing changed: {again:.2f} s ({len(rep2.unchanged)} files reused) "
            f"= {again / full:.3f}x the full build"
        )
        t = time.perf_counter()
        rep3 = build_index([data], tmp / "other", embed_cache=tmp / "cache")
        print(f"the same files into a new folder (another knowledge base), cache warm: "
              f"{time.perf_counter() - t:.1f} s ({rep3.embedded} embedded, {rep3.cached} from the cache)")

    ix = KnowledgeIndex(folder)
    embedding_speed(data, ix)
    for set_name, gold_rows in sets.items():
        report_set(ix, set_name, gold_rows)
    questions = [r["question"] for rows in sets.values() for r in rows]

    # ---- "not covered" decisions of the extractive answer (coverage threshold on BM25)
    from yuzhi.assist.answer import is_covered, min_bm25_for

    thr = min_bm25_for(len(ix))
    off = [ln.strip() for ln in OFFTOPIC.read_text(encoding="utf-8").splitlines() if ln.strip()]
    g_cov = sum(is_covered(ix.search(q, k=5), min_bm25=thr) for q in questions)
    o_cov = sum(is_covered(ix.search(q, k=5), min_bm25=thr) for q in off)
    print(f"\ncoverage (threshold {thr:.1f}): gold answered {g_cov}/{len(questions)}, "
          f"off-topic refused {len(off) - o_cov}/{len(off)}")

    # ---- latency: in-process and through the web API (the floor is on the web API)
    web_latency(folder, questions)
    print("floors (issue 18, held-out): recall@5 >= 0.90 overall and >= 0.85 per language, MRR >= 0.80, "
          "search p95 <= 300 ms; index <= 60 s")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
