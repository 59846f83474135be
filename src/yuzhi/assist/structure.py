"""Structure-aware scoring: penalty questions favour penalty articles, definition questions
favour definitions articles.

Why: a plant manager asks "what happens if…", "罚多少", "被罚两次再被罚" or "何を指しますか" —
the wording names the *kind* of provision wanted, not its vocabulary. Laws put sanctions in a
"法律责任"/"罚则" chapter (or, in short regulations, in articles that say "处…罚款", "给予处分",
"吊销") and definitions in a "用语的含义"/"本法所称…是指" article whose content sits deep in a
long enumeration that neither BM25 nor a head-of-article embedding ranks first.

Pure core (no db/HTTP): flags per passage and a query-intent test in zh/en/ja; the caller adds
a small bonus to the fused score. The weights were chosen on the development data (old 148-
question set and the development split of the held-out set), never on the locked split.

>>> penalty_question("被罚了还不改会怎样？"), penalty_question("How soon must we report?")
(True, False)
>>> definition_question("「重大危険源」とはどういう意味ですか？")
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

#: Fused-score bonus for penalty articles on a penalty question; for definitions articles on a
#: definition question; and a small malus for penalty articles on any other question (a duty
#: question should get the duty, not the long list of sanctions that mentions it).
PENALTY_BONUS = 0.3
DEFINITION_BONUS = 0.45
PENALTY_MALUS = 0.15

_PEN_CHAPTER = re.compile(r"法律责任|罚则")
_PEN_TEXT = re.compile(r"罚款|处分|拘留|吊销|追究刑事责任")
_DEF_TEXT = re.compile(r"用语的含义|下列用语|是指|所称")
_PEN_Q = re.compile(
    r"罚|处分|拘留|吊销|后果|什么责任|追究|关掉|关闭|会怎样|会怎么样|怎么处理|怎么办|"
    r"fine|penalt|punish|sanction|happens|consequence|liab|"
    r"罰|処分|処罰|どうなり",
    re.IGNORECASE,
)
_DEF_Q = re.compile(
    r"什么意思|是什么|指什么|指哪些|哪些东西|算不算|才算|算哪|属于什么|含义|定义|什么叫|哪一级|"
    r"\bmean|what is an? |what counts|count as|definition|defin|"
    r"とは|意味|定義|該当",
    re.IGNORECASE,
)


def penalty_article(chapter: str, text: str) -> bool:
    """A provision that states a sanction (its chapter is 法律责任/罚则 or it imposes one)."""
    return bool(_PEN_CHAPTER.search(chapter or "") or _PEN_TEXT.search(text or ""))


def definition_article(text: str) -> bool:
    """A provision that defines terms (用语的含义, 是指, 本法所称)."""
    return bool(_DEF_TEXT.search(text or ""))


def penalty_question(q: str) -> bool:
    return bool(_PEN_Q.search(q))


def definition_question(q: str) -> bool:
    return bool(_DEF_Q.search(q))


def flags(chapters: Sequence[str], texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(penalty, definition) boolean arrays over passages."""
    pen = np.fromiter((penalty_article(c, t) for c, t in zip(chapters, texts, strict=True)), bool, len(texts))
    dfn = np.fromiter((definition_article(t) for t in texts), bool, len(texts))
    return pen, dfn


def adjust(query: str, fused: np.ndarray, pen: np.ndarray, dfn: np.ndarray) -> np.ndarray:
    """Add the intent bonuses to a fused score vector (returns a new array)."""
    s = np.asarray(fused, dtype=np.float64).copy()
    if penalty_question(query):
        s += PENALTY_BONUS * pen
    else:
        s -= PENALTY_MALUS * pen
    if definition_question(query):
        s += DEFINITION_BONUS * dfn
    return s


def penalty_links(sources: Sequence[str], vectors: np.ndarray, segments: np.ndarray, owner: np.ndarray,
                  pen: np.ndarray, *, per_article: int = 2) -> dict[int, np.ndarray]:
    """For each penalty article, the duty articles of the same law it most likely punishes.

    Why: "被罚两次再被罚" or "what is the fine for using an uninspected boiler" is worded like the
    duty (定期检验, 检验不合格), and retrieval finds the duty article; the penalty article that
    names the consequence lists that duty as one of its items （一）（二）… A link is the
    best cosine between any vector of the penalty article (head or item) and a duty article's
    head vector, same law only; the ``per_article`` best are kept.
    """
    src = np.asarray(sources)
    links: dict[int, np.ndarray] = {}
    pen_ids = np.flatnonzero(pen)
    if pen_ids.size == 0:
        return links
    for p in pen_ids:
        cand = np.flatnonzero((src == src[p]) & ~pen)
        if cand.size == 0:
            continue
        vs = vectors[p][None] if not len(owner) else np.vstack([vectors[p][None], segments[owner == p]])
        sim = (vs @ vectors[cand].T).max(axis=0)
        links[int(p)] = cand[np.argsort(-sim, kind="stable")[:per_article]]
    return links


def propagate(fused: np.ndarray, links: dict[int, np.ndarray], weight: float) -> np.ndarray:
    """Add ``weight`` × the best linked duty article's score to each penalty article (new array)."""
    s = np.asarray(fused, dtype=np.float64)
    out = s.copy()
    for p, duties in links.items():
        out[p] += weight * s[duties].max()
    return out
