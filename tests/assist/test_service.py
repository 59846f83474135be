"""Knowledge bases in the platform: tenant isolation, permissions, uploads, audit, API and pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.assist.conftest import LAW, SOP
from tests.factories import PASSWORD, make_world
from yuzhi import config
from yuzhi.assist import service
from yuzhi.assist.models import Document
from yuzhi.assist.schemas import KnowledgeBaseCreate
from yuzhi.audit.models import AuditEvent
from yuzhi.db import transaction
from yuzhi.errors import Forbidden, InvalidInput, NotFound

OWN_SOP = """# 甲厂液氨罐区巡检规程

1 巡检频次
液氨罐区每2小时巡检一次，记录压力和液位。

2 泄漏处置
2.1 发现氨泄漏立即佩戴正压式空气呼吸器，关闭紧急切断阀并报告值班长。
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("YUZHI_HOME", str(tmp_path))
    config.get_settings.cache_clear()
    yield tmp_path
    config.get_settings.cache_clear()


def _world(session):  # type: ignore[no-untyped-def]
    w = make_world(session, units=2)
    law = service.create_kb(session, actor=w.admin, kb_in=KnowledgeBaseCreate(name="安全生产法规", scope="public"))
    files = [("示例安全生产法(2024-01-01).md", LAW.encode()), ("受限空间作业规程.md", SOP.encode())]
    service.add_documents(session, actor=w.admin, kb_id=law.id, files=files)
    own = service.create_kb(session, actor=w.units[0], kb_in=KnowledgeBaseCreate(name="甲厂SOP"))
    service.add_documents(session, actor=w.units[0], kb_id=own.id, files=[("液氨巡检.md", OWN_SOP.encode())])
    return w, law, own


def test_tenant_isolation_of_knowledge_bases(session, home) -> None:
    w, law, own = _world(session)
    a, b = w.units
    assert own.org_id == w.unit_orgs[0] and own.scope == "org"
    assert [k.id for k in service.get_all_kbs(session, actor=a)] == [law.id, own.id]
    assert [k.id for k in service.get_all_kbs(session, actor=b)] == [law.id]
    assert {k.id for k in service.get_all_kbs(session, actor=w.admin)} == {law.id, own.id}
    q = "发现液氨泄漏怎么处置？"
    hits_a = service.search(session, actor=a, query=q, k=3)
    assert (hits_a[0].kb_id, hits_a[0].hit.source, hits_a[0].hit.article) == (own.id, "液氨巡检.md", "2.1")
    # the other unit never sees unit A's SOP, not even among lower-ranked hits
    hits_b = service.search(session, actor=b, query=q, k=10)
    assert hits_b and all(h.kb_id == law.id for h in hits_b)
    with pytest.raises(NotFound):
        service.get_kb(session, actor=b, kb_id=own.id)
    with pytest.raises(NotFound):
        service.search(session, actor=b, query=q, kb_ids=[own.id])
    with pytest.raises(NotFound):
        service.get_article(session, actor=b, kb_id=own.id, source="液氨巡检.md", article="2.1")
    assert service.get_article(session, actor=a, kb_id=own.id, source="液氨巡检.md", article="2.1").text.startswith(
        "2.1 发现氨泄漏")


def test_write_permissions_and_audit(session, home) -> None:
    w, law, own = _world(session)
    a, b = w.units
    with pytest.raises(Forbidden, match="programme office"):
        service.create_kb(session, actor=a, kb_in=KnowledgeBaseCreate(name="x", scope="public"))
    with pytest.raises(Forbidden, match="managed by the programme office"):
        service.add_documents(session, actor=a, kb_id=law.id, files=[("x.md", b"# x\n\nhello")])
    with pytest.raises(NotFound):
        service.add_documents(session, actor=b, kb_id=own.id, files=[("x.md", b"# x\n\nhello")])
    with pytest.raises(Forbidden, match="own organisation"):
        service.create_kb(session, actor=a, kb_in=KnowledgeBaseCreate(name="x", org_id=w.unit_orgs[1]))
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions.count("assist.kb.create") == 2 and actions.count("assist.document.upload") == 3


def test_bad_upload_changes_nothing(session, home) -> None:
    w, _, own = _world(session)
    a = w.units[0]
    files_dir = home / "assist" / f"kb-{own.id}" / "files"
    before = sorted(p.name for p in files_dir.iterdir())
    for name, data, msg in [("空.md", b"", "is empty"), ("图.png", b"\x89PNG", "unsupported"),
                            ("坏.txt", b"\x00\x01bin", "binary")]:
        with pytest.raises(InvalidInput, match=msg):
            service.add_documents(session, actor=a, kb_id=own.id,
                                  files=[("ok.md", b"# ok\n\n1 a\n2 b\n"), (name, data)])
    assert sorted(p.name for p in files_dir.iterdir()) == before
    assert [d.filename for d in session.scalars(select(Document).where(Document.kb_id == own.id))] == ["液氨巡检.md"]
    # replacing a file updates it in place and re-indexes
    new_text = OWN_SOP + "3 交接\n交接班时检查液位计。\n"
    service.add_documents(session, actor=a, kb_id=own.id, files=[("../../液氨巡检.md", new_text.encode())])
    docs = service.get_all_documents(session, actor=a, kb_id=own.id)
    assert [(d.filename, d.n_passages) for d in docs] == [("液氨巡检.md", 3)]  # 1, 2.1, 3
    service.delete_document(session, actor=a, kb_id=own.id, doc_id=docs[0].id)
    assert service.get_kb(session, actor=a, kb_id=own.id).n_passages == 0


def test_ask_without_model_cites_own_and_public(session, home) -> None:
    w, law, _ = _world(session)
    ans, where = service.ask(session, actor=w.units[0], question="特种作业人员需要持证上岗吗？",
                             use_configured_llm=False)
    assert ans.covered and ans.mode == "extractive"
    c = ans.citations[0]
    assert (c.source, c.article, where[(c.source, c.article)]) == ("示例安全生产法(2024-01-01).md", "第二条", law.id)


def _login(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/accounts/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_api_and_pages(client, engine, home) -> None:
    with transaction(engine) as s:
        _, law, own = _world(s)
    a, b = _login(client, "unit1"), _login(client, "unit2")
    r = client.get("/api/assist/kbs", headers=b)
    assert r.status_code == 200 and [k["id"] for k in r.json()["data"]] == [law.id]
    r = client.post("/api/assist/search", json={"query": "液氨泄漏怎么处置", "k": 3}, headers=a)
    assert r.status_code == 200
    top = r.json()[0]
    assert (top["kb_id"], top["source"], top["article"]) == (own.id, "液氨巡检.md", "2.1")
    assert set(top) >= {"source", "article", "text", "score"}
    # a short follow-up keeps the previous question's context; the index state is readable
    r = client.post("/api/assist/ask", json={"question": "那要设专人监护吗？", "context": "受限空间作业前要做什么？"},
                    headers=b)
    assert r.status_code == 200 and r.json()["covered"]
    assert r.json()["citations"][0]["source"] == "受限空间作业规程.md" and r.json()["points"][0]["citation"] == 1
    r = client.post("/api/assist/ask", json={"question": "发生事故后多长时间内要报告？"}, headers=b)
    body = r.json()
    assert r.status_code == 200 and body["covered"]
    first = body["citations"][0]
    assert (first["source"], first["article"]) == ("示例安全生产法(2024-01-01).md", "第四条")
    # another tenant's knowledge base is a 404 everywhere
    assert client.get(f"/api/assist/kbs/{own.id}/documents", headers=b).status_code == 404
    assert client.post("/api/assist/search", json={"query": "液氨", "kb_ids": [own.id]}, headers=b).status_code == 404
    r = client.post(f"/api/assist/kbs/{own.id}/documents", files=[("files", ("x.md", b"# x\n\nhi"))], headers=b)
    assert r.status_code == 404
    # upload through the API, then a bad upload with a clear error
    r = client.post(f"/api/assist/kbs/{own.id}/documents",
                    files=[("files", ("动火.md", "# 动火规程\n\n1 审批\n动火前办理动火证。\n".encode()))], headers=a)
    assert r.status_code == 201 and r.json()[0]["n_passages"] == 1
    r = client.post(f"/api/assist/kbs/{own.id}/documents", files=[("files", ("空.txt", b""))], headers=a)
    assert r.status_code == 422 and "空.txt is empty" in r.text
    assert client.post("/api/assist/ask", json={"question": ""}, headers=a).status_code == 422
    # the chat page: answer with clickable citations that open the article with the quote marked
    page = client.get("/assist", params={"q": "液氨泄漏怎么处置"}, headers=a)
    assert page.status_code == 200 and 'data-testid="citation-1"' in page.text and "<mark>" in page.text
    # a short answer with inline citation chips; no internals such as the answer mode
    assert 'data-testid="chip-1"' in page.text and "extractive" not in page.text and "回答方式" not in page.text
    follow = client.get("/assist", params={"q": "那要设专人监护吗？", "prev": "受限空间作业前要做什么？"}, headers=a)
    assert 'data-testid="followup-of"' in follow.text and 'name="prev"' in follow.text
    href = page.text.split('data-testid="cite-link-1"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    art = client.get(href, headers=a)
    assert art.status_code == 200 and "《甲厂液氨罐区巡检规程》2.1" in art.text and "<mark>" in art.text
    assert client.get(href, headers=b).status_code == 404


def test_chat_history_is_per_user_and_reopens_the_answer(client, engine, home) -> None:
    with transaction(engine) as s:
        _world(s)
    a, b = _login(client, "unit1"), _login(client, "unit2")
    # asking on the page stores the question and redirects to the stored answer (post/redirect/get)
    r = client.post("/assist", data={"q": "液氨泄漏怎么处置"}, headers=a, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/assist?h="), r.text
    page = client.get(r.headers["location"], headers=a)
    assert page.status_code == 200 and 'data-testid="chip-1"' in page.text and 'data-testid="history"' in page.text
    # a follow-up through the API joins the same history with its context
    r = client.post("/api/assist/ask", json={"question": "那要设专人监护吗？", "context": "液氨泄漏怎么处置"},
                    headers=a)
    assert r.status_code == 200
    hist = client.get("/api/assist/history", headers=a).json()
    assert hist["count"] == 2 and [h["question"] for h in hist["data"]] == ["那要设专人监护吗？", "液氨泄漏怎么处置"]
    first = hist["data"][1]["id"]
    again = client.get(f"/api/assist/history/{first}", headers=a).json()
    assert again["question"] == "液氨泄漏怎么处置" and again["citations"][0]["article"] == "2.1"
    # nobody else sees it: not in their list, a 404 for the entry, on the page too
    assert client.get("/api/assist/history", headers=b).json() == {"data": [], "count": 0}
    assert client.get(f"/api/assist/history/{first}", headers=b).status_code == 404
    assert client.get(f"/assist?h={first}", headers=b).status_code == 404
    assert client.get("/assist?h=99999999999999999999", headers=a).status_code == 422  # bounded, not a 500
    assert "液氨泄漏怎么处置" in client.get("/assist/history", headers=a).text
    assert "液氨泄漏怎么处置" not in client.get("/assist/history", headers=b).text
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "assist.chat.ask")).all()
        assert len(events) == 2
    # an empty question on the page: a clear error, nothing stored
    r = client.post("/assist", data={"q": "  "}, headers=a, follow_redirects=False)
    assert r.status_code == 422 and 'data-testid="error"' in r.text
    assert client.get("/api/assist/history", headers=a).json()["count"] == 2
