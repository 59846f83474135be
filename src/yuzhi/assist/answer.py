"""Answers with citations: extractive by default, grounded LLM answers when a model is configured.

Extractive mode needs no language model: it quotes the governing provisions. For each cited
passage the quote is the contiguous span of sentences that best matches the question — always
an exact substring of the cited article, so a citation can be checked mechanically — and the
question's terms are marked with 【】 in ``highlighted``.

LLM mode numbers the retrieved passages ``[1]…[n]``, instructs the model to answer only from
them, cite them as ``[n]`` and reply ``NOT_COVERED`` when they do not answer the question.
Citations outside ``1…n`` are dropped (and reported in ``warnings``); an answer that cites
nothing valid is marked not covered. If the model cannot be reached the extractive answer is
returned with a warning, so a plant without its GPU server still gets the provisions.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass, field

from yuzhi.assist.compose import Point, compose_points
from yuzhi.assist.glossary import expand_query
from yuzhi.assist.index import Hit, KnowledgeIndex
from yuzhi.assist.llm import LLM, LLMUnavailable
from yuzhi.assist.tokenize import normalize
from yuzhi.errors import InvalidInput

#: "Not covered" when the best BM25 score (question expanded by the glossary) is below
#: ``COVER_FACTOR`` times the largest idf an index of N passages can give, ``ln(1 + (N - 0.5) / 1.5)``:
#: roughly "the best passage must match about three rare terms of the question". Scaling by the
#: idf keeps it meaningful from a 2-file SOP folder to the whole law corpus. Measured on the law
#: corpus (N=1157, threshold 20.0): all 148 gold questions score >= 22.2; 14 of 16 off-topic
#: questions score below 20 (bench/assist.py).
COVER_FACTOR = 3.0
NOT_COVERED = "NOT_COVERED"
_SENT_END = re.compile(r"(?<=[。；;！？!?\n])")
_CITE = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    """A quoted provision: ``text`` is an exact substring of the article ``article`` of ``source``."""

    source: str
    article: str
    text: str
    highlighted: str
    score: float
    title: str = ""
    chapter: str = ""
    path: str = ""
    page: int = 0  # PDF page (0: not a PDF)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["score"] = round(self.score, 6)
        return d


@dataclass
class Answer:
    """The answer to one question."""

    question: str
    answer: str
    mode: str  # "extractive" or "llm"
    covered: bool
    citations: list[Citation] = field(default_factory=list)
    model: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: the answer line by line, each with the 1-based citation that supports it (UI chips)
    points: list[Point] = field(default_factory=list)
    language: str = "zh"

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.answer,
            "language": self.language,
            "points": [p.to_dict() for p in self.points],
            "mode": self.mode,
            "covered": self.covered,
            "model": self.model,
            "citations": [c.to_dict() for c in self.citations],
            "warnings": self.warnings,
        }


def question_language(text: str) -> str:
    """``ja`` if the text has kana, ``zh`` if it has Han characters, else ``en``."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    return "en"


def _terms(question: str) -> list[str]:
    """Han bigrams and longer jieba words of the expanded question, used to pick and mark quotes."""
    from yuzhi.assist.tokenize import tokenize

    toks = {t for t in tokenize(expand_query(question), mode="jieba+bigram") if len(t) >= 2}
    return sorted(toks, key=len, reverse=True)


def best_quote(text: str, terms: list[str], *, max_chars: int = 240) -> str:
    """The contiguous run of sentences of ``text`` that covers the most question terms.

    Short articles are quoted whole. Returns an exact substring of ``text``.
    """
    if len(text) <= max_chars:
        return text
    bounds = [m.start() for m in _SENT_END.finditer(text)]
    cuts = sorted({0, *bounds, len(text)})
    sents = [(a, b) for a, b in itertools.pairwise(cuts) if text[a:b].strip()]
    norm = normalize(text)

    def cover(a: int, b: int) -> int:
        seg = norm[a:b]
        return sum(1 for t in terms if t in seg)

    best = (-1, 0, 0)
    for i in range(len(sents)):
        a = sents[i][0]
        for j in range(i, len(sents)):
            b = sents[j][1]
            if b - a > max_chars and j > i:
                break
            c = cover(a, b)
            # prefer more terms, then the shorter span, then the earlier one
            if c > best[0] or (c == best[0] and (b - a) < (best[2] - best[1])):
                best = (c, a, b)
    _, a, b = best
    return text[a:b].strip()


def highlight(quote: str, terms: list[str]) -> str:
    """Mark each occurrence of a question term in ``quote`` with 【】 (overlaps merged)."""
    norm = normalize(quote)
    mask = [False] * len(quote)
    for t in terms:
        start = 0
        while (i := norm.find(t, start)) >= 0:
            for k in range(i, min(i + len(t), len(quote))):
                mask[k] = True
            start = i + 1
    out, inside = [], False
    for ch, m in zip(quote, mask, strict=True):
        if m and not inside:
            out.append("【")
            inside = True
        elif not m and inside:
            out.append("】")
            inside = False
        out.append(ch)
    if inside:
        out.append("】")
    return "".join(out)


def _cite(hit: Hit, terms: list[str]) -> Citation:
    quote = best_quote(hit.text, terms)
    return Citation(source=hit.source, article=hit.article, text=quote, highlighted=highlight(quote, terms),
                    score=hit.score, title=hit.title, chapter=hit.chapter, path=hit.path, page=hit.page)


_TEMPLATES = {
    "zh": ("依据《{title}》{article}：「{quote}」", "已索引的资料中没有找到能回答这个问题的条款。"),
    "en": ("Under 《{title}》 {article}: “{quote}”",
           "The indexed sources contain no provision that answers this question."),
    "ja": ("《{title}》{article}によれば：「{quote}」",
           "索引済みの資料には、この質問に答える条文が見つかりませんでした。"),
}


def min_bm25_for(n_passages: int) -> float:
    """The coverage threshold for an index of ``n_passages`` (see :data:`COVER_FACTOR`)."""
    n = max(n_passages, 1)
    return COVER_FACTOR * math.log1p((n - 0.5) / 1.5)


def is_covered(hits: list[Hit], *, min_bm25: float) -> bool:
    """Whether retrieval found provisions that plausibly answer the question."""
    return bool(hits) and max(h.bm25 for h in hits) >= min_bm25


_FOLLOW = re.compile(r"^(那|那么|还有|另外|如果|要是|and\b|what about|how about|and if|but|それ|では|じゃあ|もし)",
                     re.IGNORECASE)


def followup_query(question: str, context: str | None) -> str:
    """The text to search for a follow-up: the previous question plus this one when this one is
    short or starts like a follow-up ("那…", "what about…", "では…"); else the question alone.

    >>> followup_query("那罚多少？", "仓库和宿舍能在一栋楼吗")
    '仓库和宿舍能在一栋楼吗 那罚多少？'
    >>> followup_query("特种作业人员需要持证上岗吗？", "仓库和宿舍能在一栋楼吗")
    '特种作业人员需要持证上岗吗？'
    """
    q = (question or "").strip()
    ctx = (context or "").strip()
    if not ctx or ctx == q:
        return q
    han = len(re.findall(r"[\u4e00-\u9fff\u3040-\u30ff]", q))
    words = len(re.findall(r"[A-Za-z]+", q))
    short = (han <= 8 and words == 0) or (han == 0 and words <= 5)
    return f"{ctx} {q}" if short or _FOLLOW.search(q) else q


def lead_with_kind_asked(question: str, hits: list[Hit]) -> list[Hit]:
    """Put first the cited article of the kind the question asks for (a definition for "what is",
    a sanction for "what happens if"), otherwise a duty rather than a sanction; stable otherwise.

    Why: the answer's first line states the rule; on "人員密集場所とは" it should be the definition,
    not the penalty article that happens to mention the term most.
    """
    from yuzhi.assist import structure

    pen_q, def_q = structure.penalty_question(question), structure.definition_question(question)

    def rank(h: Hit) -> int:
        is_def = structure.definition_article(h.text)
        is_pen = structure.penalty_article(h.chapter, h.text)
        if def_q:
            return 0 if is_def else 1
        if pen_q:
            return 0 if is_pen else 1
        return 1 if is_pen else 0

    return sorted(hits, key=rank)


def extractive_answer(question: str, hits: list[Hit], *, min_bm25: float, max_citations: int = 3) -> Answer:
    """Quote the top provisions (those scoring at least half the best fused score)."""
    lang = question_language(question)
    missing = _TEMPLATES[lang][1]
    if not is_covered(hits, min_bm25=min_bm25):
        return Answer(question=question, answer=missing, mode="extractive", covered=False, language=lang)
    terms = _terms(question)
    top = hits[0].score
    chosen = lead_with_kind_asked(question, [h for h in hits if h.score >= 0.5 * top][:max_citations])
    cites = [_cite(h, terms) for h in chosen]
    points = compose_points(lang, [(c.title, c.article, c.text) for c in cites], terms,
                            pages=[c.page for c in cites])
    text = "\n".join(f"{p.text} [{p.citation}]" for p in points)
    return Answer(question=question, answer=text, mode="extractive", covered=True, citations=cites,
                  points=points, language=lang)


_SYSTEM = (
    "You are a work-safety regulations assistant for Chinese industry. Answer ONLY from the numbered "
    "passages the user gives you. After every statement cite its passage as [n]. Never cite a number "
    "that is not listed, never use outside knowledge. If the passages do not answer the question, reply "
    f"exactly {NOT_COVERED}. Answer in the language of the question, briefly."
)


def build_messages(question: str, hits: list[Hit]) -> list[dict[str, str]]:
    """The chat sent to the model: numbered passages with their source and article, then the question."""
    blocks = [f"[{i}] 《{h.title}》{h.article}（{h.source}）\n{h.text}" for i, h in enumerate(hits, start=1)]
    user = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def llm_answer(question: str, hits: list[Hit], llm: LLM) -> Answer:
    """Ask the model; keep only citations to the given passages (raises :class:`LLMUnavailable`)."""
    reply = llm.complete(build_messages(question, hits)).strip()
    terms = _terms(question)
    warnings: list[str] = []
    if NOT_COVERED in reply or not hits:
        lang = question_language(question)
        return Answer(question=question, answer=_TEMPLATES[lang][1], mode="llm", covered=False,
                      model=llm.name)
    nums: list[int] = []
    for m in _CITE.finditer(reply):
        n = int(m.group(1))
        if 1 <= n <= len(hits):
            if n not in nums:
                nums.append(n)
        else:
            warnings.append(f"the model cited [{n}], which is not one of the {len(hits)} passages; dropped")
    cleaned = _CITE.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(hits) else "", reply).strip()
    points, dropped = cited_sentences(cleaned, len(hits))
    for sent in dropped:
        warnings.append(f"dropped a sentence that cites no retrieved passage: {sent[:60]}")
    if points:
        cleaned = "\n".join(f"{p.text} [{p.citation}]" for p in points)
    if not nums:
        warnings.append("the model's answer cites no retrieved passage, so it is not treated as grounded")
        return Answer(question=question, answer=cleaned, mode="llm", covered=False, model=llm.name,
                      warnings=warnings)
    cites = [_cite(hits[n - 1], terms) for n in nums]
    renum = {n: i for i, n in enumerate(nums, start=1)}  # point numbers follow the citation list
    points = [Point(p.text, renum[p.citation]) for p in points if p.citation in renum]
    return Answer(question=question, answer=cleaned, mode="llm", covered=True, citations=cites,
                  model=llm.name, warnings=warnings, points=points, language=question_language(question))


_LLM_SENT = re.compile(r"[^。！？!?\n]+(?:[。！？!?]|(?<=\S)\.(?=\s|$))?(?:\s*\[\d{1,2}\])*")


def cited_sentences(reply: str, n_passages: int) -> tuple[list[Point], list[str]]:
    """Split a model reply into sentences; keep those citing a passage ``[n]``, return the rest.

    Why: a grounded answer must not contain a claim that no retrieved article supports; a
    sentence without a valid citation is dropped (and reported) rather than shown as fact.
    """
    keep: list[Point] = []
    dropped: list[str] = []
    for m in _LLM_SENT.finditer(reply):
        sent = m.group(0).strip()
        if not sent:
            continue
        nums = [int(x) for x in _CITE.findall(sent) if 1 <= int(x) <= n_passages]
        text = _CITE.sub("", sent).strip()
        if not text:
            continue
        if nums:
            keep.append(Point(text, nums[0]))
        else:
            dropped.append(text)
    return keep, dropped


def ask(index: KnowledgeIndex, question: str, *, k: int = 5, llm: LLM | None = None,
        max_citations: int = 3) -> Answer:
    """Answer ``question`` from ``index``: extractive without a model, grounded LLM answer with one.

    Raises
    ------
    InvalidInput
        Empty question or bad ``k``.
    """
    if not (question or "").strip():
        raise InvalidInput("the question is empty.", field="question", fix="Type a question.")
    question = question.strip()
    hits = index.search(question, k=k)
    threshold = min_bm25_for(len(index))
    if llm is None:
        return extractive_answer(question, hits, min_bm25=threshold, max_citations=max_citations)
    try:
        return llm_answer(question, hits, llm)
    except LLMUnavailable as exc:
        ans = extractive_answer(question, hits, min_bm25=threshold, max_citations=max_citations)
        ans.warnings.append(f"language model unavailable ({exc}); extractive answer given instead")
        return ans
