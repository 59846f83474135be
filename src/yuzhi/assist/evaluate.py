"""Retrieval metrics over a gold set of questions → acceptable (source, article) pairs.

A gold line (JSONL)::

    {"id": "q001", "lang": "zh", "question": "…",
     "answers": [{"source": "安全生产法(2021-06-10).md", "article": "第三十条"}]}

Several answers are allowed where two provisions govern equally (a national law and the
Henan regulation that restates it). A question counts as found at rank *r* if any acceptable
answer is at rank *r*.

>>> ranked = [[("a.md", "第一条"), ("a.md", "第二条")], [("b.md", "第三条")]]
>>> gold = [{("a.md", "第二条")}, {("c.md", "第一条")}]
>>> m = retrieval_metrics(ranked, gold, ks=(1, 5))
>>> (m["recall@1"], m["recall@5"], m["mrr"])
(0.0, 0.5, 0.25)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from yuzhi.errors import InvalidInput


def load_gold(path: str | Path) -> list[dict]:
    """Read a gold JSONL file, checking each line has a question and at least one answer."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{n}: not valid JSON ({exc}).", field="gold") from exc
        if not row.get("question") or not row.get("answers"):
            raise InvalidInput(f"{path}:{n}: needs 'question' and a non-empty 'answers'.", field="gold")
        rows.append(row)
    return rows


def first_hit_rank(ranked: Sequence[tuple[str, str]], answers: set[tuple[str, str]]) -> int:
    """1-based rank of the first acceptable answer in ``ranked``; 0 if none."""
    for r, key in enumerate(ranked, start=1):
        if key in answers:
            return r
    return 0


def retrieval_metrics(
    ranked_lists: Sequence[Sequence[tuple[str, str]]],
    gold: Sequence[set[tuple[str, str]]],
    *,
    ks: Sequence[int] = (1, 5),
) -> dict[str, float]:
    """recall@k for each k and MRR (reciprocal rank of the first correct passage, 0 if absent)."""
    if len(ranked_lists) != len(gold) or not gold:
        raise ValueError("need one ranked list per gold question, and at least one question")
    ranks = [first_hit_rank(r, g) for r, g in zip(ranked_lists, gold, strict=True)]
    n = len(ranks)
    out = {f"recall@{k}": sum(1 for r in ranks if 0 < r <= k) / n for k in ks}
    out["mrr"] = sum(1.0 / r for r in ranks if r > 0) / n
    out["n"] = float(n)
    return out
