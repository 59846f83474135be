"""A short answer in the asker's language from quoted provisions, without a language model.

Why: a plant manager wants "1 hour", "5,000–50,000 yuan", "every 3 years" — the rule — and the
article that says so, not three passages to read. Without a model we cannot translate the law,
but we can (1) pick the governing sentence of each cited article (the one that covers most of the
question's terms and states an obligation, prohibition, number or sanction), (2) extract the
figures it contains — deadlines, periods, fines, percentages, detention — and (3) phrase them
with a per-language template, keeping the Chinese original beside every converted figure so it
can be checked. Every line of the answer carries the number of the citation it comes from.

Pure core: no db/HTTP.

>>> cn_number("三十") , cn_number("一百零五"), cn_number("五万"), cn_number("2.5")
(30, 105, 50000, 2.5)
>>> [f.zh for f in extract_facts("单位负责人接到报告后，应当于1小时内向安全生产监督管理部门报告。")]
['1小时内']
>>> [f.render("en") for f in extract_facts("处五千元以上五万元以下罚款")]
['fine of 5,000–50,000 yuan (五千元以上五万元以下罚款)']
>>> [f.render("en") for f in extract_facts("安全生产许可证的有效期为3年。")]
['valid for 3 years (有效期为3年)']
>>> article_number("第一百零五条", "en"), article_number("第三十条之一", "ja")
('Article 105', '第30条の1')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIG = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_NUM = r"[\d\.零〇一二两三四五六七八九十百千万亿]+"


def cn_number(s: str) -> float | int:
    """Chinese (or Arabic, or mixed like '50万') numeral → number. Raises ValueError if not one."""
    s = s.strip()
    if not s:
        raise ValueError("empty numeral")
    m = re.fullmatch(r"([\d\.]+)([万亿]?)", s)
    if m:
        v = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
        return v * _BIG.get(m.group(2), 1)
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _DIG:
            digit = _DIG[ch]
        elif ch in _UNIT:
            section += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
        elif ch in _BIG:
            section += digit or 0
            total += section * _BIG[ch]
            section, digit = 0, None
        else:
            raise ValueError(f"not a numeral: {s!r}")
    return total + section + (digit or 0)


def _fmt(n: float | int | None) -> str:
    if n is None:  # a bound the statute leaves open
        return "?"
    return f"{n:,}" if isinstance(n, int) else f"{n:g}"


def article_number(article: str, lang: str) -> str:
    """'第一百零五条' → 'Article 105' (en) / '第105条' (ja) / unchanged (zh)."""
    m = re.fullmatch(r"第(.+?)条(?:之(.+))?", article)
    if lang == "zh" or not m:
        return article
    try:
        n = cn_number(m.group(1))
        sub = cn_number(m.group(2)) if m.group(2) else None
    except ValueError:
        return article
    if lang == "en":
        return f"Article {n}" + (f"-{sub}" if sub else "")
    return f"第{n}条" + (f"の{sub}" if sub else "")


_TIME_UNITS = {
    "小时": ("hour", "時間"), "日": ("day", "日"), "天": ("day", "日"), "个工作日": ("working day", "営業日"),
    "工作日": ("working day", "営業日"), "个月": ("month", "か月"), "月": ("month", "か月"), "年": ("year", "年"),
}


@dataclass(frozen=True)
class Fact:
    """A figure found in a provision: ``kind`` is deadline/period/fine/percent/detention."""

    kind: str
    zh: str  # the original words, verbatim
    lo: float | int | None = None
    hi: float | int | None = None
    unit: str = ""
    qualifier: str = ""  # 内 / 前 / 每 / 以上 / 以下 …

    def render(self, lang: str) -> str:
        """The figure phrased in ``lang`` (the Chinese original in brackets for en/ja)."""
        if lang == "zh":
            return self.zh
        en = lang == "en"
        if self.kind == "fine":
            if self.lo is not None and self.hi is not None:
                core = (f"fine of {_fmt(self.lo)}–{_fmt(self.hi)} yuan" if en
                        else f"罰金 {_fmt(self.lo)}〜{_fmt(self.hi)}元")
            else:
                core = f"fine of up to {_fmt(self.hi)} yuan" if en else f"罰金 {_fmt(self.hi)}元以下"
        elif self.kind == "percent":
            rng = f"{_fmt(self.lo)}–{_fmt(self.hi)}%" if self.hi is not None else f"{_fmt(self.lo)}%"
            core = (f"fine of {rng} of the previous year's income" if en else f"前年の年収の{rng}の罰金") \
                if "收入" in self.qualifier else rng
        elif self.kind == "detention":
            if self.lo is not None:
                core = (f"detention of {_fmt(self.lo)}–{_fmt(self.hi)} days" if en
                        else f"{_fmt(self.lo)}〜{_fmt(self.hi)}日の拘留")
            else:
                core = f"detention of up to {_fmt(self.hi)} days" if en else f"{_fmt(self.hi)}日以下の拘留"
        else:
            en_u, ja_u = _TIME_UNITS.get(self.unit, (self.unit, self.unit))
            n = self.lo if self.lo is not None else 0
            unit = en_u + ("s" if en and n != 1 else "")
            amount = f"{_fmt(n)} {unit}" if en else f"{_fmt(n)}{ja_u}"
            q = self.qualifier
            if en:
                core = {"内": f"within {amount}", "以内": f"within {amount}", "前": f"{amount} before",
                        "每": f"every {amount}", "以上": f"at least {amount}", "以下": f"at most {amount}",
                        "后": f"{amount} after", "为": f"valid for {amount}"}.get(q, amount)
            else:
                core = {"内": f"{amount}以内", "以内": f"{amount}以内", "前": f"{amount}前", "每": f"{amount}ごと",
                        "以上": f"{amount}以上", "以下": f"{amount}以下", "后": f"{amount}後",
                        "为": f"有効期間{amount}"}.get(q, amount)
        return f"{core} ({self.zh})"


_FINE_RANGE = re.compile(rf"({_NUM})元以上({_NUM})元以下(?:的)?(?:罚款)?")
_FINE_MAX = re.compile(rf"(?<!以上)({_NUM})元以下的?罚款")
_PCT = re.compile(r"(?:上一年年收入)?百分之([零一二三四五六七八九十百]+)(?:至百分之([零一二三四五六七八九十百]+))?"
                  r"|(?:上一年年收入)?(\d+)%(?:至(\d+)%)?")
_DETAIN = re.compile(rf"(?:({_NUM})日以上)?({_NUM})日以下(?:的)?拘留")
_TIME = re.compile(rf"(每|满|前|期满前|有效期为|期限为)?({_NUM}|半)(个工作日|工作日|小时|个月|日|天|月|年)"
                   r"(内|以内|前|后|以上|以下)?")


def extract_facts(text: str, *, limit: int = 4) -> list[Fact]:
    """Deadlines, periods, fines, percentages and detention in ``text``, in reading order."""
    found: list[tuple[int, Fact]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def add(m: re.Match[str], fact: Fact) -> None:
        if free(m.start(), m.end()):
            taken.append((m.start(), m.end()))
            found.append((m.start(), fact))

    def num(x: str | None) -> float | int | None:
        return cn_number(x) if x else None

    makers = [
        (_FINE_RANGE, lambda m: Fact("fine", m.group(0), num(m.group(1)), num(m.group(2)))),
        (_FINE_MAX, lambda m: Fact("fine", m.group(0), None, num(m.group(1)))),
        (_PCT, lambda m: Fact("percent", m.group(0), num(m.group(1) or m.group(3)), num(m.group(2) or m.group(4)),
                              qualifier="收入" if "收入" in m.group(0) else "")),
        (_DETAIN, lambda m: Fact("detention", m.group(0), num(m.group(1)), num(m.group(2)))),
    ]
    for pat, make in makers:
        for m in pat.finditer(text):
            try:
                fact = make(m)
            except ValueError:
                continue
            add(m, fact)
    for m in _TIME.finditer(text):
        pre, raw, unit, post = m.group(1) or "", m.group(2), m.group(3), m.group(4) or ""
        if not (pre or post) or "元" in text[m.end():m.end() + 1]:
            continue  # a bare "3年" without 内/前/每 is often a date or a term, not a rule
        try:
            n = 0.5 if raw == "半" else cn_number(raw)
        except ValueError:
            continue
        if pre.endswith("为"):
            qual, kind = "为", "validity"
        else:
            qual = "每" if pre == "每" else ("前" if "前" in pre + post else (post or pre))
            kind = "period" if pre == "每" else "deadline"
        add(m, Fact(kind, m.group(0), n, None, unit, qual))
    found.sort(key=lambda t: t[0])
    return [f for _, f in found[:limit]]


_SENT = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_RULE = re.compile(r"应当|必须|不得|禁止|严禁|方可|罚款|处分|拘留|吊销|是指|日内|小时|年|有权")
_ARTICLE_HEAD = re.compile(r"^第[零〇一二两三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?\s*")


_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")


def governing_sentence(quote: str, terms: list[str]) -> str:
    """The sentence of ``quote`` that states the rule asked about (verbatim, article number stripped).

    Score: question terms covered (longer terms count more), plus one if it states an
    obligation, prohibition, figure or sanction; ties go to the earlier sentence. When that
    sentence introduces a list ("有下列情形之一的，……应当立即停止……："), the item of the list
    that matches the question is appended ("……（二）瓦斯超限作业的；"): the lead states the
    consequence, the item says the question's case is one of them.
    """
    sents = [m.group(0).strip() for m in _SENT.finditer(quote)]
    sents = [x for x in sents if len(x) >= 4]
    best_i, best_score = -1, -1.0
    for i, x in enumerate(sents):
        score = sum(len(t) for t in terms if t in x) + (2.0 if _RULE.search(x) else 0.0)
        if score > best_score:
            best_i, best_score = i, score
    if best_i < 0:
        return _ARTICLE_HEAD.sub("", quote).strip()
    best = sents[best_i]
    if best.endswith(("：", ":")):
        items = [(sum(len(t) for t in terms if t in x), j, x) for j, x in enumerate(sents)
                 if j > best_i and _ITEM.match(x)]
        hit = max(items, key=lambda it: (it[0], -it[1]), default=None)
        if hit is not None and hit[0] > 0:
            best += ("" if hit[1] == best_i + 1 else "……") + hit[2]
    return _ARTICLE_HEAD.sub("", best).strip() or _ARTICLE_HEAD.sub("", quote).strip()


def rule_kind(sentence: str) -> str:
    """prohibition / obligation / sanction / definition / right / rule."""
    if re.search(r"罚款|处分|拘留|吊销|追究刑事责任|责令停产", sentence):
        return "sanction"
    if re.search(r"不得|禁止|严禁", sentence):
        return "prohibition"
    if re.search(r"是指|所称", sentence):
        return "definition"
    if re.search(r"有权", sentence):
        return "right"
    if re.search(r"应当|必须|方可", sentence):
        return "obligation"
    return "rule"


_LEAD = {
    "zh": {"prohibition": "禁止性规定", "obligation": "义务", "sanction": "处罚", "definition": "定义",
           "right": "权利", "rule": "规定"},
    "en": {"prohibition": "prohibits", "obligation": "requires", "sanction": "sets the penalty",
           "definition": "defines", "right": "grants the right", "rule": "provides"},
    "ja": {"prohibition": "禁止事項", "obligation": "義務", "sanction": "罰則", "definition": "定義",
           "right": "権利", "rule": "規定"},
}


@dataclass(frozen=True)
class Point:
    """One line of the answer and the 1-based number of the citation that supports it."""

    text: str
    citation: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "citation": self.citation}


_PAGE = {"zh": "（第{}页）", "en": " (p. {})", "ja": "（{}ページ）"}


def compose_points(lang: str, cites: list[tuple[str, str, str]], terms: list[str],
                   pages: list[int] | None = None) -> list[Point]:
    """Answer lines for citations ``(title, article, quote)`` in ``lang`` (zh/en/ja).

    The first citation gives the rule and its figures; the others are "see also" lines. A PDF
    citation names its page (``pages``, 0 = not a PDF).
    """
    pts: list[Point] = []
    pages = pages or [0] * len(cites)
    for n, (title, article, quote) in enumerate(cites, start=1):
        sent = governing_sentence(quote, terms)
        kind = rule_kind(sent)
        facts = extract_facts(sent) or (extract_facts(quote) if n == 1 else [])
        art = article_number(article, lang) + (_PAGE[lang].format(pages[n - 1]) if pages[n - 1] else "")
        lead = _LEAD[lang][kind]
        if lang == "zh":
            head = f"《{title}》{art}（{lead}）：{sent}" if n == 1 else f"另见《{title}》{art}：{sent}"
            figs = "要点：" + "；".join(f.render(lang) for f in facts) if facts else ""
        elif lang == "en":
            head = (f"《{title}》 {art} {lead}: “{sent}”" if n == 1
                    else f"See also 《{title}》 {art}: “{sent}”")
            figs = "Key figures: " + "; ".join(f.render(lang) for f in facts) if facts else ""
        else:
            head = f"《{title}》{art}（{lead}）：「{sent}」" if n == 1 else f"関連：《{title}》{art}：「{sent}」"
            figs = "要点：" + "；".join(f.render(lang) for f in facts) if facts else ""
        pts.append(Point(head, n))
        if figs:
            pts.append(Point(figs, n))
    return pts
