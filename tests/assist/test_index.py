"""Index directory: build, search, incremental re-indexing, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.assist.conftest import write_corpus
from yuzhi.assist.index import KnowledgeIndex, build_index
from yuzhi.errors import InvalidInput, NotFound


def test_search_returns_cited_passages(tiny_index) -> None:
    _, ix = tiny_index
    # 5 articles; SOP clauses 1, 2.1, 2.2, 3.1 (the headings "2 作业前", "3 应急" become their chapters)
    sop = [(p.article, p.chapter) for p in ix.passages if p.source.startswith("受限")]
    assert sop == [("1", ""), ("2.1", "2 作业前"), ("2.2", "2 作业前"), ("3.1", "3 应急")]
    assert len(ix) == 9
    hits = ix.search("特种作业人员要持证上岗吗", k=3)
    top = hits[0]
    assert (top.source, top.article) == ("示例安全生产法(2024-01-01).md", "第二条")
    assert top.rank == 1 and top.score >= hits[1].score
    assert top.title == "示例安全生产法" and top.chapter == "第一章 总则"
    sop = ix.search("受限空间作业前要做气体检测吗？氧含量多少算合格？", k=1)[0]
    assert (sop.source, sop.article) == ("受限空间作业规程.md", "2.1")
    # an English question reaches the Chinese article through the dense model and the glossary
    en = ix.search("Within how many hours must an accident be reported?", k=2)
    assert ("示例安全生产法(2024-01-01).md", "第四条") in [(h.source, h.article) for h in en]


def test_search_modes_and_bad_input(tiny_index) -> None:
    _, ix = tiny_index
    bm = ix.search("劳动防护用品", k=5, mode="bm25")
    assert bm[0].article == "第三条" and all(h.bm25 > 0 for h in bm)
    assert ix.search("劳动防护用品", k=2, mode="dense")[0].dense > 0
    with pytest.raises(InvalidInput, match="empty"):
        ix.search("   ")
    with pytest.raises(InvalidInput, match="between 1 and 100"):
        ix.search("x", k=0)
    with pytest.raises(InvalidInput, match="unknown search mode"):
        ix.search("x", mode="magic")


def _law_entry(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return next(f for f in manifest["files"] if f["path"].startswith("示例"))


def test_reindex_touches_only_changed_files(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "docs")
    out = tmp_path / "index"
    first = build_index([corpus], out)
    assert sorted(first.added) == ["受限空间作业规程.md", "示例安全生产法(2024-01-01).md"]
    law0 = _law_entry(out)
    law_vecs = np.load(out / "dense.npy")[law0["start"] : law0["start"] + law0["count"]]
    sop = corpus / "受限空间作业规程.md"
    sop.write_text(sop.read_text(encoding="utf-8") + "3.2 救援人员必须佩戴正压式空气呼吸器。\n", encoding="utf-8")
    (corpus / "新文件.txt").write_text("交接班时必须检查安全阀。", encoding="utf-8")
    second = build_index([corpus], out)
    assert second.unchanged == ["示例安全生产法(2024-01-01).md"]
    assert second.updated == ["受限空间作业规程.md"]
    assert second.added == ["新文件.txt"]
    # the unchanged law's vectors are carried over bit for bit (not re-embedded)
    law1 = _law_entry(out)
    assert law1["sha256"] == law0["sha256"] and law1["count"] == law0["count"] == 5
    np.testing.assert_array_equal(np.load(out / "dense.npy")[law1["start"] : law1["start"] + law1["count"]], law_vecs)
    ix = KnowledgeIndex(out)
    assert ix.search("救援人员要佩戴呼吸器吗", k=1)[0].article == "3.2"
    # removing a file drops it
    (corpus / "新文件.txt").unlink()
    third = build_index([corpus], out)
    assert third.removed == ["新文件.txt"] and len(third.unchanged) == 2


def test_bad_sources_change_nothing(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "docs")
    out = tmp_path / "index"
    build_index([corpus], out)
    before = (out / "manifest.json").read_bytes()
    (corpus / "坏文件.txt").write_bytes(b"\x00\x00binary")
    with pytest.raises(InvalidInput, match="binary"):
        build_index([corpus], out)
    assert (out / "manifest.json").read_bytes() == before
    report = build_index([corpus], out, skip_bad=True)
    assert [s["path"] for s in report.skipped] == ["坏文件.txt"]
    # an existing folder that is not an index is never overwritten
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"jpg")
    with pytest.raises(InvalidInput, match="not an assist index"):
        build_index([corpus], other)
    shutil.rmtree(out)
    with pytest.raises(NotFound, match="no assist index"):
        KnowledgeIndex(out)


def test_embedding_cache_makes_a_new_index_of_the_same_text_free(tmp_path) -> None:
    """A second index of the same files in another folder reuses every vector, bit for bit."""
    import numpy as np

    from yuzhi.assist.index import build_index

    src = tmp_path / "src"
    src.mkdir()
    (src / "规程.md").write_text("# 规程\n\n1 动火\n动火前办理动火证。\n\n2 受限空间\n进入前检测氧含量。\n",
                                 encoding="utf-8")
    cache = tmp_path / "cache"
    a = build_index([src], tmp_path / "a", embed_cache=cache)
    assert (a.embedded, a.cached) == (2, 0)
    b = build_index([src], tmp_path / "b", embed_cache=cache)
    assert (b.embedded, b.cached) == (0, 2)
    va, vb = np.load(tmp_path / "a" / "dense.npy"), np.load(tmp_path / "b" / "dense.npy")
    assert np.array_equal(va, vb)
    # an edited clause is embedded again; the unchanged one comes from the cache
    (src / "规程.md").write_text("# 规程\n\n1 动火\n动火前办理动火证并安排监护人。\n\n2 受限空间\n进入前检测氧含量。\n",
                                 encoding="utf-8")
    c = build_index([src], tmp_path / "c", embed_cache=cache)
    assert (c.embedded, c.cached) == (1, 1)
    d = build_index([src], tmp_path / "d", embed_cache=False)
    assert (d.embedded, d.cached) == (2, 0)


def test_long_articles_get_paragraph_vectors_reused_when_unchanged(tmp_path) -> None:
    """Paragraphs past the embedded head get their own vectors, carried over on a re-index."""
    import numpy as np

    from yuzhi.assist.index import build_index

    src = tmp_path / "src"
    src.mkdir()
    long_article = ("第一条 使用单位有下列行为之一的，责令停止使用，处三万元以上三十万元以下罚款：" + "说明" * 60
                    + "\n\n（一）使用未经定期检验或者检验不合格的锅炉的；"
                    + "\n\n（二）锅炉出现故障未全面检查继续使用的。\n")
    (src / "法.md").write_text("# 某设备法\n\n" + long_article + "\n第二条 锅炉应当定期检验。\n", encoding="utf-8")
    out = tmp_path / "ix"
    first = build_index([src], out, embed_cache=False)
    assert (first.n_passages, first.embedded) == (2, 4)  # 2 heads + 2 item paragraphs
    ix = KnowledgeIndex(out)
    assert ix.segments.shape == (2, 384) and ix.segment_owner.tolist() == [0, 0]
    again = build_index([src], out, embed_cache=False)  # unchanged file: nothing embedded
    assert again.embedded == 0 and again.unchanged == ["法.md"]
    np.testing.assert_array_equal(np.load(out / "segments.npy"), ix.segments)


def test_paragraph_vectors_only_for_penalty_and_definition_articles() -> None:
    from yuzhi.assist.index import _segment_texts
    from yuzhi.assist.parsing import Passage

    items = "\n".join(f"（{n}）第{n}项违法行为的具体情形，写得足够长以超过条文开头的长度限制。" for n in "一二三四五六")
    head = "第九十条 生产经营单位有下列行为之一的，责令限期改正，处五万元以下的罚款：\n"
    pen = Passage(source="a.md", article="第九十条", text=head + items, title="某法", chapter="第六章 法律责任",
                  path="a.md")
    duty = Passage(source="a.md", article="第十条", text="第十条 生产经营单位应当做好下列工作：\n" + items,
                   title="某法", chapter="第二章 保障", path="a.md")
    segs = _segment_texts(pen)
    assert segs and all(s.startswith("某法\n（") for s in segs)  # the items past the head, each titled
    assert _segment_texts(duty) == []  # a long duty article: its head vector only


def test_index_with_v1_paragraph_vectors_still_loads_them(tmp_path: Path) -> None:
    from yuzhi.assist import dense

    out = tmp_path / "index"
    build_index([write_corpus(tmp_path / "docs")], out)
    mf = out / "manifest.json"
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    vec = np.load(out / "dense.npy")[:1]
    np.save(out / "segments.npy", vec)
    np.save(out / "segment_owner.npy", np.zeros(1, np.int32))
    for fmt, rows in (("title+paragraph[:160] after the head/v1", 1), ("some future recipe/v9", 0)):
        manifest["segments"] = fmt
        mf.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        ix = KnowledgeIndex(out)
        assert ix.segments.shape == (rows, dense.DIM)  # v1 read as is; an unknown recipe: head vectors only
        assert ix.search("劳动防护用品", k=1)


def test_query_pair_in_one_call_equals_one_at_a_time() -> None:
    from yuzhi.assist import dense

    a, b = "叉车司机要持证吗 场(厂)内专用机动车辆", "叉车司机要持证吗"
    dense.encode_query.cache_clear()
    va, vb = dense.encode_queries([a, b])  # one engine call for both
    dense.encode_query.cache_clear()
    assert np.array_equal(va, dense.encode_query(a)) and np.array_equal(vb, dense.encode_query(b))
    assert dense.encode_queries([b, b])[0] is dense.encode_query(b)  # cached, one vector per text
    assert not va.flags.writeable
