"""Indexing a person can wait for: background builds with progress, and the demo's public laws base."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assist.conftest import write_corpus
from tests.factories import make_world
from yuzhi import config
from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import SYSTEM, Role
from yuzhi.accounts.schemas import UserCreate
from yuzhi.assist import service
from yuzhi.assist.demo import NAME, seed_public_regulations
from yuzhi.assist.models import KnowledgeBase
from yuzhi.assist.schemas import KnowledgeBaseCreate
from yuzhi.db import transaction
from yuzhi.errors import InvalidInput


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    monkeypatch.setenv("YUZHI_ASSIST_EMBED_CACHE", str(tmp_path / "cache"))
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def _wait(kb_id: int, seconds: float = 120.0) -> dict:
    t = time.monotonic()
    while time.monotonic() - t < seconds:
        st = service.build_state(kb_id)
        if st and st["state"] != "running":
            return st
        time.sleep(0.2)
    raise AssertionError(f"build of {kb_id} did not finish: {service.build_state(kb_id)}")


def test_lazy_knowledge_base_builds_in_background_with_progress(session, home, tmp_path) -> None:
    w = make_world(session, units=1)
    kb = service.create_kb(session, actor=w.admin, kb_in=KnowledgeBaseCreate(name="法规", scope="public"))
    docs = write_corpus(tmp_path / "docs")
    files = [(p.name, p.read_bytes()) for p in sorted(docs.iterdir())]
    with pytest.raises(InvalidInput, match="unknown index mode"):
        service.add_documents(session, actor=w.admin, kb_id=kb.id, files=files, index="later")
    service.add_documents(session, actor=w.admin, kb_id=kb.id, files=files, index="lazy")
    assert kb.n_passages > 0 and service.build_state(kb.id) is None  # registered, nothing built yet
    # the first search finds no index, starts the build and answers from what exists (nothing)
    assert service.search(session, actor=w.units[0], query="特种作业人员要持证吗", k=3) == []
    st = service.build_state(kb.id)
    assert st is not None and st["state"] in ("running", "done")
    assert service.index_state(session, actor=w.admin, kb_id=kb.id)["state"] in ("running", "ready")
    assert _wait(kb.id)["state"] == "done"
    st = service.index_state(session, actor=w.units[0], kb_id=kb.id)
    assert st["state"] == "ready" and st["total"] == kb.n_passages
    hits = service.search(session, actor=w.units[0], query="特种作业人员要持证吗", k=3)
    assert hits and (hits[0].hit.source, hits[0].hit.article) == ("示例安全生产法(2024-01-01).md", "第二条")
    assert service.indexing_states([kb]) == {}  # nothing running any more


def test_demo_seeds_public_regulations_once(engine, home, tmp_path) -> None:
    docs = write_corpus(tmp_path / "laws")
    assert seed_public_regulations(engine, tmp_path / "absent") is None
    with transaction(engine) as s:
        accounts.create_user(s, actor=SYSTEM, user_in=UserCreate(
            username="office", password="demo-pass-2026x", role=Role.OFFICE_ADMIN.value, display_name="office"))
    kb_id = seed_public_regulations(engine, docs)
    assert kb_id is not None and seed_public_regulations(engine, docs) == kb_id  # idempotent
    with transaction(engine) as s:
        kb = s.get(KnowledgeBase, kb_id)
        assert kb.name == NAME and kb.scope == "public" and kb.n_passages > 0
    assert (home / "assist" / f"kb-{kb_id}" / "files" / "受限空间作业规程.md").is_file()
