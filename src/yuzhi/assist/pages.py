"""Assistant web pages: a question box with answers whose citations open the cited article.

Server-rendered, no JavaScript. The question box POSTs (the question joins the user's chat
history, an audited write) and redirects to ``/assist?h=<id>``, which re-shows the stored answer;
``/assist?q=…`` still answers without storing (a bookmarkable link). A citation is a link to
``/assist/article`` which shows the whole article with the quote marked; ``/assist/history``
lists the user's earlier questions.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.assist import service
from yuzhi.errors import DomainError
from yuzhi.types import MAX_ID
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
    "History": "提问记录", "Earlier questions": "之前的提问", "No questions yet.": "还没有提问。",
    "All": "全部", "answered": "已回答", "not covered": "未涵盖",
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
    "History": "質問履歴", "Earlier questions": "以前の質問", "No questions yet.": "まだ質問はありません。",
    "All": "すべて", "answered": "回答あり", "not covered": "対象外",
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


def _show(ctx: dict[str, object], ans: object, kb_of: list[int]) -> None:
    """Put an answer (fresh or from the history) and its citation links into the page context."""
    ctx["answer"] = ans
    cites = ans.citations  # type: ignore[attr-defined]
    ctx["links"] = [article_href(kb, c.source, c.article, c.text) for kb, c in zip(kb_of, cites, strict=True)]
    ctx["segments"] = [segments(c.highlighted) for c in cites]


@router.get("/assist", response_class=HTMLResponse)
def chat_page(request: Request, session: SessionDep, actor: OptionalUser, q: str = "", prev: str = "",
              h: Annotated[int, Query(ge=0, le=MAX_ID, description="history entry to show again")] = 0) -> Response:
    if actor is None:
        return _login()
    kbs = service.get_all_kbs(session, actor=actor)
    building = service.indexing_states(kbs)  # starts a build for a base that has files but no index yet
    ctx: dict[str, object] = {"q": q, "kbs": kbs, "answer": None, "links": [], "building": building,
                              "history": service.chat_history(session, actor=actor, limit=service.HISTORY_SHOWN)}
    if h:
        try:
            msg, stored = service.get_chat(session, actor=actor, chat_id=h)
        except DomainError as exc:
            ctx["error"] = exc
            return render(request, "assist/chat.html", ctx, status_code=exc.status_code, actor=actor)
        ctx["q"], ctx["prev"], ctx["current"] = msg.question, msg.context, msg.id
        _show(ctx, stored, [c.kb_id for c in stored.citations])
    elif q.strip():
        try:
            ans, where = service.ask(session, actor=actor, question=q, context=prev[:2000] or None)
        except DomainError as exc:
            ctx["error"] = exc
            return render(request, "assist/chat.html", ctx, status_code=exc.status_code, actor=actor)
        ctx["prev"] = prev if service.followup_query(q, prev) != q.strip() else ""
        _show(ctx, ans, [where[(c.source, c.article)] for c in ans.citations])
    return render(request, "assist/chat.html", ctx, actor=actor)


@router.post("/assist", response_class=HTMLResponse)
def chat_ask(request: Request, session: SessionDep, actor: OptionalUser, q: Annotated[str, Form()] = "",
             prev: Annotated[str, Form()] = "") -> Response:
    """Ask, store the question and its answer in the user's history, show it (post/redirect/get)."""
    if actor is None:
        return _login()
    try:
        ans, where = service.ask(session, actor=actor, question=q[:2000], context=prev[:2000] or None)
        context = prev[:2000] if service.followup_query(q, prev) != q.strip() else ""
        msg = service.record_chat(session, actor=actor, answer=service.answer_read(ans, where), context=context)
    except DomainError as exc:
        kbs = service.get_all_kbs(session, actor=actor)
        ctx: dict[str, object] = {"q": q, "kbs": kbs, "answer": None, "links": [], "building": {}, "error": exc,
               "history": service.chat_history(session, actor=actor, limit=service.HISTORY_SHOWN)}
        return render(request, "assist/chat.html", ctx, status_code=exc.status_code, actor=actor)
    return RedirectResponse(f"/assist?h={msg.id}", status_code=303)


@router.get("/assist/history", response_class=HTMLResponse)
def history_page(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    """Every question the user asked (newest first, 200 at most), each linking to its answer."""
    if actor is None:
        return _login()
    rows = service.chat_history(session, actor=actor, limit=200)
    return render(request, "assist/history.html", {"history": rows}, actor=actor)


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
