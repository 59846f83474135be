"""Tokenisation for BM25 over Chinese sources, with Chinese, English and Japanese queries.

Whitespace tokenisers (the default of many RAG stacks) see a Chinese sentence as one token, so
BM25 finds nothing. Here a run of Han characters becomes jieba words *plus* overlapping
character bigrams: jieba gives precise terms (``特种设备``), bigrams catch terms jieba splits
differently in the question and in the law (``持证`` vs ``持证上岗``). Latin words are lower-cased
and lightly stemmed; kana are dropped (Chinese sources contain none), and Japanese kanji are
mapped to their simplified Chinese forms (``設備`` → ``设备``) so a Japanese question still shares
terms with a Chinese article.

>>> tokenize("特种设备作业人员", mode="bigram")
['特种', '种设', '设备', '备作', '作业', '业人', '人员']
>>> tokenize("Pressure vessels", mode="bigram")
['pressure', 'vessel']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MODES = ("jieba", "bigram", "jieba+bigram", "unigram+bigram")
DEFAULT_MODE = "jieba+bigram"

_STOP_TEXT = """的 了 和 与 及 或 是 在 有 为 对 由 把 被 将 就 都 而 也 又 并 其 之 以 于 等 这 那 个 吗 呢 吧 啊 么
    什么 怎么 怎样 如何 哪些 哪个 哪里 多少 是否 能否 可否 是不是 有没有 请问 我们 我 你 他 她 它 他们 公司 单位里
    一下 一个 这个 那个 时候 需要 要 会 能 可以 应该 还是 或者 以及 如果 的话 吗？ 呢？
    the a an of to in on for and or is are be was were by with as at from that this it its
    what which who whom how when where why do does did can could should must shall may might
    we our you your i my they their there any some"""
#: Function words that carry no retrieval signal in questions or provisions.
STOPWORDS: frozenset[str] = frozenset(_STOP_TEXT.split())

#: Particles never part of a useful bigram (``位的``, ``岗吗``).
_PARTICLES = frozenset("的了吗呢吧么啊")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"([{_HAN}]+)|([a-z0-9]+(?:[.\-][a-z0-9]+)*)")

#: Japanese shinjitai kanji → simplified Chinese, for the characters of work-safety vocabulary
#: that differ between the two scripts (安全, 事故, 作業 … need no mapping; 設備, 検査, 労働 do).
_JA2ZH: dict[str, str] = dict(
    zip(
        "鑑倉隠設備検査労働険災場業報責従員訓練資証書験機関門県級処罰違規則産営単貯蔵運輸隊発圧電気鉱職診療応計習調傷損経済総監許築現実"
        "転換鋼鉄薬剤濃軽縮弾弁線車輌輪両団説読記録類様価値費補償慮認識別帯広囲壊滅継続絶権義務連絡図聴観覧衛護託預貸鎖閉開閲階層"
        "欄熱焼煙塩拠徴収納額賠時間緊難塵専標準貨測視請離範術製鍋昇積縁縦復種響環質衝撃齢傭賃約訴訟審決議頭帳織歳児婦",
        "鉴仓隐设备检查劳动险灾场业报责从员训练资证书验机关门县级处罚违规则产营单贮藏运输队发压电气矿职诊疗应计习调伤损经济总监许筑现实"
        "转换钢铁药剂浓轻缩弹阀线车辆轮两团说读记录类样价值费补偿虑认识别带广围坏灭继续绝权义务连络图听观览卫护托预贷锁闭开阅阶层"
        "栏热烧烟盐据征收纳额赔时间紧难尘专标准货测视请离范术制锅升积缘纵复种响环质冲击龄佣赁约诉讼审决议头帐织岁儿妇",
        strict=True,
    )
)
_JA2ZH_TABLE = str.maketrans(_JA2ZH)


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower-case, Japanese kanji → simplified Chinese."""
    return unicodedata.normalize("NFKC", text).lower().translate(_JA2ZH_TABLE)


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def _stem(word: str) -> str:
    """A tiny English stemmer: enough to match 'vessels'/'vessel', 'inspections'/'inspection'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str, *, mode: str = DEFAULT_MODE) -> list[str]:
    """Split text into BM25 terms.

    Parameters
    ----------
    text : str
        Any mix of Chinese, English and Japanese.
    mode : {"jieba", "bigram", "jieba+bigram", "unigram+bigram"}
        How runs of Han characters are split (see module docstring).

    Returns
    -------
    list of str
        Terms in order, stop words removed.
    """
    if mode not in MODES:
        raise ValueError(f"unknown tokenizer mode {mode!r}; expected one of {MODES}")
    out: list[str] = []
    for m in _TOKEN_RE.finditer(normalize(text)):
        han, latin = m.group(1), m.group(2)
        if latin:
            if latin not in STOPWORDS:
                out.append(_stem(latin))
            continue
        if mode in ("jieba", "jieba+bigram"):
            for w in _jieba().lcut(han, HMM=False):
                if w not in STOPWORDS and (len(w) > 1 or mode == "jieba"):
                    out.append(w)
        if mode == "unigram+bigram":
            out.extend(c for c in han if c not in STOPWORDS)
        if mode in ("bigram", "jieba+bigram", "unigram+bigram"):
            if len(han) == 1:
                if mode == "bigram" and han not in STOPWORDS:
                    out.append(han)
            else:
                out.extend(
                    bg for bg in (han[i : i + 2] for i in range(len(han) - 1))
                    if bg[0] not in _PARTICLES and bg[1] not in _PARTICLES
                )
    return out
