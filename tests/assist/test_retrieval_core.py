"""Tokeniser, BM25, fusion and metrics on tiny hand-computable cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from yuzhi.assist.bm25 import BM25
from yuzhi.assist.evaluate import retrieval_metrics
from yuzhi.assist.glossary import expand_query
from yuzhi.assist.hybrid import fuse, norm_fusion, rrf
from yuzhi.assist.tokenize import normalize, tokenize


def test_tokenize_modes() -> None:
    assert tokenize("特种设备", mode="bigram") == ["特种", "种设", "设备"]
    assert tokenize("特种设备", mode="unigram+bigram") == ["特", "种", "设", "备", "特种", "种设", "设备"]
    # particles never form bigrams; stop words are dropped from Latin text
    assert tokenize("持证吗", mode="bigram") == ["持证"]
    assert tokenize("The boilers and cranes", mode="bigram") == ["boiler", "crane"]
    with pytest.raises(ValueError, match="unknown tokenizer mode"):
        tokenize("x", mode="whitespace")


def test_japanese_kanji_map_to_simplified() -> None:
    assert normalize("設備検査") == "设备检查"
    assert "设备" in tokenize("特殊設備の検査", mode="bigram")
    # full-width digits and letters are folded
    assert normalize("ＡＢＣ１２") == "abc12"


def test_glossary_expansion() -> None:
    assert expand_query("Do boilers need a certificate?") == (
        "Do boilers need a certificate? 资格 证书 锅炉"
    )
    assert expand_query("エレベーターの保守") == "エレベーターの保守 电梯 维护保养"
    assert expand_query("安全生产许可证有效期") == "安全生产许可证有效期"  # nothing to add


def test_bm25_scores_by_hand() -> None:
    bm = BM25(k1=1.2, b=0.75).fit([["a", "b"], ["c"], ["a", "c", "c"]])
    # N=3, df(c)=2 → idf = ln(1 + 1.5/2.5); avgdl = 2
    idf = math.log(1 + 1.5 / 2.5)
    doc2 = idf * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 1 / 2))
    doc3 = idf * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 2))
    np.testing.assert_allclose(bm.score(["c"]), [0.0, doc2, doc3], rtol=1e-6)
    assert bm.score(["zzz"]).tolist() == [0.0, 0.0, 0.0]
    # repeated query terms count
    np.testing.assert_allclose(bm.score(["c", "c"]), 2 * bm.score(["c"]), rtol=1e-6)


def test_bm25_roundtrip_without_pickle(tmp_path: Path) -> None:
    bm = BM25().fit([["安全", "生产"], ["消防"]])
    bm.save(tmp_path)
    again = BM25.load(tmp_path)
    np.testing.assert_array_equal(again.score(["消防", "安全"]), bm.score(["消防", "安全"]))
    for name in ("bm25_data.npy", "bm25_indices.npy", "bm25_indptr.npy"):
        np.load(tmp_path / name, allow_pickle=False)


def test_rrf_by_hand() -> None:
    bm25 = np.array([3.0, 1.0, 0.0])
    dense = np.array([0.1, 0.9, 0.5])
    out = rrf([bm25, dense], k=60)
    # doc0: bm25 rank 1, dense rank 3; doc1: 2 and 1; doc2: unranked in bm25 (score 0), dense rank 2
    np.testing.assert_allclose(out, [1 / 61 + 1 / 63, 1 / 62 + 1 / 61, 1 / 62])


def test_norm_fusion_by_hand_and_empty_list_ignored() -> None:
    out = norm_fusion([np.array([4.0, 2.0, 0.0]), np.array([0.2, 0.6, 0.4])])
    np.testing.assert_allclose(out, [1.0 + 0.0, 0.0 + 1.0, 0.0 + 0.5])
    # a retriever that found nothing (all zeros) changes nothing
    dense = np.array([0.2, 0.6, 0.4])
    np.testing.assert_allclose(norm_fusion([np.zeros(3), dense]), norm_fusion([dense]))
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([dense], method="max")


def test_retrieval_metrics() -> None:
    ranked = [[("a", "1"), ("a", "2")], [("b", "1")], [("c", "9"), ("x", "1"), ("x", "2"), ("x", "3"), ("c", "1")]]
    gold = [{("a", "2")}, {("z", "1")}, {("c", "1"), ("q", "q")}]
    m = retrieval_metrics(ranked, gold, ks=(1, 5))
    assert m == {"recall@1": 0.0, "recall@5": 2 / 3, "mrr": (1 / 2 + 1 / 5) / 3, "n": 3.0}


def test_segment_texts_cover_paragraphs_past_the_head() -> None:
    from yuzhi.assist.dense import segment_texts

    assert segment_texts("某法", "第一条 短条文。") == []  # short articles: the head vector only
    head = "第九十条 生产经营单位有下列行为之一的，处罚款：" + "甲" * 120  # ends before 160
    text = (head + "\n\n（一）未按照规定对特种设备进行定期检验的；\n\n（二）短"
            "\n\n（三）使用未经检验或者检验不合格的设备的。")
    segs = segment_texts("某法", text)
    # one per paragraph ending past 160 characters, titled, too-short fragments skipped
    assert segs == ["某法\n（一）未按照规定对特种设备进行定期检验的；",
                    "某法\n（三）使用未经检验或者检验不合格的设备的。"]


def test_penalty_links_and_propagation_by_hand() -> None:
    from yuzhi.assist.structure import penalty_links, propagate

    e = np.eye(3, dtype=np.float32)
    # passages: 0 duty A (law X), 1 duty B (law X), 2 penalty (law X), 3 duty C (law Y)
    vectors = np.stack([e[0], e[1], e[2], e[0]])
    # the penalty article's item (a segment) is close to duty B, not to its head
    segments = np.stack([(0.2 * e[0] + e[1]) / np.linalg.norm(0.2 * e[0] + e[1])])
    owner = np.array([2])
    pen = np.array([False, False, True, False])
    links = penalty_links(["X", "X", "X", "Y"], vectors, segments, owner, pen, per_article=1)
    assert list(links) == [2] and links[2].tolist() == [1]  # same law only, best match = duty B
    out = propagate(np.array([0.1, 0.8, 0.2, 0.9]), links, 0.5)
    assert out.tolist() == pytest.approx([0.1, 0.8, 0.2 + 0.5 * 0.8, 0.9])
