"""Assistant REST API (thin: every route calls :mod:`yuzhi.assist.service`)."""

from __future__ import annotations

from fastapi import APIRouter, File, Query, UploadFile

from yuzhi.assist import service
from yuzhi.assist.schemas import (
    AnswerRead,
    ArticleRead,
    AskIn,
    ChatRead,
    DocumentRead,
    HitRead,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    SearchIn,
)
from yuzhi.pagination import Page
from yuzhi.types import IdPath, Limit, Offset
from yuzhi.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/assist", tags=["assist"])


@router.get("/kbs", response_model=Page[KnowledgeBaseRead])
def list_kbs(session: SessionDep, actor: CurrentUser) -> Page[KnowledgeBaseRead]:
    """Knowledge bases you may read: public regulations and your organisation's own."""
    rows = service.get_all_kbs(session, actor=actor)
    return Page(data=[KnowledgeBaseRead.model_validate(r) for r in rows], count=len(rows))


@router.post("/kbs", response_model=KnowledgeBaseRead, status_code=201)
def create_kb(body: KnowledgeBaseCreate, session: SessionDep, actor: CurrentUser) -> KnowledgeBaseRead:
    """Create a knowledge base (public ones: office only)."""
    return KnowledgeBaseRead.model_validate(service.create_kb(session, actor=actor, kb_in=body))


@router.get("/kbs/{kb_id}/documents", response_model=Page[DocumentRead])
def list_documents(kb_id: IdPath, session: SessionDep, actor: CurrentUser) -> Page[DocumentRead]:
    rows = service.get_all_documents(session, actor=actor, kb_id=kb_id)
    return Page(data=[DocumentRead.model_validate(r) for r in rows], count=len(rows))


@router.post("/kbs/{kb_id}/documents", response_model=list[DocumentRead], status_code=201)
async def upload_documents(kb_id: IdPath, session: SessionDep, actor: CurrentUser,
                           files: list[UploadFile] = File(...)) -> list[DocumentRead]:
    """Upload .md/.txt/.pdf/.docx/.xlsx files; the knowledge base is re-indexed incrementally."""
    payload = [(f.filename or "", await f.read()) for f in files]
    docs = service.add_documents(session, actor=actor, kb_id=kb_id, files=payload)
    return [DocumentRead.model_validate(d) for d in docs]


@router.delete("/kbs/{kb_id}/documents/{doc_id}", status_code=204)
def delete_document(kb_id: IdPath, doc_id: IdPath, session: SessionDep, actor: CurrentUser) -> None:
    service.delete_document(session, actor=actor, kb_id=kb_id, doc_id=doc_id)


@router.post("/search", response_model=list[HitRead])
def search(body: SearchIn, session: SessionDep, actor: CurrentUser) -> list[HitRead]:
    """Ranked passages with ``source``, ``article``, ``text`` and ``score``."""
    rows = service.search(session, actor=actor, query=body.query, k=body.k, kb_ids=body.kb_ids)
    return [HitRead(kb_id=r.kb_id, kb_name=r.kb_name, rank=r.hit.rank, source=r.hit.source, article=r.hit.article,
                    text=r.hit.text, score=r.hit.score, title=r.hit.title, chapter=r.hit.chapter, page=r.hit.page)
            for r in rows]


@router.post("/ask", response_model=AnswerRead)
def ask(body: AskIn, session: SessionDep, actor: CurrentUser) -> AnswerRead:
    """An answer with citations (extractive unless a model is configured on the server); it joins
    the caller's chat history (``GET /history``)."""
    ans, where = service.ask(session, actor=actor, question=body.question, k=body.k, kb_ids=body.kb_ids,
                             context=body.context)
    out = service.answer_read(ans, where)
    if actor.user_id is not None:
        service.record_chat(session, actor=actor, answer=out, context=body.context)
    return out


@router.get("/history", response_model=Page[ChatRead])
def history(session: SessionDep, actor: CurrentUser, limit: Limit = 50, offset: Offset = 0) -> Page[ChatRead]:
    """Your own earlier questions, newest first (each user sees only theirs)."""
    rows = service.chat_history(session, actor=actor, limit=limit, offset=offset)
    return Page(data=[ChatRead.model_validate(r) for r in rows], count=service.count_chats(session, actor=actor))


@router.get("/history/{chat_id}", response_model=AnswerRead)
def history_entry(chat_id: IdPath, session: SessionDep, actor: CurrentUser) -> AnswerRead:
    """The answer you got to one earlier question, as it was shown."""
    return service.get_chat(session, actor=actor, chat_id=chat_id)[1]


@router.get("/kbs/{kb_id}/article", response_model=ArticleRead)
def article(kb_id: IdPath, session: SessionDep, actor: CurrentUser, source: str = Query(...),
            article: str = Query(...)) -> ArticleRead:
    """The full text of a cited article."""
    p = service.get_article(session, actor=actor, kb_id=kb_id, source=source, article=article)
    return ArticleRead(kb_id=kb_id, source=p.source, article=p.article, title=p.title, chapter=p.chapter, text=p.text)
