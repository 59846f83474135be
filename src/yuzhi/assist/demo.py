"""Demo seed: a public "公开法规库" with the work-safety laws, so the first question gets an answer.

Loading demo data must stay fast (the platform test runs it twice), so the files are registered
here and the index is built in the background on the first visit to the assistant (the page shows
files, cached vectors and embedding batches as they progress). The embedding cache makes every
later build of the same corpus take seconds.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from yuzhi.assist import service
from yuzhi.assist.models import KnowledgeBase
from yuzhi.assist.parsing import iter_source_files
from yuzhi.assist.schemas import KnowledgeBaseCreate
from yuzhi.config import shared_data_dir
from yuzhi.db import transaction

NAME = "公开法规库（安全生产法律法规）"


def corpus_dir() -> Path:
    return shared_data_dir() / "assist" / "cn-safety-law"


def seed_public_regulations(engine: Engine, corpus: Path | None = None) -> int | None:
    """Create the public regulations base from the shared corpus (idempotent); its id, or None
    when the corpus is not on this machine."""
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.models import User

    corpus = corpus or corpus_dir()
    if not corpus.is_dir():
        return None
    with transaction(engine) as s:
        kb = s.scalar(select(KnowledgeBase).where(KnowledgeBase.name == NAME, KnowledgeBase.scope == "public"))
        if kb is not None:
            return kb.id
        office = s.scalar(select(User).where(User.username == "office"))
        if office is None:
            return None
        actor = accounts.actor_for(office)
        kb = service.create_kb(s, actor=actor, kb_in=KnowledgeBaseCreate(
            name=NAME, description="安全生产法、消防法、特种设备安全法、职业病防治法等 17 部法律法规（公开）",
            scope="public"))
        files = [(p.name, p.read_bytes()) for p, _ in iter_source_files([corpus])]
        service.add_documents(s, actor=actor, kb_id=kb.id, files=files, index="lazy")
        return kb.id
