"""Assistant web pages: a question box with answers whose citations open the cited article.

Server-rendered, no JavaScript: the question is a GET form (bookmarkable, no state change), a
citation is a link to ``/assist/article`` which shows the whole article with the quote marked.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.assist import service
from yuzhi.errors import DomainError
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.templating import render

router = APIRouter(include_in_schema=False)

NAV = [("Ask the regulations", "/assist", "any")]

i18n.register("zh", {
    "Ask the regulations": "法规问答", "Ask": "提问", "Question": "问题", "Sources": "依据",
    "Knowledge bases": "知识库", "public": "公开", "own": "本单位", "passages": "条",
    "Not covered by the indexed sources.": "已索引的资料未涵盖此问题。", "Back": "返回",
    "Example": "示例", "Warnings": "提示", "Follow-up to": "接上一问", "Indexing": "正在建立索引", "parse": "解析文件",
    "cached": "复用已缓存的向量", "embed": "计算向量（每批 32 条）",
    "Answers may be incomplete until indexing finishes.": "索引完成前，回答可能不完整。",
    "Written by the on-premises model from the cited articles only": "由本地部署的模型仅依据所引条文撰写",
})
i18n.register("ja", {
    "Ask the regulations": "法規Q&A", "Ask": "質問", "Question": "質問", "Sources": "根拠",
    "Knowledge bases": "ナレッジベース", "public": "公開", "own": "自組織", "passages": "件",
    "Not covered by the indexed sources.": "索引済みの資料では回答できません。", "Back": "戻る",
    "Example": "例", "Warnings": "注意", "Follow-up to": "前の質問の続き",
    "Indexing": "索引作成中", "parse": "ファイル解析",
    "cached": "キャッシュ済みベクトルを再利用", "embed": "ベクトル計算（32件ずつ）",
    "Answers may be incomplete until indexing finishes.": "索引が完成するまで回答が不完全な場合があります。",
    "Written by the on-premises model from the cited articles only": "オンプレミスのモデルが引用条文のみに基づいて作成",
})


def _login() -> Response:
    return RedirectResponse("/login", status_code=303)


def segments(highlighted: str) -> list[tuple[str, bool]]:
    """'a【b】c' → [('a', False), ('b', True), ('c', False)] so the template can escape each part."""
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(r"[【】]", highlighted)):
        if part:
            out.append((part, i % 2 == 1))
    return out


def article_href(kb_id: int, source: str, article: str, quote: str = "") -> str:
    return "/assist/article?" + urlencode({"kb": kb_id, "source": source, "article": article, "quote": quote})


@router.get("/assist", response_class=HTMLResponse)
def chat_page(request: Request, session: SessionDep, actor: OptionalUser, q: str = "", prev: str = "") -> Response:
    if actor is None:
        return _login()
    kbs = service.get_all_kbs(session, actor=actor)
    building = service.indexing_states(kbs)  # starts a build for a base that has files but no index yet
    ctx: dict[str, object] = {"q": q, "kbs": kbs, "answer": None, "links": [], "building": building}
    if q.strip():
        try:
            ans, where = service.ask(session, actor=actor, question=q, context=prev[:2000] or None)
        except DomainError as exc:
            ctx["error"] = exc
            return render(request, "assist/chat.html", ctx, status_code=exc.status_code, actor=actor)
        ctx["answer"] = ans
        ctx["prev"] = prev if service.followup_query(q, prev) != q.strip() else ""
        ctx["links"] = [article_href(where[(c.source, c.article)], c.source, c.article, c.text) for c in ans.citations]
        ctx["segments"] = [segments(c.highlighted) for c in ans.citations]
    return render(request, "assist/chat.html", ctx, actor=actor)


@router.get("/assist/article", response_class=HTMLResponse)
def article_page(request: Request, session: SessionDep, actor: OptionalUser, kb: int, source: str, article: str,
                 quote: str = "") -> Response:
    if actor is None:
        return _login()
    try:
        p = service.get_article(session, actor=actor, kb_id=kb, source=source, article=article)
    except DomainError as exc:
        return render(request, "assist/article.html", {"p": None, "error": exc}, status_code=exc.status_code,
                      actor=actor)
    before, mark, after = p.text, "", ""
    if quote and quote in p.text:
        i = p.text.index(quote)
        before, mark, after = p.text[:i], quote, p.text[i + len(quote):]
    return render(request, "assist/article.html", {"p": p, "before": before, "mark": mark, "after": after},
                  actor=actor)
