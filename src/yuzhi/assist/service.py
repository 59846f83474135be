"""Per-organisation knowledge bases: create, upload, search and ask, scoped to the caller.

Visibility: the office sees every knowledge base; a member sees the public ones and those of
their own organisation; anyone else's is a 404 (it does not exist *for them*). Writing to a
public base needs an office account; writing to an organisation's base needs a member of that
organisation (or the office). Every write is audited in the caller's transaction.

Files and indexes live under ``get_settings().home / "assist" / "kb-<id>"``. An upload is parsed
before anything is written, so a bad file changes nothing; the index is then rebuilt
incrementally (only the new or changed file is embedded).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import Actor
from yuzhi.assist import structure
from yuzhi.assist.answer import Answer, extractive_answer, followup_query, llm_answer, min_bm25_for
from yuzhi.assist.hybrid import norm_fusion
from yuzhi.assist.index import DEFAULT_WEIGHTS, Hit, KnowledgeIndex, build_index
from yuzhi.assist.llm import LLM, LLMUnavailable, from_settings
from yuzhi.assist.models import ChatMessage, Document, KnowledgeBase
from yuzhi.assist.parsing import SUFFIXES, parse_file
from yuzhi.assist.schemas import AnswerRead, CitationRead, KnowledgeBaseCreate, PointRead
from yuzhi.audit import service as audit
from yuzhi.config import get_settings
from yuzhi.db import utcnow
from yuzhi.errors import Forbidden, InvalidInput, NotFound

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def storage_root() -> Path:
    """Where knowledge-base files and indexes are kept."""
    return get_settings().home / "assist"


def kb_dir(kb_id: int) -> Path:
    return storage_root() / f"kb-{kb_id}"


def _snapshot(kb: KnowledgeBase) -> dict[str, object]:
    return {"name": kb.name, "scope": kb.scope, "org_id": kb.org_id, "n_passages": kb.n_passages}


# ---------------------------------------------------------------- knowledge bases


def create_kb(session: Session, *, actor: Actor, kb_in: KnowledgeBaseCreate) -> KnowledgeBase:
    """Create a knowledge base: public (office only) or owned by an organisation."""
    if kb_in.scope == "public":
        if not actor.is_office:
            raise Forbidden("only the programme office may create public knowledge bases", field="scope",
                            fix="Create an organisation knowledge base (scope 'org') instead.")
        org_id = None
    elif actor.is_office:
        if kb_in.org_id is None:
            raise InvalidInput("an organisation knowledge base needs org_id", field="org_id",
                               fix="Give the owning organisation's id, or use scope 'public'.")
        org_id = kb_in.org_id
    else:
        if actor.org_id is None:
            raise Forbidden("your account belongs to no organisation", field="scope")
        if kb_in.org_id not in (None, actor.org_id):
            raise Forbidden("you can only create knowledge bases for your own organisation", field="org_id")
        org_id = actor.org_id
    kb = KnowledgeBase(name=kb_in.name.strip(), description=kb_in.description, scope=kb_in.scope, org_id=org_id)
    session.add(kb)
    session.flush()
    audit.record(session, actor=actor, action="assist.kb.create", entity="assist_knowledge_base", entity_id=kb.id,
                 after=_snapshot(kb), org_id=org_id)
    return kb


def get_all_kbs(session: Session, *, actor: Actor) -> list[KnowledgeBase]:
    """Knowledge bases this caller may read, public first."""
    stmt = tenancy.scope(select(KnowledgeBase), KnowledgeBase, actor, also=KnowledgeBase.scope == "public")
    stmt = stmt.order_by(KnowledgeBase.scope.desc(), KnowledgeBase.id)
    return list(session.scalars(stmt))


def get_kb(session: Session, *, actor: Actor, kb_id: int) -> KnowledgeBase:
    """One knowledge base the caller may read (another tenant's is a 404)."""
    kb = session.scalar(tenancy.scope(select(KnowledgeBase).where(KnowledgeBase.id == kb_id), KnowledgeBase, actor,
                                      also=KnowledgeBase.scope == "public"))
    if kb is None:
        raise NotFound(f"knowledge base {kb_id} not found", field="kb_id",
                       key="kb_not_found", params={"id": kb_id})
    return kb


def _check_write(actor: Actor, kb: KnowledgeBase) -> None:
    if kb.scope == "public":
        if actor.is_office:
            return
        raise Forbidden("public knowledge bases are managed by the programme office", field="kb_id")
    if actor.is_office:  # an organisation's private files are written by its own members only
        raise Forbidden("an organisation's knowledge base is written only by its own members; the office may "
                        "read it", field="kb_id", fix="ask the unit to upload or delete the file")
    if kb.org_id != actor.org_id:  # not reachable through get_kb, kept as a second lock
        raise NotFound(f"knowledge base {kb.id} not found", field="kb_id",
                       key="kb_not_found", params={"id": kb.id})


# ---------------------------------------------------------------- documents


_SAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff()（）《》\-. ]+")


def clean_filename(name: str) -> str:
    """A safe file name (no folders, no control characters) with a supported suffix."""
    base = Path((name or "").replace("\\", "/")).name.strip()
    base = _SAFE_NAME.sub("_", base)
    if not base or base.startswith("."):
        raise InvalidInput("the file has no usable name.", field="file", fix="Name it e.g. 动火作业规程.docx.")
    if Path(base).suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"{base}: unsupported file type.", field="file",
                           fix=f"Upload one of {', '.join(SUFFIXES)}.",
                           key="kb_file_type", params={"name": base, "types": ", ".join(SUFFIXES)})
    return base


def get_all_documents(session: Session, *, actor: Actor, kb_id: int) -> list[Document]:
    kb = get_kb(session, actor=actor, kb_id=kb_id)
    return list(session.scalars(select(Document).where(Document.kb_id == kb.id).order_by(Document.filename)))


def add_documents(session: Session, *, actor: Actor, kb_id: int, files: list[tuple[str, bytes]],
                  index: str = "now") -> list[Document]:
    """Add or replace files (name, content) and re-index the knowledge base.

    Every file is validated and parsed first; if any is bad nothing is written. ``index``:
    ``"now"`` re-indexes before returning; ``"background"`` starts the build in a thread whose
    progress :func:`build_state` reports (the page shows it); ``"lazy"`` leaves it to the first
    search or page view (the demo uses this, so loading demo data stays fast).
    """
    if index not in ("now", "background", "lazy"):
        raise InvalidInput(f"unknown index mode {index!r}", field="index", fix="Use now, background or lazy.",
                           key="kb_index_mode", params={"mode": index})
    kb = get_kb(session, actor=actor, kb_id=kb_id)
    _check_write(actor, kb)
    if not files:
        raise InvalidInput("no files given.", field="file")
    staging = kb_dir(kb.id) / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    prepared: list[tuple[str, bytes, int]] = []
    try:
        for name, data in files:
            fname = clean_filename(name)
            if len(data) > MAX_UPLOAD_BYTES:
                raise InvalidInput(f"{fname} is larger than {MAX_UPLOAD_BYTES // 2**20} MiB.", field="file",
                                   key="kb_file_too_large",
                                   params={"name": fname, "max_mib": MAX_UPLOAD_BYTES // 2**20})
            tmp = staging / fname
            tmp.write_bytes(data)
            n = len(parse_file(tmp))  # raises InvalidInput with the file name
            prepared.append((fname, data, n))
    finally:
        for f in staging.iterdir():
            f.unlink()
    files_dir = kb_dir(kb.id) / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    out: list[Document] = []
    for fname, data, n in prepared:
        (files_dir / fname).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        doc = session.scalar(select(Document).where(Document.kb_id == kb.id, Document.filename == fname))
        before = None if doc is None else {"sha256": doc.sha256, "size": doc.size}
        if doc is None:
            doc = Document(kb_id=kb.id, filename=fname, sha256=digest, size=len(data), n_passages=n)
            session.add(doc)
        else:
            doc.sha256, doc.size, doc.n_passages = digest, len(data), n
        session.flush()
        audit.record(session, actor=actor, action="assist.document.upload", entity="assist_document",
                     entity_id=doc.id, before=before,
                     after={"kb_id": kb.id, "filename": fname, "sha256": digest, "size": len(data)}, org_id=kb.org_id)
        out.append(doc)
    if index == "now":
        _reindex(kb)
    else:
        kb.n_passages = sum(d.n_passages for d in session.scalars(select(Document).where(Document.kb_id == kb.id)))
        if index == "background":
            start_build(kb.id)
    return out


def delete_document(session: Session, *, actor: Actor, kb_id: int, doc_id: int) -> None:
    """Remove a file from the knowledge base and its index."""
    kb = get_kb(session, actor=actor, kb_id=kb_id)
    _check_write(actor, kb)
    doc = session.scalar(select(Document).where(Document.id == doc_id, Document.kb_id == kb.id))
    if doc is None:
        raise NotFound(f"document {doc_id} not found", field="doc_id",
                       key="kb_document_not_found", params={"id": doc_id})
    audit.record(session, actor=actor, action="assist.document.delete", entity="assist_document", entity_id=doc.id,
                 before={"kb_id": kb.id, "filename": doc.filename, "sha256": doc.sha256}, org_id=kb.org_id)
    (kb_dir(kb.id) / "files" / doc.filename).unlink(missing_ok=True)
    session.delete(doc)
    session.flush()
    _reindex(kb)


def _reindex(kb: KnowledgeBase) -> None:
    files_dir = kb_dir(kb.id) / "files"
    index_dir = kb_dir(kb.id) / "index"
    if not files_dir.is_dir() or not any(files_dir.iterdir()):
        import shutil

        shutil.rmtree(index_dir, ignore_errors=True)
        kb.n_passages = 0
    else:
        report = build_index([files_dir], index_dir)
        kb.n_passages = report.n_passages
    kb.indexed_at = utcnow()


# ---------------------------------------------------------------- search and ask


@lru_cache(maxsize=32)
def _load(index_dir: str, stamp: float) -> KnowledgeIndex:
    return KnowledgeIndex(index_dir)


def _index_of(kb: KnowledgeBase) -> KnowledgeIndex | None:
    """The loaded index of ``kb``; None (and a background build started) if it has files but no index yet."""
    d = kb_dir(kb.id) / "index"
    mf = d / "manifest.json"
    if not mf.is_file():
        files = kb_dir(kb.id) / "files"
        if files.is_dir() and any(files.iterdir()):
            start_build(kb.id)
        return None
    return _load(str(d), mf.stat().st_mtime_ns)


# ---------------------------------------------------------------- background indexing with progress

_BUILDS: dict[int, dict[str, object]] = {}
_BUILDS_LOCK = threading.Lock()


def index_state(session: Session, *, actor: Actor, kb_id: int) -> dict[str, object]:
    """ready / running (with stage, done, total) / failed (with error) / empty, for a readable base."""
    kb = get_kb(session, actor=actor, kb_id=kb_id)
    ix = _index_of(kb)  # starts a build if the base has files but no index
    st = build_state(kb.id)
    if st is not None and st["state"] in ("running", "failed"):
        return {k: st[k] for k in ("state", "stage", "done", "total", "error")}
    if ix is not None:
        return {"state": "ready", "done": len(ix), "total": len(ix)}
    return {"state": "empty"}


def indexing_states(kbs: list[KnowledgeBase]) -> dict[int, dict[str, object]]:
    """Running background builds of these bases (starting one for a base with files but no index)."""
    for kb in kbs:
        _index_of(kb)
    return {kb.id: st for kb in kbs if (st := build_state(kb.id)) and st["state"] == "running"}


def build_state(kb_id: int) -> dict[str, object] | None:
    """Progress of a background build of knowledge base ``kb_id``: ``{"state": "running"|"done"|"failed",
    "stage": "parse"|"cached"|"embed", "done", "total", "error"}``, or None if none was started."""
    with _BUILDS_LOCK:
        st = _BUILDS.get(kb_id)
        return dict(st) if st is not None else None


def start_build(kb_id: int) -> bool:
    """Build the index of ``kb_id`` from its files in a daemon thread (no-op if one is running).

    Why a thread: embedding a whole law corpus takes minutes on two cores the first time (the
    content-hash cache makes later builds take seconds); the page must stay usable and show
    files, articles and embedding batches as they progress instead of hanging.
    """
    with _BUILDS_LOCK:
        st = _BUILDS.get(kb_id)
        if st is not None and st.get("state") == "running":
            return False
        _BUILDS[kb_id] = {"state": "running", "stage": "parse", "done": 0, "total": 0, "error": ""}

    def progress(stage: str, done: int, total: int) -> None:
        with _BUILDS_LOCK:
            _BUILDS[kb_id].update(stage=stage, done=done, total=total)

    def work() -> None:
        try:
            build_index([kb_dir(kb_id) / "files"], kb_dir(kb_id) / "index", progress=progress, skip_bad=True)
            with _BUILDS_LOCK:
                _BUILDS[kb_id]["state"] = "done"
        except Exception as exc:  # reported on the page, never raised into a request
            with _BUILDS_LOCK:
                _BUILDS[kb_id].update(state="failed", error=str(exc))

    threading.Thread(target=work, name=f"assist-index-{kb_id}", daemon=True).start()
    return True


@dataclass(frozen=True)
class KbHit:
    kb_id: int
    kb_name: str
    hit: Hit


def _targets(session: Session, actor: Actor, kb_ids: list[int] | None) -> list[KnowledgeBase]:
    if kb_ids:
        return [get_kb(session, actor=actor, kb_id=i) for i in dict.fromkeys(kb_ids)]
    return get_all_kbs(session, actor=actor)


def search(session: Session, *, actor: Actor, query: str, k: int = 5, kb_ids: list[int] | None = None) -> list[KbHit]:
    """Search every knowledge base the caller may read (or the given ones) and merge the results.

    Each index returns its own top ``k``; the merged candidates are re-fused on their raw BM25
    and cosine scores, so a weak match in one base does not outrank a strong one in another.
    """
    if not (query or "").strip():
        raise InvalidInput("the question is empty.", field="query", fix="Type a question.")
    cands: list[KbHit] = []
    for kb in _targets(session, actor, kb_ids):
        ix = _index_of(kb)
        if ix is None or len(ix) == 0:
            continue
        cands += [KbHit(kb.id, kb.name, h) for h in ix.search(query, k=k)]
    if not cands:
        return []
    if len({c.kb_id for c in cands}) == 1:
        fused = np.array([c.hit.score for c in cands])  # one base: keep its own ranking
    else:
        fused = norm_fusion([np.array([c.hit.bm25 for c in cands]), np.array([c.hit.dense for c in cands])],
                            weights=list(DEFAULT_WEIGHTS))
        pen, dfn = structure.flags([c.hit.chapter for c in cands], [c.hit.text for c in cands])
        fused = structure.adjust(query, fused, pen, dfn)
    order = sorted(range(len(cands)), key=lambda i: (-fused[i], i))[:k]
    out = []
    for r, i in enumerate(order, start=1):
        c = cands[i]
        h = c.hit
        out.append(KbHit(c.kb_id, c.kb_name, Hit(source=h.source, article=h.article, text=h.text,
                                                   score=float(fused[i]), rank=r, title=h.title, chapter=h.chapter,
                                                   path=h.path, bm25=h.bm25, dense=h.dense, page=h.page)))
    return out


def ask(session: Session, *, actor: Actor, question: str, k: int = 5, kb_ids: list[int] | None = None,
        llm: LLM | None = None, use_configured_llm: bool = True,
        context: str | None = None) -> tuple[Answer, dict[tuple[str, str], int]]:
    """Answer from the caller's knowledge bases. Returns the answer and, per cited (source,
    article), the knowledge base it came from (for links to the article). ``context`` is the
    previous question: a short follow-up ("那罚多少？", "And for boilers?") is searched together
    with it, and answered in its own language."""
    if not (question or "").strip():
        raise InvalidInput("the question is empty.", field="question", fix="Type a question.")
    kb_hits = search(session, actor=actor, query=followup_query(question, context), k=k, kb_ids=kb_ids)
    hits = [kh.hit for kh in kb_hits]
    where = {(kh.hit.source, kh.hit.article): kh.kb_id for kh in kb_hits}
    # coverage is judged per knowledge base: BM25 scales with the idf its own size allows
    sizes = {kb.id: kb.n_passages for kb in _targets(session, actor, kb_ids)}
    covered = any(kh.hit.bm25 >= min_bm25_for(sizes.get(kh.kb_id, 1)) for kh in kb_hits)
    threshold = 0.0 if covered else math.inf
    if llm is None and use_configured_llm:
        llm = from_settings()
    if llm is None:
        return extractive_answer(question.strip(), hits, min_bm25=threshold), where
    try:
        return llm_answer(question.strip(), hits, llm), where
    except LLMUnavailable as exc:
        ans = extractive_answer(question.strip(), hits, min_bm25=threshold)
        ans.warnings.append(f"language model unavailable ({exc}); extractive answer given instead")
        return ans, where


def get_article(session: Session, *, actor: Actor, kb_id: int, source: str, article: str):
    """The full text of one cited article (what a citation link opens)."""
    kb = get_kb(session, actor=actor, kb_id=kb_id)
    ix = _index_of(kb)
    if ix is not None:
        for p in ix.passages:
            if p.source == source and p.article == article:
                return p
    raise NotFound(f"{source} {article} not found in knowledge base {kb_id}", field="article",
                   key="kb_article_not_found", params={"source": source, "article": article, "id": kb_id})


# ---- chat history (one row per question asked on the page or through POST /ask)

#: How many earlier questions the page lists; the API pages through all of them.
HISTORY_SHOWN = 20


def answer_read(ans: Answer, where: dict[tuple[str, str], int]) -> AnswerRead:
    """The answer as the API returns it and the history stores it (citations carry their base)."""
    cites = [CitationRead(kb_id=where.get((c.source, c.article), 0), source=c.source, article=c.article,
                          text=c.text, highlighted=c.highlighted, title=c.title, page=c.page)
             for c in ans.citations]
    return AnswerRead(question=ans.question, answer=ans.answer, language=ans.language,
                      points=[PointRead(text=p.text, citation=p.citation) for p in ans.points], mode=ans.mode,
                      covered=ans.covered, model=ans.model, citations=cites, warnings=ans.warnings)


def record_chat(session: Session, *, actor: Actor, answer: AnswerRead, context: str | None = None) -> ChatMessage:
    """Store one asked question and its answer in the caller's history (audited)."""
    if actor.user_id is None:
        raise Forbidden("only a signed-in user has a chat history.", field="user")
    msg = ChatMessage(user_id=actor.user_id, org_id=actor.org_id, question=answer.question[:2000],
                      context=(context or "")[:2000], language=answer.language[:8], covered=answer.covered,
                      answer_json=answer.model_dump_json())
    session.add(msg)
    session.flush()
    audit.record(session, actor=actor, action="assist.chat.ask", entity="assist_chat_message", entity_id=msg.id,
                 after={"question": msg.question, "covered": msg.covered,
                        "citations": [f"{c.source} {c.article}" for c in answer.citations]},
                 org_id=actor.org_id)
    return msg


def chat_history(session: Session, *, actor: Actor, limit: int = HISTORY_SHOWN, offset: int = 0) -> list[ChatMessage]:
    """The caller's own questions, newest first (nobody else's, office included)."""
    if actor.user_id is None:
        return []
    stmt = (select(ChatMessage).where(ChatMessage.user_id == actor.user_id)
            .order_by(ChatMessage.id.desc()).offset(offset).limit(limit))
    return list(session.scalars(stmt))


def count_chats(session: Session, *, actor: Actor) -> int:
    from sqlalchemy import func

    if actor.user_id is None:
        return 0
    return int(session.scalar(select(func.count()).select_from(ChatMessage)
                              .where(ChatMessage.user_id == actor.user_id)) or 0)


def get_chat(session: Session, *, actor: Actor, chat_id: int) -> tuple[ChatMessage, AnswerRead]:
    """One entry of the caller's history with its stored answer; another user's entry is a 404."""
    msg = session.get(ChatMessage, chat_id)
    if msg is None or actor.user_id is None or msg.user_id != actor.user_id:
        raise NotFound(f"chat entry {chat_id} not found in your history.", field="chat_id",
                       key="chat_not_found", params={"id": chat_id})
    return msg, AnswerRead.model_validate_json(msg.answer_json)
